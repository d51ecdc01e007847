// Messages between the extension host and its placement worker (dist/placeWorker.js, run with
// worker_threads so a long placement never blocks the extension host). Plain structured-clone data.
import type { OpGraph } from '../algorithms/graph';
import type { PrepareOptions } from '../algorithms/prepare';
import type { AlgorithmName, Plan, PlacementOptions } from '../algorithms/plan';
import type { Comparison } from '../algorithms/compare';
import type { PipelineOptions, PipelinePlan } from '../algorithms/pipeline/types';
import type { PipelineControls } from '../webview/protocol';

export interface PlaceJob {
  kind: 'place';
  /** The model file's bytes (read by the host, so any workspace file system works). */
  bytes: Uint8Array;
  fileName: string;
  load: PrepareOptions;
  options: PlacementOptions;
}

export interface CompareJob {
  kind: 'compare';
  bytes: Uint8Array;
  fileName: string;
  load: PrepareOptions;
  /** Devices, limits, interconnect… shared by every run; `algorithm` is replaced per row. */
  options: PlacementOptions;
  algorithms: AlgorithmName[];
  /** The throughput section: every pipeline split with these knobs (absent: no section). */
  pipeline?: PipelineControls;
}

/** Throughput objective (issue 14): plan a pipeline instead of placing for one step. */
export interface PipelineJob {
  kind: 'pipeline';
  bytes: Uint8Array;
  fileName: string;
  load: PrepareOptions;
  options: PipelineOptions;
}

export type WorkerJob = PlaceJob | CompareJob | PipelineJob;

/** A failure as the user should read it: `message` is OpplaceError.message (the CLI's text). */
export interface WorkerFailure {
  message: string;
  /** True for OpplaceError (user-caused); false for a bug (stack goes to the output channel). */
  userError: boolean;
  stack?: string;
  node?: string;
  exitCode?: number;
}

export type WorkerReply =
  | { kind: 'progress'; message: string; fraction?: number }
  | { kind: 'placed'; graph: OpGraph; plan: Plan }
  | { kind: 'pipelined'; graph: OpGraph; pipeline: PipelinePlan }
  | { kind: 'compared'; graph: OpGraph; comparison: Comparison }
  | { kind: 'failed'; error: WorkerFailure };

export function toFailure(e: unknown): WorkerFailure {
  const err = e as { name?: string; message?: string; stack?: string; node?: string; exitCode?: number };
  const userError = err?.name === 'OpplaceError';
  return {
    message: typeof err?.message === 'string' ? err.message : String(e),
    userError,
    ...(userError ? {} : { stack: err?.stack }),
    ...(err?.node ? { node: err.node } : {}),
    ...(typeof err?.exitCode === 'number' ? { exitCode: err.exitCode } : {}),
  };
}
