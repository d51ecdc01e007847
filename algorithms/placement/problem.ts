// Preprocessing: turns an OpGraph plus options into the index-based problem the scheduling core
// works on. Colocation groups (from the loaders), Baechi's co-placement heuristic and op fusion
// happen here; every coarse node remembers its original members so plans can be expanded back.
import { GraphIndex, OpGraph, indexGraph } from '../graph';
import type { GroupingMode, PlacementOptions } from '../plan';
import { Link, parseInterconnect, transferTimeUs } from '../cost/interconnect';
import { parseTopology, Topology } from '../cost/topology';
import { KeyedHeap } from './heap';
import { TensorTable, buildTensorTable } from './model';

export interface Problem {
  graph: OpGraph;
  index: GraphIndex;
  tensors: TensorTable;
  link: Link;
  /** Number of coarse nodes (after fusion). */
  n: number;
  /** Original node indices of each coarse node, in topological order. */
  members: number[][];
  /** Coarse node of each original node. */
  coarseOf: Int32Array;
  compute: Float64Array;
  persistent: Float64Array;
  /**
   * Temporary bytes: for a fused node, the peak over its members (run back to back) of the
   * member's workspace plus the fused-away intermediate outputs alive at that point (see
   * fusedTemporary); for a single op its workspace.
   */
  temporary: Float64Array;
  /** Output block that outlives the node (tensors some other coarse node consumes). */
  outBytes: Float64Array;
  /** Colocation group per coarse node, -1 = none. */
  group: Int32Array;
  groupCount: number;
  groupPersistent: Float64Array;
  /** Names of groups for messages. */
  groupName: string[];
  /** Coarse tensors = original tensor ids with a consumer outside their producer's coarse node. */
  tensorIds: Int32Array;
  /** Coarse producer and coarse consumers per coarse tensor k (index into tensorIds). */
  tProducer: Int32Array;
  readonly tConsumers: number[][];
  tBytes: Float64Array;
  /**
   * Transfer time per coarse tensor between two devices: over `link`, or with a topology the mean
   * over all ordered pairs of different devices (HEFT's average cost — what the estimates that do
   * not know the devices yet, like the m-SCT LP, use). The core uses `tCommByLink` per pair.
   */
  tCommUs: Float64Array;
  /** Device topology (cost/topology.ts); undefined = every pair of devices uses `link`. */
  topology?: Topology;
  /** With a topology: transfer time per link kind and coarse tensor, tCommByLink[topology.links index][k]. */
  tCommByLink?: Float64Array[];
  /** The adjacency below as CSR (what the scheduling core reads). */
  adjacency: ProblemAdjacency;
  /** Coarse tensors consumed by each coarse node. Made on first read (listsOf), as the three below. */
  readonly inTensors: number[][];
  readonly succ: number[][];
  readonly pred: number[][];
  /** Stable topological order of coarse nodes and each node's position in it. */
  topo: Int32Array;
  topoRank: Int32Array;
}

/** Compressed adjacency: the list of x is list[start[x] .. start[x + 1]). */
export interface Csr {
  start: Int32Array;
  list: Int32Array;
}

export interface ProblemAdjacency {
  /** Coarse tensors each node consumes, in tensor order. */
  inTensors: Csr;
  /** Distinct successors and predecessors per coarse node. */
  succ: Csr;
  pred: Csr;
  /** Distinct coarse consumers of each coarse tensor. */
  consumers: Csr;
}

class UnionFind {
  parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]];
      x = p[x];
    }
    return x;
  }
  /** Keeps the smaller root so that results do not depend on merge order. */
  union(a: number, b: number): number {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return ra;
    if (ra < rb) {
      this.parent[rb] = ra;
      return ra;
    }
    this.parent[ra] = rb;
    return rb;
  }
}

/** Group root per original node (-1 = ungrouped) for the grouping mode. */
export function colocationGroups(graph: OpGraph, index: GraphIndex, mode: GroupingMode): Int32Array {
  const n = graph.nodes.length;
  const out = new Int32Array(n).fill(-1);
  if (mode === 'none') return out;
  const uf = new UnionFind(n);
  const firstOfGroup = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    const g = node.colocationGroup;
    if (g === undefined || g === '') return;
    const first = firstOfGroup.get(g);
    if (first === undefined) firstOfGroup.set(g, i);
    else uf.union(first, i);
  });
  const grouped = new Uint8Array(n);
  graph.nodes.forEach((node, i) => {
    if (node.colocationGroup) grouped[i] = 1;
  });
  if (mode === 'coplace') {
    // Baechi's co-placement: an op with a single consumer goes with that consumer. Out-degrees
    // are those of the original graph, so one union-find pass reaches the fixpoint.
    for (let i = 0; i < n; i++) {
      if (index.succ[i].length === 1) {
        uf.union(i, index.succ[i][0]);
        grouped[i] = 1;
        grouped[index.succ[i][0]] = 1;
      }
    }
  }
  for (let i = 0; i < n; i++) if (grouped[i]) out[i] = uf.find(i);
  return out;
}

