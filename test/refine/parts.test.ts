// The refinement placer's parts: the seeded PRNG, contiguous splits, the HEFT-style list
// scheduler and the coarse critical path.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildProblem } from '../../algorithms/placement/problem';
import { runCore } from '../../algorithms/placement/core';
import { parseInterconnect } from '../../algorithms/cost/interconnect';
import { contiguousSplits } from '../../algorithms/placement/refine/split';
import { listSchedule, upwardRanks } from '../../algorithms/placement/refine/list';
import { coarseCriticalPath, makespanOf, seededRandom } from '../../algorithms/placement/refine';
import { makeGraph, NodeSpec } from '../placement/helpers';

const unitsOf = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** A random DAG: node i may depend on earlier nodes. */
const dagArb = fc
  .integer({ min: 2, max: 30 })
  .chain((n) =>
    fc.tuple(
      fc.array(fc.integer({ min: 1, max: 20 }), { minLength: n, maxLength: n }),
      fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.integer({ min: 0, max: 1000 })), { maxLength: 3 * n }),
      fc.integer({ min: 1, max: 5 }),
    ),
  );

describe('refine parts', () => {
  it('seededRandom: same seed, same stream; different seeds differ; values in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 100 }, () => a());
    assert.deepEqual(
      xs,
      Array.from({ length: 100 }, () => b()),
    );
    assert.notDeepEqual(
      xs,
      Array.from({ length: 100 }, () => c()),
    );
    for (const x of xs) assert.ok(x >= 0 && x < 1);
  });

  it('contiguousSplits on a chain: segments are contiguous, fit the cap and cut at the small tensors', () => {
    // a → b → c → d → e → f with one small tensor (c → d): two segments should cut there
    const nodes: NodeSpec[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id, us: 1, persist: 100 }));
    const edges: [string, string, number][] = [
      ['a', 'b', 1e9],
      ['b', 'c', 1e9],
      ['c', 'd', 10],
      ['d', 'e', 1e9],
      ['e', 'f', 1e9],
    ];
    const graph = makeGraph(nodes, edges);
    const problem = buildProblem(graph, { grouping: 'none', fuse: false, link: parseInterconnect('baechi') });
    // memory per node in m-TOPO accounting: 100 persistent + its output
    const splits = contiguousSplits(problem, unitsOf(problem.n), problem.n, [4e9, 4e9], 1);
    const two = splits[1]!;
    const device = (id: string) => two[problem.coarseOf[problem.index.indexOf.get(id)!]];
    assert.deepEqual(['a', 'b', 'c', 'd', 'e', 'f'].map(device), [0, 0, 0, 1, 1, 1]);
    // a cap too small for any split of two: none
    const tight = contiguousSplits(problem, unitsOf(problem.n), problem.n, [1e9, 1e9], 1);
    assert.equal(tight[1], null);
  });

  it('property: list schedules replay in the core without deadlock and use every op once', () => {
    fc.assert(
      fc.property(dagArb, fc.integer({ min: 0, max: 1000 }), ([times, rawEdges, devices], seed) => {
        const n = times.length;
        const nodes: NodeSpec[] = times.map((us, i) => ({ id: `n${i}`, us }));
        const seenPairs = new Set<string>();
        const edges: [string, string, number][] = [];
        for (const [x, y, bytes] of rawEdges) {
          const [a, b] = x < y ? [x, y] : [y, x];
          if (a === b || seenPairs.has(`${a},${b}`)) continue;
          seenPairs.add(`${a},${b}`);
          edges.push([`n${a}`, `n${b}`, bytes]);
        }
        const problem = buildProblem(makeGraph(nodes, edges), { grouping: 'none', fuse: false, link: parseInterconnect('1:1') });
        const random = seededRandom(seed);
        const keys = Float64Array.from(upwardRanks(problem, devices), (r) => r + 10 * random());
        const limits = Array(devices).fill(Infinity);
        const order = listSchedule(problem, unitsOf(problem.n), limits, keys);
        assert.equal(order.flat().length, n);
        assert.equal(new Set(order.flat()).size, n);
        const res = runCore(problem, { devices, limits, deviceOrder: order });
        assert.ok(res.feasible);
        // the critical path ends at the op that ends last and follows time
        const path = coarseCriticalPath(problem, res);
        assert.ok(path.length >= 1);
        assert.equal(res.end[path[path.length - 1]], Math.max(...res.end));
        for (let i = 1; i < path.length; i++) assert.ok(res.start[path[i]] >= res.end[path[i - 1]] - 1e-9);
        assert.ok(makespanOf(res) >= Math.max(...res.end));
      }),
      { numRuns: 60, seed: 11 },
    );
  });

  it('upward rank: a node ranks above each successor by its compute time at least', () => {
    const graph = makeGraph(
      [
        { id: 'a', us: 3 },
        { id: 'b', us: 4 },
        { id: 'c', us: 5 },
      ],
      [
        ['a', 'b', 0],
        ['a', 'c', 0],
      ],
    );
    const problem = buildProblem(graph, { grouping: 'none', fuse: false, link: parseInterconnect('none') });
    const rank = upwardRanks(problem, 2);
    const at = (id: string) => rank[problem.coarseOf[problem.index.indexOf.get(id)!]];
    assert.equal(at('b'), 4);
    assert.equal(at('c'), 5);
    assert.equal(at('a'), 8);
  });
});
