// The throughput objective (issue 14): a pipeline plan. Microbatches flow through stages, every
// device works at once, and what counts is the time per sample (the largest per-device load) and
// the memory each stage holds for its in-flight microbatches. Plain JSON data, like plan.ts: what
// `opplace pipeline --json` prints, what the viewer draws in throughput mode, what the exporters read.

// Split = shape constraint on each device's set of ops; schedule = GPipe (all forwards, then all
// backwards) or 1F1B (PipeDream-flush). Their lists live with every other option list.
import type { PipelineScheduleName, PipelineSplit } from '../options';

export { PIPELINE_SCHEDULES, PIPELINE_SPLITS } from '../options';
export type { PipelineScheduleName, PipelineSplit };

export interface PipelineOptions {
  devices: number;
  /** Memory limit per device in bytes (length = devices); hard limits. */
  memoryLimits: number[];
  /** Interconnect preset, `LATENCY_US:GBPS`, or `file` (dnn-partitioning: an edge's own `cost`). */
  comm: string;
  split: PipelineSplit;
  /** M, microbatches per step (≥ 1). */
  microbatches: number;
  schedule: PipelineScheduleName;
  /** Colocation groups stay together (default colocation). */
  grouping?: 'none' | 'colocation';
  /** `any` split: local-search seed and budget (converted to a fixed amount of work, like refine). */
  seed?: number;
  budgetMs?: number;
}

/** One stage = one device's share of the graph. Stages are numbered in pipeline order. */
export interface PipelineStage {
  /** Position in the pipeline (0 = first). */
  index: number;
  device: number;
  /** Node ids as in the source file, in topological order. */
  nodes: string[];
  /** Load per sample = computeUs + commUs; the largest load is the time per sample. */
  loadUs: number;
  computeUs: number;
  commUs: number;
  /** Forward / backward part of computeUs (training; backwardUs = 0 for inference). */
  forwardUs: number;
  backwardUs: number;
  /** Planned memory: persistent bytes + activations stashed for in-flight microbatches. */
  memoryBytes: number;
  persistentBytes: number;
  stashedBytes: number;
  /** Activations of one microbatch that this stage keeps until its backward runs. */
  activationBytesPerMicrobatch: number;
  /** Peak over the simulated step (≤ memoryLimitBytes when feasible). */
  peakBytes: number;
  memoryLimitBytes: number;
  /** Busy time over the simulated step of M microbatches. */
  busyUs: number;
}

/** One (stage, microbatch, forward|backward) piece of the simulated step. */
export interface PipelineTask {
  stage: number;
  microbatch: number;
  kind: 'forward' | 'backward';
  startUs: number;
  endUs: number;
}

/**
 * One (op, microbatch) run of a simulated step, by node id: what the schedule checker replays
 * (algorithms/pipeline/checker.ts). Not part of a plan's JSON: M × ops of them.
 */
export interface PipelineRun {
  node: string;
  microbatch: number;
  stage: number;
  startUs: number;
  endUs: number;
}

export interface PipelinePlan {
  file: string;
  objective: 'throughput';
  split: PipelineSplit;
  schedule: PipelineScheduleName;
  microbatches: number;
  feasible: boolean;
  /** Largest stage load: time per sample in steady state. */
  timePerSampleUs: number;
  /** Sum of every op's compute time: time per sample on one device. */
  singleDeviceUs: number;
  /** singleDeviceUs / timePerSampleUs. */
  throughputSpeedup: number;
  /** Simulated time of one step of M microbatches under the schedule. */
  stepUs: number;
  /** Idle share of the step: 1 − Σ busy / (stages × stepUs). */
  bubble: number;
  stages: PipelineStage[];
  tasks: PipelineTask[];
  /** node id → device. */
  assignment: Record<string, number>;
  /** When infeasible: which op or group did not fit, where, and how much memory would. */
  reason?: string;
  /** When infeasible: smallest uniform per-device memory for which the planner succeeds. */
  minimumMemoryBytes?: number;
  options: PipelineOptions;
  placeMs: number;
  /** contiguous / any: the local search's moves tried and kept, and whether the wall-clock cap stopped it. */
  search?: { movesTried: number; movesKept: number; stoppedByClock: boolean };
  /** What the numbers above hide, one sentence each (warnings.ts): a cyclic stage graph that stalls the step. */
  warnings?: string[];
}