/**
 * Fuses directly connected ops of the same group. A pair u → v is fused only when u has no other
 * successor or v has no other predecessor in the current (contracted) graph, which can never
 * create a cycle: any other u ⇝ v path would need another edge out of u or into v.
 */
export function fuseNodes(index: GraphIndex, group: Int32Array): Int32Array {
  const n = index.succ.length;
  const uf = new UnionFind(n);
  const succ: Set<number>[] = index.succ.map((s) => new Set(s));
  const pred: Set<number>[] = index.pred.map((p) => new Set(p));
  const merge = (u: number, v: number) => {
    // u, v are roots with edge u → v. Contract v into the surviving root.
    const r = uf.union(u, v);
    const gone = r === u ? v : u;
    const s = new Set<number>();
    const p = new Set<number>();
    for (const x of succ[u]) if (x !== v) s.add(x);
    for (const x of succ[v]) s.add(x);
    for (const x of pred[u]) p.add(x);
    for (const x of pred[v]) if (x !== u) p.add(x);
    for (const x of s) {
      pred[x].delete(gone);
      pred[x].add(r);
    }
    for (const x of p) {
      succ[x].delete(gone);
      succ[x].add(r);
    }
    succ[r] = s;
    pred[r] = p;
    succ[gone] = new Set();
    pred[gone] = new Set();
  };
  for (const u0 of index.topo) {
    if (group[u0] < 0) continue;
    for (const v0 of index.succ[u0]) {
      if (group[v0] !== group[u0]) continue;
      const u = uf.find(u0);
      const v = uf.find(v0);
      if (u === v || !succ[u].has(v)) continue;
      if (succ[u].size === 1 || pred[v].size === 1) merge(u, v);
    }
  }
  const rep = new Int32Array(n);
  for (let i = 0; i < n; i++) rep[i] = uf.find(i);
  return rep;
}

export interface ProblemOptions {
  grouping: GroupingMode;
  fuse: boolean;
  link: Link;
  /** Per-pair links; replaces `link` for transfers when given. */
  topology?: Topology;
}

/** Problem options of placement options: grouping, fusion, and the link or (when given) the topology. */
export function problemOptionsOf(options: Pick<PlacementOptions, 'grouping' | 'fuse' | 'comm' | 'topology' | 'devices'>): ProblemOptions {
  return {
    grouping: options.grouping,
    fuse: options.fuse,
    link: parseInterconnect(options.comm),
    ...(options.topology !== undefined ? { topology: parseTopology(options.topology, options.devices) } : {}),
  };
}

/** Coarse ids (fused nodes) in order of their first member's topological rank, with their members. */
function coarseNodes(index: GraphIndex, rep: Int32Array): { coarseOf: Int32Array; members: number[][] } {
  const coarseOf = new Int32Array(rep.length).fill(-1);
  const members: number[][] = [];
  const repToCoarse = new Map<number, number>();
  for (const i of index.topo) {
    const r = rep[i];
    let c = repToCoarse.get(r);
    if (c === undefined) {
      c = members.length;
      repToCoarse.set(r, c);
      members.push([]);
    }
    coarseOf[i] = c;
    members[c].push(i);
  }
  return { coarseOf, members };
}

/** Each coarse node's group, the groups renumbered densely in order of first appearance, and their names. */
function denseGroups(graph: OpGraph, members: number[][], groupRoot: Int32Array): { group: Int32Array; groupName: string[] } {
  const group = new Int32Array(members.length).fill(-1);
  const groupIdOfRoot = new Map<number, number>();
  const groupName: string[] = [];
  for (let c = 0; c < members.length; c++) {
    const root = groupRoot[members[c][0]];
    if (root < 0) continue;
    let g = groupIdOfRoot.get(root);
    if (g === undefined) {
      g = groupName.length;
      groupIdOfRoot.set(root, g);
      groupName.push(graph.nodes[root].colocationGroup ?? `co-placed with ${graph.nodes[root].id}`);
    }
    group[c] = g;
  }
  return { group, groupName };
}

