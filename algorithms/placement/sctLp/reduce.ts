// Fast exact solve of the favourite-child LP (see sctLp.ts for the LP). Three reductions, each
// exact, and a certificate that the reduced solve is optimal for the whole LP:
//
// 1. Chains: for an edge i→j with outdeg(i) = 1 and indeg(j) = 1, x_ij is in no degree row, so
//    x_ij = 0 is optimal, and then s_j = s_i + p_i; i and j merge into one node of time p_i + p_j.
// 2. Series cuts: v is a cut when every edge leaving an ancestor of v ends in an ancestor of v or
//    in v. Every ancestor then reaches v (no path ends among them) and influences the rest only
//    through v's finish time (v's in-row and out-row hold disjoint edges), so the LP splits:
//    the segment up to v minimises v's finish, the rest starts from it. A segment whose only
//    source is the previous cut is shift-invariant, so all such segments are solved together in
//    one block-diagonal LP (Σ of independent minimisations), no matter where they sit.
// 3. Edge subset with a certificate: the LP over any edge subset H (degree rows counted in H) is a
//    relaxation, so its value L ≤ w*. Completing its x with x = 1 (no favourite) off H, then
//    lowering x where matching capacity is left, gives a feasible x for the whole LP; if its longest
//    path U ≤ L (within tolerance) it is optimal. Otherwise every path longer than L has an edge
//    off H; those edges join H and the loop repeats. Off-critical edges (e.g. the long
//    forward→backward edges of training graphs) stay out of H, which lets 2. cut H into small
//    segments. Falls back to H = all edges (then 1.+2. alone are exact) after a few rounds, and to
//    one full HiGHS solve if even that is not certified (numerical trouble).
import type { Highs } from 'highs';
import { buildFavouriteChildLp, clampUnit, EXACT_MAX_COLUMNS, LP_SCALE, solveLpGraphExact } from './exact';
import { earliestFinishWithX, edgeOrderByEndpoints, headsAndTails, LpGraph, lpGraphFromSortedEdges } from './graph';
import { greedyFavouriteX } from './greedy';
import { CscLp, loadHighs, solveCscLp } from './highs';
import { plural } from '../../units';

export interface ReducedLpResult {
  x: Float64Array;
  objective: number;
  method: string;
}

/** Statistics for `method` and the benchmark. */
interface SolveStats {
  lpCalls: number;
  lpColumns: number;
  segments: number;
  /** segments that had to wait for the previous cut's finish time (extra sources inside) */
  chainedSegments: number;
  rounds: number;
  /** parts over MAX_JOB_COLUMNS that got greedy favourites instead of an LP, and the largest */
  approximated: number;
  approximatedColumns: number;
}

// ---------------------------------------------------------------------------------------------
// 1. Chain contraction

interface Contracted {
  graph: LpGraph;
  /** contracted edge → edge of the input graph */
  edgeOrigin: Int32Array;
}

export function contractChains(g: LpGraph): Contracted {
  const outdeg = (i: number) => g.outStart[i + 1] - g.outStart[i];
  const indeg = (j: number) => g.inStart[j + 1] - g.inStart[j];
  const head = new Int32Array(g.n);
  for (let t = 0; t < g.n; t++) {
    const j = g.topo[t];
    head[j] = j;
    if (indeg(j) === 1) {
      const i = g.from[g.inEdge[g.inStart[j]]];
      if (outdeg(i) === 1) head[j] = head[i];
    }
  }
  const id = new Int32Array(g.n).fill(-1);
  let n2 = 0;
  for (let i = 0; i < g.n; i++) if (head[i] === i) id[i] = n2++;
  const p2 = new Float64Array(n2);
  for (let i = 0; i < g.n; i++) p2[id[head[i]]] += g.p[i];
  const kept: number[] = [];
  for (let e = 0; e < g.m; e++) if (head[g.to[e]] === g.to[e]) kept.push(e);
  const from0 = Int32Array.from(kept, (e) => id[head[g.from[e]]]);
  const to0 = Int32Array.from(kept, (e) => id[g.to[e]]);
  const order = edgeOrderByEndpoints(from0, to0);
  const from = Int32Array.from(order, (k) => from0[k]);
  const to = Int32Array.from(order, (k) => to0[k]);
  const c = Float64Array.from(order, (k) => g.c[kept[k]]);
  const edgeOrigin = Int32Array.from(order, (k) => kept[k]);
  return { graph: lpGraphFromSortedEdges(n2, p2, from, to, c), edgeOrigin };
}

