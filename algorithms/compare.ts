// Compare: every placer on one prepared graph with the same devices and limits, one row each. The
// CLI (`opplace compare`) prints the rows as a table or JSON and the extension (Compare Algorithms)
// renders them as a page: the same rows, so the two never disagree. The graph is prepared once,
// so the problem is built once per grouping/fusion/links and m-SCT's LP solved once (refine's
// m-SCT start reuses it). Pure: no node: imports.
import { isOpplaceError } from './errors';
import type { OpGraph } from './graph';
import { COMPARE_ALGORITHMS, resolvePlacement } from './options';
import type { AlgorithmName, Plan, PlacementOptions } from './plan';
import { placePrepared, prepareForPlacement, PreparedGraph } from './placement/index';
import { planPipeline } from './pipeline/index';
import { PIPELINE_SPLITS } from './options';
import type { PipelineOptions, PipelinePlan, PipelineSplit } from './pipeline/types';

/** One placer's result. Numbers are null when the placer produced no schedule. */
export interface CompareRow {
  algorithm: AlgorithmName;
  feasible: boolean;
  makespanUs: number | null;
  /** makespan / lower bound − 1, in percent (3 decimals). */
  gapPercent: number | null;
  /** Time on one device (sum of compute) / makespan; null without a feasible schedule. */
  speedup: number | null;
  /** Peak memory per device, in device order ([] without a schedule). */
  peakBytes: number[];
  transfers: number;
  transferBytes: number;
  /** Placement wall time (3 decimals): the only field that differs between two runs. */
  placeMs: number;
  reason?: string;
  minimumMemoryBytes?: number;
  refineGainPercent?: number;
  /** The placer refused these options (an OpplaceError): the row failed, not the comparison. */
  error?: string;
}

/**
 * A comparison of one file. Sections beside `rows` are the objectives' own (the latency rows here;
 * the pipeline planner's throughput rows join as their own field, not as fake placers).
 */
export interface Comparison {
  file: string;
  options: PlacementOptions;
  lowerBoundUs: number;
  singleDeviceUs: number;
  rows: CompareRow[];
  /** The throughput objective: each pipeline split on the same devices (compareSplits). */
  throughput?: ThroughputRow[];
}

export function compareRow(plan: Plan): CompareRow {
  const scheduled = plan.schedule.length > 0;
  let transferBytes = 0;
  for (const t of plan.transfers) transferBytes += t.bytes;
  const row: CompareRow = {
    algorithm: plan.algorithm,
    feasible: plan.feasible,
    makespanUs: scheduled ? plan.makespanUs : null,
    gapPercent: scheduled && plan.lowerBoundUs > 0 ? Math.round((plan.makespanUs / plan.lowerBoundUs - 1) * 1e5) / 1e3 : null,
    speedup: plan.feasible && scheduled && plan.makespanUs > 0 && plan.singleDeviceUs ? Math.round((plan.singleDeviceUs / plan.makespanUs) * 1e4) / 1e4 : null,
    peakBytes: scheduled ? plan.devices.map((d) => d.peakBytes) : [],
    transfers: plan.transfers.length,
    transferBytes,
    placeMs: Math.round(plan.placeMs * 1000) / 1000,
  };
  if (!plan.feasible && plan.reason) row.reason = plan.reason;
  if (plan.minimumMemoryBytes !== undefined) row.minimumMemoryBytes = plan.minimumMemoryBytes;
  if (plan.refine) row.refineGainPercent = plan.refine.gainPercent;
  return row;
}

function errorRow(algorithm: AlgorithmName, message: string): CompareRow {
  return {
    algorithm,
    feasible: false,
    makespanUs: null,
    gapPercent: null,
    speedup: null,
    peakBytes: [],
    transfers: 0,
    transferBytes: 0,
    placeMs: 0,
    error: message,
  };
}

export interface CompareProgress {
  (algorithm: AlgorithmName, index: number, count: number): void;
}

/**
 * Runs `algorithms` (default: every placer, in table order) with `base`'s devices, limits and links.
 * Bad base options throw (one OpplaceError); a placer refusing them is its row's `error`.
 */
