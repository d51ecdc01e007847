// Small graph builders for the placement tests.
import type { OpEdge, OpGraph, OpNode } from '../../algorithms/graph';
import type { GroupingMode, PlacementOptions } from '../../algorithms/plan';
import { buildProblem, problemOptionsOf } from '../../algorithms/placement/problem';
import { runCore } from '../../algorithms/placement/core';

export interface NodeSpec {
  id: string;
  us: number;
  out?: number;
  temp?: number;
  persist?: number;
  group?: string;
}

/** Edges as [from, to, bytes]; each edge carries the producer's single output tensor. */
export function makeGraph(nodes: NodeSpec[], edges: [string, string, number][], name = 'test'): OpGraph {
  const bytesOf = new Map<string, number>();
  for (const [from, , b] of edges) bytesOf.set(from, Math.max(bytesOf.get(from) ?? 0, b));
  const opNodes: OpNode[] = nodes.map((n) => ({
    id: n.id,
    name: n.id,
    opType: 'Op',
    namespace: [],
    computeUs: n.us,
    persistentBytes: n.persist ?? 0,
    temporaryBytes: n.temp ?? 0,
    outputs: [{ name: `${n.id}:0`, bytes: n.out ?? bytesOf.get(n.id) ?? 0, shape: null }],
    ...(n.group ? { colocationGroup: n.group } : {}),
  }));
  const opEdges: OpEdge[] = edges.map(([from, to, bytes]) => ({ from, to, tensor: `${from}:0`, bytes }));
  return { name, nodes: opNodes, edges: opEdges, warnings: [], source: { file: `${name}.json` } };
}

export function options(partial: Partial<PlacementOptions> & Pick<PlacementOptions, 'algorithm' | 'devices'>): PlacementOptions {
  return {
    memoryLimits: Array(partial.devices).fill(Infinity),
    comm: 'none',
    grouping: 'colocation',
    fuse: false,
    ...partial,
  };
}

export const PLACERS = ['m-topo', 'm-etf', 'm-sct', 'single', 'sequential'] as const;

/**
 * Random pairs of node indices → DAG edges `n<a> → n<b>` with a < b (so no cycle), self-loops and
 * repeated pairs dropped. Property tests draw the pairs with fast-check.
 */
export function forwardEdges(pairs: { a: number; b: number; bytes: number }[]): [string, string, number][] {
  const seen = new Set<string>();
  const edges: [string, string, number][] = [];
  for (const e of pairs) {
    const a = Math.min(e.a, e.b);
    const b = Math.max(e.a, e.b);
    if (a === b || seen.has(a + ',' + b)) continue;
    seen.add(a + ',' + b);
    edges.push([`n${a}`, `n${b}`, e.bytes]);
  }
  return edges;
}

export type ScheduleRow = [device: number, start: number, end: number];

/**
 * Runs the scheduling core as m-SCT with the favourite children given (no LP), no memory limits and
 * the link "0:1" (1000 bytes take 1 µs); returns node id → [device, start, end].
 */
export function runSctWithFavourites(graph: OpGraph, devices: number, fav: [string, string][], grouping: GroupingMode = 'none'): (id: string) => ScheduleRow {
  const problem = buildProblem(graph, problemOptionsOf({ grouping, fuse: false, comm: '0:1', devices }));
  const coarse = (id: string) => problem.coarseOf[problem.index.indexOf.get(id)!];
  const favChild = new Int32Array(problem.n).fill(-1);
  const favParent = new Int32Array(problem.n).fill(-1);
  for (const [i, c] of fav) {
    favChild[coarse(i)] = coarse(c);
    favParent[coarse(c)] = coarse(i);
  }
  const res = runCore(problem, { devices, limits: Array(devices).fill(Infinity), favChild, favParent });
  if (!res.feasible) throw new Error('m-SCT run without memory limits came out infeasible');
  return (id) => [res.device[coarse(id)], res.start[coarse(id)], res.end[coarse(id)]];
}
