// GPU presets for the roofline cost model, from the vendors' datasheets (dense figures, no
// structured sparsity; SXM variants where a card comes in several). Peak FP32 is the plain CUDA-core
// rate — what PyTorch uses for fp32 matmuls by default (TF32 off) — and FP16/BF16 are the tensor-core
// rates. Where a GPU has no BF16 tensor cores (V100, T4) bf16 runs at the FP32 rate.
import { OpplaceError } from '../errors';
import { ownValue } from '../records';
import { quoteInput } from '../text';
import type { Dtype } from '../loaders/types';

export interface DevicePreset {
  /** Key used on the command line, e.g. `h100-sxm`. */
  id: string;
  /** Marketing name for reports. */
  name: string;
  /** Peak dense throughput in TFLOPS per dtype. */
  peakTflops: Record<Dtype, number>;
  /** Peak TF32 tensor-core TFLOPS (dense), for reference; not used by default. */
  tf32Tflops?: number;
  /** Memory bandwidth in GB/s (1e9 bytes/s). */
  memoryBandwidthGBps: number;
  /** Memory size in bytes. */
  memoryBytes: number;
  /** Fixed cost per kernel launch in µs. */
  launchOverheadUs: number;
  /** Where the figures come from. */
  source: string;
}

const GB = 1e9;
const GIB = 2 ** 30;
/** Typical CUDA kernel launch + framework dispatch cost per op. */
export const DEFAULT_LAUNCH_OVERHEAD_US = 5;

export const DEVICE_PRESETS: Record<string, DevicePreset> = {
  'h100-sxm': {
    id: 'h100-sxm',
    name: 'NVIDIA H100 SXM5 80GB',
    peakTflops: { fp32: 67, fp16: 989.4, bf16: 989.4 },
    tf32Tflops: 494.7,
    memoryBandwidthGBps: 3350,
    memoryBytes: 80 * GB,
    launchOverheadUs: DEFAULT_LAUNCH_OVERHEAD_US,
    source: 'NVIDIA H100 Tensor Core GPU datasheet (SXM column; sparsity figures halved)',
  },
  'h100-pcie': {
    id: 'h100-pcie',
    name: 'NVIDIA H100 PCIe 80GB',
    peakTflops: { fp32: 51, fp16: 756.5, bf16: 756.5 },
    tf32Tflops: 378,
    memoryBandwidthGBps: 2000,
    memoryBytes: 80 * GB,
    launchOverheadUs: DEFAULT_LAUNCH_OVERHEAD_US,
    source: 'NVIDIA H100 Tensor Core GPU datasheet (PCIe column; sparsity figures halved)',
  },
  'a100-80gb': {
    id: 'a100-80gb',
    name: 'NVIDIA A100 SXM4 80GB',
    peakTflops: { fp32: 19.5, fp16: 312, bf16: 312 },
    tf32Tflops: 156,
    memoryBandwidthGBps: 2039,
    memoryBytes: 80 * GB,
    launchOverheadUs: DEFAULT_LAUNCH_OVERHEAD_US,
    source: 'NVIDIA A100 Tensor Core GPU datasheet (80GB SXM)',
  },
  'a100-40gb': {
    id: 'a100-40gb',
    name: 'NVIDIA A100 SXM4 40GB',
    peakTflops: { fp32: 19.5, fp16: 312, bf16: 312 },
    tf32Tflops: 156,
    memoryBandwidthGBps: 1555,
    memoryBytes: 40 * GB,
    launchOverheadUs: DEFAULT_LAUNCH_OVERHEAD_US,
    source: 'NVIDIA A100 Tensor Core GPU datasheet (40GB SXM)',
  },
  'v100-16gb': {
    id: 'v100-16gb',
    name: 'NVIDIA V100 SXM2 16GB',
    peakTflops: { fp32: 15.7, fp16: 125, bf16: 15.7 },
    memoryBandwidthGBps: 900,
    memoryBytes: 16 * GIB,
    launchOverheadUs: DEFAULT_LAUNCH_OVERHEAD_US,
    source: 'NVIDIA Tesla V100 datasheet (SXM2); no BF16 support, so bf16 = FP32 rate',
  },
  l4: {
    id: 'l4',
    name: 'NVIDIA L4 24GB',
    peakTflops: { fp32: 30.3, fp16: 121, bf16: 121 },
    tf32Tflops: 60,
    memoryBandwidthGBps: 300,
    memoryBytes: 24 * GB,
    launchOverheadUs: DEFAULT_LAUNCH_OVERHEAD_US,
    source: 'NVIDIA L4 Tensor Core GPU datasheet (sparsity figures halved)',
  },
  t4: {
    id: 't4',
    name: 'NVIDIA T4 16GB',
    peakTflops: { fp32: 8.1, fp16: 65, bf16: 8.1 },
    memoryBandwidthGBps: 320,
    memoryBytes: 16 * GB,
    launchOverheadUs: DEFAULT_LAUNCH_OVERHEAD_US,
    source: 'NVIDIA T4 Tensor Core GPU datasheet; no BF16 support, so bf16 = FP32 rate',
  },
  rtx4090: {
    id: 'rtx4090',
    name: 'NVIDIA GeForce RTX 4090 24GB',
    // FP16/BF16 tensor with FP32 accumulate (what frameworks use), dense.
    peakTflops: { fp32: 82.6, fp16: 165.2, bf16: 165.2 },
    tf32Tflops: 82.6,
    memoryBandwidthGBps: 1008,
    memoryBytes: 24 * GB,
    launchOverheadUs: DEFAULT_LAUNCH_OVERHEAD_US,
    source: 'NVIDIA Ada GPU architecture whitepaper, Appendix A (RTX 4090)',
  },
};

