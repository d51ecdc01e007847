// Hand-computed schedules: the simulator and the placers agree with what the model says on small
// graphs, memory and infeasibility are reported precisely.
import assert from 'node:assert/strict';
import { checkSchedule, placeGraph, simulateSchedule } from '../../algorithms/placement/index';
import { isOpplaceError } from '../../algorithms/errors';
import type { Plan, PlacementOptions } from '../../algorithms/plan';
import { makeGraph, options, runSctWithFavourites as runSct } from './helpers';

const at = (plan: Plan, id: string) => {
  const s = plan.schedule.find((x) => x.node === id)!;
  return [s.device, s.startUs, s.endUs];
};

async function placeChecked(graph: ReturnType<typeof makeGraph>, opts: PlacementOptions): Promise<Plan> {
  const plan = await placeGraph(graph, opts);
  assert.deepEqual(checkSchedule(graph, plan, opts), []);
  return plan;
}

// Figure-1 style: a chain a→b→c→f with a fork a→d→e→f. Every tensor is 1000 bytes; with the
// link "2:1" (2 µs + 1 GB/s) a transfer takes 3 µs.
const fig1 = makeGraph(
  [
    { id: 'a', us: 1 },
    { id: 'b', us: 2 },
    { id: 'c', us: 3 },
    { id: 'd', us: 4 },
    { id: 'e', us: 2 },
    { id: 'f', us: 1 },
  ],
  [
    ['a', 'b', 1000],
    ['b', 'c', 1000],
    ['c', 'f', 1000],
    ['a', 'd', 1000],
    ['d', 'e', 1000],
    ['e', 'f', 1000],
  ],
  'fig1',
);

