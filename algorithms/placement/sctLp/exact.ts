// The reference: the whole favourite-child LP (see sctLp.ts) written for HiGHS and solved.
import { OpplaceError } from '../../errors';
import { buildLpGraph, LpGraph, SctLpInput } from './graph';
import { CscLp, loadHighs, solveCscLp } from './highs';

/** An LP solution over the merged graph `graph` (edge e ↔ x[e]). */
export interface FavouriteChildLpSolution {
  graph: LpGraph;
  x: Float64Array;
  /** w in µs */
  objective: number;
}

/** Time unit the LP is written in: ms, so coefficients stay within a few orders of magnitude. */
export const LP_SCALE = 1e-3;

/**
 * The LP in CSC form: columns s_0..s_{n-1}, x_0..x_{m-1}, w. Degree rows only where the degree is
 * ≥ 2 (else the row is always satisfied); the w row only for sinks (s_i + p_i ≤ w elsewhere
 * follows from the edge rows because p ≥ 0).
 */
export function buildFavouriteChildLp(g: LpGraph, scale = LP_SCALE): CscLp {
  const { n, m } = g;
  const outRow = new Int32Array(n).fill(-1);
  const inRow = new Int32Array(n).fill(-1);
  const sinkRow = new Int32Array(n).fill(-1);
  let rows = m;
  for (let i = 0; i < n; i++) if (g.outStart[i + 1] - g.outStart[i] >= 2) outRow[i] = rows++;
  for (let j = 0; j < n; j++) if (g.inStart[j + 1] - g.inStart[j] >= 2) inRow[j] = rows++;
  for (let i = 0; i < n; i++) if (g.outStart[i + 1] === g.outStart[i]) sinkRow[i] = rows++;
  const numRows = rows;
  const numCols = n + m + 1;
  const rowLower = new Float64Array(numRows).fill(-Infinity);
  const rowUpper = new Float64Array(numRows).fill(Infinity);
  for (let e = 0; e < m; e++) rowUpper[e] = -g.p[g.from[e]] * scale;
  for (let i = 0; i < n; i++) {
    if (outRow[i] >= 0) rowLower[outRow[i]] = g.outStart[i + 1] - g.outStart[i] - 1;
    if (inRow[i] >= 0) rowLower[inRow[i]] = g.inStart[i + 1] - g.inStart[i] - 1;
    if (sinkRow[i] >= 0) rowUpper[sinkRow[i]] = -g.p[i] * scale;
  }
  const nnzMax = 2 * m + 3 * m + 2 * n;
  const starts = new Int32Array(numCols + 1);
  const indices = new Int32Array(nnzMax);
  const values = new Float64Array(nnzMax);
  let nz = 0;
  for (let i = 0; i < n; i++) {
    starts[i] = nz;
    for (let k = g.outStart[i]; k < g.outStart[i + 1]; k++) {
      indices[nz] = g.outEdge[k];
      values[nz++] = 1;
    }
    for (let k = g.inStart[i]; k < g.inStart[i + 1]; k++) {
      indices[nz] = g.inEdge[k];
      values[nz++] = -1;
    }
    if (sinkRow[i] >= 0) {
      indices[nz] = sinkRow[i];
      values[nz++] = 1;
    }
  }
  for (let e = 0; e < m; e++) {
    starts[n + e] = nz;
    if (g.c[e] > 0) {
      indices[nz] = e;
      values[nz++] = g.c[e] * scale;
    }
    if (outRow[g.from[e]] >= 0) {
      indices[nz] = outRow[g.from[e]];
      values[nz++] = 1;
    }
    if (inRow[g.to[e]] >= 0) {
      indices[nz] = inRow[g.to[e]];
      values[nz++] = 1;
    }
  }
  starts[n + m] = nz;
  for (let i = 0; i < n; i++)
    if (sinkRow[i] >= 0) {
      indices[nz] = sinkRow[i];
      values[nz++] = -1;
    }
  starts[n + m + 1] = nz;
  const colCost = new Float64Array(numCols);
  colCost[n + m] = 1;
  const colLower = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols).fill(Infinity);
  for (let e = 0; e < m; e++) colUpper[n + e] = 1;
  return { numCols, numRows, colCost, colLower, colUpper, rowLower, rowUpper, starts, indices: indices.subarray(0, nz), values: values.subarray(0, nz) };
}

/** Clamp solver noise so x stays in [0, 1]. */
export function clampUnit(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Reference: the whole LP solved by HiGHS. */
export async function solveFavouriteChildLpExact(input: SctLpInput): Promise<FavouriteChildLpSolution> {
  const graph = buildLpGraph(input);
  return solveLpGraphExact(graph);
}

/**
 * Largest LP written whole for HiGHS. The 100k-op DNN-shaped graph's 224k columns solve (in 30 s);
 * 50k ops with 1M edges (1.05M columns) aborted the WebAssembly heap at 2 GB ("RuntimeError:
 * Aborted()"), which no caller can recover from — so refuse before.
 */
export const EXACT_MAX_COLUMNS = 300_000;

export class LpTooBigError extends OpplaceError {}

export async function solveLpGraphExact(graph: LpGraph): Promise<FavouriteChildLpSolution> {
  const x = new Float64Array(graph.m);
  if (graph.n === 0) return { graph, x, objective: 0 };
  const columns = graph.n + graph.m + 1;
  if (columns > EXACT_MAX_COLUMNS) {
    throw new LpTooBigError(`m-SCT favourite-child LP: ${columns} columns is more than HiGHS (WebAssembly, 2 GB) can hold; the limit is ${EXACT_MAX_COLUMNS}`);
  }
  const highs = await loadHighs();
  const sol = solveCscLp(highs, buildFavouriteChildLp(graph), 'm-SCT favourite-child LP');
  for (let e = 0; e < graph.m; e++) x[e] = clampUnit(sol.colValue[graph.n + e]);
  return { graph, x, objective: sol.objective / LP_SCALE };
}
