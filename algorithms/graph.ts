// The operator graph every part of opplace works on: loaders produce it, the cost model fills in
// times, the placers and the simulator consume it, the viewer draws it.
// Plain data (JSON-serialisable) so it crosses worker and webview boundaries unchanged.

import { OpplaceError } from './errors';
import { MinHeap } from './minHeap';

/**
 * A dim of a tensor shape: a number; null when unknown; or a string when it is a symbolic
 * expression of graph-input dims left free (ONNX `dim_param`s not given a value, e.g. "seq",
 * "2*seq", "batch*seq+1": a polynomial with integer coefficients in canonical text, names that
 * are not identifiers in braces). Byte counts and FLOPs of such tensors are those with every free
 * dim at 1 (see algorithms/onnx/symbolic.ts).
 */
export type TensorDim = number | string | null;

/** One output slot of an operator. `shape` is null when unknown (even the rank). */
export interface TensorInfo {
  name: string;
  bytes: number;
  shape: TensorDim[] | null;
  /** Element type as in the source format, e.g. 'float32', 'int64'. */
  dtype?: string;
}

export interface OpNode {
  /** Stable id: ONNX node name (or `OpType_index`), dnn-partitioning numeric id, STG task number. */
  id: string;
  name: string;
  opType: string;
  /** Namespace path used for grouping in the viewer and for module paths (e.g. ['layer1', '0', 'conv1']). */
  namespace: string[];
  /** Compute time in microseconds (measured, or from the cost model). */
  computeUs: number;
  /** Weights/variables held for the whole step. */
  persistentBytes: number;
  /** Workspace only alive while the op runs. */
  temporaryBytes: number;
  outputs: TensorInfo[];
  /** Ops with the same group must share a device. */
  colocationGroup?: string;
  /** Cost-model inputs, when known (ONNX): floating-point operations and bytes read + written. */
  flops?: number;
  memoryAccessBytes?: number;
  /** Number of parameters (floating-point weight elements) this node consumes. */
  parameterCount?: number;
  /** Module path (PyTorch FQN) for framework export, when the source has one. */
  modulePath?: string;
  /**
   * Part of the backward pass of a training step (dnn-partitioning `isBackwardNode`, the training
   * model's `/grad` ops); the pipeline schedule runs these after the forward pass of a microbatch.
   */
  isBackward?: boolean;
  /**
   * Source nodes folded into this one and not placed, shown by the viewer as part of it: the names
   * (ONNX node name, or `OpType_index` when unnamed) of the shape arithmetic whose values it reads
   * (Shape → Gather → Unsqueeze → Concat chains, constant or symbolic in the free dims), of the
   * casts to the same type and Identity nodes it reads through, nearest first, at most 32. Kept
   * through opgraph files (algorithms/loaders/opgraph.ts), training graphs (the forward op keeps
   * them) and fusion (a fused node's members keep theirs).
   */
  foldedNodes?: string[];
  /**
   * An If/Loop/Scan op's bodies in short (ONNX): which ops run inside and what each costs. The op
   * is placed as one node (its flops already hold the bodies'); the viewer can expand it to show them.
   */
  body?: OpBody;
}

/** One op inside a control-flow body: not a node of the graph, not placed on its own. */
export interface OpBodyOp {
  name: string;
  opType: string;
  /** FLOPs of one run of the body (a nested If/Loop/Scan: all of its own bodies). */
  flops: number;
  /** Earlier ops of the same branch whose outputs it reads (indices into `ops`). */
  inputs: number[];
}

/** One body of a control-flow op: an If branch, or the body of a Loop or Scan. */
export interface OpBodyBranch {
  /** The graph attribute it comes from: then_branch, else_branch, body. */
  name: string;
  /** FLOPs of one run of this body (the sum of its ops'). */
  flops: number;
  ops: OpBodyOp[];
  /** Ops not listed (a body longer than the summary keeps). */
  omittedOps?: number;
}

export interface OpBody {
  opType: 'If' | 'Loop' | 'Scan';
  branches: OpBodyBranch[];
  /** If: the branch whose FLOPs the op counts (the larger one). */
  countedBranch?: number;
  /** Loop: the constant trip count; Scan: the sequence length; null when unknown (counted once). */
  trips?: number | null;
}