describe('placement: hand-computed schedules', () => {
  it('m-ETF on the chain-with-fork without communication is optimal (8 µs)', async () => {
    const plan = await placeChecked(fig1, options({ algorithm: 'm-etf', devices: 2 }));
    assert.deepEqual(at(plan, 'a'), [0, 0, 1]);
    assert.deepEqual(at(plan, 'b'), [0, 1, 3]);
    assert.deepEqual(at(plan, 'd'), [1, 1, 5]);
    assert.deepEqual(at(plan, 'c'), [0, 3, 6]);
    assert.deepEqual(at(plan, 'e'), [1, 5, 7]);
    assert.deepEqual(at(plan, 'f'), [0, 7, 8]);
    assert.equal(plan.makespanUs, 8);
    assert.equal(plan.lowerBoundUs, 8);
    assert.deepEqual(plan.criticalPath, ['a', 'd', 'e', 'f']);
  });

  it('m-ETF on the chain-with-fork with 3 µs transfers: 11 µs, transfers on both channels', async () => {
    const plan = await placeChecked(fig1, options({ algorithm: 'm-etf', devices: 2, comm: '2:1' }));
    assert.deepEqual(at(plan, 'a'), [0, 0, 1]);
    assert.deepEqual(at(plan, 'b'), [0, 1, 3]);
    assert.deepEqual(at(plan, 'c'), [0, 3, 6]);
    assert.deepEqual(at(plan, 'd'), [1, 4, 8]);
    assert.deepEqual(at(plan, 'e'), [1, 8, 10]);
    assert.deepEqual(at(plan, 'f'), [1, 10, 11]);
    assert.equal(plan.makespanUs, 11);
    assert.deepEqual(
      plan.transfers.map((t) => [t.from, t.to, t.srcDevice, t.dstDevice, t.startUs, t.endUs]),
      [
        ['a', 'd', 0, 1, 1, 4],
        ['c', 'f', 0, 1, 6, 9],
      ],
    );
    assert.deepEqual(
      plan.devices.map((d) => d.busyUs),
      [6, 7],
    );
    assert.equal(plan.singleDeviceUs, 13);
    // critical path: a → (transfer) → d → e → f
    assert.deepEqual(plan.criticalPath, ['a', 'd', 'e', 'f']);
    assert.deepEqual(plan.criticalTransfers, [0]);
  });

  it('m-SCT waits for the favourite child and beats m-ETF (9 µs vs 13 µs)', async () => {
    // a feeds b a big tensor (10 µs to move) and x a small one (1 µs). ETF gives a's device to x
    // (lower topological rank, same start), pushing b behind it; m-SCT keeps the device for b.
    const g = makeGraph(
      [
        { id: 'a', us: 2 },
        { id: 'x', us: 5 },
        { id: 'b', us: 5 },
        { id: 'z', us: 1 },
      ],
      [
        ['a', 'x', 1000],
        ['a', 'b', 10000],
        ['x', 'z', 1000],
        ['b', 'z', 1000],
      ],
      'sct',
    );
    // a sends x and b different tensors
    g.edges[1].tensor = 'a:1';
    g.nodes[0].outputs.push({ name: 'a:1', bytes: 10000, shape: null });
    const etf = await placeChecked(g, options({ algorithm: 'm-etf', devices: 2, comm: '0:1' }));
    assert.deepEqual(at(etf, 'x'), [0, 2, 7]);
    assert.deepEqual(at(etf, 'b'), [0, 7, 12]);
    assert.equal(etf.makespanUs, 13);
    const sct = await placeChecked(g, options({ algorithm: 'm-sct', devices: 2, comm: '0:1' }));
    assert.deepEqual(at(sct, 'b'), [0, 2, 7]);
    assert.deepEqual(at(sct, 'x'), [1, 3, 8]);
    assert.deepEqual(at(sct, 'z'), [1, 8, 9]);
    assert.equal(sct.makespanUs, 9);
    assert.ok(sct.lp && sct.lp.objectiveUs > 0);
  });

  it('simulateSchedule replays a given assignment and order', () => {
    // everything of the chain on device 0 except d, e; device 1 runs e before d is impossible,
    // so use the natural order: makespan as computed by hand = 11 with transfers a→1 and e→0.
    const sim = simulateSchedule(fig1, {
      assignment: { a: 0, b: 0, c: 0, d: 1, e: 1, f: 0 },
      placement: options({ algorithm: 'm-etf', devices: 2, comm: '2:1' }),
    });
    const s = Object.fromEntries(sim.schedule.map((x) => [x.node, [x.device, x.startUs, x.endUs]]));
    assert.deepEqual(s.d, [1, 4, 8]);
    assert.deepEqual(s.e, [1, 8, 10]);
    // e's output reaches device 0 at 13; c ended at 6
    assert.deepEqual(s.f, [0, 13, 14]);
    assert.equal(sim.makespanUs, 14);
    assert.deepEqual(sim.criticalPath, ['a', 'd', 'e', 'f']);
  });

  it('simulateSchedule rejects an order that contradicts the graph', () => {
    assert.throws(
      () => simulateSchedule(fig1, { assignment: {}, order: [['b', 'a', 'c', 'd', 'e', 'f']], placement: options({ algorithm: 'm-etf', devices: 1 }) }),
      (e: unknown) => isOpplaceError(e) && /contradicts the graph/.test((e as Error).message),
    );
  });

  it('memory timeline: outputs live until the last consumer, temporaries while running', async () => {
    const g = makeGraph(
      [
        { id: 'a', us: 1, out: 100, temp: 50 },
        { id: 'b', us: 1, out: 10 },
        { id: 'c', us: 1, out: 10 },
      ],
      [
        ['a', 'b', 100],
        ['a', 'c', 100],
      ],
      'mem',
    );
    const plan = await placeChecked(g, options({ algorithm: 'm-etf', devices: 1, memoryLimits: [150] }));
    assert.equal(plan.devices[0].peakBytes, 150);
    assert.deepEqual(plan.devices[0].memoryTimeline, [
      [0, 150],
      [1, 110],
      [2, 110],
      [3, 0],
    ]);
  });

  it('infeasible: says which op does not fit and the smallest uniform memory', async () => {
    const g = makeGraph(
      [
        { id: 'a', us: 1, out: 100, temp: 50 },
        { id: 'b', us: 1, out: 10 },
        { id: 'c', us: 1, out: 10 },
      ],
      [
        ['a', 'b', 100],
        ['a', 'c', 100],
      ],
      'mem',
    );
    for (const algorithm of ['m-etf', 'm-sct', 'm-topo', 'sequential'] as const) {
      const opts = options({ algorithm, devices: 2, memoryLimits: [149, 149] });
      const plan = await placeChecked(g, opts);
      assert.equal(plan.feasible, false, algorithm);
      assert.match(plan.reason!, /op "a"/);
      assert.equal(plan.schedule.length, 0);
      if (algorithm === 'm-etf' || algorithm === 'm-sct') assert.equal(plan.minimumMemoryBytes, 150, algorithm);
      const again = await placeGraph(g, { ...opts, memoryLimits: [plan.minimumMemoryBytes!, plan.minimumMemoryBytes!] });
      assert.equal(again.feasible, true, algorithm);
    }
  });

  it('infeasible: the devices hold the memory and busy time of the ops placed before the failure', async () => {
    // a (persistent 10, output 100) fits in 205; b's output with a's still held needs 210.
    const g = makeGraph(
      [
        { id: 'a', us: 2, out: 100, persist: 10 },
        { id: 'b', us: 1, out: 100 },
        { id: 'c', us: 1 },
      ],
      [
        ['a', 'b', 100],
        ['b', 'c', 100],
      ],
      'partial',
    );
    for (const algorithm of ['m-etf', 'm-sct'] as const) {
      const plan = await placeChecked(g, options({ algorithm, devices: 1, memoryLimits: [205] }));
      assert.equal(plan.feasible, false, algorithm);
      assert.deepEqual(plan.placedBeforeFailure, [{ node: 'a', device: 0 }], algorithm);
      assert.deepEqual(plan.failedNodes, ['b'], algorithm);
      const [d] = plan.devices;
      assert.deepEqual([d.peakBytes, d.persistentBytes, d.busyUs, d.memoryLimitBytes], [110, 10, 2, 205], algorithm);
      assert.deepEqual(d.memoryTimeline, [
        [0, 110],
        [2, 10],
      ]);
    }
  });

  it('infeasible m-TOPO / sequential: the devices hold what the topological fill had given them when it ran out', async () => {
    // a (10 + 100) fills device 0 of 115; b (100) goes to device 1; c (persistent 50) fits neither.
    const g = makeGraph(
      [
        { id: 'a', us: 2, out: 100, persist: 10 },
        { id: 'b', us: 1, out: 100 },
        { id: 'c', us: 1, persist: 50 },
      ],
      [
        ['a', 'b', 100],
        ['b', 'c', 100],
      ],
      'fill',
    );
    for (const algorithm of ['m-topo', 'sequential'] as const) {
      const plan = await placeChecked(g, options({ algorithm, devices: 2, memoryLimits: [115, 115] }));
      assert.equal(plan.feasible, false, algorithm);
      assert.match(plan.reason!, /op "c" needs 50 B but every device is filled up/, algorithm);
      assert.deepEqual(plan.placedBeforeFailure, [
        { node: 'a', device: 0 },
        { node: 'b', device: 1 },
      ]);
      assert.deepEqual(plan.failedNodes, ['c'], algorithm);
      assert.deepEqual(
        plan.devices.map((d) => [d.peakBytes, d.persistentBytes, d.busyUs, d.memoryLimitBytes]),
        [
          [110, 10, 2, 115],
          [100, 0, 1, 115],
        ],
        algorithm,
      );
    }
  });

  it("infeasible m-TOPO: a group's whole persistent total counts on the device that reserved it, placed members or not", async () => {
    // w1 reserves G's 120 B on device 0; x (80 B) does not fit beside it; w2 (after x) never runs.
    const g = makeGraph(
      [
        { id: 'w1', us: 1, persist: 60, group: 'G' },
        { id: 'x', us: 1, out: 80 },
        { id: 'w2', us: 1, persist: 60, group: 'G' },
      ],
      [
        ['w1', 'x', 0],
        ['x', 'w2', 80],
      ],
      'fill-group',
    );
    const plan = await placeChecked(g, options({ algorithm: 'sequential', devices: 1, memoryLimits: [130] }));
    assert.equal(plan.feasible, false);
    assert.deepEqual(plan.failedNodes, ['x']);
    const [d] = plan.devices;
    assert.deepEqual([d.peakBytes, d.persistentBytes], [120, 120], "the reserved weights, not only w1's 60 B");
  });

  it('a colocation group reserves its persistent total on the device of its first op', async () => {
    const g = makeGraph(
      [
        { id: 'w1', us: 1, persist: 60, group: 'G' },
        { id: 'w2', us: 1, persist: 60, group: 'G' },
        { id: 'y', us: 1 },
      ],
      [
        ['w1', 'y', 0],
        ['w2', 'y', 0],
      ],
      'group',
    );
    const bad = await placeGraph(g, options({ algorithm: 'm-etf', devices: 2, memoryLimits: [100, 100] }));
    assert.equal(bad.feasible, false);
    assert.match(bad.reason!, /group "G"/);
    assert.equal(bad.minimumMemoryBytes, 120);
    const ok = await placeChecked(g, options({ algorithm: 'm-etf', devices: 2, memoryLimits: [120, 120] }));
    assert.equal(at(ok, 'w1')[0], at(ok, 'w2')[0]);
    assert.equal(ok.devices[at(ok, 'w1')[0]].peakBytes, 120);
    // without grouping the two weights may split
    const split = await placeChecked(g, options({ algorithm: 'm-etf', devices: 2, memoryLimits: [100, 100], grouping: 'none' }));
    assert.notEqual(at(split, 'w1')[0], at(split, 'w2')[0]);
  });

  it('single ignores the limit but reports the overflow', async () => {
    const plan = await placeGraph(fig1, options({ algorithm: 'single', devices: 2, memoryLimits: [1000, 1000] }));
    assert.equal(plan.feasible, false);
    assert.equal(plan.schedule.length, 6);
    assert.ok(plan.schedule.every((s) => s.device === 0));
    assert.equal(plan.makespanUs, 13);
    assert.match(plan.reason!, /more than its/);
    assert.equal(plan.minimumMemoryBytes, plan.devices[0].peakBytes);
    assert.deepEqual(checkSchedule(fig1, plan, options({ algorithm: 'single', devices: 2, memoryLimits: [1000, 1000] })), []);
  });

  it('sequential fills device 0 up to its limit, then device 1', async () => {
    const chain = makeGraph(
      ['a', 'b', 'c', 'd'].map((id) => ({ id, us: 1, persist: 40 })),
      [
        ['a', 'b', 0],
        ['b', 'c', 0],
        ['c', 'd', 0],
      ],
      'chain',
    );
    const plan = await placeChecked(chain, options({ algorithm: 'sequential', devices: 2, memoryLimits: [100, 100] }));
    assert.deepEqual(
      plan.schedule.map((s) => s.device),
      [0, 0, 1, 1],
    );
  });

  it('fusion keeps the plan in original nodes, members back to back', async () => {
    const g = makeGraph(
      [
        { id: 'a', us: 1, group: 'G' },
        { id: 'b', us: 2, group: 'G' },
        { id: 'c', us: 3, group: 'G' },
        { id: 'y', us: 4 },
      ],
      [
        ['a', 'b', 8],
        ['b', 'c', 8],
        ['a', 'y', 8],
      ],
      'fuse',
    );
    const opts = options({ algorithm: 'm-etf', devices: 2, fuse: true });
    const plan = await placeChecked(g, opts);
    assert.equal(plan.schedule.length, 4);
    const [da, sa] = at(plan, 'a');
    assert.deepEqual(at(plan, 'b'), [da, sa + 1, sa + 3]);
    assert.deepEqual(at(plan, 'c'), [da, sa + 3, sa + 6]);
  });

  it('fusion never creates a cycle: u → w → v with u, v in one group and u → v stays unfused', async () => {
    const g = makeGraph(
      [
        { id: 'u', us: 1, group: 'G' },
        { id: 'w', us: 5 },
        { id: 'v', us: 1, group: 'G' },
      ],
      [
        ['u', 'w', 8],
        ['w', 'v', 8],
        ['u', 'v', 8],
      ],
      'diamond',
    );
    const { buildProblem } = await import('../../algorithms/placement/problem');
    const { indexGraph } = await import('../../algorithms/graph');
    const { parseInterconnect } = await import('../../algorithms/cost/interconnect');
    const problem = buildProblem(g, { grouping: 'colocation', fuse: true, link: parseInterconnect('none') }, indexGraph(g));
    assert.equal(problem.n, 3, 'u and v must not be fused');
    const plan = await placeChecked(g, options({ algorithm: 'm-etf', devices: 2, fuse: true }));
    assert.deepEqual(at(plan, 'w').slice(1), [1, 6]);
    assert.deepEqual(at(plan, 'v').slice(1), [6, 7]);
    // a plain chain in one group fuses into one node
    const chain = makeGraph(
      [
        { id: 'a', us: 1, group: 'G' },
        { id: 'b', us: 1, group: 'G' },
        { id: 'c', us: 1, group: 'G' },
      ],
      [
        ['a', 'b', 1],
        ['b', 'c', 1],
      ],
      'chain',
    );
    assert.equal(buildProblem(chain, { grouping: 'colocation', fuse: true, link: parseInterconnect('none') }, indexGraph(chain)).n, 1);
  });

  it('coplace puts an op with one consumer next to it', async () => {
    const plan = await placeChecked(fig1, options({ algorithm: 'm-etf', devices: 2, grouping: 'coplace' }));
    // every op of fig1 except a has one consumer; a's two branches join at f → one group
    assert.equal(new Set(plan.schedule.map((s) => s.device)).size, 1);
  });

  it('bad options are one clear OpplaceError', async () => {
    const cases: [Partial<PlacementOptions>, RegExp][] = [
      [{ devices: 0, memoryLimits: [] }, /devices must be an integer ≥ 1/],
      [{ devices: 2, memoryLimits: [1] }, /one limit per device/],
      [{ devices: 1, memoryLimits: [-1] }, /memory limit of device 0/],
      [{ algorithm: 'nope' as never }, /algorithm must be one of m-topo/],
      [{ grouping: 'x' as never }, /grouping must be one of none/],
      [{ comm: 'warp' }, /unknown interconnect/],
      [{ theta: 0 }, /theta/],
    ];
    for (const [patch, re] of cases) {
      await assert.rejects(
        placeGraph(fig1, { ...options({ algorithm: 'm-etf', devices: 1 }), ...patch }),
        (e: unknown) => isOpplaceError(e) && re.test((e as Error).message),
        String(re),
      );
    }
  });

  it("Baechi's channels: a send waiting for a busy receiver frees its own channel after the transfer time", async () => {
    // 1000 bytes = 1 µs on "0:1". Device 1's channel receives p → q over [1, 10]. a (device 0,
    // ends at 2) sends to b on device 1: the send runs [2, 3] on channel 0, the receive waits for
    // channel 1 and runs [10, 11]. a2 → c (device 0 → 3) is committed after b (both start at 11,
    // b has the lower topological rank) and can still use channel 0 at [3, 4], so c runs [11, 12].
    // With the sender's channel held until the receive ends, c's input would arrive at 12 (c: 12–13).
    const g = makeGraph(
      [
        { id: 'p', us: 1 },
        { id: 'a', us: 2 },
        { id: 'w', us: 11 },
        { id: 'a2', us: 1 },
        { id: 'q', us: 1 },
        { id: 'b', us: 1 },
        { id: 'c', us: 1 },
      ],
      [
        ['p', 'q', 9000],
        ['a', 'b', 1000],
        ['a2', 'c', 1000],
      ],
      'channels',
    );
    const order = [['a', 'a2'], ['q', 'b'], ['p'], ['w', 'c']];
    const assignment: Record<string, number> = {};
    order.forEach((ids, d) => ids.forEach((id) => (assignment[id] = d)));
    const pieces = simulateSchedule(g, { assignment, order, placement: options({ algorithm: 'm-etf', devices: 4, comm: '0:1' }) });
    const on = (id: string) => pieces.schedule.find((x) => x.node === id)!;
    assert.deepEqual([on('q').startUs, on('b').startUs, on('c').startUs, on('c').endUs], [10, 11, 11, 12]);
    assert.equal(pieces.makespanUs, 12);
    assert.deepEqual(
      pieces.transfers.map((t) => [t.from, t.srcDevice, t.dstDevice, t.sendStartUs ?? t.startUs, t.startUs, t.endUs]),
      [
        ['p', 2, 1, 1, 1, 10],
        ['a2', 0, 3, 3, 3, 4],
        ['a', 0, 1, 2, 10, 11],
      ],
    );
    // b waited for the receive, which waited for channel 1: the critical chain goes back to p
    assert.deepEqual(pieces.criticalPath, ['p', 'b']);
    const plan = {
      ...pieces,
      file: 'channels.json',
      algorithm: 'm-etf',
      lowerBoundUs: 0,
      placeMs: 0,
      options: options({ algorithm: 'm-etf', devices: 4, comm: '0:1' }),
    } as unknown as Plan;
    assert.deepEqual(checkSchedule(g, plan, options({ algorithm: 'm-etf', devices: 4, comm: '0:1' })), []);
    // the checker holds the source channel from the send start: a send overlapping it is caught
    const overlapping = { ...plan, transfers: plan.transfers.map((t) => (t.from === 'a2' ? { ...t, sendStartUs: 2.5, startUs: 3, endUs: 4 } : t)) };
    assert.ok(checkSchedule(g, overlapping, options({ algorithm: 'm-etf', devices: 4, comm: '0:1' })).some((m) => m.includes('channel of device 0')));
  });

  it('critical path through a send that waited for its own channel', () => {
    // a (0–1) sends 3 µs to b on device 1 (send 1–4); a2 (1–3) can only send to c on device 2 when
    // channel 0 is free at 4 (4–5), so c runs 5–6: the chain is a → (a→b) → (a2→c) → c.
    const g = makeGraph(
      [
        { id: 'a', us: 1 },
        { id: 'a2', us: 2 },
        { id: 'b', us: 1 },
        { id: 'c', us: 1 },
      ],
      [
        ['a', 'b', 3000],
        ['a2', 'c', 1000],
      ],
      'sendBound',
    );
    const order = [['a', 'a2'], ['b'], ['c']];
    const assignment: Record<string, number> = { a: 0, a2: 0, b: 1, c: 2 };
    const pieces = simulateSchedule(g, { assignment, order, placement: options({ algorithm: 'm-etf', devices: 3, comm: '0:1' }) });
    assert.deepEqual(
      pieces.transfers.map((t) => [t.from, t.sendStartUs ?? t.startUs, t.startUs, t.endUs]),
      [
        ['a', 1, 1, 4],
        ['a2', 4, 4, 5],
      ],
    );
    assert.equal(pieces.makespanUs, 6);
    assert.deepEqual(pieces.criticalPath, ['a', 'c']);
    assert.deepEqual(pieces.criticalTransfers, [0, 1]);
  });

  it('a fused chain claims the intermediates alive at once, not all of them (fits in 300 bytes, not 400)', async () => {
    // a → b → c → d fused (one group), each passes 100 bytes on; d's output leaves for e. Alive
    // inside the fused node: a's output while b runs (a + b = 200), then b + c, then c + d. The core
    // counts d's outgoing 100 from the node's start: 100 + 200 = 300. Summing every intermediate
    // (100 + 300 = 400) would reject a limit the expanded schedule (peak 200) never reaches.
    const g = makeGraph(
      [
        { id: 'a', us: 1, group: 'g' },
        { id: 'b', us: 1, group: 'g' },
        { id: 'c', us: 1, group: 'g' },
        { id: 'd', us: 1, group: 'g' },
        { id: 'e', us: 1 },
      ],
      [
        ['a', 'b', 100],
        ['b', 'c', 100],
        ['c', 'd', 100],
        ['d', 'e', 100],
      ],
      'fusedChain',
    );
    const opts = options({ algorithm: 'm-etf', devices: 1, fuse: true, memoryLimits: [300] });
    const plan = await placeChecked(g, opts);
    assert.equal(plan.feasible, true);
    assert.equal(plan.makespanUs, 5);
    assert.equal(plan.devices[0].peakBytes, 200);
    const tight = await placeGraph(g, { ...opts, memoryLimits: [299] });
    assert.equal(tight.feasible, false);
    assert.equal(tight.minimumMemoryBytes, 300);
  });

  describe("m-SCT's awake device (Baechi's semantics, favourites given)", () => {
    it('an op is urgent only when its start (device free included) has passed on every device', () => {
      // i (device 0, 0–1) has favourite child c (10 µs to move); L keeps device 1 busy until 20.
      // u's inputs are everywhere at 0, but device 1 cannot start it before 20: not urgent, so
      // device 0 waits for c (1–6) and runs u afterwards (6–11).
      const g = makeGraph(
        [
          { id: 'i', us: 1 },
          { id: 'L', us: 20 },
          { id: 'u', us: 5 },
          { id: 'c', us: 5 },
        ],
        [['i', 'c', 10000]],
        'urgent',
      );
      const at = runSct(g, 2, [['i', 'c']]);
      assert.deepEqual(
        [at('i'), at('L'), at('c'), at('u')],
        [
          [0, 0, 1],
          [1, 0, 20],
          [0, 1, 6],
          [0, 6, 11],
        ],
      );
    });

    it('a device waits only for the favourite child of the op it ran last', () => {
      // i (device 0, 0–1) has favourite child c, which also needs p; p runs after i on device 0
      // (1–2), so device 0 is not awake for c: plain ETF runs w (lower rank) first, then c.
      const g = makeGraph(
        [
          { id: 'i', us: 1 },
          { id: 'L', us: 20 },
          { id: 'p', us: 1 },
          { id: 'w', us: 3 },
          { id: 'c', us: 1 },
        ],
        [
          ['i', 'w', 5000],
          ['i', 'c', 1000],
          ['p', 'c', 1000],
        ],
        'lastOp',
      );
      const at = runSct(g, 2, [['i', 'c']]);
      assert.deepEqual(
        [at('i'), at('L'), at('p'), at('w'), at('c')],
        [
          [0, 0, 1],
          [1, 0, 20],
          [0, 1, 2],
          [0, 2, 5],
          [0, 5, 6],
        ],
      );
    });
  });

  it('the same input gives the same plan, byte for byte', async () => {
    const opts = options({ algorithm: 'm-sct', devices: 2, comm: '2:1' });
    const a = await placeGraph(fig1, opts);
    const b = await placeGraph(fig1, opts);
    assert.equal(JSON.stringify({ ...a, placeMs: 0 }), JSON.stringify({ ...b, placeMs: 0 }));
  });
});
