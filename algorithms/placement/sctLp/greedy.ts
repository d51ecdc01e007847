// The documented fallback when a part of the favourite-child LP is too big to solve quickly: no
// LP, favourites by a longest-path matching. Measured on random DAGs whose ops take 1–4 inputs
// from the previous 1,000 (no chains, no series cuts, few off-critical edges, so the reductions
// leave one block of all edges): HiGHS' dual simplex took 1.2 s at 1k ops (1,642 columns) and
// 39 s at 5k, over 400 s at 10k, while m-ETF takes tens of ms — and at 1M edges the LP aborted
// the WebAssembly heap at 2 GB.
//
// x_e = 0 (favourite) for a matching chosen greedily by criticality — the longest path through e
// when every edge pays its comm — then larger comm, then edge order, among the edges on
// near-critical paths; x_e = 1 elsewhere. Every
// node keeps ≤ 1 favourite child and ≤ 1 favourite parent, so x satisfies the LP's degree rows:
// a feasible LP point, and its longest path is an upper bound of the optimum w.
import { headsAndTails, LpGraph } from './graph';

/**
 * Only edges on a path at least this fraction of the longest become favourites. A favourite makes
 * a device wait for the child, which pays only where the path matters: on the random 10k-op DAG
 * (4 devices, baechi) m-SCT's step was 1.92 / 1.72 / 2.18 s with 0.8 / 0.5 / 0 here (m-ETF 1.57 s),
 * and the LP-based m-SCT at 1k ops is 12 % behind m-ETF as well.
 */
const NEAR_CRITICAL = 0.5;

export function greedyFavouriteX(g: LpGraph): Float64Array {
  const ones = new Float64Array(g.m).fill(1);
  const { finish, tail } = headsAndTails(g, ones);
  const through = new Float64Array(g.m);
  for (let e = 0; e < g.m; e++) through[e] = finish[g.from[e]] + g.c[e] + tail[g.to[e]];
  const order = Int32Array.from({ length: g.m }, (_, e) => e);
  order.sort((a, b) => through[b] - through[a] || g.c[b] - g.c[a] || a - b);
  const hasChild = new Uint8Array(g.n);
  const hasParent = new Uint8Array(g.n);
  const x = ones;
  let longest = 0;
  for (let e = 0; e < g.m; e++) if (through[e] > longest) longest = through[e];
  for (const e of order) {
    if (through[e] < longest * NEAR_CRITICAL) break;
    const i = g.from[e];
    const j = g.to[e];
    if (hasChild[i] || hasParent[j]) continue;
    hasChild[i] = 1;
    hasParent[j] = 1;
    x[e] = 0;
  }
  return x;
}