/**
 * Per coarse node its compute, persistent, temporary and output bytes (outputs read outside it only),
 * per group its persistent bytes, and the tensors read outside their coarse producer with their
 * distinct coarse consumers (consumerList[consumerStart[k] .. consumerStart[k + 1]) for tensorIds[k]).
 */
function coarseTotals(graph: OpGraph, tensors: TensorTable, members: number[][], coarseOf: Int32Array, group: Int32Array, groupCount: number) {
  const n = members.length;
  const compute = new Float64Array(n);
  const persistent = new Float64Array(n);
  const temporary = new Float64Array(n);
  const outBytes = new Float64Array(n);
  const groupPersistent = new Float64Array(groupCount);
  const tensorIds: number[] = [];
  const consumerStart: number[] = [0];
  const consumerList: number[] = [];
  const producedBy = tensorsByNode(tensors);
  // outsideMark[c'] = the tensor that last listed c' as a consumer: distinct consumers in O(edges)
  // (an includes() scan was quadratic in a tensor's consumers: 27.8 s at 100k consumers)
  const outsideMark = new Int32Array(n).fill(-1);
  for (let c = 0; c < n; c++) {
    const internalOut: number[] = [];
    for (const i of members[c]) {
      const node = graph.nodes[i];
      compute[c] += node.computeUs;
      persistent[c] += node.persistentBytes;
      let external = false;
      for (const t of producedBy[i]) {
        const listed = consumerList.length;
        for (const consumer of tensors.consumers[t]) {
          const cc = coarseOf[consumer];
          if (cc !== c && outsideMark[cc] !== t) {
            outsideMark[cc] = t;
            consumerList.push(cc);
          }
        }
        if (consumerList.length > listed) {
          external = true;
          tensorIds.push(t);
          consumerStart.push(consumerList.length);
        }
      }
      if (external) outBytes[c] += tensors.nodeOutBytes[i];
      internalOut.push(external ? 0 : tensors.nodeOutBytes[i]);
    }
    temporary[c] = fusedTemporary(graph, tensors, producedBy, members[c], internalOut);
    if (group[c] >= 0) groupPersistent[group[c]] += persistent[c];
  }
  const consumers: Csr = { start: Int32Array.from(consumerStart), list: Int32Array.from(consumerList) };
  return { compute, persistent, temporary, outBytes, groupPersistent, tensorIds, consumers };
}

/** Per coarse tensor: its coarse producer, bytes and transfer time on the uniform link. */
function coarseTensors(tensors: TensorTable, tensorIds: number[], coarseOf: Int32Array, link: Link) {
  const T = tensorIds.length;
  const tProducer = new Int32Array(T);
  const tBytes = new Float64Array(T);
  const tCommUs = new Float64Array(T);
  for (let k = 0; k < T; k++) {
    const t = tensorIds[k];
    tProducer[k] = coarseOf[tensors.producer[t]];
    tBytes[k] = tensors.bytes[t];
    tCommUs[k] = transferTimeUs(tensors.transferBytes[t], link, tensors.costUs[t]);
  }
  return { tProducer, tBytes, tCommUs };
}

export function buildProblem(graph: OpGraph, options: ProblemOptions, index: GraphIndex = indexGraph(graph)): Problem {
  const N = graph.nodes.length;
  const tensors = buildTensorTable(graph, index.indexOf, index);
  const groupRoot = colocationGroups(graph, index, options.grouping);
  const rep = options.fuse ? fuseNodes(index, groupRoot) : Int32Array.from({ length: N }, (_, i) => i);
  const { coarseOf, members } = coarseNodes(index, rep);
  const n = members.length;
  const { group, groupName } = denseGroups(graph, members, groupRoot);
  const totals = coarseTotals(graph, tensors, members, coarseOf, group, groupName.length);
  const { tensorIds, consumers } = totals;
  const { tProducer, tBytes, tCommUs } = coarseTensors(tensors, tensorIds, coarseOf, options.link);
  const adjacency = { consumers, ...nodeAdjacency(n, tProducer, consumers) };
  const topo = coarseTopo(n, adjacency.succ, adjacency.pred);
  const topoRank = new Int32Array(n);
  topo.forEach((c, r) => (topoRank[c] = r));
  const byLink = options.topology
    ? topologyCommUs(
        options.topology,
        Float64Array.from(tensorIds, (t) => tensors.transferBytes[t]),
        tCommUs,
      )
    : undefined;
  return withLists({
    ...(options.topology ? { topology: options.topology, tCommByLink: byLink } : {}),
    graph,
    index,
    tensors,
    link: options.link,
    n,
    members,
    coarseOf,
    compute: totals.compute,
    persistent: totals.persistent,
    temporary: totals.temporary,
    outBytes: totals.outBytes,
    group,
    groupCount: groupName.length,
    groupPersistent: totals.groupPersistent,
    groupName,
    tensorIds: Int32Array.from(tensorIds),
    tProducer,
    tBytes,
    tCommUs,
    adjacency,
    topo,
    topoRank,
  });
}

