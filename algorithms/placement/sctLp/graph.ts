// The graph the favourite-child LP is written over: validated, parallel edges merged (max comm),
// edges sorted by (from, to) so every later step is deterministic, with CSR adjacency both ways.
import { OpplaceError } from '../../errors';

export interface SctLpInput {
  n: number;
  /** compute µs per node */
  p: Float64Array;
  edges: { from: number; to: number; c: number /* comm µs */ }[];
}

export interface LpGraph {
  n: number;
  p: Float64Array;
  m: number;
  from: Int32Array;
  to: Int32Array;
  c: Float64Array;
  /** out-edges of node i: outEdge[outStart[i] .. outStart[i+1]) (edge ids, ascending `to`) */
  outStart: Int32Array;
  outEdge: Int32Array;
  /** in-edges of node j: inEdge[inStart[j] .. inStart[j+1]) (edge ids, ascending `from`) */
  inStart: Int32Array;
  inEdge: Int32Array;
  /** a topological order of the nodes */
  topo: Int32Array;
}

function isNonNegativeFinite(v: number): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Validate the LP input and build the merged, indexed graph; bad input → OpplaceError. */
export function buildLpGraph(input: SctLpInput): LpGraph {
  const n = input?.n;
  if (!Number.isInteger(n) || n < 0) throw new OpplaceError(`m-SCT LP: node count must be a non-negative integer, got ${String(n)}`);
  if (!(input.p instanceof Float64Array) || input.p.length !== n) {
    throw new OpplaceError(`m-SCT LP: compute times must be a Float64Array of length ${n}`);
  }
  for (let i = 0; i < n; i++) {
    if (!isNonNegativeFinite(input.p[i])) throw new OpplaceError(`m-SCT LP: node ${i} has invalid compute time ${input.p[i]} (must be finite and ≥ 0)`);
  }
  if (!Array.isArray(input.edges)) throw new OpplaceError('m-SCT LP: edges must be an array');
  const raw = input.edges;
  for (let k = 0; k < raw.length; k++) {
    const e = raw[k];
    if (!e || !Number.isInteger(e.from) || !Number.isInteger(e.to) || e.from < 0 || e.to < 0 || e.from >= n || e.to >= n) {
      throw new OpplaceError(`m-SCT LP: edge ${k} has endpoints out of range (${e?.from} → ${e?.to}, ${n} nodes)`);
    }
    if (!isNonNegativeFinite(e.c)) throw new OpplaceError(`m-SCT LP: edge ${k} (${e.from} → ${e.to}) has invalid comm time ${e.c}`);
    if (e.from === e.to) throw new OpplaceError(`m-SCT LP: edge ${k} is a self-loop on node ${e.from}; the graph must be acyclic`);
  }
  // Merge duplicates (keeping the largest comm time), then index.
  const order = Array.from({ length: raw.length }, (_, k) => k);
  order.sort((a, b) => raw[a].from - raw[b].from || raw[a].to - raw[b].to);
  const fromL: number[] = [];
  const toL: number[] = [];
  const cL: number[] = [];
  for (const k of order) {
    const e = raw[k];
    const last = fromL.length - 1;
    if (last >= 0 && fromL[last] === e.from && toL[last] === e.to) {
      if (e.c > cL[last]) cL[last] = e.c;
    } else {
      fromL.push(e.from);
      toL.push(e.to);
      cL.push(e.c);
    }
  }
  return lpGraphFromSortedEdges(n, input.p, Int32Array.from(fromL), Int32Array.from(toL), Float64Array.from(cL));
}

/**
 * Index a graph whose edges are unique and sorted by (from, to) (not re-validated; used for the
 * subgraphs the reductions build). Throws OpplaceError on a cycle.
 */
export function lpGraphFromSortedEdges(n: number, p: Float64Array, from: Int32Array, to: Int32Array, c: Float64Array): LpGraph {
  const m = from.length;
  const { start: outStart, list: outEdge } = bucket(n, m, from, (e) => e);
  const { start: inStart, list: inEdge } = bucket(n, m, to, (e) => e);
  const topo = topologicalOrder(n, to, outStart, outEdge, inStart);
  return { n, p, m, from, to, c, outStart, outEdge, inStart, inEdge, topo };
}

/** Edge ids sorted by (from, to). */
export function edgeOrderByEndpoints(from: Int32Array, to: Int32Array): Int32Array {
  const ids = Int32Array.from({ length: from.length }, (_, e) => e);
  ids.sort((a, b) => from[a] - from[b] || to[a] - to[b]);
  return ids;
}

/** CSR bucketing of edges by key[e], keeping edge order inside a bucket. */
function bucket(n: number, m: number, key: Int32Array, id: (e: number) => number): { start: Int32Array; list: Int32Array } {
  const start = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) start[key[e] + 1]++;
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const list = new Int32Array(m);
  for (let e = 0; e < m; e++) list[fill[key[e]]++] = id(e);
  return { start, list };
}

function topologicalOrder(n: number, to: Int32Array, outStart: Int32Array, outEdge: Int32Array, inStart: Int32Array): Int32Array {
  const indeg = new Int32Array(n);
  for (let j = 0; j < n; j++) indeg[j] = inStart[j + 1] - inStart[j];
  const order = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (indeg[i] === 0) order[tail++] = i;
  while (head < tail) {
    const i = order[head++];
    for (let k = outStart[i]; k < outStart[i + 1]; k++) {
      const j = to[outEdge[k]];
      if (--indeg[j] === 0) order[tail++] = j;
    }
  }
  if (tail !== n) {
    let onCycle = -1;
    for (let i = 0; i < n && onCycle < 0; i++) if (indeg[i] > 0) onCycle = i;
    throw new OpplaceError(`m-SCT LP: the graph has a cycle (through node ${onCycle}); it must be a DAG`);
  }
  return order;
}

/** Earliest finish of every node, and the longest path, for edge lengths p_from + c_e·x_e. */
export function earliestFinishWithX(g: LpGraph, x: Float64Array): { finish: Float64Array; longest: number } {
  const finish = new Float64Array(g.n);
  let longest = 0;
  for (let t = 0; t < g.n; t++) {
    const j = g.topo[t];
    let start = 0;
    for (let k = g.inStart[j]; k < g.inStart[j + 1]; k++) {
      const e = g.inEdge[k];
      const ready = finish[g.from[e]] + g.c[e] * x[e];
      if (ready > start) start = ready;
    }
    finish[j] = start + g.p[j];
    if (finish[j] > longest) longest = finish[j];
  }
  return { finish, longest };
}

/** Longest path (finish time of the last node) for edge lengths p_from + c_e·x_e. */
export function longestPathWithX(g: LpGraph, x: Float64Array): number {
  return earliestFinishWithX(g, x).longest;
}

/** Earliest finish of each node and longest remaining time from each node's start, for x. */
export function headsAndTails(g: LpGraph, x: Float64Array): { finish: Float64Array; tail: Float64Array; longest: number } {
  const { finish, longest } = earliestFinishWithX(g, x);
  const tail = new Float64Array(g.n);
  for (let t = g.n - 1; t >= 0; t--) {
    const i = g.topo[t];
    let after = 0;
    for (let k = g.outStart[i]; k < g.outStart[i + 1]; k++) {
      const e = g.outEdge[k];
      const len = g.c[e] * x[e] + tail[g.to[e]];
      if (len > after) after = len;
    }
    tail[i] = g.p[i] + after;
  }
  return { finish, tail, longest };
}