// ---------------------------------------------------------------------------------------------
// 2. Series cuts

/** Positions in `order` (a topological order by longest-path level) where a series cut ends a prefix. */
export function seriesCuts(g: LpGraph): { order: Int32Array; cuts: number[] } {
  const level = new Int32Array(g.n);
  let maxLevel = 0;
  for (let t = 0; t < g.n; t++) {
    const i = g.topo[t];
    for (let k = g.outStart[i]; k < g.outStart[i + 1]; k++) {
      const j = g.to[g.outEdge[k]];
      if (level[i] + 1 > level[j]) level[j] = level[i] + 1;
    }
    if (level[i] > maxLevel) maxLevel = level[i];
  }
  // counting sort by level, ties by node index
  const count = new Int32Array(maxLevel + 2);
  for (let i = 0; i < g.n; i++) count[level[i] + 1]++;
  for (let l = 0; l <= maxLevel; l++) count[l + 1] += count[l];
  const order = new Int32Array(g.n);
  for (let i = 0; i < g.n; i++) order[count[level[i]]++] = i;
  // A prefix ending at v is exactly v's ancestors + v, with only v's edges leaving it, when the
  // only open edges are v's out-edges and no earlier node is a sink (an earlier node then can only
  // walk forward inside the prefix, and the only place a walk can stop is v).
  const cuts: number[] = [];
  let open = 0;
  let sinksBefore = 0;
  for (let k = 0; k < g.n - 1; k++) {
    const v = order[k];
    const outdeg = g.outStart[v + 1] - g.outStart[v];
    open += outdeg - (g.inStart[v + 1] - g.inStart[v]);
    if (open === outdeg && sinksBefore === 0 && outdeg > 0) cuts.push(k);
    if (outdeg === 0) sinksBefore++;
  }
  return { order, cuts };
}

interface Segment {
  /** contracted-graph nodes, ascending; includes the source cut (if any) */
  nodes: Int32Array;
  /** the previous cut (a contracted-graph node) or -1 for the first segment */
  sourceCut: number;
  /** true when the source cut is the only node without in-edges inside the segment */
  shiftInvariant: boolean;
  /** contracted-graph edges of the segment, ascending */
  edges: Int32Array;
}

function splitIntoSegments(g: LpGraph): Segment[] {
  const { order, cuts } = seriesCuts(g);
  const segOf = new Int32Array(g.n);
  const bounds = [...cuts, g.n - 1];
  let s = 0;
  for (let k = 0; k < g.n; k++) {
    segOf[order[k]] = s;
    if (k === bounds[s]) s++;
  }
  const segCount = bounds.length;
  const nodeLists: number[][] = Array.from({ length: segCount }, () => []);
  for (let i = 0; i < g.n; i++) nodeLists[segOf[i]].push(i);
  const edgeLists: number[][] = Array.from({ length: segCount }, () => []);
  for (let e = 0; e < g.m; e++) edgeLists[segOf[g.to[e]]].push(e);
  const segments: Segment[] = [];
  for (let j = 0; j < segCount; j++) {
    const sourceCut = j === 0 ? -1 : order[bounds[j - 1]];
    let shiftInvariant = true;
    if (j > 0) {
      for (const i of nodeLists[j]) if (g.inStart[i + 1] === g.inStart[i]) shiftInvariant = false;
    }
    const nodes = sourceCut >= 0 ? [...nodeLists[j], sourceCut].sort((a, b) => a - b) : nodeLists[j];
    segments.push({ nodes: Int32Array.from(nodes), sourceCut, shiftInvariant, edges: Int32Array.from(edgeLists[j]) });
  }
  return segments;
}

