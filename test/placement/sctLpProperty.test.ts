// The fast LP path (reductions + certificate) against the full HiGHS solve on many random DAGs.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { OpGraph } from '../../algorithms/graph';
import { generateDnnDag } from '../helpers/generateDag';
import { favouriteChildren, SctLpInput } from '../../algorithms/placement/sctLp';
import { buildLpGraph, longestPathWithX } from '../../algorithms/placement/sctLp/graph';
import { assertValidFavourites } from './sctLpHelpers';

const REL = 1e-6;

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= REL * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Random DAG: nodes relabelled by a permutation so edges do not always go low → high. */
const randomDag: fc.Arbitrary<SctLpInput> = fc
  .integer({ min: 1, max: 22 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      perm: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
      p: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.5, max: 500, noNaN: true }), fc.integer({ min: 1, max: 50 })), { minLength: n, maxLength: n }),
      pairs: fc.array(
        fc.record({
          a: fc.integer({ min: 0, max: n - 1 }),
          b: fc.integer({ min: 0, max: n - 1 }),
          c: fc.oneof(fc.constant(0), fc.double({ min: 0.1, max: 2000, noNaN: true }), fc.integer({ min: 1, max: 300 })),
        }),
        { maxLength: 3 * n },
      ),
    }),
  )
  .map(({ n, perm, p, pairs }) => ({
    n,
    p: Float64Array.from(p),
    edges: pairs.filter(({ a, b }) => a !== b).map(({ a, b, c }) => ({ from: perm[Math.min(a, b)], to: perm[Math.max(a, b)], c })),
  }));

/**
 * Blocks in series, joined by cut nodes: inside a block a random DAG whose nodes all reach the
 * block's exit; nodes without an in-block parent become extra sources (so segments are not all
 * shift-invariant), and a last block may end in several sinks.
 */
const seriesOfBlocks: fc.Arbitrary<SctLpInput> = fc
  .array(
    fc.record({
      size: fc.integer({ min: 1, max: 6 }),
      pairs: fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })), { maxLength: 12 }),
      fromEntry: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      p: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 7, maxLength: 7 }),
      c: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 40, maxLength: 40 }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((blocks) => {
    const p: number[] = [5];
    const edges: { from: number; to: number; c: number }[] = [];
    let entry = 0;
    blocks.forEach((b, bi) => {
      const first = p.length;
      for (let k = 0; k < b.size; k++) p.push(b.p[k]);
      const exit = p.length;
      p.push(b.p[6]);
      let ci = 0;
      const comm = () => b.c[ci++ % b.c.length];
      const hasOut = new Array(b.size).fill(false);
      for (let k = 0; k < b.size; k++) if (b.fromEntry[k]) edges.push({ from: entry, to: first + k, c: comm() });
      for (const [a0, b0] of b.pairs) {
        const a = a0 % b.size;
        const z = b0 % b.size;
        if (a === z) continue;
        edges.push({ from: first + Math.min(a, z), to: first + Math.max(a, z), c: comm() });
        hasOut[Math.min(a, z)] = true;
      }
      const lastBlock = bi === blocks.length - 1;
      for (let k = 0; k < b.size; k++) {
        // in the last block, some nodes stay sinks
        if (!hasOut[k] && !(lastBlock && k % 2 === 1)) edges.push({ from: first + k, to: exit, c: comm() });
      }
      if (!b.fromEntry.slice(0, b.size).some(Boolean)) edges.push({ from: entry, to: exit, c: comm() });
      entry = exit;
    });
    return { n: p.length, p: Float64Array.from(p), edges };
  });

function dnnInput(g: OpGraph): SctLpInput {
  const index = new Map(g.nodes.map((node, i) => [node.id, i] as const));
  return {
    n: g.nodes.length,
    p: Float64Array.from(g.nodes.map((node) => node.computeUs)),
    edges: g.edges.map((e) => ({ from: index.get(e.from)!, to: index.get(e.to)!, c: 134 + 0.0001754 * e.bytes })),
  };
}

