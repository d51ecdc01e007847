// The throughput model on small graphs whose loads are computed by hand (issue 14 item 2).
import assert from 'node:assert/strict';
import { buildThroughputModel, deviceLoads, inFlightMicrobatches, LoadState, timePerSampleUs } from '../../algorithms/pipeline/model';
import { trainingGraph } from '../../algorithms/training';
import { mulberry32 } from '../../algorithms/random';
import { makeGraph } from '../placement/helpers';
import { FORK } from './helpers';

/** Unit → device from node id → device (the fork has one op per unit). */
function place(model: ReturnType<typeof buildThroughputModel>, byId: Record<string, number>): Int32Array {
  return Int32Array.from(model.units, (m) => byId[model.graph.nodes[m[0]].id]);
}

describe('pipeline model: loads per sample', () => {
  it('file: a crossing tensor costs its edge cost once on the sender and once on each consuming device', () => {
    const m = buildThroughputModel(FORK, { comm: 'file' });
    // 1, 2, 4 on device 0 and 3 on device 1: t1 crosses 0 → 1 (5 ms each end), t3 crosses 1 → 0 (11 ms each end)
    const two = deviceLoads(m, place(m, { 1: 0, 2: 0, 3: 1, 4: 0 }), 2);
    assert.deepEqual([...two.computeUs], [12000, 10000]);
    assert.deepEqual([...two.commUs], [16000, 16000]);
    assert.equal(timePerSampleUs(m, place(m, { 1: 0, 2: 0, 3: 1, 4: 0 }), 2), 28000);
    // one op per device: t1 leaves device 0 once (file) and enters devices 1 and 2
    const four = deviceLoads(m, place(m, { 1: 0, 2: 1, 3: 2, 4: 3 }), 4);
    assert.deepEqual([...four.commUs], [5000, 5000 + 7000, 5000 + 11000, 7000 + 11000]);
  });
  it('a link: latency + bytes / bandwidth per tensor per (sender, receiving device), on both ends', () => {
    const m = buildThroughputModel(FORK, { comm: '10:1' }); // 10 µs + 100 B at 1 GB/s = 10.1 µs
    const four = deviceLoads(m, place(m, { 1: 0, 2: 1, 3: 2, 4: 3 }), 4);
    const t = 10.1;
    const expected = [2 * t, 2 * t, 2 * t, 2 * t];
    four.commUs.forEach((c, d) => assert.ok(Math.abs(c - expected[d]) < 1e-9, `device ${d}: ${c}`));
    // everything on one device: no communication at all
    assert.deepEqual([...deviceLoads(m, place(m, { 1: 0, 2: 0, 3: 0, 4: 0 }), 4).commUs], [0, 0, 0, 0]);
  });
  it('colocation groups are one unit; the activations a backward op reads are stashed', () => {
    const g = makeGraph(
      [
        { id: 'a', us: 4, persist: 10 },
        { id: 'b', us: 6, persist: 20, out: 300 },
      ],
      [['a', 'b', 100]],
    );
    const train = trainingGraph(g, { optimizer: 'sgd' });
    const m = buildThroughputModel(train, { comm: 'none' });
    assert.equal(m.training, true);
    assert.equal(m.units.length, 2); // a + a/grad, b + b/grad
    const ua = m.unitOf[train.nodes.findIndex((n) => n.id === 'a')];
    const ub = m.unitOf[train.nodes.findIndex((n) => n.id === 'b')];
    assert.equal(m.unitOf[train.nodes.findIndex((n) => n.id === 'a/grad')], ua);
    assert.equal(m.unitCompute[ua], 4 + 8);
    assert.equal(m.unitForward[ub], 6);
    assert.equal(m.unitPersistent[ub], 40); // weights + gradients (sgd)
    assert.equal(m.unitActivation[ua], 100);
    assert.equal(m.unitActivation[ub], 300);
    // inference: nothing is stashed
    const inf = buildThroughputModel(g, { comm: 'none' });
    assert.deepEqual([...inf.unitActivation], [0, 0]);
  });
  it('in-flight microbatches: 1F1B stage s of S holds min(S − s, M), GPipe all M', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((s) => inFlightMicrobatches('1f1b', s, 4, 8)),
      [4, 3, 2, 1],
    );
    assert.deepEqual(
      [0, 1, 2, 3].map((s) => inFlightMicrobatches('1f1b', s, 4, 2)),
      [2, 2, 2, 1],
    );
    assert.deepEqual(
      [0, 3].map((s) => inFlightMicrobatches('gpipe', s, 4, 8)),
      [8, 8],
    );
  });
  it('incremental loads after random moves equal the loads recomputed from scratch', () => {
    const rnd = mulberry32(7);
    for (const comm of ['file', '10:1']) {
      const m = buildThroughputModel(FORK, { comm });
      const D = 3;
      const state = new LoadState(m, new Int32Array(m.units.length), D);
      for (let step = 0; step < 200; step++) {
        const u = Math.floor(rnd() * m.units.length);
        const to = Math.floor(rnd() * D);
        state.moveDelta(u, to);
        const predicted = Array.from({ length: D }, (_, d) => state.loadAfter(d));
        state.move(u, to);
        const { computeUs, commUs } = deviceLoads(m, state.device, D);
        for (let d = 0; d < D; d++) {
          assert.ok(Math.abs(state.load[d] - computeUs[d] - commUs[d]) < 1e-6, `${comm} step ${step} device ${d}`);
          assert.ok(Math.abs(predicted[d] - state.load[d]) < 1e-6);
        }
      }
    }
  });
});
