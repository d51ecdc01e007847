// m-SCT's favourite-child LP (Hanen & Munier relaxation, as Baechi uses it):
//   min w  s.t.  s_i + p_i + c_ij·x_ij ≤ s_j  (every edge)
//                Σ_j x_ij ≥ outdeg(i) − 1,  Σ_i x_ij ≥ indeg(j) − 1,  s_i + p_i ≤ w,
//                x ∈ [0,1], s ≥ 0.
// x_e = 0 means "e is a favourite edge" (its endpoints are meant to share a device, so the comm
// vanishes). Rounded: favourite iff x < θ, then conflicts repaired so that every node keeps at most
// one favourite child and one favourite parent.
//
// `solveFavouriteChildLpExact` writes the whole LP for HiGHS (the reference). `favouriteChildren`
// first shrinks the LP with exactness-preserving reductions (sctLpReduce.ts) and only solves what
// is left; `method` says which path ran.
import { OpplaceError } from '../../errors';
import { buildLpGraph, LpGraph, SctLpInput } from './graph';
import { EXACT_MAX_COLUMNS, solveLpGraphExact } from './exact';
import { fillOrder, fillSpareCapacity, solveReducedLp } from './reduce';

export type { SctLpInput } from './graph';
export { buildFavouriteChildLp, LP_SCALE, solveFavouriteChildLpExact, solveLpGraphExact } from './exact';
export type { FavouriteChildLpSolution } from './exact';
export { setHighsLoader, setHighsLoaderOptions } from './highs';

export interface FavouriteChildren {
  favChild: Int32Array; /* -1 = none */
  favParent: Int32Array;
  /** optimal LP value w, µs */
  lpObjective: number;
  /** which path solved the LP: 'highs-exact', 'reduced: …' (rounds, edges, segments, calls), … */
  method: string;
}

/**
 * Favourite iff x < θ; conflicts repaired greedily in the order (smallest x, larger c, lower from,
 * lower to): an edge is kept unless its parent already has a favourite child or its child a
 * favourite parent. Result: every node has ≤ 1 favourite child and ≤ 1 favourite parent.
 */
export function roundFavourites(g: LpGraph, x: Float64Array, theta: number): { favChild: Int32Array; favParent: Int32Array } {
  const favChild = new Int32Array(g.n).fill(-1);
  const favParent = new Int32Array(g.n).fill(-1);
  const candidates: number[] = [];
  for (let e = 0; e < g.m; e++) if (x[e] < theta) candidates.push(e);
  // edges are already sorted by (from, to), so a stable sort on (x, −c) gives the full tie order.
  candidates.sort((a, b) => x[a] - x[b] || g.c[b] - g.c[a] || a - b);
  for (const e of candidates) {
    const i = g.from[e];
    const j = g.to[e];
    if (favChild[i] < 0 && favParent[j] < 0) {
      favChild[i] = j;
      favParent[j] = i;
    }
  }
  return { favChild, favParent };
}

export interface FavouriteChildrenOptions {
  /** 'exact' = solve the full LP with HiGHS; 'fast' (default) = reductions first. */
  method?: 'exact' | 'fast';
}

/**
 * The LP solved and its x filled, before rounding: all that does not depend on θ, so a placement
 * that changes only θ (or only limits, devices, the placer) rounds this again instead of solving.
 */
export interface FavouriteChildLp {
  graph: LpGraph;
  x: Float64Array;
  objective: number;
  method: string;
}

export async function solveFavouriteChildLp(input: SctLpInput, options: FavouriteChildrenOptions = {}): Promise<FavouriteChildLp> {
  const graph = buildLpGraph(input);
  // Lowering x where favourite capacity is left only shortens paths (the optimum stays optimal)
  // and gives the scheduler favourites off the critical path too, where the LP is indifferent.
  // The fast path returns x filled already (its certificate is computed on the filled x).
  if (options.method === 'exact' && graph.n + graph.m + 1 <= EXACT_MAX_COLUMNS) {
    const exact = await solveLpGraphExact(graph);
    return { graph, x: fillSpareCapacity(graph, exact.x, fillOrder(graph)), objective: exact.objective, method: 'highs-exact' };
  }
  const reduced = await solveReducedLp(graph);
  if (options.method !== 'exact') return { graph, ...reduced };
  return { graph, ...reduced, method: `${reduced.method} (the exact LP's ${graph.n + graph.m + 1} columns are over HiGHS' limit of ${EXACT_MAX_COLUMNS})` };
}

function checkTheta(theta: number): void {
  if (typeof theta !== 'number' || !Number.isFinite(theta)) {
    throw new OpplaceError(`m-SCT LP: threshold θ must be a finite number, got ${String(theta)}`);
  }
}

/** The favourite children of a solved LP at threshold θ. */
export function favouritesOfLp(lp: FavouriteChildLp, theta: number): FavouriteChildren {
  checkTheta(theta);
  const { favChild, favParent } = roundFavourites(lp.graph, lp.x, theta);
  return { favChild, favParent, lpObjective: lp.objective, method: lp.method };
}

export async function favouriteChildren(input: SctLpInput, theta: number, options: FavouriteChildrenOptions = {}): Promise<FavouriteChildren> {
  checkTheta(theta); // before the solve: a bad θ is the caller's mistake, not worth an LP
  return favouritesOfLp(await solveFavouriteChildLp(input, options), theta);
}