async function checkAgainstExact(inp: SctLpInput, theta: number): Promise<string> {
  const exact = await favouriteChildren(inp, theta, { method: 'exact' });
  const fast = await favouriteChildren(inp, theta, { method: 'fast' });
  assert.ok(close(fast.lpObjective, exact.lpObjective), `fast w ${fast.lpObjective} ≠ exact w ${exact.lpObjective} (${fast.method})`);
  assertValidFavourites(inp, exact.favChild, exact.favParent);
  assertValidFavourites(inp, fast.favChild, fast.favParent);
  // w lies between the longest path without comm and the one with every comm paid
  const g = buildLpGraph(inp);
  const lower = longestPathWithX(g, new Float64Array(g.m));
  const upper = longestPathWithX(g, new Float64Array(g.m).fill(1));
  assert.ok(fast.lpObjective >= lower * (1 - REL) - 1e-9 && fast.lpObjective <= upper * (1 + REL) + 1e-9, `w ${fast.lpObjective} outside [${lower}, ${upper}]`);
  return fast.method;
}

describe('m-SCT LP: fast path equals the exact HiGHS solve', function () {
  this.timeout(120_000);
  const methods: string[] = [];

  it('on random DAGs (same w, valid favourites)', async () => {
    await fc.assert(
      fc.asyncProperty(randomDag, fc.constantFrom(0.1, 0.5, 0.9), async (inp, theta) => {
        methods.push(await checkAgainstExact(inp, theta));
      }),
      { numRuns: 400, seed: 20261125 },
    );
  });

  it('the random DAGs exercised the certificate loop and the fall-backs', () => {
    assert.ok(
      methods.some((m) => /^reduced: [2-9] rounds/.test(m)),
      'some case needed more than one round',
    );
    assert.ok(
      methods.some((m) => /^reduced: 1 round,/.test(m)),
      'some case was certified at once',
    );
  });

  it('on blocks in series with extra sources and sinks (series cuts, dependent segments)', async () => {
    const seen: string[] = [];
    await fc.assert(
      fc.asyncProperty(seriesOfBlocks, async (inp) => {
        seen.push(await checkAgainstExact(inp, 0.5));
      }),
      { numRuns: 300, seed: 42 },
    );
    assert.ok(
      seen.some((m) => Number(/(\d+) segments/.exec(m)?.[1]) >= 3),
      'some case was cut into ≥ 3 segments',
    );
    assert.ok(
      seen.some((m) => Number(/\((\d+) chained\)/.exec(m)?.[1]) >= 1),
      'some segment had extra sources',
    );
  });

  it('on DNN-shaped graphs, inference and training', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 5, max: 400 }), fc.integer({ min: 1, max: 1_000_000 }), fc.boolean(), async (nodes, seed, training) => {
        const method = await checkAgainstExact(dnnInput(generateDnnDag({ nodes, seed, training })), 0.5);
        assert.match(method, /segments?\b/);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('splits a 3k-node DNN into many series segments and keeps the slack training edges out of the LP', async () => {
    const inference = await favouriteChildren(dnnInput(generateDnnDag({ nodes: 3000, seed: 3 })), 0.5);
    const segments = Number(/(\d+) segments/.exec(inference.method)?.[1]);
    assert.ok(segments > 100, inference.method);
    const training = await favouriteChildren(dnnInput(generateDnnDag({ nodes: 1500, seed: 3, training: true })), 0.5);
    const [, inLp, all] = /(\d+)\/(\d+) edges in LP/.exec(training.method)!.map(Number);
    assert.ok(inLp < 0.8 * all, training.method);
  });

  it('is deterministic: same input → same favourites, objective and method', async () => {
    const inp = dnnInput(generateDnnDag({ nodes: 800, seed: 11, training: true }));
    const a = await favouriteChildren(inp, 0.5);
    const b = await favouriteChildren({ ...inp, p: inp.p.slice(), edges: inp.edges.map((e) => ({ ...e })) }, 0.5);
    assert.deepEqual(Buffer.from(a.favChild.buffer), Buffer.from(b.favChild.buffer));
    assert.deepEqual(Buffer.from(a.favParent.buffer), Buffer.from(b.favParent.buffer));
    assert.equal(a.lpObjective, b.lpObjective);
    assert.equal(a.method, b.method);
  });

  it('does not depend on the order edges are listed in', async () => {
    const inp = dnnInput(generateDnnDag({ nodes: 300, seed: 5 }));
    const shuffled = { ...inp, edges: [...inp.edges].reverse() };
    const a = await favouriteChildren(inp, 0.5);
    const b = await favouriteChildren(shuffled, 0.5);
    assert.deepEqual([...a.favChild], [...b.favChild]);
    assert.equal(a.lpObjective, b.lpObjective);
  });
});
