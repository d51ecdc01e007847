// Communication cost between devices: time = latency + bytes × µs-per-byte.
import { OpplaceError } from '../errors';
import type { OpGraph } from '../graph';
import { ownValue } from '../records';
import { quoteInput } from '../text';

export interface Link {
  name: string;
  latencyUs: number;
  /** Microseconds per byte (1 / bandwidth). */
  usPerByte: number;
  /** `file`: every tensor costs the transfer time its source file gives (OpEdge.costUs), not latency + bytes. */
  fromFile?: boolean;
}

const gbps = (gbPerS: number) => 1e6 / (gbPerS * 1e9); // µs per byte for GB/s

/** Presets: Baechi's measurement, and datasheet per-direction bandwidths with typical latencies. */
export const INTERCONNECT_PRESETS: Record<string, Link> = {
  // Baechi measured 134 µs + 0.0001754 µs/byte (≈ 5.7 GB/s) between its GPUs.
  baechi: { name: 'baechi', latencyUs: 134, usPerByte: 0.0001754 },
  pcie4: { name: 'pcie4', latencyUs: 10, usPerByte: gbps(25) }, // x16 ≈ 32 GB/s raw, ~25 effective
  pcie5: { name: 'pcie5', latencyUs: 8, usPerByte: gbps(50) },
  nvlink3: { name: 'nvlink3', latencyUs: 5, usPerByte: gbps(300) }, // A100: 600 GB/s bidirectional
  nvlink4: { name: 'nvlink4', latencyUs: 4, usPerByte: gbps(450) }, // H100: 900 GB/s bidirectional
  ib200: { name: 'ib200', latencyUs: 5, usPerByte: gbps(25) }, // HDR InfiniBand 200 Gb/s
  ib400: { name: 'ib400', latencyUs: 5, usPerByte: gbps(50) }, // NDR 400 Gb/s
  none: { name: 'none', latencyUs: 0, usPerByte: 0 },
  // dnn-partitioning's model: a tensor crossing devices costs its edge's `cost` (ms in the file).
  file: { name: 'file', latencyUs: 0, usPerByte: 0, fromFile: true },
};

/** Bounds of a LATENCY_US:GBPS link: 1 MB/s … 1 PB/s, at most 1000 s of latency. */
export const MIN_GBPS = 0.001;
export const MAX_GBPS = 1e6;
export const MAX_LATENCY_US = 1e9;

/** A preset name or `LATENCY_US:GBPS` (GB/s), e.g. `10:25`. */
export function parseInterconnect(spec: string): Link {
  const preset = ownValue(INTERCONNECT_PRESETS, spec.trim().toLowerCase());
  if (preset) return preset;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*$/.exec(spec);
  if (m) {
    const bw = Number(m[2]);
    const latencyUs = Number(m[1]);
    if (bw <= 0) throw new OpplaceError(`interconnect "${quoteInput(spec)}": bandwidth must be > 0 GB/s`);
    // bounded so that a transfer of the largest tensor (MAX_BYTES) stays a finite, printable time
    if (bw < MIN_GBPS || bw > MAX_GBPS) throw new OpplaceError(`interconnect "${quoteInput(spec)}": bandwidth must be in ${MIN_GBPS}…${MAX_GBPS} GB/s`);
    if (latencyUs > MAX_LATENCY_US) throw new OpplaceError(`interconnect "${quoteInput(spec)}": latency must be at most ${MAX_LATENCY_US} µs`);
    return { name: spec.trim(), latencyUs, usPerByte: gbps(bw) };
  }
  throw new OpplaceError(`unknown interconnect "${quoteInput(spec)}" (presets: ${Object.keys(INTERCONNECT_PRESETS).join(', ')}; or LATENCY_US:GBPS)`);
}

/**
 * Transfer time of one tensor over a link; zero bytes still pay no latency only on `none`. On the
 * `file` link the tensor costs `fileUs`, the time its source file gives (OpEdge.costUs, 0 if none).
 */
export function transferTimeUs(bytes: number, link: Link, fileUs = 0): number {
  if (link.fromFile) return fileUs;
  if (link.latencyUs === 0 && link.usPerByte === 0) return 0;
  return link.latencyUs + bytes * link.usPerByte;
}

/**
 * `--comm file` needs transfer times in the file: one OpplaceError when no edge of the graph has
 * one (an ONNX or STG graph would otherwise silently communicate for free).
 */
export function checkLinkForGraph(link: Link, graph: OpGraph, file?: string): void {
  if (!link.fromFile || graph.edges.length === 0 || graph.edges.some((e) => e.costUs !== undefined)) return;
  throw new OpplaceError(
    `--comm file uses the transfer cost of each edge from the file, and ${graph.source?.format ?? 'this'} graph has none (dnn-partitioning files have them); use a preset or LATENCY_US:GBPS`,
    { file: file ?? graph.source?.file ?? graph.name },
  );
}
