// The cyclic-stage-graph warning (issue 14 follow-up): an `any` split may make one stage feed a
// later one and be fed back by it within a microbatch; the step then stalls well past the time per
// sample, and the plan says so in one sentence. Hand-built graphs, hand-computed steps.
import assert from 'node:assert/strict';
import { evaluatePipeline, planPipeline } from '../../algorithms/pipeline/index';
import { buildThroughputModel } from '../../algorithms/pipeline/model';
import { cycleWarning, findStageCycle } from '../../algorithms/pipeline/warnings';
import { indexGraph } from '../../algorithms/graph';
import { dnnGraph, opts } from './helpers';

/** a → b → c, 10, 20 and 10 ms, free transfers: a and c on device 0, b on device 1 is a cycle 0 → 1 → 0. */
const CHAIN = dnnGraph(
  [
    { id: 1, ms: 10 },
    { id: 2, ms: 20 },
    { id: 3, ms: 10 },
  ],
  [
    { from: 1, to: 2, ms: 0 },
    { from: 2, to: 3, ms: 0 },
  ],
  'chain',
);

/** Two layers and their backward ops (one colour class per layer): forward 1 → 2, backward 4 → 3. */
const TRAINING = dnnGraph(
  [
    { id: 1, ms: 10, color: 1 },
    { id: 2, ms: 10, color: 2 },
    { id: 3, ms: 20, color: 1, backward: true },
    { id: 4, ms: 20, color: 2, backward: true },
  ],
  [
    { from: 1, to: 2, ms: 0 },
    { from: 2, to: 4, ms: 0 },
    { from: 4, to: 3, ms: 0 },
    { from: 1, to: 3, ms: 0 },
  ],
  'training',
);

describe('pipeline warnings: a cyclic stage graph that stalls the step', () => {
  it('names the stages of the cycle and the simulated vs steady-state time per sample', () => {
    // loads: device 0 = 10 + 10, device 1 = 20 → 20 ms per sample. Device 1 runs b for the 4
    // microbatches back to back from 10 ms (10–90 ms), the last c ends at 100 ms: 25 ms per sample.
    const plan = evaluatePipeline(CHAIN, opts(2, 'any'), { '1': 0, '2': 1, '3': 0 });
    assert.equal(plan.timePerSampleUs, 20_000);
    assert.equal(plan.stepUs, 100_000);
    assert.equal(plan.warnings?.length, 1);
    const w = plan.warnings![0];
    assert.match(w, /^the stage graph has a cycle \(stages 0 → 1 → 0 on devices 0 → 1 → 0\)/);
    assert.match(w, /25\.00 ms per sample \(100\.00 ms \/ 4 microbatches\), 25 % more than the steady-state time per sample of 20\.00 ms/);
    assert.match(w, /--split contiguous keeps the stage graph acyclic/);
    assert.match(w, /gpipe may do better than 1f1b here\.$/);
    // the same assignment under GPipe makes no 1F1B suggestion
    const gpipe = evaluatePipeline(CHAIN, opts(2, 'any', { schedule: 'gpipe' }), { '1': 0, '2': 1, '3': 0 });
    assert.equal(gpipe.stepUs, 100_000);
    assert.doesNotMatch(gpipe.warnings![0], /gpipe may/);
  });

  it('stage numbers follow the pipeline order, not the device numbers', () => {
    const plan = evaluatePipeline(CHAIN, opts(3, 'any'), { '1': 2, '2': 0, '3': 2 });
    assert.deepEqual(
      plan.stages.map((s) => s.device),
      [2, 0],
    );
    assert.match(plan.warnings![0], /\(stages 0 → 1 → 0 on devices 2 → 0 → 2\)/);
  });

  it('no warning when the cycle costs at most 10 % (enough microbatches hide it) or there is none', () => {
    // M = 16: device 1 busy 10–330 ms, step 340 ms = 21.25 ms per sample, 6 % over 20 ms
    const many = evaluatePipeline(CHAIN, opts(2, 'any', { microbatches: 16 }), { '1': 0, '2': 1, '3': 0 });
    assert.equal(many.stepUs, 340_000);
    assert.equal(many.warnings, undefined);
    // a contiguous split at M = 1: the step is the whole latency (40 ms, 2× the time per sample),
    // but the stage graph is acyclic, so that is the pipeline's fill, not a stall
    const contiguous = evaluatePipeline(CHAIN, opts(2, 'contiguous', { microbatches: 1 }), { '1': 0, '2': 1, '3': 1 });
    assert.equal(contiguous.stepUs, 40_000);
    assert.equal(contiguous.warnings, undefined);
  });

  it('a training split looks per pass: forward 0 → 1 and backward 1 → 0 is no cycle, a forward one is', () => {
    const model = buildThroughputModel(TRAINING, { comm: 'file', grouping: 'colocation' }, 'training.json', indexGraph(TRAINING));
    // graph node order 1, 2, 3, 4: stages 0, 1, 0, 1 (contiguous) — all edges: 0 → 1 → 0, per pass acyclic
    assert.equal(findStageCycle(model, [0, 1, 0, 1], 2), null);
    const plan = evaluatePipeline(TRAINING, opts(2, 'contiguous', { microbatches: 1 }), { '1': 0, '2': 1, '3': 0, '4': 1 });
    assert.ok(plan.stepUs / 1 > plan.timePerSampleUs * 1.1, 'the step is slow (M = 1) yet no warning');
    assert.equal(plan.warnings, undefined);
    // three devices, forward 1 and a later forward op on device 0 with the middle one elsewhere
    const three = dnnGraph(
      [
        { id: 1, ms: 10 },
        { id: 2, ms: 10 },
        { id: 3, ms: 10 },
        { id: 4, ms: 10, backward: true },
      ],
      [
        { from: 1, to: 2, ms: 0 },
        { from: 2, to: 3, ms: 0 },
        { from: 3, to: 4, ms: 0 },
      ],
      'three',
    );
    const m3 = buildThroughputModel(three, { comm: 'file', grouping: 'none' }, 'three.json', indexGraph(three));
    assert.deepEqual(findStageCycle(m3, [0, 1, 0, 0], 2), { stages: [0, 1], pass: 'forward' });
  });

  it('says how much shorter the alternative step is, only when it is shorter', () => {
    const plan = evaluatePipeline(CHAIN, opts(2, 'any'), { '1': 0, '2': 1, '3': 0 });
    const cycle = { stages: [0, 1], pass: 'all' as const };
    const shorter = cycleWarning(plan, cycle, { name: 'the contiguous split', stepUs: 80_000 });
    assert.match(shorter!, /\(the contiguous split simulates a 80\.00 ms step, 20\.00 ms or 20 % shorter\)/);
    const longer = cycleWarning(plan, cycle, { name: 'the contiguous split', stepUs: 120_000 });
    assert.doesNotMatch(longer!, /shorter/);
  });

  it('planPipeline keeps its plan and adds no warning to acyclic splits', async () => {
    for (const split of ['sequential', 'contiguous'] as const) {
      const plan = await planPipeline(TRAINING, opts(2, split, { microbatches: 1 }));
      assert.equal(plan.warnings, undefined, split);
    }
  });

  it('a bad assignment is one OpplaceError naming the op', () => {
    assert.throws(() => evaluatePipeline(CHAIN, opts(2, 'any'), { '1': 0, '2': 5, '3': 0 }), /op "2" needs a device from 0 to 1/);
    assert.throws(() => evaluatePipeline(TRAINING, opts(2, 'any'), { '1': 0, '2': 1, '3': 1, '4': 1 }), /op "3" must go with op "1"/);
  });
});