/**
 * Per coarse node, its input tensors (in tensor order) and its distinct successors and
 * predecessors, as CSR: two passes over the tensors' consumers, counting then filling. Tensors of
 * one producer are consecutive (numbered in producer order), so a mark per consumer of the
 * producer last linked to it finds repeated pairs in O(1), and both passes see the same pairs.
 */
function nodeAdjacency(n: number, tProducer: Int32Array, consumers: Csr): Omit<ProblemAdjacency, 'consumers'> {
  const inCount = new Int32Array(n + 1);
  const succCount = new Int32Array(n + 1);
  const predCount = new Int32Array(n + 1);
  const forEachPair = (visit: (k: number, p: number, c: number, firstOfPair: boolean) => void): void => {
    const mark = new Int32Array(n).fill(-1);
    for (let k = 0; k < tProducer.length; k++) {
      const p = tProducer[k];
      for (let i = consumers.start[k]; i < consumers.start[k + 1]; i++) {
        const c = consumers.list[i];
        const first = mark[c] !== p;
        mark[c] = p;
        visit(k, p, c, first);
      }
    }
  };
  forEachPair((_k, p, c, first) => {
    inCount[c + 1]++;
    if (first) {
      succCount[p + 1]++;
      predCount[c + 1]++;
    }
  });
  const inTensors = emptyCsr(inCount);
  const succ = emptyCsr(succCount);
  const pred = emptyCsr(predCount);
  const inAt = inTensors.start.slice(0, n);
  const succAt = succ.start.slice(0, n);
  const predAt = pred.start.slice(0, n);
  forEachPair((k, p, c, first) => {
    inTensors.list[inAt[c]++] = k;
    if (first) {
      succ.list[succAt[p]++] = c;
      pred.list[predAt[c]++] = p;
    }
  });
  return { inTensors, succ, pred };
}

/** A CSR whose row x will hold counts[x + 1] entries (counts[0] = 0); counts becomes the starts. */
function emptyCsr(counts: Int32Array): Csr {
  for (let x = 1; x < counts.length; x++) counts[x] += counts[x - 1];
  return { start: counts, list: new Int32Array(counts[counts.length - 1]) };
}

/**
 * The adjacency as arrays of arrays, for the code that reads them so (the refine search, tests):
 * made on first read, so that placing — which reads the CSR — never allocates the 100k arrays a
 * 100k-op graph needs (they were most of buildProblem's garbage-collection time).
 *
 * The getters are on one prototype that every problem shares. They were each problem's own (new
 * closures per problem), and V8 keeps no shared shape for such objects: every problem after a
 * process's first went to dictionary mode, so each of the core's s.problem.x reads became a hash
 * lookup. Generated 10k after BERT-L12 in one process, best run, m-TOPO / m-ETF / m-SCT: 1.72 /
 * 3.80 / 6.06 ms, against 1.37 / 3.50 / 4.62 ms as the process's first problem; with the shared
 * prototype 1.44 / 3.14 / 5.10 ms (test/placement/problemShape.test.ts).
 */
class ProblemLists {
  declare readonly adjacency: ProblemAdjacency;
  get tConsumers(): number[][] {
    return listsOf(this.adjacency.consumers);
  }
  get inTensors(): number[][] {
    return listsOf(this.adjacency.inTensors);
  }
  get succ(): number[][] {
    return listsOf(this.adjacency.succ);
  }
  get pred(): number[][] {
    return listsOf(this.adjacency.pred);
  }
}

const madeLists = new WeakMap<Csr, number[][]>();

function listsOf(csr: Csr): number[][] {
  let lists = madeLists.get(csr);
  if (!lists) madeLists.set(csr, (lists = csrToLists(csr)));
  return lists;
}

