// The cyclic-stage-graph warning (issue 14 follow-up): an `any` split may make one stage feed a
// later one and be fed back by it within a microbatch; the step then stalls well past the time per
// sample, and the plan says so in one sentence. Hand-built graphs, hand-computed steps.
import assert from 'node:assert/strict';
import { evaluatePipeline, planPipeline } from '../../algorithms/pipeline/index';
import { buildThroughputModel } from '../../algorithms/pipeline/model';
import { cycleWarning, findStageCycle } from '../../algorithms/pipeline/warnings';
import { indexGraph } from '../../algorithms/graph';
import { dnnGraph, opts } from './helpers';

/** a → b → c, 10, 20 and 10 ms, free transfers: a and c on device 0, b on device 1 is a cycle 0 → 1 → 0 that costs nothing. */
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

/**
 * a → b → c → c' → b' → a' (1, 10, 10, 10, 10, 1 ms; a colour class per layer), free transfers.
 * a, c on device 0 and b on device 1 is a forward cycle 0 → 1 → 0; under 1F1B stage 1 holds one
 * microbatch in flight (from b to b'), so each microbatch runs b, c, c', b' alone: 40 ms apiece
 * against a time per sample of 22 ms (device 0: 1 + 10 + 10 + 1).
 */
const LOOP = dnnGraph(
  [
    { id: 1, ms: 1, color: 1 },
    { id: 2, ms: 10, color: 2 },
    { id: 3, ms: 10, color: 3 },
    { id: 4, ms: 10, color: 3, backward: true },
    { id: 5, ms: 10, color: 2, backward: true },
    { id: 6, ms: 1, color: 1, backward: true },
  ],
  [
    { from: 1, to: 2, ms: 0 },
    { from: 2, to: 3, ms: 0 },
    { from: 3, to: 4, ms: 0 },
    { from: 4, to: 5, ms: 0 },
    { from: 5, to: 6, ms: 0 },
  ],
  'loop',
);
const LOOP_SPLIT = { '1': 0, '2': 1, '3': 0, '4': 0, '5': 1, '6': 0 };

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
    // mb 0: a 0–1, b 1–11, c 11–21, c' 21–31, b' 31–41; mb m's b starts at 1 + 40 m; a'3 ends at 162 ms
    const plan = evaluatePipeline(LOOP, opts(2, 'any'), LOOP_SPLIT);
    assert.equal(plan.timePerSampleUs, 22_000);
    assert.equal(plan.stepUs, 162_000);
    assert.equal(plan.warnings?.length, 1);
    const w = plan.warnings[0];
    assert.match(w, /^the stage graph of the forward pass has a cycle \(stages 0 → 1 → 0 on devices 0 → 1 → 0\)/);
    // acyclic fill and drain: 3 × 22 + (22 + 20) = 108 ms, 27 ms per sample
    assert.match(
      w,
      /40\.50 ms per sample \(162\.00 ms \/ 4 microbatches\), 84 % more than the steady-state time per sample of 22\.00 ms \(an acyclic pipeline with these stage loads would take about 27\.00 ms\)/,
    );
    assert.match(w, /--split contiguous keeps the stage graph acyclic/);
    assert.match(w, /gpipe may do better than 1f1b here\.$/);
  });

  it('stage numbers follow the pipeline order, not the device numbers', () => {
    const plan = evaluatePipeline(LOOP, opts(3, 'any'), { '1': 2, '2': 0, '3': 2, '4': 2, '5': 0, '6': 2 });
    assert.deepEqual(
      plan.stages.map((s) => s.device),
      [2, 0],
    );
    assert.match(plan.warnings![0], /\(stages 0 → 1 → 0 on devices 2 → 0 → 2\)/);
  });

  it('no warning when the step is no slower than an acyclic pipeline’s fill, or there is no cycle', () => {
    // GPipe on the same split: 104 ms, 18 % over 4 × 22 ms but below the 108 ms fill and drain
    const gpipe = evaluatePipeline(LOOP, opts(2, 'any', { schedule: 'gpipe' }), LOOP_SPLIT);
    assert.equal(gpipe.stepUs, 104_000);
    assert.equal(gpipe.warnings, undefined);
    // a → b → c with a, c on device 0: device 1 runs the four b's back to back (10–90 ms), step
    // 100 ms, 25 % over 4 × 20 ms and equal to the fill 3 × 20 + 40: a cycle that costs nothing
    const chain = evaluatePipeline(CHAIN, opts(2, 'any'), { '1': 0, '2': 1, '3': 0 });
    assert.equal(chain.stepUs, 100_000);
    assert.equal(chain.warnings, undefined);
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
    assert.ok(plan.stepUs > plan.timePerSampleUs * 1.1, 'the step is slow (M = 1) yet no warning');
    assert.equal(plan.warnings, undefined);
    const loop = buildThroughputModel(LOOP, { comm: 'file', grouping: 'colocation' }, 'loop.json', indexGraph(LOOP));
    assert.deepEqual(findStageCycle(loop, [0, 1, 0, 0, 1, 0], 2), { stages: [0, 1], pass: 'forward' });
    // the backward pass alone: b' on stage 1 between c' and a' on stage 0
    assert.deepEqual(findStageCycle(loop, [0, 0, 0, 0, 1, 0], 2), { stages: [0, 1], pass: 'backward' });
  });

  it('says how much shorter the alternative step is, only when it is shorter', () => {
    const plan = evaluatePipeline(LOOP, opts(2, 'any'), LOOP_SPLIT);
    const cycle = { stages: [0, 1], pass: 'forward' as const };
    const shorter = cycleWarning(plan, cycle, { name: 'the contiguous split', stepUs: 120_000 });
    assert.match(shorter!, /\(the contiguous split simulates a 120\.00 ms step, 42\.00 ms or 26 % shorter\)/);
    const longer = cycleWarning(plan, cycle, { name: 'the contiguous split', stepUs: 170_000 });
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
