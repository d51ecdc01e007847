// The operator graph every part of opplace works on: loaders produce it, the cost model fills in
// times, the placers and the simulator consume it, the viewer draws it.
// Plain data (JSON-serialisable) so it crosses worker and webview boundaries unchanged.

import { OpplaceError } from './errors';
import { MinHeap } from './minHeap';

/** One output slot of an operator. `shape` is null when unknown; a dim is null when unknown. */
export interface TensorInfo {
  name: string;
  bytes: number;
  shape: (number | null)[] | null;
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
  stats?: { parameterCount?: number; parameterBytes?: number };
  /** Every tensor whose shape the loader knows or inferred, name → dims (null = unknown dim). */
  tensors?: Record<string, (number | null)[] | null>;
  /** Free-form facts from the source format (e.g. dnn-partitioning `maxSizePerFPGA`); JSON values only. */
  meta?: Record<string, unknown>;
}

/** Adjacency built once per graph; index-based for speed in the placers. */
export interface GraphIndex {
  graph: OpGraph;
  /** node id → index into graph.nodes */
  indexOf: Map<string, number>;
  /** successors / predecessors as node indices, each list in edge order, without duplicates. */
  succ: number[][];
  pred: number[][];
  /** Edges leaving node i, as indices into graph.edges. */
  outEdges: number[][];
  inEdges: number[][];
  /** A stable topological order (node indices). */
  topo: number[];
  /** Position of each node in `topo`. */
  topoRank: Int32Array;
}

function where(graph: OpGraph): string {
  return graph.source?.file ?? graph.name;
}

/**
 * Checks the structural invariants and throws one clear OpplaceError for the first problem:
 * empty graph, duplicate ids, dangling edges, negative or non-finite sizes and times, cycles.
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
    for (const [field, v] of [
      ['computeUs', n.computeUs],
      ['persistentBytes', n.persistentBytes],
      ['temporaryBytes', n.temporaryBytes],
    ] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new OpplaceError(`${field} must be a finite number ≥ 0, got ${String(v)}`, { file, node: n.id });
      }
    }
    for (const t of n.outputs) {
      if (typeof t.bytes !== 'number' || !Number.isFinite(t.bytes) || t.bytes < 0) {
        throw new OpplaceError(`output "${t.name}" has invalid size ${String(t.bytes)}`, { file, node: n.id });
      }
    }
  }
  for (const e of graph.edges) {
    if (!seen.has(e.from)) throw new OpplaceError(`edge ${e.from} → ${e.to} starts at a missing node "${e.from}"`, { file, node: e.to });
    if (!seen.has(e.to)) throw new OpplaceError(`edge ${e.from} → ${e.to} ends at a missing node "${e.to}"`, { file, node: e.from });
    if (typeof e.bytes !== 'number' || !Number.isFinite(e.bytes) || e.bytes < 0) {
      throw new OpplaceError(`edge ${e.from} → ${e.to} has invalid size ${String(e.bytes)}`, { file, node: e.from });
    }
    if (e.heldBytes !== undefined && (typeof e.heldBytes !== 'number' || !Number.isFinite(e.heldBytes) || e.heldBytes < 0)) {
      throw new OpplaceError(`edge ${e.from} → ${e.to} has invalid held size ${String(e.heldBytes)}`, { file, node: e.from });
    }
    if (e.costUs !== undefined && (typeof e.costUs !== 'number' || !Number.isFinite(e.costUs) || e.costUs < 0)) {
      throw new OpplaceError(`edge ${e.from} → ${e.to} has invalid transfer cost ${String(e.costUs)} µs`, { file, node: e.from });
    }
    if (e.from === e.to) throw new OpplaceError(`node "${e.from}" has an edge to itself (a cycle)`, { file, node: e.from });
  }
  const cycle = findCycle(graph);
  if (cycle) {
    throw new OpplaceError(`the graph has a cycle: ${cycle.join(' → ')}`, { file, node: cycle[0] });
  }
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
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const parent = new Int32Array(n).fill(-1);
  const iter = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    if (state[s]) continue;
    const stack = [s];
    state[s] = 1;
    while (stack.length) {
      const u = stack[stack.length - 1];
      if (iter[u] < succ[u].length) {
        const v = succ[u][iter[u]++];
        if (state[v] === 0) {
          state[v] = 1;
          parent[v] = u;
          stack.push(v);
        } else if (state[v] === 1) {
          const cyc = [graph.nodes[v].id];
          for (let w = u; w !== v && w !== -1; w = parent[w]) cyc.push(graph.nodes[w].id);
          cyc.push(graph.nodes[v].id);
          // collected backwards from u; put in edge direction starting at v
          const body = cyc.slice(1, -1).reverse();
          return [graph.nodes[v].id, ...body, graph.nodes[v].id];
        }
      } else {
        state[u] = 2;
        stack.pop();
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
export function indexGraph(graph: OpGraph): GraphIndex {
  const n = graph.nodes.length;
  const indexOf = new Map<string, number>();
  graph.nodes.forEach((node, i) => indexOf.set(node.id, i));
  const succ: number[][] = Array.from({ length: n }, () => []);
  const pred: number[][] = Array.from({ length: n }, () => []);
  const outEdges: number[][] = Array.from({ length: n }, () => []);
  const inEdges: number[][] = Array.from({ length: n }, () => []);
  const indeg = new Int32Array(n);
  const seen = new Set<number>();
  graph.edges.forEach((e, k) => {
    const a = indexOf.get(e.from)!;
    const b = indexOf.get(e.to)!;
    outEdges[a].push(k);
    inEdges[b].push(k);
    const key = a * n + b;
    if (seen.has(key)) return;
    seen.add(key);
    succ[a].push(b);
    pred[b].push(a);
    indeg[b]++;
  });
  const topo = topologicalOrder(graph, succ, indeg);
  const topoRank = new Int32Array(n);
  topo.forEach((v, r) => (topoRank[v] = r));
  return { graph, indexOf, succ, pred, outEdges, inEdges, topo, topoRank };
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
