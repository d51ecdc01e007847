// The one way every front end (CLI, extension, report) turns a model file into a graph ready for
// placement: load (any format) → fill unmeasured times with the roofline cost model.
// Defaults: device H100 SXM (DEFAULT_DEVICE — a current data-centre GPU; pick yours with `device`),
// dtype fp32 (what an exported model stores). Measured times (dnn-partitioning, STG, profiled
// opgraph files) are kept as they are.
import type { OpGraph } from './graph';
import { LoadOptions, parseModel } from './loaders';
import { readModelBytes } from './loaders/readFile';
import { applyCostModel, CostModelOptions, estimateSingleDeviceUs, totalFlops } from './cost/roofline';
import { setOwn } from './records';

export type PrepareOptions = LoadOptions & CostModelOptions;

export function prepareGraph(bytes: Uint8Array, fileName: string, options: PrepareOptions = {}): OpGraph {
  const { device, launchOverheadUs, ...load } = options;
  return applyCostModel(parseModel(bytes, fileName, load), { device, dtype: options.dtype, launchOverheadUs });
}

/**
 * The graph with one more warning when the user asked for model options it cannot use (see
 * ignoredModelOptions). For front ends whose options are the user's explicit choices (the CLI);
 * the extension always passes its device preset, so it does not call this.
 */
export function warnIgnoredModelOptions(graph: OpGraph, options: PrepareOptions): OpGraph {
  const ignored = ignoredModelOptions(graph, options);
  if (ignored.length === 0) return graph;
  const what = graph.source?.format ?? 'measured';
  return {
    ...graph,
    warnings: [
      ...graph.warnings,
      `${ignored.join(', ')} ${ignored.length > 1 ? 'have' : 'has'} no effect on this ${what} file: its times and sizes are measured and used as they are`,
    ],
  };
}

/**
 * The model options a graph does not use: --batch outside ONNX (other formats carry measured sizes),
 * --dtype and --device-type when no node's time is estimated. Said as a warning: a user who asks for
 * fp16 or batch 32 must not silently get the file's own numbers.
 */
export function ignoredModelOptions(graph: OpGraph, options: PrepareOptions): string[] {
  const out: string[] = [];
  const isOnnx = graph.source?.format === 'onnx';
  if (!isOnnx && options.batch !== undefined && options.batch !== 1) out.push(`--batch ${options.batch}`);
  const estimated = (graph.meta?.costModel as { estimatedNodes?: number } | undefined)?.estimatedNodes ?? 0;
  if (!isOnnx && estimated === 0) {
    if (options.dtype !== undefined) out.push(`--dtype ${options.dtype}`);
    if (options.device !== undefined) out.push(`--device-type ${typeof options.device === 'string' ? options.device : options.device.id}`);
  }
  return out;
}

/** Node only (reads the file). */
export function prepareGraphFromFile(file: string, options: PrepareOptions = {}): OpGraph {
  return prepareGraph(readModelBytes(file), file, options);
}

/** Facts about a prepared graph shown by `opplace inspect`, the extension and the report. */
export interface GraphSummary {
  name: string;
  format?: string;
  nodes: number;
  edges: number;
  /** null when the format does not know parameters (dnn-partitioning, STG). */
  parameterCount: number | null;
  parameterBytes: number | null;
  /** Sum of all node output bytes (every activation alive at once: an upper bound). */
  activationBytes: number;
  persistentBytes: number;
  /** null when no node knows its FLOPs. */
  flops: number | null;
  estimatedSingleDeviceUs: number;
  /** op type → count, most frequent first (ties by name). */
  opTypes: Record<string, number>;
  /** ONNX nodes folded away before placement, by kind (absent for other formats). */
  folded?: { weights: number; constants: number; casts: number };
  warnings: string[];
}

export function summarizeGraph(graph: OpGraph): GraphSummary {
  let activationBytes = 0;
  let persistentBytes = 0;
  let paramCount = 0;
  let paramNodes = 0;
  const counts = new Map<string, number>();
  for (const n of graph.nodes) {
    for (const t of n.outputs) activationBytes += t.bytes;
    persistentBytes += n.persistentBytes;
    if (n.parameterCount !== undefined) {
      paramCount += n.parameterCount;
      paramNodes++;
    }
    counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
  }
  const opTypes: Record<string, number> = {};
  for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) setOwn(opTypes, k, v);
  // Node sums double-count weights shared by several nodes, so the loader's totals win when present.
  const parameterCount = graph.stats?.parameterCount ?? (paramNodes ? paramCount : null);
  const parameterBytes = graph.stats?.parameterBytes ?? null;
  return {
    name: graph.name,
    format: graph.source?.format,
    nodes: graph.nodes.length,
    edges: graph.edges.length,
    parameterCount,
    parameterBytes,
    activationBytes,
    persistentBytes,
    flops: totalFlops(graph),
    estimatedSingleDeviceUs: estimateSingleDeviceUs(graph),
    opTypes,
    ...(graph.stats?.folded ? { folded: { ...graph.stats.folded } } : {}),
    warnings: graph.warnings,
  };
}