export interface OpEdge {
  from: string;
  to: string;
  /** Name of the tensor that flows (an output name of `from`). */
  tensor: string;
  /** Size of the tensor: what crosses the link, and what it occupies while alive unless `heldBytes` says otherwise. */
  bytes: number;
  /**
   * Memory the tensor occupies on a device while alive (its producer's output block, a received
   * copy), when not `bytes`: 0 for dnn-partitioning, where a node's `size` already is all the memory
   * it takes and an edge's size only costs transfer time.
   */
  heldBytes?: number;
  /**
   * Transfer time of this tensor between two devices as the source file gives it (dnn-partitioning
   * edge `cost`), in µs; what `--comm file` charges instead of a link's latency + bytes/bandwidth.
   */
  costUs?: number;
}

export interface OpGraph {
  name: string;
  nodes: OpNode[];
  edges: OpEdge[];
  /** Where it came from, for messages. */
  source?: { file?: string; format?: string };
  /** Non-fatal problems found while loading (unknown ops, guessed shapes…). */
  warnings: string[];
  /** Totals the loader knows better than a sum over nodes (e.g. unique parameter count). */
  /** `folded`: ONNX nodes not placed — weight producers, constant-valued shape arithmetic, no-op casts and Identity nodes (`casts`). */
  stats?: { parameterCount?: number; parameterBytes?: number; folded?: { weights: number; constants: number; casts: number } };
  /** Every tensor whose shape the loader knows or inferred, name → dims (null = unknown dim, a string a symbolic one). */
  tensors?: Record<string, TensorDim[] | null>;
  /**
   * The named (symbolic) dims of the graph inputs other than the batch, with the value the load
   * gave them (`--dim`, `opplace.dims`) or null while free (ONNX): what the viewer lets the user set.
   */
  symbolicDims?: SymbolicDim[];
  /** Free-form facts from the source format (e.g. dnn-partitioning `maxSizePerFPGA`); JSON values only. */
  meta?: Record<string, unknown>;
}

export interface SymbolicDim {
  name: string;
  /** The graph inputs it appears in, in input order. */
  inputs: string[];
  value: number | null;
}

/** Adjacency built once per graph; index-based for speed in the placers. */
export interface GraphIndex {
  graph: OpGraph;
  /** node id → index into graph.nodes */
  indexOf: Map<string, number>;
  /** successors / predecessors as node indices, each list in edge order, without duplicates. */
  succ: number[][];
  pred: number[][];
  /** The node index of each edge's producer and consumer (graph.edges order): ids looked up once. */
  edgeFrom: Int32Array;
  edgeTo: Int32Array;
  /** Edges leaving node i, as indices into graph.edges (made on first read: withEdgeLists). */
  readonly outEdges: number[][];
  readonly inEdges: number[][];
  /** A stable topological order (node indices). */
  topo: number[];
  /** Position of each node in `topo`. */
  topoRank: Int32Array;
}

function where(graph: OpGraph): string {
  return graph.source?.file ?? graph.name;
}

/**
 * The largest values opplace accepts, each alone and summed over the graph. Far above any real
 * model (a step of 31 years, an exabyte of memory), and far enough below 1e308 that sums, transfer
 * times and LP coefficients stay finite: without them `computeUs: 1e308` stalled the scheduler,
 * `persistentBytes: 1e308` printed "Infinity PiB", and an STG task of 1e308 µs wrote `Infinity`.
 */
export const MAX_TIME_US = 1e15;
export const MAX_BYTES = 2 ** 60;
/** FLOPs and parameter counts (a 1e24-FLOP op takes ~4 years on an H100). */
export const MAX_COUNT = 1e24;

const LIMITS = {
  time: { max: MAX_TIME_US, unit: 'µs', text: '1e15 µs' },
  bytes: { max: MAX_BYTES, unit: 'bytes', text: '2^60 bytes (1 EiB)' },
  count: { max: MAX_COUNT, unit: '', text: '1e24' },
} as const;
type LimitKind = keyof typeof LIMITS;

/** The required fields first (NODE_FIELDS[0..2]), then the optional ones. */
const NODE_FIELDS: [keyof OpNode, LimitKind][] = [
  ['computeUs', 'time'],
  ['persistentBytes', 'bytes'],
  ['temporaryBytes', 'bytes'],
  ['flops', 'count'],
  ['memoryAccessBytes', 'bytes'],
  ['parameterCount', 'count'],
];

