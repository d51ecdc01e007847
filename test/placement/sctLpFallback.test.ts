// m-SCT's LP at scale (issue 15 item 6): a part the reductions cannot shrink below
// MAX_JOB_COLUMNS gets greedy longest-path favourites and says so; an exact LP too big for
// HiGHS' WebAssembly heap is refused before it aborts, and the reduced solve runs instead.
import * as assert from 'node:assert/strict';
import { placeGraph } from '../../algorithms/placement';
import { buildProblem, problemOptionsOf } from '../../algorithms/placement/problem';
import { sctLpInput } from '../../algorithms/placement/placers';
import { favouriteChildren } from '../../algorithms/placement/sctLp';
import { buildLpGraph, longestPathWithX } from '../../algorithms/placement/sctLp/graph';
import { EXACT_MAX_COLUMNS, solveLpGraphExact } from '../../algorithms/placement/sctLp/exact';
import { greedyFavouriteX } from '../../algorithms/placement/sctLp/greedy';
import { generateDnnDag } from '../helpers/generateDag';
import { chainDag, randomWindowDag } from '../helpers/shapes';

const lpInputOf = (graph: ReturnType<typeof randomWindowDag>) =>
  sctLpInput(buildProblem(graph, problemOptionsOf({ devices: 4, comm: 'baechi', grouping: 'colocation', fuse: true })));

function assertMatching(favChild: Int32Array, favParent: Int32Array): void {
  for (let i = 0; i < favChild.length; i++) {
    if (favChild[i] >= 0) assert.equal(favParent[favChild[i]], i, `favourite child of ${i} names its parent`);
    if (favParent[i] >= 0) assert.equal(favChild[favParent[i]], i, `favourite parent of ${i} names its child`);
  }
}

describe('m-SCT LP fallbacks at scale', function () {
  this.timeout(60_000);

  it('a random 1k-op DAG (one part of ~1.5k columns) gets greedy favourites and says so', async () => {
    const input = lpInputOf(randomWindowDag(1000, { seed: 3 }));
    const fav = await favouriteChildren(input, 0.5);
    assert.match(fav.method, /^approximate: 1 LP part over 1200 columns \(largest \d+\) got greedy/);
    assert.match(fav.method, /w is an upper bound/);
    assertMatching(fav.favChild, fav.favParent);
    assert.ok(
      fav.favChild.some((c) => c >= 0),
      'some favourites',
    );
    assert.ok(Number.isFinite(fav.lpObjective) && fav.lpObjective > 0);
  });

  it('the greedy x is a feasible LP point: ≤ 1 favourite each way, and they shorten the longest path', () => {
    const g = buildLpGraph(lpInputOf(randomWindowDag(400, { seed: 5 })));
    const x = greedyFavouriteX(g);
    const children = new Int32Array(g.n);
    const parents = new Int32Array(g.n);
    for (let e = 0; e < g.m; e++) {
      assert.ok(x[e] === 0 || x[e] === 1);
      if (x[e] === 0) {
        children[g.from[e]]++;
        parents[g.to[e]]++;
      }
    }
    assert.ok(Math.max(...children) <= 1 && Math.max(...parents) <= 1);
    assert.ok(longestPathWithX(g, x) < longestPathWithX(g, new Float64Array(g.m).fill(1)), 'favourites shorten the longest path');
  });

  it('DNN-shaped graphs keep the exact reduced LP', async () => {
    const fav = await favouriteChildren(lpInputOf(generateDnnDag({ nodes: 3000, seed: 2, training: true })), 0.5);
    assert.match(fav.method, /^reduced: /);
  });

  it('m-SCT places a random 1k-op DAG and the plan names the fallback', async () => {
    const plan = await placeGraph(randomWindowDag(1000, { seed: 3 }), {
      algorithm: 'm-sct',
      devices: 4,
      memoryLimits: Array(4).fill(2 ** 40),
      comm: 'baechi',
      grouping: 'colocation',
      fuse: true,
    });
    assert.ok(plan.feasible);
    assert.match(plan.lp!.method, /^approximate/);
  });

  it('an exact LP over HiGHS\' limit is refused with a message, and method "exact" falls back to the reduced solve', async () => {
    const input = lpInputOf(chainDag(EXACT_MAX_COLUMNS / 2 + 10));
    await assert.rejects(solveLpGraphExact(buildLpGraph(input)), /columns is more than HiGHS \(WebAssembly, 2 GB\) can hold/);
    const fav = await favouriteChildren(input, 0.5, { method: 'exact' });
    assert.match(fav.method, /^reduced: .*over HiGHS' limit of 300000/);
  });
});
