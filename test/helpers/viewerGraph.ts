// Small graphs for the viewer's model and state tests.
import type { OpEdge, OpGraph, OpNode } from '../../algorithms/graph';
import type { PlacementOptions } from '../../algorithms/plan';

export const GiB = 2 ** 30;

export const VIEWER_OPTIONS: PlacementOptions = { algorithm: 'm-etf', devices: 2, memoryLimits: [GiB, GiB], comm: 'pcie4', grouping: 'none', fuse: false };

/** A 10 µs op holding 100 B, with one 1000 B output `<id>:0`. */
export function viewerNode(id: string, namespace: string[], opType = 'Conv'): OpNode {
  return {
    id,
    name: id,
    opType,
    namespace,
    computeUs: 10,
    persistentBytes: 100,
    temporaryBytes: 0,
    outputs: [{ name: `${id}:0`, bytes: 1000, shape: [1, 8] }],
  };
}

/** The graph of these nodes with one 1000 B edge per [from, to] pair. */
export function viewerGraph(name: string, nodes: OpNode[], pairs: [string, string][]): OpGraph {
  const edges: OpEdge[] = pairs.map(([from, to]) => ({ from, to, tensor: `${from}:0`, bytes: 1000 }));
  return { name, nodes, edges, warnings: [] };
}