function checkValue(v: unknown, field: string, kind: LimitKind, file: string, node?: string, optional = false): number {
  if (optional && v === undefined) return 0;
  const lim = LIMITS[kind];
  if (v === Infinity) throw new OpplaceError(`${field} is too large to compute (more than the ${lim.text} opplace accepts)`, { file, node });
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new OpplaceError(`${field} must be a finite number ≥ 0, got ${String(v)}`, { file, node });
  }
  if (v > lim.max) throw new OpplaceError(`${field} is ${v}${lim.unit ? ` ${lim.unit}` : ''}, more than the ${lim.text} opplace accepts`, { file, node });
  return v;
}

/**
 * Every time, size and count of the graph finite, ≥ 0 and at most its maximum, and so are their
 * sums (they feed makespans and totals); throws one OpplaceError naming the file, the node and the
 * field (for a sum, the node where it crossed the maximum). Run by validateGraph and again after
 * the cost model has estimated times.
 */
export function checkGraphLimits(graph: OpGraph): void {
  const file = where(graph);
  // one running sum per node field, then output bytes, edge bytes, edge transfer times, edge held bytes
  const sums = new Float64Array(NODE_FIELDS.length + 4);
  const add = (slot: number, what: string, kind: LimitKind, v: number, node: string) => {
    sums[slot] += v;
    if (sums[slot] > LIMITS[kind].max)
      throw new OpplaceError(`the ${what} of the graph add up to more than the ${LIMITS[kind].text} opplace accepts (reached at this node)`, { file, node });
  };
  const OUT = NODE_FIELDS.length;
  for (const n of graph.nodes) {
    for (let f = 0; f < NODE_FIELDS.length; f++) {
      const [field, kind] = NODE_FIELDS[f];
      const v = checkValue(n[field], field, kind, file, n.id, f > 2);
      if (v > 0) add(f, `${field} values`, kind, v, n.id);
    }
    for (const t of n.outputs) add(OUT, 'output bytes', 'bytes', checkValue(t.bytes, `output "${t.name}" bytes`, 'bytes', file, n.id), n.id);
  }
  for (const e of graph.edges) {
    add(OUT + 1, 'edge bytes', 'bytes', checkValue(e.bytes, `edge ${e.from} → ${e.to} bytes`, 'bytes', file, e.from), e.from);
    const held = checkValue(e.heldBytes, `edge ${e.from} → ${e.to} heldBytes`, 'bytes', file, e.from, true);
    if (held > 0) add(OUT + 3, 'edge heldBytes', 'bytes', held, e.from);
    const cost = checkValue(e.costUs, `edge ${e.from} → ${e.to} costUs (transfer time)`, 'time', file, e.from, true);
    if (cost > 0) add(OUT + 2, 'edge transfer times', 'time', cost, e.from);
  }
}

/**
 * Checks the structural invariants and throws one clear OpplaceError for the first problem:
 * empty graph, duplicate ids, dangling edges, negative, non-finite or too large sizes and times, cycles.
 */
export function validateGraph(graph: OpGraph): void {
  const file = where(graph);
  if (!Array.isArray(graph.nodes) || graph.nodes.length === 0) {
    throw new OpplaceError('the graph has no nodes', { file });
  }
  const seen = new Set<string>();
  for (const n of graph.nodes) {
    if (typeof n.id !== 'string' || n.id === '') throw new OpplaceError('a node has no id', { file });
    if (seen.has(n.id)) throw new OpplaceError(`duplicate node id "${n.id}"`, { file, node: n.id });
    seen.add(n.id);
  }
  for (const e of graph.edges) {
    if (!seen.has(e.from)) throw new OpplaceError(`edge ${e.from} → ${e.to} starts at a missing node "${e.from}"`, { file, node: e.to });
    if (!seen.has(e.to)) throw new OpplaceError(`edge ${e.from} → ${e.to} ends at a missing node "${e.to}"`, { file, node: e.from });
    if (e.from === e.to) throw new OpplaceError(`node "${e.from}" has an edge to itself (a cycle)`, { file, node: e.from });
  }
  checkGraphLimits(graph);
  const cycle = findCycle(graph);
  if (cycle) {
    throw new OpplaceError(`the graph has a cycle: ${cycle.join(' → ')}`, { file, node: cycle[0] });
  }
}

