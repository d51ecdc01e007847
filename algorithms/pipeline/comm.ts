// Communication in the pipeline model: how long one tensor takes from one device to another under
// a comm spec (issue 14). The same rule as the latency placers (cost/interconnect.ts): a preset or
// `LATENCY_US:GBPS` costs latency + bytes / bandwidth per tensor; `file` costs the tensor's own
// transfer time from the model file (dnn-partitioning edge `cost`, OpEdge.costUs), as in the paper
// "Efficient Algorithms for Device Placement of DNN Graph Operators". Same device: free.
import type { OpEdge, OpGraph } from '../graph';
import { OpplaceError } from '../errors';
import { checkLinkForGraph, Link, parseInterconnect, transferTimeUs } from '../cost/interconnect';

export type { Link } from '../cost/interconnect';

/**
 * The link of a comm spec; with a graph, also refuses `file` for a graph whose edges carry no
 * transfer cost. One OpplaceError naming the file on a bad spec.
 */
export function parseComm(spec: string, graph?: OpGraph, file?: string): Link {
  let link: Link;
  try {
    link = parseInterconnect(spec);
  } catch (e) {
    throw e instanceof OpplaceError && file ? new OpplaceError(e.detail, { file }) : e;
  }
  if (graph) checkLinkForGraph(link, graph, file);
  return link;
}

/** Transfer time (µs) of one tensor of `bytes` with file cost `costUs` from device `from` to device `to`. */
export function tensorTransferUs(link: Link, bytes: number, costUs: number | undefined, from: number, to: number): number {
  if (from === to) return 0;
  return transferTimeUs(bytes, link, costUs ?? 0);
}

/** Transfer time (µs) of an edge's tensor from device `from` to device `to`. */
export function edgeTransferUs(link: Link, edge: Pick<OpEdge, 'bytes' | 'costUs'>, from: number, to: number): number {
  return tensorTransferUs(link, edge.bytes, edge.costUs, from, to);
}