/** The segment as its own LpGraph; the source cut gets compute time `sourceFinish`. */
function segmentGraph(g: LpGraph, seg: Segment, sourceFinish: number, local: Int32Array): LpGraph {
  for (let k = 0; k < seg.nodes.length; k++) local[seg.nodes[k]] = k;
  const p = Float64Array.from(seg.nodes, (i) => g.p[i]);
  if (seg.sourceCut >= 0) p[local[seg.sourceCut]] = sourceFinish;
  const from = Int32Array.from(seg.edges, (e) => local[g.from[e]]);
  const to = Int32Array.from(seg.edges, (e) => local[g.to[e]]);
  const c = Float64Array.from(seg.edges, (e) => g.c[e]);
  return lpGraphFromSortedEdges(seg.nodes.length, p, from, to, c);
}

// ---------------------------------------------------------------------------------------------
// Solving many small LPs: independent ones stacked block-diagonally into few HiGHS calls.

interface LpJob {
  /** the segment's LP graph; built in pass 1 (shift-invariant) or pass 2 (needs the cut's finish) */
  graph?: LpGraph;
  /** filled by solveJobs: x per graph edge, and w in µs */
  x?: Float64Array;
  w?: number;
}

/** Columns per stacked HiGHS call: dual simplex cost grows faster than linearly with size. */
const STACK_COLUMNS = 1000;
/**
 * Largest single part solved by HiGHS; bigger parts get greedy favourites (greedy.ts). The shared
 * graphs' largest part has 565 columns (an STG graph; DNN-shaped graphs stay below 420); a random
 * 1k-op DAG's 1,642 columns already took a second.
 */
export const MAX_JOB_COLUMNS = 1200;

type ReadyJob = LpJob & { graph: LpGraph };

function solveJobs(highs: Highs, jobs: ReadyJob[], stats: SolveStats): void {
  let batch: { job: ReadyJob; lp: CscLp }[] = [];
  let columns = 0;
  const flush = () => {
    if (batch.length === 0) return;
    const stacked = stackLps(batch.map((b) => b.lp));
    const sol = solveCscLp(highs, stacked, 'm-SCT favourite-child LP (reduced)');
    stats.lpCalls++;
    stats.lpColumns += stacked.numCols;
    let offset = 0;
    for (const { job, lp } of batch) {
      const { n, m } = job.graph;
      const x = new Float64Array(m);
      for (let e = 0; e < m; e++) x[e] = clampUnit(sol.colValue[offset + n + e]);
      job.x = x;
      job.w = sol.colValue[offset + n + m] / LP_SCALE;
      offset += lp.numCols;
    }
    batch = [];
    columns = 0;
  };
  for (const job of jobs) {
    const cols = job.graph.n + job.graph.m + 1;
    if (job.graph.m > 0 && cols > MAX_JOB_COLUMNS) {
      job.x = greedyFavouriteX(job.graph);
      job.w = earliestFinishWithX(job.graph, job.x).longest;
      stats.approximated++;
      stats.approximatedColumns = Math.max(stats.approximatedColumns, cols);
      continue;
    }
    if (job.graph.m === 0) {
      // a single node (chains are contracted): no LP needed
      let w = 0;
      for (let i = 0; i < job.graph.n; i++) w = Math.max(w, job.graph.p[i]);
      job.x = new Float64Array(0);
      job.w = w;
      continue;
    }
    const lp = buildFavouriteChildLp(job.graph);
    if (columns > 0 && columns + lp.numCols > STACK_COLUMNS) flush();
    batch.push({ job, lp });
    columns += lp.numCols;
  }
  flush();
}

