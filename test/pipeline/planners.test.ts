// The pipeline planners (issue 14 item 3): hand-computed loads, sequential and contiguous optimal
// by brute force on small random graphs, `any` never worse than its start, memory limits never
// exceeded, determinism, the training backward rule; every plan passes the schedule checker.
import assert from 'node:assert/strict';
import { planPipeline } from '../../algorithms/pipeline/index';
import type { PipelineOptions, PipelinePlan } from '../../algorithms/pipeline/types';
import { buildThroughputModel, timePerSampleUs, ThroughputModel } from '../../algorithms/pipeline/model';
import { buildBlocks, Blocks, isMonotone } from '../../algorithms/pipeline/shape';
import { memoryRule } from '../../algorithms/pipeline/memory';
import { anySearch } from '../../algorithms/pipeline/any';
import { loadModel } from '../../algorithms/loaders/readFile';
import { fileDefaults } from '../../algorithms/loaders/dnnPartitioning';
import { OpplaceError } from '../../algorithms/errors';
import { mulberry32 } from '../../algorithms/random';
import type { OpGraph } from '../../algorithms/graph';
import { dataPath } from '../helpers/paths';
import { dnnGraph, DnnEdgeSpec, DnnNodeSpec, FORK, opts } from './helpers';
import { assertPlanChecked } from './scheduleHelpers';

/** A random DAG of n ops as a dnn-partitioning file; with `training`, a backward op per forward op in its colour class. */
function randomGraph(seed: number, n: number, training = false): OpGraph {
  const rnd = mulberry32(seed);
  const int = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));
  const nodes: DnnNodeSpec[] = [];
  const edges: DnnEdgeSpec[] = [];
  const costOf: number[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push({ id: i, ms: int(1, 20), size: int(1, 9) * 100, color: i });
    costOf.push(int(0, 6));
  }
  for (let j = 1; j < n; j++) {
    // at least one producer, sometimes two
    const preds = new Set([int(0, j - 1)]);
    if (rnd() < 0.4) preds.add(int(0, j - 1));
    for (const i of preds) edges.push({ from: i, to: j, ms: costOf[i] });
  }
  if (training) {
    const fwdEdges = edges.slice();
    for (let i = 0; i < n; i++) nodes.push({ id: n + i, ms: int(1, 30), size: 0, color: i, backward: true });
    for (const e of fwdEdges) edges.push({ from: n + e.to, to: n + e.from, ms: int(0, 6) });
    // the loss: the last forward op feeds its own backward op
    edges.push({ from: n - 1, to: 2 * n - 1, ms: 0 });
  }
  return dnnGraph(nodes, edges, `random${seed}${training ? 't' : ''}`);
}

/** Every labelling of the blocks with devices 0 … D−1 (one array, changed in place between yields). */
function* labellings(C: number, D: number): Generator<Int32Array> {
  const label = new Int32Array(C);
  for (;;) {
    yield label;
    let c = 0;
    while (c < C && label[c] === D - 1) label[c++] = 0;
    if (c === C) return;
    label[c]++;
  }
}

/** Best time per sample over block labellings that `keep` accepts (the random graphs have no units without forward ops). */
function bruteForce(model: ThroughputModel, blocks: Blocks, D: number, keep: (label: Int32Array) => boolean): number {
  let best = Infinity;
  for (const label of labellings(blocks.units.length, D)) {
    if (!keep(label)) continue;
    const device = new Int32Array(model.units.length);
    blocks.units.forEach((us, c) => us.forEach((u) => (device[u] = label[c])));
    best = Math.min(best, timePerSampleUs(model, device, D));
  }
  return best;
}

const sequentialShape = (label: Int32Array) => label.every((l, c) => c === 0 || label[c - 1] <= l);
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