/**
 * A graph with nothing to place — no op with a compute time, memory or an output (e.g. one node of
 * an unknown op type, no inputs and no outputs) — is an error: a "plan" of it says nothing, and it
 * used to be printed as a feasible placement with exit code 0.
 */
export function checkPlaceable(graph: OpGraph): void {
  const busy = (n: OpNode) => n.computeUs > 0 || n.persistentBytes > 0 || n.temporaryBytes > 0 || n.outputs.some((t) => t.bytes > 0);
  if (graph.nodes.some(busy) || graph.edges.some((e) => e.bytes > 0)) return;
  const types = [...new Set(graph.nodes.map((n) => n.opType))];
  const shown = types.slice(0, 5).join(', ') + (types.length > 5 ? ', …' : '');
  throw new OpplaceError(`nothing to place: none of the ${graph.nodes.length} op(s) (${shown}) has a compute time, memory or a non-empty output`, {
    file: where(graph),
  });
}

/** Returns one cycle as a list of node ids (first id repeated at the end), or null. Iterative DFS. */
export function findCycle(graph: OpGraph): string[] | null {
  const idx = new Map<string, number>();
  graph.nodes.forEach((n, i) => idx.set(n.id, i));
  const n = graph.nodes.length;
  const succ: number[][] = Array.from({ length: n }, () => []);
  for (const e of graph.edges) {
    const a = idx.get(e.from);
    const b = idx.get(e.to);
    if (a !== undefined && b !== undefined) succ[a].push(b);
  }
  const cycle = firstCycle(succ);
  return cycle ? [...cycle, cycle[0]].map((v) => graph.nodes[v].id) : null;
}

/**
 * The first cycle an iterative DFS closes (roots and successors in the order given), as the
 * vertices along its edges from where it closes (not repeated); null when the graph is acyclic.
 */
export function firstCycle(succ: number[][]): number[] | null {
  const n = succ.length;
  const state = new Uint8Array(n); // 0 new, 1 on the DFS path, 2 done
  const next = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    if (state[s]) continue;
    const path = [s];
    state[s] = 1;
    while (path.length) {
      const v = path[path.length - 1];
      if (next[v] < succ[v].length) {
        const w = succ[v][next[v]++];
        if (state[w] === 1) return path.slice(path.indexOf(w));
        if (state[w] === 0) {
          state[w] = 1;
          path.push(w);
        }
      } else {
        state[v] = 2;
        path.pop();
      }
    }
  }
  return null;
}

/**
 * Stable topological order (Kahn): among ready nodes the one that appears first in graph.nodes
 * goes first, so the same input always gives the same order.
 */
export function topologicalOrder(graph: OpGraph, succ?: number[][], indeg?: Int32Array): number[] {
  const n = graph.nodes.length;
  if (!succ || !indeg) {
    const idx = new Map<string, number>();
    graph.nodes.forEach((node, i) => idx.set(node.id, i));
    succ = Array.from({ length: n }, () => []);
    indeg = new Int32Array(n);
    const seen = new Set<string>();
    for (const e of graph.edges) {
      const a = idx.get(e.from)!;
      const b = idx.get(e.to)!;
      const key = a + ',' + b;
      if (seen.has(key)) continue;
      seen.add(key);
      succ[a].push(b);
      indeg[b]++;
    }
  }
  const deg = Int32Array.from(indeg);
  const heap = new MinHeap();
  for (let i = 0; i < n; i++) if (deg[i] === 0) heap.push(i);
  const order: number[] = [];
  while (heap.size) {
    const u = heap.pop();
    order.push(u);
    for (const v of succ[u]) if (--deg[v] === 0) heap.push(v);
  }
  if (order.length !== n) {
    const cyc = findCycle(graph);
    throw new OpplaceError(`the graph has a cycle: ${cyc ? cyc.join(' → ') : '(unknown)'}`, { file: where(graph) });
  }
  return order;
}

/** Builds adjacency lists and a stable topological order. Assumes validateGraph passed. */
/**
 * succ and pred without repeated pairs, in the order of each pair's first edge — as a Set of
 * a·n + b keys gave, but with a mark per node over the edges grouped by producer: the keys pass
 * 2^31 at 46k nodes and a Set of heap numbers was most of indexGraph on a 100k-op graph.
 */