/** Block-diagonal stack of LPs (objectives add up). */
export function stackLps(lps: CscLp[]): CscLp {
  if (lps.length === 1) return lps[0];
  let numCols = 0;
  let numRows = 0;
  let nnz = 0;
  for (const lp of lps) {
    numCols += lp.numCols;
    numRows += lp.numRows;
    nnz += lp.indices.length;
  }
  const out: CscLp = {
    numCols,
    numRows,
    colCost: new Float64Array(numCols),
    colLower: new Float64Array(numCols),
    colUpper: new Float64Array(numCols),
    rowLower: new Float64Array(numRows),
    rowUpper: new Float64Array(numRows),
    starts: new Int32Array(numCols + 1),
    indices: new Int32Array(nnz),
    values: new Float64Array(nnz),
  };
  let col = 0;
  let row = 0;
  let nz = 0;
  for (const lp of lps) {
    out.colCost.set(lp.colCost, col);
    out.colLower.set(lp.colLower, col);
    out.colUpper.set(lp.colUpper, col);
    out.rowLower.set(lp.rowLower, row);
    out.rowUpper.set(lp.rowUpper, row);
    for (let j = 0; j < lp.numCols; j++) out.starts[col + j] = nz + lp.starts[j];
    for (let k = 0; k < lp.indices.length; k++) out.indices[nz + k] = lp.indices[k] + row;
    out.values.set(lp.values, nz);
    col += lp.numCols;
    row += lp.numRows;
    nz += lp.indices.length;
  }
  out.starts[numCols] = nz;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The LP over an edge subset H (a relaxation), by components → chains → series segments.

interface ComponentPlan {
  /** nodes of g in this component, ascending */
  nodes: Int32Array;
  contracted: Contracted;
  /** contracted edge → edge of g */
  edgeToG: Int32Array;
  segments: Segment[];
  jobs: LpJob[];
}

/** Weakly connected components of (g.n nodes, edges where mask[e]); singletons omitted. */
function componentsOf(g: LpGraph, mask: Uint8Array): Int32Array[] {
  const parent = Int32Array.from({ length: g.n }, (_, i) => i);
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]];
      a = parent[a];
    }
    return a;
  };
  for (let e = 0; e < g.m; e++) {
    if (!mask[e]) continue;
    const a = find(g.from[e]);
    const b = find(g.to[e]);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  const size = new Int32Array(g.n);
  for (let i = 0; i < g.n; i++) size[find(i)]++;
  const lists = new Map<number, number[]>();
  for (let i = 0; i < g.n; i++) {
    const r = find(i);
    if (size[r] < 2) continue;
    let l = lists.get(r);
    if (!l) lists.set(r, (l = []));
    l.push(i);
  }
  return [...lists.values()].map((l) => Int32Array.from(l));
}

/** The subgraph of g on `nodes` (ascending) with the masked edges; returns edge → g edge. */
function inducedSubgraph(g: LpGraph, nodes: Int32Array, mask: Uint8Array, local: Int32Array): { graph: LpGraph; edgeToG: Int32Array } {
  for (let k = 0; k < nodes.length; k++) local[nodes[k]] = k;
  const edges: number[] = [];
  for (const i of nodes) {
    for (let k = g.outStart[i]; k < g.outStart[i + 1]; k++) {
      const e = g.outEdge[k];
      if (mask[e]) edges.push(e);
    }
  }
  const from = Int32Array.from(edges, (e) => local[g.from[e]]);
  const to = Int32Array.from(edges, (e) => local[g.to[e]]);
  const c = Float64Array.from(edges, (e) => g.c[e]);
  const p = Float64Array.from(nodes, (i) => g.p[i]);
  return { graph: lpGraphFromSortedEdges(nodes.length, p, from, to, c), edgeToG: Int32Array.from(edges) };
}

/**
 * Optimal LP over the masked edges: x for masked edges (others untouched in the returned array,
 * which starts at 1) and the value L = max over components.
 */
