// Shared checks for the m-SCT LP tests.
import * as assert from 'node:assert/strict';
import type { SctLpInput } from '../../algorithms/placement/sctLp';

/** ≤ 1 favourite child / parent, both arrays agree, every favourite is an input edge. */
export function assertValidFavourites(inp: SctLpInput, favChild: Int32Array, favParent: Int32Array) {
  assert.equal(favChild.length, inp.n);
  assert.equal(favParent.length, inp.n);
  const edgeSet = new Set(inp.edges.map((e) => `${e.from}>${e.to}`));
  for (let i = 0; i < inp.n; i++) {
    if (favChild[i] >= 0) {
      assert.equal(favParent[favChild[i]], i, `favParent of ${favChild[i]} should be ${i}`);
      assert.ok(edgeSet.has(`${i}>${favChild[i]}`), `favourite ${i}→${favChild[i]} is not an edge`);
    }
    if (favParent[i] >= 0) assert.equal(favChild[favParent[i]], i);
  }
}
