// The plan message's wire form (webview/planWire.ts): what the webview decodes is the host's plan,
// memory timelines included (recomputed there with the engine's function), after the trip through
// postMessage (structuredClone here); the validator rejects malformed columns, and a plan over
// another graph is an error the viewer shows, not a crash.
import { strict as assert } from 'node:assert';
import type { OpGraph } from '../../algorithms/graph';
import type { Plan, PlacementOptions } from '../../algorithms/plan';
import { placeGraph } from '../../algorithms/placement/index';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import { decodePlan, encodePlan } from '../../webview/planWire';
import { isHostToWebviewMessage, isWirePlan, type WirePlan } from '../../webview/protocol';
import { indexOf, initialView, reduceView } from '../../webview/viewReducer';
import { dataPath } from '../helpers/paths';
import { GiB, VIEWER_OPTIONS, viewerGraph, viewerNode } from '../helpers/viewerGraph';

const roundTrip = (plan: Plan, graph: OpGraph): Plan => {
  const decoded = decodePlan(structuredClone(encodePlan(plan, graph)), graph, indexOf(graph));
  if ('problem' in decoded) throw new Error(decoded.problem);
  return decoded.plan;
};

describe('plan wire form (planWire.ts)', function () {
  this.timeout(120_000);
  const inception = prepareGraphFromFile(dataPath('onnx-light', 'light_inception_v1.onnx'));
  const base: PlacementOptions = { algorithm: 'm-etf', devices: 3, memoryLimits: [8 * GiB, 8 * GiB, 8 * GiB], comm: 'nvlink4', grouping: 'none', fuse: false };

  for (const [name, options] of [
    ['m-etf', base],
    ['m-sct, fused', { ...base, algorithm: 'm-sct', fuse: true }],
    ['m-topo, colocation grouping', { ...base, algorithm: 'm-topo', grouping: 'colocation' }],
    ['refine', { ...base, algorithm: 'refine', budgetMs: 200, seed: 1 }],
    ['single', { ...base, algorithm: 'single', devices: 1, memoryLimits: [8 * GiB] }],
    ['infeasible (1 MiB per device)', { ...base, memoryLimits: [2 ** 20, 2 ** 20, 2 ** 20] }],
    // fails midway: an empty schedule, but the devices' timelines are what was placed before the failure
    ['infeasible midway (8 MiB per device)', { ...base, memoryLimits: [8 * 2 ** 20, 8 * 2 ** 20, 8 * 2 ** 20] }],
  ] as [string, PlacementOptions][]) {
    it(`decodes to the host's plan, memory timelines included: inception, ${name}`, async () => {
      const plan = await placeGraph(inception, options);
      const back = roundTrip(plan, inception);
      assert.deepStrictEqual(back, plan);
      if (name.includes('midway')) assert.ok(!plan.feasible && plan.devices.some((d) => d.memoryTimeline!.length > 2), 'the partial placement held memory');
      if (plan.feasible) {
        assert.ok(
          back.devices.every((d) => d.memoryTimeline),
          'timelines recomputed',
        );
        assert.ok(
          back.devices.some((d) => d.memoryTimeline!.length > 1),
          'a timeline with steps',
        );
      }
      assert.ok(isHostToWebviewMessage({ type: 'plan', requestId: 1, plan: structuredClone(encodePlan(plan, inception)), options }));
    });
  }

  it("the BERT-L12 training plan (2,012 ops) crosses as typed arrays and a small JSON part, and decodes to the host's", async () => {
    const bert = prepareGraphFromFile(dataPath('dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', 'bert_L-12_training.json'));
    const plan = await placeGraph(bert, { ...base, devices: 4, memoryLimits: Array(4).fill(2 ** 40), comm: 'baechi', fuse: true });
    const wire = encodePlan(plan, bert);
    assert.equal(wire.schedule.node.length, 2012);
    const jsonPart = JSON.stringify(wire, (_k, v: unknown) => (ArrayBuffer.isView(v) ? `${v.byteLength}` : v)).length;
    assert.ok(jsonPart < JSON.stringify(plan).length / 10, `JSON part ${jsonPart} B`);
    assert.ok(plan.transfers.some((t) => t.sendStartUs !== undefined) && plan.transfers.some((t) => t.sendStartUs === undefined), 'both kinds of transfer');
    assert.deepStrictEqual(roundTrip(plan, bert), plan);
  });

  it('the validator rejects columns of the wrong type or length', async () => {
    const plan = await placeGraph(inception, base);
    const good = encodePlan(plan, inception);
    assert.ok(isWirePlan(good));
    const bad: [string, (w: WirePlan) => unknown][] = [
      ['a Plan instead', () => plan],
      ['plain arrays', (w) => ({ ...w, schedule: { ...w.schedule, startUs: Array.from(w.schedule.startUs) } })],
      ['Float64 node indices', (w) => ({ ...w, schedule: { ...w.schedule, node: Float64Array.from(w.schedule.node) } })],
      ['a short column', (w) => ({ ...w, schedule: { ...w.schedule, endUs: w.schedule.endUs.subarray(1) } })],
      ['a short transfer column', (w) => ({ ...w, transfers: { ...w.transfers, sendStartUs: w.transfers.sendStartUs.subarray(1) } })],
      ['a tensor name that is a number', (w) => ({ ...w, transfers: { ...w.transfers, tensor: w.transfers.tensor.map(() => 5) } })],
      ['no summary', (w) => ({ ...w, summary: undefined })],
      ['critical path as strings', (w) => ({ ...w, criticalPath: plan.criticalPath })],
    ];
    assert.ok(good.transfers.from.length > 0, 'the plan has transfers to break');
    for (const [what, make] of bad) {
      assert.ok(!isWirePlan(make(structuredClone(good))), what);
      assert.ok(!isHostToWebviewMessage({ type: 'plan', plan: make(structuredClone(good)), options: base }), what);
    }
    assert.ok(!isHostToWebviewMessage({ type: 'plan', plan: {}, options: base }));
  });

  it('a plan over another graph: the viewer keeps its plan and shows why', async () => {
    const nodes = [viewerNode('a', []), viewerNode('b', []), viewerNode('c', [])];
    const small = viewerGraph('small', nodes, [
      ['a', 'b'],
      ['b', 'c'],
    ]);
    const plan = await placeGraph(inception, base);
    const wire = encodePlan(plan, inception);
    const decoded = decodePlan(wire, small, indexOf(small));
    assert.match('problem' in decoded ? decoded.problem : '', /names node #\d+, but the graph has 3 nodes/);
    const s0 = initialView({ graph: small, plan: null, options: VIEWER_OPTIONS });
    const s1 = reduceView(s0, { type: 'plan', plan: wire, options: base });
    assert.equal(s1.plan, null);
    assert.match(s1.error ?? '', /cannot show the new plan: .*graph has 3 nodes/);
    // The same plan with its graph (the host sends one when the graph changed) is shown.
    const s2 = reduceView(s0, { type: 'plan', plan: wire, options: base, graph: inception });
    assert.deepStrictEqual(s2.plan, plan);
    assert.equal(s2.error, null);
  });
});