export async function compareAlgorithms(
  graph: OpGraph | PreparedGraph,
  base: PlacementOptions,
  opts: { file?: string; algorithms?: readonly AlgorithmName[]; onProgress?: CompareProgress } = {},
): Promise<{ comparison: Comparison; plans: (Plan | undefined)[] }> {
  const prepared = 'counts' in graph ? graph : prepareForPlacement(graph);
  const file = opts.file ?? prepared.graph.source?.file ?? prepared.graph.name;
  const options = resolvePlacement(base, file).options;
  const algorithms = opts.algorithms ?? COMPARE_ALGORITHMS;
  const rows: CompareRow[] = [];
  const plans: (Plan | undefined)[] = [];
  let lowerBoundUs = 0;
  let singleDeviceUs = 0;
  for (const [i, algorithm] of algorithms.entries()) {
    opts.onProgress?.(algorithm, i, algorithms.length);
    try {
      const plan = await placePrepared(prepared, { ...base, algorithm }, file);
      lowerBoundUs = plan.lowerBoundUs;
      singleDeviceUs = plan.singleDeviceUs ?? 0;
      rows.push(compareRow(plan));
      plans.push(plan);
    } catch (e) {
      if (!isOpplaceError(e)) throw e;
      rows.push(errorRow(algorithm, (e as Error).message));
      plans.push(undefined);
    }
  }
  return { comparison: { file, options, lowerBoundUs, singleDeviceUs, rows }, plans };
}

/** The fastest row that fits (ties: the earlier row), or undefined. */
export function fastestRow(rows: CompareRow[]): CompareRow | undefined {
  let best: CompareRow | undefined;
  for (const r of rows) if (r.feasible && r.makespanUs !== null && (best === undefined || r.makespanUs < best.makespanUs!)) best = r;
  return best;
}

/** One pipeline split (issue 14): the throughput objective's row. Numbers are null without stages. */
export interface ThroughputRow {
  split: PipelineSplit;
  feasible: boolean;
  /** Largest stage load: time per sample in steady state. */
  timePerSampleUs: number | null;
  /** Time per sample on one device / the plan's. */
  throughputSpeedup: number | null;
  /** Simulated step of M microbatches, and its idle share. */
  stepUs: number | null;
  bubble: number | null;
  /** Planning wall time (3 decimals). */
  placeMs: number;
  reason?: string;
  minimumMemoryBytes?: number;
  error?: string;
}

export function throughputRow(plan: PipelinePlan): ThroughputRow {
  const planned = plan.stages.length > 0;
  const row: ThroughputRow = {
    split: plan.split,
    feasible: plan.feasible,
    timePerSampleUs: planned ? plan.timePerSampleUs : null,
    throughputSpeedup: planned ? plan.throughputSpeedup : null,
    stepUs: planned ? plan.stepUs : null,
    bubble: planned ? plan.bubble : null,
    placeMs: Math.round(plan.placeMs * 1000) / 1000,
  };
  if (!plan.feasible && plan.reason) row.reason = plan.reason;
  if (plan.minimumMemoryBytes !== undefined) row.minimumMemoryBytes = plan.minimumMemoryBytes;
  return row;
}

/** Every split (default all, in list order) with `base`'s devices, limits, link and schedule; a planner refusing them is its row's `error`. */
export async function compareSplits(
  graph: OpGraph,
  base: Omit<PipelineOptions, 'split'>,
  opts: { file?: string; splits?: readonly PipelineSplit[] } = {},
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const split of opts.splits ?? PIPELINE_SPLITS) {
    try {
      rows.push(throughputRow(await planPipeline(graph, { ...base, split }, opts.file)));
    } catch (e) {
      if (!isOpplaceError(e)) throw e;
      rows.push({
        split,
        feasible: false,
        timePerSampleUs: null,
        throughputSpeedup: null,
        stepUs: null,
        bubble: null,
        placeMs: 0,
        error: (e as Error).message,
      });
    }
  }
  return rows;
}

/** The highest-throughput row that fits (ties: the earlier row), or undefined. */
export function fastestSplit(rows: ThroughputRow[]): ThroughputRow | undefined {
  let best: ThroughputRow | undefined;
  for (const r of rows) if (r.feasible && r.timePerSampleUs !== null && (best === undefined || r.timePerSampleUs < best.timePerSampleUs!)) best = r;
  return best;
}