/** The device the CLI, extension and report cost graphs on unless told otherwise. */
export const DEFAULT_DEVICE = 'h100-sxm';
export const DEFAULT_DTYPE: Dtype = 'fp32';
export const DTYPES: Dtype[] = ['fp32', 'fp16', 'bf16'];

const ALIASES: Record<string, string> = {
  h100: 'h100-sxm',
  h100sxm: 'h100-sxm',
  h100pcie: 'h100-pcie',
  a100: 'a100-80gb',
  a10080gb: 'a100-80gb',
  a10040gb: 'a100-40gb',
  v100: 'v100-16gb',
  v10016gb: 'v100-16gb',
  '4090': 'rtx4090',
};

/** Looks a preset up by id, case-insensitively, ignoring `-`, `_` and spaces (`A100_80GB`, `H100`). */
export function getDevicePreset(spec: string): DevicePreset {
  const key = spec.trim().toLowerCase();
  const exact = ownValue(DEVICE_PRESETS, key);
  if (exact) return exact;
  const squashed = key.replace(/[-_\s]/g, '');
  for (const p of Object.values(DEVICE_PRESETS)) if (p.id.replace(/-/g, '') === squashed) return p;
  const alias = ownValue(ALIASES, squashed);
  if (alias) return DEVICE_PRESETS[alias];
  throw new OpplaceError(`unknown device type "${quoteInput(spec)}" (presets: ${Object.keys(DEVICE_PRESETS).join(', ')})`);
}

export function parseDtype(text: string): Dtype {
  const d = text.trim().toLowerCase();
  if ((DTYPES as string[]).includes(d)) return d as Dtype;
  throw new OpplaceError(`unknown dtype "${text}" (expected ${DTYPES.join(', ')})`);
}

/** Peak FLOP/s for a dtype. */
export function peakFlopsPerSecond(device: DevicePreset, dtype: Dtype): number {
  return device.peakTflops[dtype] * 1e12;
}

export function bandwidthBytesPerSecond(device: DevicePreset): number {
  return device.memoryBandwidthGBps * 1e9;
}
