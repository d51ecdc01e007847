// Roofline cost model: an op takes max(FLOPs / peak, bytes / bandwidth) plus a launch overhead.
// It only times ops that were not measured. The rule (documented in schema/opgraph.schema.json):
// a node whose computeUs is 0 and that carries `flops` or `memoryAccessBytes` is estimated; a node
// with computeUs > 0 keeps its (measured) time; a node with neither stays at 0. Ops whose FLOPs and
// bytes are both 0 (Reshape views, Shape, folded constants) launch no kernel and stay at 0 µs.
import type { Dtype } from '../loaders/types';
import { checkGraphLimits, OpGraph, OpNode } from '../graph';
import { bandwidthBytesPerSecond, DEFAULT_DEVICE, DEFAULT_DTYPE, DevicePreset, getDevicePreset, peakFlopsPerSecond } from './devices';

export interface CostModelOptions {
  /** A preset id (see DEVICE_PRESETS) or a preset object. Default DEFAULT_DEVICE (H100 SXM). */
  device?: string | DevicePreset;
  /** Which peak to use. Default fp32. */
  dtype?: Dtype;
  /** Override the device's per-op launch overhead (µs). */
  launchOverheadUs?: number;
}

export type Bound = 'compute' | 'memory';

export interface RooflineEstimate {
  computeUs: number;
  /** Which roof limits the op (ties count as compute). */
  boundBy: Bound;
}

/** What applyCostModel did, stored in graph.meta.costModel for reports. */
export interface CostModelSummary {
  device: string;
  deviceName: string;
  dtype: Dtype;
  launchOverheadUs: number;
  estimatedNodes: number;
  measuredNodes: number;
}

export function resolveDevice(device: string | DevicePreset | undefined): DevicePreset {
  if (device === undefined) return getDevicePreset(DEFAULT_DEVICE);
  return typeof device === 'string' ? getDevicePreset(device) : device;
}

/** Roofline time of one op in µs, launch overhead included. */
export function rooflineUs(flops: number, bytes: number, device: DevicePreset, dtype: Dtype, launchOverheadUs = device.launchOverheadUs): RooflineEstimate {
  const computeUs = (flops / peakFlopsPerSecond(device, dtype)) * 1e6;
  const memoryUs = (bytes / bandwidthBytesPerSecond(device)) * 1e6;
  return { computeUs: Math.max(computeUs, memoryUs) + launchOverheadUs, boundBy: computeUs >= memoryUs ? 'compute' : 'memory' };
}

/** True when the node's time should come from the cost model (see the header comment). */
export function needsEstimate(node: OpNode): boolean {
  return node.computeUs === 0 && (node.flops !== undefined || node.memoryAccessBytes !== undefined);
}

/** The time the cost model gives a node that needs an estimate. */
export function estimateNodeUs(node: OpNode, device: DevicePreset, dtype: Dtype, launchOverheadUs = device.launchOverheadUs): number {
  const flops = node.flops ?? 0;
  const bytes = node.memoryAccessBytes ?? 0;
  if (flops === 0 && bytes === 0) return 0;
  return rooflineUs(flops, bytes, device, dtype, launchOverheadUs).computeUs;
}

/**
 * Returns a new graph in which every unmeasured node with FLOPs/bytes has a roofline time. The input
 * graph is not changed; untouched nodes are shared with it.
 */
export function applyCostModel(graph: OpGraph, options: CostModelOptions = {}): OpGraph {
  const device = resolveDevice(options.device);
  const dtype = options.dtype ?? DEFAULT_DTYPE;
  const launch = options.launchOverheadUs ?? device.launchOverheadUs;
  let estimated = 0;
  let measured = 0;
  const nodes = graph.nodes.map((n) => {
    if (!needsEstimate(n)) {
      if (n.computeUs > 0) measured++;
      return n;
    }
    estimated++;
    return { ...n, computeUs: estimateNodeUs(n, device, dtype, launch) };
  });
  const summary: CostModelSummary = {
    device: device.id,
    deviceName: device.name,
    dtype,
    launchOverheadUs: launch,
    estimatedNodes: estimated,
    measuredNodes: measured,
  };
  const costed = { ...graph, nodes, meta: { ...(graph.meta ?? {}), costModel: summary } };
  // an estimate from 1e24 FLOPs on a slow preset can pass the time limit the loader checked
  if (estimated > 0) checkGraphLimits(costed);
  return costed;
}

/** Time of one step with every op on one device, run one after another (no overlap). */
export function estimateSingleDeviceUs(graph: OpGraph): number {
  let total = 0;
  for (const n of graph.nodes) total += n.computeUs;
  return total;
}

/** Total FLOPs, or null when no node knows its FLOPs (measured-only formats). */
export function totalFlops(graph: OpGraph): number | null {
  let any = false;
  let total = 0;
  for (const n of graph.nodes) {
    if (n.flops !== undefined) {
      any = true;
      total += n.flops;
    }
  }
  return any ? total : null;
}