describe('pipeline planners', function () {
  this.timeout(60000);

  it('hand-computed: a fork with 1 ms transfers on 2 devices splits after op 2, 13 ms per sample on each device', async () => {
    // 1 → {2, 3} → 4 (1, 10, 10, 1 ms). All on one device: 22 ms; [1 | 2 3 4]: 22 + 1 ms on device 1;
    // [1 2 | 3 4]: device 0 runs 11 ms and sends t1 and t2 (1 ms each), device 1 runs 11 ms and
    // receives both: 13 ms each; [1 2 3 | 4]: 21 + 2 ms on device 0
    const fork = dnnGraph(
      [
        { id: 1, ms: 1 },
        { id: 2, ms: 10 },
        { id: 3, ms: 10 },
        { id: 4, ms: 1 },
      ],
      [
        { from: 1, to: 2, ms: 1 },
        { from: 1, to: 3, ms: 1 },
        { from: 2, to: 4, ms: 1 },
        { from: 3, to: 4, ms: 1 },
      ],
      'cheapfork',
    );
    const plan = await planPipeline(fork, opts(2, 'sequential'));
    assert.equal(plan.feasible, true);
    assert.equal(plan.timePerSampleUs, 13000);
    assert.deepEqual(
      plan.stages.map((s) => [s.nodes, s.computeUs, s.commUs, s.loadUs]),
      [
        [['1', '2'], 11000, 2000, 13000],
        [['3', '4'], 11000, 2000, 13000],
      ],
    );
    assert.equal(plan.singleDeviceUs, 22000);
    assert.ok(close(plan.throughputSpeedup, 22 / 13));
    assertPlanChecked(fork, plan);
    // the fork with costly transfers (5, 7, 11 ms) stays on one device: 22 ms beats 23 ms
    const costly = await planPipeline(FORK, opts(2, 'sequential'));
    assertPlanChecked(FORK, costly);
    assert.equal(costly.timePerSampleUs, 22000);
    assert.equal(costly.stages.length, 1);
  });

  for (let seed = 1; seed <= 12; seed++) {
    const training = seed % 3 === 0;
    const n = training ? 5 : 6 + (seed % 2);
    const D = 2 + (seed % 2);
    it(`random graph ${seed}${training ? ' (training)' : ''}, ${D} devices: sequential and contiguous are optimal (brute force), any is no worse`, async () => {
      const graph = randomGraph(seed, n, training);
      const model = buildThroughputModel(graph, { comm: 'file' });
      const blocks = buildBlocks(model);
      const plans: Record<string, PipelinePlan> = {};
      for (const split of ['sequential', 'contiguous', 'any'] as const) {
        plans[split] = await planPipeline(graph, opts(D, split));
        assertPlanChecked(graph, plans[split]);
      }
      const seq = bruteForce(model, blocks, D, sequentialShape);
      const contiguous = bruteForce(model, blocks, D, (l) => isMonotone(blocks, l));
      assert.ok(close(plans.sequential.timePerSampleUs, seq), `sequential ${plans.sequential.timePerSampleUs} vs brute force ${seq}`);
      assert.ok(close(plans.contiguous.timePerSampleUs, contiguous), `contiguous ${plans.contiguous.timePerSampleUs} vs brute force ${contiguous}`);
      assert.ok(plans.any.timePerSampleUs <= contiguous + 1e-6);
      // shapes: contiguous labels monotone along forward edges
      const deviceOfBlock = Int32Array.from(blocks.units, (us) => plans.contiguous.assignment[graph.nodes[model.units[us[0]][0]].id]);
      assert.ok(isMonotone(blocks, deviceOfBlock));
    });
  }

  it('any never ends worse than its start, from random starts', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const graph = randomGraph(100 + seed, 8, seed % 2 === 0);
      const model = buildThroughputModel(graph, { comm: seed % 4 < 2 ? 'file' : '10:1' });
      const rnd = mulberry32(seed);
      const D = 3;
      const start = Int32Array.from(model.units, () => Math.floor(rnd() * D));
      const rule = memoryRule(model, Array(D).fill(Infinity), '1f1b', 4);
      const result = anySearch(model, start, rule, { seed, workUnits: 5000, deadlineMs: Infinity });
      assert.ok(result.timePerSampleUs <= timePerSampleUs(model, start, D) + 1e-9, `seed ${seed}`);
      assert.ok(close(result.timePerSampleUs, timePerSampleUs(model, result.device, D)));
    }
  });

  it('memory limits are hard: feasible plans stay within them, the sequential split fits exactly when one exists', async () => {
    let feasible = 0;
    let infeasible = 0;
    for (let seed = 1; seed <= 16; seed++) {
      const graph = randomGraph(200 + seed, 6, seed % 2 === 0);
      const model = buildThroughputModel(graph, { comm: 'file' });
      const blocks = buildBlocks(model);
      const total = graph.nodes.reduce((s, v) => s + v.persistentBytes, 0);
      const D = 3;
      const limit = Math.floor((total / D) * (1 + (seed % 4) * 0.15));
      const unitBytes = Float64Array.from(blocks.units, (us) => us.reduce((s, u) => s + model.unitPersistent[u], 0));
      let fitsSequential = false;
      for (const l of labellings(blocks.units.length, D)) {
        if (!sequentialShape(l)) continue;
        const used = new Float64Array(D);
        l.forEach((d, c) => (used[d] += unitBytes[c]));
        if (used.every((b) => b <= limit)) fitsSequential = true;
      }
      for (const split of ['sequential', 'contiguous', 'any'] as const) {
        const plan = await planPipeline(graph, opts(D, split, { memoryLimits: Array(D).fill(limit) }));
        assertPlanChecked(graph, plan);
        if (split === 'sequential') assert.equal(plan.feasible, fitsSequential, `seed ${seed}`);
        if (plan.feasible) {
          feasible++;
          for (const s of plan.stages) assert.ok(s.memoryBytes <= limit && s.peakBytes <= limit, `seed ${seed} ${split} stage ${s.index}`);
        } else {
          infeasible++;
          assert.match(plan.reason!, /op "|group "|no split/);
          assert.ok(plan.minimumMemoryBytes! > limit);
          const again = await planPipeline(graph, opts(D, split, { memoryLimits: Array(D).fill(plan.minimumMemoryBytes!) }));
          assertPlanChecked(graph, again);
          assert.equal(again.feasible, true, `seed ${seed} ${split} at its minimum memory`);
        }
      }
    }
    assert.ok(feasible > 0 && infeasible > 0, `${feasible} feasible, ${infeasible} infeasible`);
  });

  it('an op larger than every device: the reason names it and the memory that would fit', async () => {
    const graph = dnnGraph(
      [
        { id: 1, ms: 1, size: 100 },
        { id: 2, ms: 1, size: 900 },
      ],
      [{ from: 1, to: 2, ms: 1 }],
      'big',
    );
    const plan = await planPipeline(graph, opts(2, 'contiguous', { memoryLimits: [500, 500] }));
    assertPlanChecked(graph, plan);
    assert.equal(plan.feasible, false);
    assert.match(plan.reason!, /op "2" needs 900 B, more than any device holds/);
    assert.ok(plan.minimumMemoryBytes! >= 900 && plan.minimumMemoryBytes! < 1000);
    assertPlanChecked(graph, plan);
  });

  it('no split fits although every op does: the reason says where the fill runs out', async () => {
    const graph = dnnGraph(
      [
        { id: 1, ms: 1, size: 600 },
        { id: 2, ms: 1, size: 600 },
        { id: 3, ms: 1, size: 600 },
      ],
      [
        { from: 1, to: 2, ms: 1 },
        { from: 2, to: 3, ms: 1 },
      ],
      'chain',
    );
    const plan = await planPipeline(graph, opts(2, 'any', { memoryLimits: [1000, 1000] }));
    assertPlanChecked(graph, plan);
    assert.equal(plan.feasible, false);
    assert.match(
      plan.reason!,
      /no split into 2 pipeline stages fits: .*op "3" finds no room: device 1 would need 1\.17 KiB of its 1000 B limit; it would fit with/,
    );
    assert.ok(plan.minimumMemoryBytes! >= 1200 && plan.minimumMemoryBytes! <= 1200 * 1.002, String(plan.minimumMemoryBytes));
  });

  it('is deterministic: the same graph and options give the same plan, byte for byte', async () => {
    const graph = loadModel(dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'gnmt_inference.json'));
    const o = opts(6, 'any', { budgetMs: 50, seed: 3 });
    const a = await planPipeline(graph, o);
    assertPlanChecked(graph, a);
    const b = await planPipeline(loadModel(dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'gnmt_inference.json')), o);
    assert.equal(JSON.stringify({ ...a, placeMs: 0 }), JSON.stringify({ ...b, placeMs: 0 }));
  });

  it('training: each backward op runs on the device of its forward op’s colour class; forward stages are convex', async () => {
    const graph = loadModel(dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'bert24_training.json'));
    const { devices, memoryBytes } = fileDefaults(graph);
    const model = buildThroughputModel(graph, { comm: 'file' });
    const blocks = buildBlocks(model);
    for (const split of ['sequential', 'contiguous', 'any'] as const) {
      const plan = await planPipeline(graph, opts(devices!, split, { memoryLimits: Array(devices).fill(memoryBytes!), budgetMs: 50 }));
      assert.equal(plan.feasible, true);
      const forwardDevice = new Map<string, number>();
      for (const v of graph.nodes) if (!v.isBackward) forwardDevice.set(v.colocationGroup!, plan.assignment[v.id]);
      for (const v of graph.nodes) if (v.isBackward) assert.equal(plan.assignment[v.id], forwardDevice.get(v.colocationGroup!), `${split}: ${v.id}`);
      if (split !== 'any') {
        const label = Int32Array.from(blocks.units, (us) => plan.assignment[graph.nodes[model.units[us[0]][0]].id]);
        assert.ok(isMonotone(blocks, label), split);
      }
      assert.ok(plan.stages.every((s) => s.backwardUs > 0 && s.forwardUs > 0));
      assertPlanChecked(graph, plan);
    }
  });

  it('bad options: one OpplaceError naming the file and what is wrong', async () => {
    const cases: [Partial<PipelineOptions>, RegExp][] = [
      [{ devices: 0, memoryLimits: [] }, /fork\.json: devices must be an integer from 1 to 1024, got 0/],
      [{ memoryLimits: [1] }, /memoryLimits must list one limit per device \(2\), got 1/],
      [{ split: 'diagonal' as never }, /unknown split "diagonal" \(expected sequential, contiguous, any\)/],
      [{ schedule: 'zb' as never }, /unknown schedule "zb"/],
      [{ microbatches: 0 }, /microbatches must be an integer from 1/],
      [{ comm: 'warp' }, /fork\.json: unknown interconnect "warp"/],
      [{ budgetMs: -1 }, /budgetMs must be a number of milliseconds/],
      [{ grouping: 'coplace' as never }, /unknown grouping "coplace" for a pipeline/],
    ];
    for (const [bad, re] of cases) {
      await assert.rejects(
        planPipeline(FORK, { ...opts(2, 'contiguous'), ...bad }),
        (e: unknown) => e instanceof OpplaceError && re.test(e.message),
        JSON.stringify(bad),
      );
    }
  });
});