function distinctAdjacency(
  graph: OpGraph,
  indexOf: Map<string, number>,
): { succ: number[][]; pred: number[][]; indeg: Int32Array; edgeFrom: Int32Array; edgeTo: Int32Array } {
  const n = graph.nodes.length;
  const m = graph.edges.length;
  const from = new Int32Array(m);
  const to = new Int32Array(m);
  const outStart = new Int32Array(n + 1);
  for (let k = 0; k < m; k++) {
    from[k] = indexOf.get(graph.edges[k].from)!;
    to[k] = indexOf.get(graph.edges[k].to)!;
    outStart[from[k] + 1]++;
  }
  for (let a = 0; a < n; a++) outStart[a + 1] += outStart[a];
  const byProducer = new Int32Array(m);
  const fill = outStart.slice(0, n);
  for (let k = 0; k < m; k++) byProducer[fill[from[k]]++] = k;
  const first = new Uint8Array(m);
  const mark = new Int32Array(n).fill(-1);
  const succ: number[][] = Array.from({ length: n }, () => []);
  for (let a = 0; a < n; a++) {
    for (let i = outStart[a]; i < outStart[a + 1]; i++) {
      const k = byProducer[i];
      if (mark[to[k]] === a) continue;
      mark[to[k]] = a;
      first[k] = 1;
      succ[a].push(to[k]);
    }
  }
  const pred: number[][] = Array.from({ length: n }, () => []);
  const indeg = new Int32Array(n);
  for (let k = 0; k < m; k++) {
    if (!first[k]) continue;
    pred[to[k]].push(from[k]);
    indeg[to[k]]++;
  }
  return { succ, pred, indeg, edgeFrom: from, edgeTo: to };
}

export function indexGraph(graph: OpGraph): GraphIndex {
  const n = graph.nodes.length;
  const indexOf = new Map<string, number>();
  graph.nodes.forEach((node, i) => indexOf.set(node.id, i));
  const { succ, pred, indeg, edgeFrom, edgeTo } = distinctAdjacency(graph, indexOf);
  const topo = topologicalOrder(graph, succ, indeg);
  const topoRank = new Int32Array(n);
  topo.forEach((v, r) => (topoRank[v] = r));
  return withEdgeLists({ graph, indexOf, edgeFrom, edgeTo, succ, pred, topo, topoRank });
}

/**
 * outEdges and inEdges, made on first read: placement never reads them (the pipeline schedule and
 * the training detector do), and 200k arrays were a good part of a 100k-op graph's indexing time.
 */
function withEdgeLists(index: Omit<GraphIndex, 'outEdges' | 'inEdges'>): GraphIndex {
  return Object.setPrototypeOf(index, IndexEdgeLists.prototype) as GraphIndex;
}

/**
 * The getters on one prototype that every index shares: as each index's own (new closures per
 * index), V8 put every index after a process's first in dictionary mode (problem.ts ProblemLists).
 */
class IndexEdgeLists {
  declare readonly graph: OpGraph;
  declare readonly edgeFrom: Int32Array;
  declare readonly edgeTo: Int32Array;
  get outEdges(): number[][] {
    return edgeListsOf(this).outEdges;
  }
  get inEdges(): number[][] {
    return edgeListsOf(this).inEdges;
  }
}

const madeEdgeLists = new WeakMap<IndexEdgeLists, { outEdges: number[][]; inEdges: number[][] }>();

function edgeListsOf(index: IndexEdgeLists): { outEdges: number[][]; inEdges: number[][] } {
  let lists = madeEdgeLists.get(index);
  if (lists) return lists;
  const n = index.graph.nodes.length;
  lists = { outEdges: Array.from({ length: n }, () => []), inEdges: Array.from({ length: n }, () => []) };
  for (let k = 0; k < index.edgeFrom.length; k++) {
    lists.outEdges[index.edgeFrom[k]].push(k);
    lists.inEdges[index.edgeTo[k]].push(k);
  }
  madeEdgeLists.set(index, lists);
  return lists;
}

/** Sum of the bytes of a node's outputs. */
export function outputBytes(node: OpNode): number {
  let s = 0;
  for (const t of node.outputs) s += t.bytes;
  return s;
}

/** Everything the graph would hold at once: persistent + temporary + every output. The basis of
 * "limit = factor × total / devices" in tests and benchmarks. */
export function totalMemoryBytes(graph: OpGraph): number {
  let s = 0;
  for (const n of graph.nodes) s += n.persistentBytes + n.temporaryBytes + outputBytes(n);
  return s;
}
