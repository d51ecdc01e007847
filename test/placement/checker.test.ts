// The checker must catch each kind of broken plan: start from a valid plan and break one rule.
import assert from 'node:assert/strict';
import { checkSchedule, placeGraph, simulateSchedule } from '../../algorithms/placement/index';
import { resolvePlacement } from '../../algorithms/options';
import type { Plan } from '../../algorithms/plan';
import { makeGraph, options } from './helpers';

const graph = makeGraph(
  [
    { id: 'a', us: 1, out: 100 },
    { id: 'b', us: 2, out: 10, temp: 30 },
    { id: 'c', us: 3, out: 10 },
    { id: 'd', us: 4, out: 10 },
    { id: 'e', us: 2, out: 10 },
    { id: 'f', us: 1 },
  ],
  [
    ['a', 'b', 100],
    ['b', 'c', 10],
    ['c', 'f', 10],
    ['a', 'd', 100],
    ['d', 'e', 10],
    ['e', 'f', 10],
  ],
  'checker',
);
const opts = options({ algorithm: 'm-etf', devices: 2, comm: '2:1', memoryLimits: [1000, 1000] });

describe('placement: the checker catches broken plans', () => {
  let valid: Plan;
  before(async () => {
    valid = await placeGraph(graph, opts);
    assert.equal(valid.feasible, true);
    assert.ok(valid.transfers.length > 0, 'the fixture needs a cross-device edge');
  });
  const clone = (): Plan => JSON.parse(JSON.stringify(valid));
  const expectProblem = (plan: Plan, re: RegExp, o = opts) => {
    const problems = checkSchedule(graph, plan, o);
    assert.ok(
      problems.some((p) => re.test(p)),
      `expected ${re} in ${JSON.stringify(problems)}`,
    );
  };

  it('accepts the valid plan', () => assert.deepEqual(checkSchedule(graph, valid, opts), []));

  it('a node missing or twice', () => {
    const p = clone();
    p.schedule.pop();
    expectProblem(p, /is not scheduled/);
    const q = clone();
    q.schedule.push({ ...q.schedule[0] });
    expectProblem(q, /scheduled twice/);
  });

  it('wrong duration, bad device', () => {
    const p = clone();
    p.schedule[0].endUs += 1;
    expectProblem(p, /runs .* expected/);
    const q = clone();
    q.schedule[0].device = 5;
    expectProblem(q, /invalid device/);
  });

  it('two ops overlapping on a device', () => {
    const p = clone();
    const d0 = p.schedule.filter((s) => s.device === p.schedule[0].device);
    const [x, y] = d0;
    const len = y.endUs - y.startUs;
    y.startUs = x.startUs;
    y.endUs = x.startUs + len;
    expectProblem(p, /starts at .* before .* ends/);
  });

  it('a consumer before its producer / before its transfer arrives', () => {
    const p = clone();
    const f = p.schedule.find((s) => s.node === 'f')!;
    f.startUs -= 5;
    f.endUs -= 5;
    expectProblem(p, /edge .* → f: consumer starts/);
  });

  it('a cross-device edge without a transfer, or a transfer of the wrong length', () => {
    const p = clone();
    p.transfers = [];
    expectProblem(p, /never sent to device/);
    const q = clone();
    q.transfers[0].endUs += 1;
    expectProblem(q, /lasts .* the link needs/);
  });

  it('a tensor sent twice to the same device, or overlapping on a channel', () => {
    const p = clone();
    p.transfers.push({ ...p.transfers[0], startUs: p.transfers[0].startUs + 100, endUs: p.transfers[0].endUs + 100 });
    expectProblem(p, /sent twice/);
    const q = clone();
    const t = q.transfers[0];
    q.transfers.push({ ...t, from: 'b', to: 'c', tensor: 'b:0', bytes: 10, startUs: t.startUs, endUs: t.startUs + 2.01 });
    expectProblem(q, /channel of device .* overlaps/);
  });

  it('memory above a limit', () => {
    const peak = Math.max(...valid.devices.map((d) => d.peakBytes));
    expectProblem(clone(), /memory peaks at .* above its limit/, { ...opts, memoryLimits: [peak - 1, peak - 1] });
  });

  it('a makespan that is not the last end', () => {
    const p = clone();
    p.makespanUs += 1;
    expectProblem(p, /makespan .* last end/);
  });

  it('an infeasible plan without a reason', () => {
    const p = clone();
    p.feasible = false;
    p.schedule = [];
    p.transfers = [];
    expectProblem(p, /without a reason/);
  });

  it('reads the links of resolved options as they are: nothing is parsed again', () => {
    // The option strings are garbage but the parsed link is the plan's: the checker and the
    // simulator use the link, so they agree with the placer (a re-parse would throw).
    const resolved = resolvePlacement(opts);
    const stale = { ...resolved, options: { ...resolved.options, comm: 'not a link' } };
    assert.deepEqual(checkSchedule(graph, valid, stale), []);
    const assignment = Object.fromEntries(valid.schedule.map((s) => [s.node, s.device]));
    assert.equal(simulateSchedule(graph, { assignment, placement: stale }).transfers.length, valid.transfers.length);
    // and bad options, when they are parsed, are one clear error
    assert.throws(() => checkSchedule(graph, valid, { ...opts, comm: 'not a link' }), /comm: unknown interconnect "not a link"/);
  });
});
