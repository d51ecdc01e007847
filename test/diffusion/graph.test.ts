import { strict as assert } from 'node:assert';
import { parallelSamplerGraph, samplerGraphNodeCount, samplerNodeId } from '../../algorithms/diffusion';
import { indexGraph, validateGraph } from '../../algorithms/graph';
import { isOpplaceError } from '../../algorithms/errors';
import { parseOpgraph, serializeOpgraph } from '../../algorithms/loaders/opgraph';
import { placeGraph } from '../../algorithms/placement/index';

/** Longest path counted in nodes. */
function depth(graph: ReturnType<typeof parallelSamplerGraph>): number {
  const ix = indexGraph(graph);
  const longest = new Int32Array(graph.nodes.length);
  let best = 0;
  for (const v of ix.topo) {
    let m = 0;
    for (const p of ix.pred[v]) m = Math.max(m, longest[p]);
    longest[v] = m + 1;
    best = Math.max(best, longest[v]);
  }
  return best;
}

describe('diffusion: parallel sampler DAG', () => {
  for (const [N, R, K] of [
    [1, 1, 0],
    [3, 4, 2],
    [5, 8, 3],
    [2, 16, 1],
  ]) {
    it(`N=${N} R=${R} K=${K}: 1 + (K+1)·R nodes per step, depth N·(K+2), node i of a layer needs j ≤ i of the layer before`, () => {
      const g = parallelSamplerGraph({ steps: N, midpoints: R, rounds: K, scoreTimeUs: 100, scoreBytes: 4096 });
      validateGraph(g);
      assert.equal(g.nodes.length, N * (1 + (K + 1) * R));
      assert.equal(samplerGraphNodeCount({ steps: N, midpoints: R, rounds: K }), g.nodes.length);
      assert.equal(depth(g), N * (K + 2));
      const ix = indexGraph(g);
      const preds = (id: string) => ix.pred[ix.indexOf.get(id)!].map((p) => g.nodes[p].id).sort();
      for (let n = 0; n < N; n++) {
        assert.deepEqual(preds(samplerNodeId(n, 0)), n === 0 ? [] : Array.from({ length: R }, (_, j) => samplerNodeId(n - 1, K + 1, j)).sort());
        for (let i = 0; i < R; i++) assert.deepEqual(preds(samplerNodeId(n, 1, i)), [samplerNodeId(n, 0)]);
        for (let L = 2; L <= K + 1; L++) {
          for (let i = 0; i < R; i++) {
            assert.deepEqual(preds(samplerNodeId(n, L, i)), Array.from({ length: i + 1 }, (_, j) => samplerNodeId(n, L - 1, j)).sort());
          }
        }
      }
      for (const node of g.nodes) assert.equal(node.computeUs, 100);
      for (const e of g.edges) assert.equal(e.bytes, 4096);
    });
  }

  it('round-trips through the opgraph format byte for byte', () => {
    const g = parallelSamplerGraph({ steps: 2, midpoints: 3, rounds: 1, scoreTimeUs: 250, scoreBytes: 1 << 20, weightBytes: 1000 });
    const text = serializeOpgraph(g);
    const back = parseOpgraph(new TextEncoder().encode(text), 'sampler.opgraph.json');
    assert.equal(serializeOpgraph(back), text);
    assert.equal(back.nodes.length, g.nodes.length);
    assert.equal(back.edges.length, g.edges.length);
  });

  it('rejects bad options with one clear error', () => {
    const base = { steps: 2, midpoints: 2, rounds: 1, scoreTimeUs: 1, scoreBytes: 1 };
    const bad: [object, RegExp][] = [
      [{ steps: 0 }, /--steps must be an integer ≥ 1/],
      [{ midpoints: 1.5 }, /--midpoints must be an integer ≥ 1/],
      [{ rounds: -1 }, /--rounds must be an integer ≥ 0/],
      [{ scoreTimeUs: NaN }, /--score-time-us must be a finite number ≥ 0/],
      [{ scoreBytes: -5 }, /--score-bytes must be a number of bytes ≥ 0/],
      [{ steps: 100_000, midpoints: 64 }, /would have .* nodes; at most/],
    ];
    for (const [over, re] of bad) {
      assert.throws(
        () => parallelSamplerGraph({ ...base, ...over }),
        (e: unknown) => isOpplaceError(e) && re.test((e as Error).message),
        String(re),
      );
    }
  });
});

describe('diffusion: placing the parallel sampler', () => {
  const place = (g: ReturnType<typeof parallelSamplerGraph>, devices: number) =>
    placeGraph(g, { algorithm: 'm-etf', devices, memoryLimits: Array(devices).fill(64 * 2 ** 30), comm: 'none', grouping: 'none', fuse: false });

  for (const [R, K] of [
    [8, 2],
    [16, 1],
    [8, 4],
  ]) {
    it(`R=${R} K=${K}: 4 devices with zero communication give a makespan ≤ 1/3 of one device's`, async () => {
      const g = parallelSamplerGraph({ steps: 4, midpoints: R, rounds: K, scoreTimeUs: 1000, scoreBytes: 4 << 20 });
      const one = await place(g, 1);
      const four = await place(g, 4);
      assert.ok(one.feasible && four.feasible);
      assert.equal(one.makespanUs, g.nodes.length * 1000, 'one device runs every evaluation in turn');
      assert.ok(four.makespanUs <= one.makespanUs / 3, `4 devices ${four.makespanUs} µs vs 1 device ${one.makespanUs} µs`);
      // and no better than the layer bound: per step 1 + (K+1)·⌈R/4⌉ evaluations in sequence
      assert.ok(four.makespanUs >= 4 * (1 + (K + 1) * Math.ceil(R / 4)) * 1000 - 1e-6);
    });
  }
});