function solveMaskedLp(highs: Highs, g: LpGraph, mask: Uint8Array, stats: SolveStats): { x: Float64Array; value: number } {
  const x = new Float64Array(g.m).fill(1);
  let value = 0;
  for (let i = 0; i < g.n; i++) value = Math.max(value, g.p[i]);
  const local = new Int32Array(g.n);
  const plans: ComponentPlan[] = [];
  for (const nodes of componentsOf(g, mask)) {
    const sub = inducedSubgraph(g, nodes, mask, local);
    for (let e = 0; e < sub.graph.m; e++) x[sub.edgeToG[e]] = 0; // chain edges; the rest overwritten below
    const contracted = contractChains(sub.graph);
    const edgeToG = Int32Array.from(contracted.edgeOrigin, (e) => sub.edgeToG[e]);
    const segments = splitIntoSegments(contracted.graph);
    stats.segments += segments.length;
    plans.push({ nodes, contracted, edgeToG, segments, jobs: [] });
  }
  // Pass 1: every shift-invariant segment (and every first segment) at once.
  let largest = 1;
  for (const plan of plans) largest = Math.max(largest, plan.contracted.graph.n);
  const localC = new Int32Array(largest);
  const independent: ReadyJob[] = [];
  for (const plan of plans) {
    for (const seg of plan.segments) {
      const free = seg.sourceCut < 0 || seg.shiftInvariant;
      if (free) {
        const job: ReadyJob = { graph: segmentGraph(plan.contracted.graph, seg, 0, localC) };
        plan.jobs.push(job);
        independent.push(job);
      } else {
        plan.jobs.push({});
      }
    }
  }
  solveJobs(highs, independent, stats);
  // Pass 2: walk each component's segments in order; the others need the previous cut's finish.
  for (const plan of plans) {
    let finish = 0;
    plan.segments.forEach((seg, j) => {
      const job = plan.jobs[j];
      if (job.x === undefined) {
        const ready: ReadyJob = Object.assign(job, { graph: segmentGraph(plan.contracted.graph, seg, finish, localC) });
        stats.chainedSegments++;
        solveJobs(highs, [ready], stats);
        finish = job.w!;
      } else {
        finish = seg.sourceCut < 0 ? job.w! : finish + job.w!;
      }
      for (let e = 0; e < seg.edges.length; e++) x[plan.edgeToG[seg.edges[e]]] = job.x![e];
    });
    value = Math.max(value, finish);
  }
  return { x, value };
}

// ---------------------------------------------------------------------------------------------
// 3. Edge subset with certificate

/** Lower x where both endpoints have favourite capacity left (Σ(1−x) < 1 on each side). */
export function fillSpareCapacity(g: LpGraph, x: Float64Array, order: Int32Array): Float64Array {
  const out = x.slice();
  const usedOut = new Float64Array(g.n);
  const usedIn = new Float64Array(g.n);
  for (let e = 0; e < g.m; e++) {
    usedOut[g.from[e]] += 1 - out[e];
    usedIn[g.to[e]] += 1 - out[e];
  }
  for (const e of order) {
    const i = g.from[e];
    const j = g.to[e];
    const spare = Math.min(1 - usedOut[i], 1 - usedIn[j], out[e]);
    if (spare > 1e-9) {
      out[e] -= spare;
      usedOut[i] += spare;
      usedIn[j] += spare;
    }
  }
  return out;
}

/** Edge order for filling: larger comm first, then edge order. */
export function fillOrder(g: LpGraph): Int32Array {
  const order = Int32Array.from({ length: g.m }, (_, e) => e);
  order.sort((a, b) => g.c[b] - g.c[a] || a - b);
  return order;
}

/**
 * Certificate U ≤ L + tolerance: HiGHS' primal feasibility tolerance is 1e-7 ms per row, so a
 * recomputed path can exceed the LP's w by that much per edge; 1e-7 relative + 1 ns covers it.
 */