function withLists(problem: Omit<Problem, ListFields>): Problem {
  return Object.setPrototypeOf(problem, ProblemLists.prototype) as Problem;
}

type ListFields = 'tConsumers' | 'inTensors' | 'succ' | 'pred';

function csrToLists(csr: Csr): number[][] {
  return Array.from({ length: csr.start.length - 1 }, (_, x) => Array.from(csr.list.subarray(csr.start[x], csr.start[x + 1])));
}

/**
 * Per link kind of the topology, the transfer time of every coarse tensor; overwrites `mean` with
 * the average over ordered pairs of different devices (exactly one link's time when only one kind
 * of pair exists, so a one-host topology costs what a uniform link does).
 */
function topologyCommUs(topology: Topology, bytes: Float64Array, mean: Float64Array): Float64Array[] {
  const byLink = topology.links.map((link) => Float64Array.from(bytes, (b) => transferTimeUs(b, link)));
  const pairs = new Array<number>(topology.links.length).fill(0);
  for (const l of topology.pairLink) if (l >= 0) pairs[l]++;
  const used = pairs.map((count, l) => (count > 0 ? l : -1)).filter((l) => l >= 0);
  const total = pairs.reduce((a, b) => a + b, 0);
  for (let k = 0; k < bytes.length; k++) {
    if (used.length === 1) mean[k] = byLink[used[0]][k];
    else if (used.length > 1) mean[k] = used.reduce((s, l) => s + pairs[l] * byLink[l][k], 0) / total;
  }
  return byLink;
}

/**
 * Temporary memory of a coarse node whose members run back to back in `members` order: the peak,
 * over the members, of the running member's workspace plus every internal output (a member's
 * output block no other coarse node consumes, `internalOut`) allocated at its producer's start
 * and not yet freed — freed when its last consumer inside the node ends, or at the producer's own
 * end when nothing consumes it (model.ts). Baechi's fusion keeps temporary = max over the pair;
 * this is that plus the intermediates that really are alive, never the sum of all of them, so
 * long fused chains do not claim memory they never hold at once. Outputs leaving the node are
 * in outBytes (held from the node's start, an upper bound of the expanded schedule).
 */
export function fusedTemporary(graph: OpGraph, tensors: TensorTable, producedBy: number[][], members: number[], internalOut: number[]): number {
  const m = members.length;
  if (m === 1) return graph.nodes[members[0]].temporaryBytes + internalOut[0];
  const pos = new Map<number, number>();
  members.forEach((i, k) => pos.set(i, k));
  // live[k] accumulates through a difference array: +bytes at the producer, − after the last consumer
  const delta = new Float64Array(m + 1);
  members.forEach((i, k) => {
    if (internalOut[k] === 0) return;
    let last = k;
    for (const t of producedBy[i]) for (const consumer of tensors.consumers[t]) last = Math.max(last, pos.get(consumer) ?? k);
    delta[k] += internalOut[k];
    delta[last + 1] -= internalOut[k];
  });
  let live = 0;
  let peak = 0;
  for (let k = 0; k < m; k++) {
    live += delta[k];
    peak = Math.max(peak, live + graph.nodes[members[k]].temporaryBytes);
  }
  return peak;
}

/** Tensor ids produced by each original node. */
function tensorsByNode(tensors: TensorTable): number[][] {
  const byNode: number[][] = Array.from({ length: tensors.nodeOutBytes.length }, () => []);
  for (let t = 0; t < tensors.producer.length; t++) byNode[tensors.producer[t]].push(t);
  return byNode;
}

/** Kahn with a heap on node id (coarse ids already follow the original topological order). */
function coarseTopo(n: number, succ: Csr, pred: Csr): Int32Array {
  const deg = new Int32Array(n);
  for (let c = 0; c < n; c++) deg[c] = pred.start[c + 1] - pred.start[c];
  const heap = new KeyedHeap();
  for (let c = 0; c < n; c++) if (deg[c] === 0) heap.push(c, c, 0);
  const order = new Int32Array(n);
  let k = 0;
  while (heap.size) {
    const c = heap.pop();
    order[k++] = c;
    for (let i = succ.start[c]; i < succ.start[c + 1]; i++) if (--deg[succ.list[i]] === 0) heap.push(succ.list[i], succ.list[i], 0);
  }
  if (k !== n) throw new Error('internal: fusion created a cycle');
  return order;
}
