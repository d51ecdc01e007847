// The pipeline schedule on hand-computed cases (issue 14 item 4). Every simulated step also passes
// the independent checker (simulateChecked).
import { strict as assert } from 'node:assert';
import { simulatePipeline } from '../../algorithms/pipeline/schedule';
import { trainingGraph } from '../../algorithms/training';
import { OpplaceError } from '../../algorithms/errors';
import { readdirSync } from 'node:fs';
import { loadModel } from '../../algorithms/loaders/readFile';
import { edgeTransferUs, parseComm } from '../../algorithms/pipeline/comm';
import { dataPath } from '../helpers/paths';
import { balancedStages, edge, graphOf, op, simulateChecked, trainingChain } from './scheduleHelpers';

describe('pipeline schedule: hand-computed steps', () => {
  for (const [S, M] of [
    [2, 4],
    [4, 4],
    [4, 2],
    [4, 8],
  ]) {
    for (const schedule of ['gpipe', '1f1b'] as const) {
      it(`${S} equal training stages, M = ${M}, ${schedule}: step (M+S−1)(f+b), bubble (S−1)/(M+S−1), busy M(f+b)`, () => {
        const f = 10;
        const b = 20;
        const { graph, stageOf } = trainingChain(S, f, b);
        const sim = simulateChecked({ graph, stageOf, stages: S, microbatches: M, schedule, activationBytesPerMicrobatch: Array(S).fill(100) });
        assert.equal(sim.stepUs, (M + S - 1) * (f + b));
        assert.ok(Math.abs(sim.bubble - (S - 1) / (M + S - 1)) < 1e-12, `bubble ${sim.bubble}`);
        assert.deepEqual(sim.busyUs, Array(S).fill(M * (f + b)));
        // GPipe stashes all M microbatches on every stage; 1F1B at most S − s on stage s
        const inFlight = Array.from({ length: S }, (_, s) => (schedule === 'gpipe' ? M : Math.min(M, S - s)));
        assert.deepEqual(sim.peakInFlight, inFlight);
        assert.deepEqual(
          sim.peakBytes,
          inFlight.map((k) => 100 * k),
        );
        assert.equal(sim.tasks.length, S * M * 2);
      });
    }
  }

  it('1F1B on 2 stages, M = 4, f = 1, b = 2: the warm-up, the alternation and the cool-down as drawn by hand', () => {
    const { graph, stageOf } = trainingChain(2, 1, 2);
    const sim = simulateChecked({ graph, stageOf, stages: 2, microbatches: 4, schedule: '1f1b' });
    const at = (s: number, kind: string) => sim.tasks.filter((t) => t.stage === s && t.kind === kind).map((t) => [t.microbatch, t.startUs]);
    // stage 0: F0 F1 (warm-up of 2) B0 F2 B1 F3 B2 B3; stage 1: F0 B0 F1 B1 F2 B2 F3 B3
    assert.deepEqual(at(0, 'forward'), [
      [0, 0],
      [1, 1],
      [2, 6],
      [3, 9],
    ]);
    assert.deepEqual(at(0, 'backward'), [
      [0, 4],
      [1, 7],
      [2, 10],
      [3, 13],
    ]);
    assert.deepEqual(at(1, 'forward'), [
      [0, 1],
      [1, 4],
      [2, 7],
      [3, 10],
    ]);
    assert.deepEqual(at(1, 'backward'), [
      [0, 2],
      [1, 5],
      [2, 8],
      [3, 11],
    ]);
    assert.equal(sim.stepUs, 15);
  });

  it('GPipe with a transfer time c between stages: step (M+S−1)(f+b) + 2(S−1)c', () => {
    const S = 3;
    const M = 5;
    const { graph, stageOf } = trainingChain(S, 4, 6);
    const sim = simulateChecked({ graph, stageOf, stages: S, microbatches: M, schedule: 'gpipe', transferUs: () => 7 });
    assert.equal(sim.stepUs, (M + S - 1) * 10 + 2 * (S - 1) * 7);
  });

  it('transfer times go by device: stageDevices maps stages to devices for transferUs', () => {
    const { graph, stageOf } = trainingChain(2, 1, 1);
    const seen: string[] = [];
    const sim = simulatePipeline({
      graph,
      stageOf,
      stages: 2,
      stageDevices: [5, 3],
      microbatches: 1,
      schedule: 'gpipe',
      transferUs: (k, a, b) => (seen.push(`${graph.edges[k].from}:${a}>${b}`), a),
    });
    assert.deepEqual(seen.sort(), ['b1:3>5', 'f0:5>3'], 'once per crossing edge, with the devices');
    assert.equal(sim.stepUs, 1 + 5 + 1 + 1 + 3 + 1);
  });

  it('inference (no backward op): forwards only, both schedules the same, step (M+S−1)f', () => {
    const S = 3;
    const M = 4;
    const nodes = [op('a', 5), op('b', 5), op('c', 5)];
    const graph = graphOf(nodes, [edge('a', 'b'), edge('b', 'c')]);
    for (const schedule of ['gpipe', '1f1b'] as const) {
      const sim = simulateChecked({ graph, stageOf: [0, 1, 2], stages: S, microbatches: M, schedule });
      assert.equal(sim.training, false);
      assert.equal(sim.stepUs, (M + S - 1) * 5);
      assert.ok(sim.tasks.every((t) => t.kind === 'forward'));
    }
  });

  it('a cyclic stage graph (an `any` split: stage 0 → 1 → 0) runs at op granularity', () => {
    // a → b → c with a, c on stage 0 and b on stage 1; M = 2, 1 µs each:
    // stage 0: a0 [0,1] a1 [1,2] c0 [2,3] c1 [3,4]; stage 1: b0 [1,2] b1 [2,3]
    const graph = graphOf([op('a', 1), op('b', 1), op('c', 1)], [edge('a', 'b'), edge('b', 'c')]);
    const sim = simulateChecked({ graph, stageOf: [0, 1, 0], stages: 2, microbatches: 2, schedule: 'gpipe' });
    assert.deepEqual(Array.from(sim.opStartUs), [0, 1, 1, 2, 2, 3]);
    assert.equal(sim.stepUs, 4);
    const stage0 = sim.tasks.filter((t) => t.stage === 0).map((t) => [t.microbatch, t.startUs, t.endUs]);
    assert.deepEqual(stage0, [
      [0, 0, 3],
      [1, 1, 4],
    ]);
  });

  it('a cyclic stage graph in training under 1F1B finishes (the in-flight bound never deadlocks)', () => {
    const fwd = graphOf([op('a', 2), op('b', 3), op('c', 1), op('d', 2)], [edge('a', 'b'), edge('b', 'c'), edge('c', 'd'), edge('a', 'd')]);
    const graph = trainingGraph(fwd, { optimizer: 'sgd' });
    const order = graph.nodes.map((v) => v.id);
    const stage: Record<string, number> = { a: 2, b: 0, c: 2, d: 1 };
    const stageOf = order.map((id) => stage[id.replace('/grad', '')]);
    for (const M of [1, 3, 8]) {
      const sim = simulateChecked({ graph, stageOf, stages: 3, microbatches: M, schedule: '1f1b', transferUs: () => 0.5 });
      assert.ok(sim.peakInFlight.every((k, s) => k <= 3 - s));
    }
  });

  it('1F1B: a backward op that needs no forward one (a gradient source) waits for its microbatch to enter the stage', () => {
    const { graph, stageOf } = trainingChain(2, 1, 1);
    graph.nodes.push(op('g', 1, { isBackward: true }));
    graph.edges.push(edge('g', 'b0'));
    stageOf.push(0);
    const sim = simulateChecked({ graph, stageOf, stages: 2, microbatches: 3, schedule: '1f1b' });
    const start = (id: string, m: number) => sim.opStartUs[graph.nodes.findIndex((v) => v.id === id) * 3 + m];
    assert.equal(start('f0', 0), 0, 'the first forward goes first, not the ready gradient source');
    for (let m = 0; m < 3; m++) assert.ok(start('g', m) > start('f0', m), `microbatch ${m}`);
    assert.deepEqual(sim.peakInFlight, [2, 1]);
  });

  it('backward follows the flag and everything fed by a backward op (the training model marks /grad ops)', () => {
    const graph = trainingGraph(graphOf([op('x', 1), op('y', 1)], [edge('x', 'y')]), { optimizer: 'sgd' });
    const sim = simulateChecked({ graph, stageOf: [0, 1, 1, 0], stages: 2, microbatches: 2, schedule: 'gpipe' });
    assert.equal(sim.training, true);
    assert.deepEqual(
      sim.tasks.map((t) => `${t.stage}${t.microbatch}${t.kind[0]}`),
      ['00f', '00b', '01f', '01b', '10f', '10b', '11f', '11b'],
    );
  });

  it("persistent bytes default to the stage ops' own; peaks add the stashed activations", () => {
    const { graph, stageOf } = trainingChain(2, 1, 1);
    graph.nodes.forEach((v, i) => (v.persistentBytes = 1000 * (i + 1)));
    const sim = simulateChecked({ graph, stageOf, stages: 2, microbatches: 3, schedule: 'gpipe', activationBytesPerMicrobatch: [10, 1] });
    // stage 0: f0 (1000) + b0 (4000); stage 1: f1 (2000) + b1 (3000); GPipe holds all 3 microbatches
    assert.deepEqual(sim.peakBytes, [5000 + 30, 5000 + 3]);
  });

  it('deterministic: the same input gives the same step, byte for byte', () => {
    const { graph, stageOf } = trainingChain(4, 3, 5);
    const a = simulatePipeline({ graph, stageOf, stages: 4, microbatches: 6, schedule: '1f1b', transferUs: (k) => k % 3 });
    const b = simulatePipeline({ graph, stageOf, stages: 4, microbatches: 6, schedule: '1f1b', transferUs: (k) => k % 3 });
    assert.equal(JSON.stringify({ ...a, opStartUs: Array.from(a.opStartUs) }), JSON.stringify({ ...b, opStartUs: Array.from(b.opStartUs) }));
  });

  it('bad input is one OpplaceError naming what is wrong', () => {
    const { graph, stageOf } = trainingChain(2, 1, 1);
    const base = { graph, stageOf, stages: 2, microbatches: 2, schedule: 'gpipe' as const };
    assert.throws(
      () => simulatePipeline({ ...base, microbatches: 0 }),
      (e: unknown) => e instanceof OpplaceError && /microbatches must be an integer ≥ 1, got 0/.test(e.message),
    );
    assert.throws(
      () => simulatePipeline({ ...base, stageOf: [0, 1, 2, 0] }),
      (e: unknown) => e instanceof OpplaceError && /node "b1": pipeline: stage 2 is not one of 0 … 1/.test(e.message),
    );
    assert.throws(
      () => simulatePipeline({ ...base, transferUs: () => NaN }),
      (e: unknown) => e instanceof OpplaceError && /transfer time of edge f0 → f1 must be a finite number ≥ 0, got NaN/.test(e.message),
    );
    assert.throws(
      () => simulatePipeline({ ...base, schedule: 'zb' as never }),
      (e: unknown) => e instanceof OpplaceError && /unknown schedule "zb"/.test(e.message),
    );
    // 4 ops × 2^22 microbatches = 2^24 tasks: refused before allocating anything
    assert.throws(
      () => simulatePipeline({ ...base, microbatches: 2 ** 22 }),
      (e: unknown) =>
        e instanceof OpplaceError &&
        /4 ops × 4194304 microbatches = 16777216 tasks to simulate, more than 8388608; use at most 2097152 microbatches/.test(e.message),
    );
  });

  const layers = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs');
  for (const f of readdirSync(layers).sort()) {
    it(`${f}: 6 balanced stages × 8 microbatches with the file's transfer times, both schedules, pass the checker`, () => {
      const graph = loadModel(`${layers}/${f}`);
      const link = parseComm('file', graph);
      const stageOf = balancedStages(graph, 6);
      for (const schedule of ['gpipe', '1f1b'] as const) {
        const sim = simulateChecked({
          graph,
          stageOf,
          stages: 6,
          microbatches: 8,
          schedule,
          transferUs: (k, a, b) => edgeTransferUs(link, graph.edges[k], a, b),
          activationBytesPerMicrobatch: Array(6).fill(1),
        });
        assert.equal(sim.training, /training/.test(f));
        const most = (s: number) => (schedule === '1f1b' && sim.training ? Math.min(8, 6 - s) : 8);
        sim.peakInFlight.forEach((k, s) => assert.ok(k >= 1 && k <= most(s), `stage ${s}: ${k} in flight`));
        assert.ok(sim.bubble > 0 && sim.bubble < 1);
      }
    });
  }
});