const CERTIFICATE_TOLERANCE = 1e-7;
const CERTIFICATE_TOLERANCE_US = 1e-3;
/** Edges whose longest path is within this fraction of L join H (a margin saves rounds). */
const ADMIT_MARGIN = 0.02;
const MAX_ROUNDS = 6;

export async function solveReducedLp(g: LpGraph): Promise<ReducedLpResult> {
  const stats: SolveStats = { lpCalls: 0, lpColumns: 0, segments: 0, chainedSegments: 0, rounds: 0, approximated: 0, approximatedColumns: 0 };
  if (g.m === 0) {
    let w = 0;
    for (let i = 0; i < g.n; i++) w = Math.max(w, g.p[i]);
    return { x: new Float64Array(0), objective: w, method: 'combinatorial (no edges)' };
  }
  const highs = await loadHighs();
  const order = fillOrder(g);
  // Start H with the edges that could be critical if they alone paid their comm.
  const zero = headsAndTails(g, new Float64Array(g.m));
  const mask = new Uint8Array(g.m);
  for (let e = 0; e < g.m; e++) {
    if (zero.finish[g.from[e]] + g.c[e] + zero.tail[g.to[e]] > zero.longest * (1 - ADMIT_MARGIN)) mask[e] = 1;
  }
  for (;;) {
    stats.rounds++;
    const full = stats.rounds > MAX_ROUNDS;
    if (full) mask.fill(1);
    const { x: xH, value } = solveMaskedLp(highs, g, mask, stats);
    const x = fillSpareCapacity(g, xH, order);
    const paths = headsAndTails(g, x);
    const tol = CERTIFICATE_TOLERANCE * value + CERTIFICATE_TOLERANCE_US;
    let inH = 0;
    for (let e = 0; e < g.m; e++) inH += mask[e];
    if (stats.approximated > 0) {
      // not an optimum: the greedy parts are feasible points, so w is the longest path (an upper bound)
      const method =
        `approximate: ${stats.approximated} LP part${stats.approximated > 1 ? 's' : ''} over ${MAX_JOB_COLUMNS} columns ` +
        `(largest ${stats.approximatedColumns}) got greedy longest-path favourites instead of HiGHS; ${inH}/${g.m} edges in LP, ` +
        `${stats.segments} segments, ${stats.lpCalls} HiGHS calls, ${stats.lpColumns} columns; w is an upper bound`;
      return { x, objective: paths.longest, method };
    }
    if (paths.longest <= value + tol) {
      const method =
        `reduced: ${plural(stats.rounds, 'round')}, ${inH}/${g.m} edges in LP, ` +
        `${plural(stats.segments, 'segment')} (${stats.chainedSegments} chained), ${plural(stats.lpCalls, 'HiGHS call')}, ${plural(stats.lpColumns, 'column')}`;
      return { x, objective: Math.max(value, paths.longest), method };
    }
    if (full) {
      // With every edge in H the reductions are exact by construction, so only numerical trouble
      // in a segment solve gets here: trust the single full solve instead.
      if (g.n + g.m + 1 > EXACT_MAX_COLUMNS) {
        return {
          x,
          objective: paths.longest,
          method: `approximate: reduced solve not certified and the whole LP (${g.n + g.m + 1} columns) is over HiGHS' limit of ${EXACT_MAX_COLUMNS}; w is an upper bound`,
        };
      }
      const exact = await solveLpGraphExact(g);
      return { x: fillSpareCapacity(g, exact.x, order), objective: exact.objective, method: 'highs-exact (fallback: reduced solve not certified)' };
    }
    let added = 0;
    for (let e = 0; e < g.m; e++) {
      if (mask[e]) continue;
      if (paths.finish[g.from[e]] + g.c[e] * x[e] + paths.tail[g.to[e]] > value * (1 - ADMIT_MARGIN)) {
        mask[e] = 1;
        added++;
      }
    }
    if (added === 0) mask.fill(1); // cannot happen in exact arithmetic; be safe
  }
}
