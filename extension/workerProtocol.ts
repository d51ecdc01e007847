// Messages between the extension host and its placement engine (dist/placeWorker.js, a
// worker_threads worker that lives as long as its view). Structured-clone data; the buffers of a
// plan's columns and of the model's bytes are transferred, not copied (transferablesOf).
//
// The worker keeps one prepared model: parsed, costed, indexed, with its problems and m-SCT LP
// solutions (algorithms/placement PreparedGraph), keyed by `ModelSource.key` (a hash of the file's
// bytes and the load options). A job names its source by key; the bytes travel only when the
// worker does not have that key yet. Jobs run one at a time; a job still waiting when a newer one
// arrives is dropped unanswered but for `dropped` (the newer one supersedes it).
import type { OpGraph } from '../algorithms/graph';
import type { Comparison } from '../algorithms/compare';
import type { PrepareOptions } from '../algorithms/prepare';
import type { AlgorithmName, Plan, PlacementOptions } from '../algorithms/plan';
import type { PipelineOptions, PipelinePlan } from '../algorithms/pipeline/types';
import type { PipelineControls, WirePlan } from '../webview/protocol';
import { wirePlanBuffers } from '../webview/planWire';

/**
 * The model a job is about. `bytes` is left out when the worker already holds `key`; when sent, they
 * may be transferred (engineClient.ts decides), so the sender must not read them afterwards.
 */
export interface ModelSource {
  key: string;
  fileName: string;
  load: PrepareOptions;
  bytes?: Uint8Array;
}

export interface PlaceJob {
  kind: 'place';
  jobId: number;
  source: ModelSource;
  options: PlacementOptions;
}

export interface CompareJob {
  kind: 'compare';
  jobId: number;
  source: ModelSource;
  /** Devices, limits, interconnect… shared by every run; `algorithm` is replaced per row. */
  options: PlacementOptions;
  algorithms: AlgorithmName[];
  /** The throughput section: every pipeline split with these knobs (absent: no section). */
  pipeline?: PipelineControls;
}

/** Throughput objective (issue 14): plan a pipeline instead of placing for one step. */
export interface PipelineJob {
  kind: 'pipeline';
  jobId: number;
  source: ModelSource;
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
  | { kind: 'progress'; jobId: number; message: string; fraction?: number }
  /** The worker prepared a new model (once per key): its graph, and how many models it has prepared so far. */
  | { kind: 'prepared'; jobId: number; key: string; graph: OpGraph; prepares: number }
  /**
   * The plan in planWire's columns over the `prepared` reply's graph (what the webview's `plan`
   * message carries), and the Plan itself only when it is infeasible: decodePlan rebuilt all 153
   * feasible plans of 4 graphs × 6 placers × 3 groupings × 4 limits JSON for JSON, but none of the
   * 135 infeasible ones: their failure fields come after the columns in the Plan's key order, so an
   * exported plan would differ from the CLI's byte for byte (their memory timelines now travel in
   * the summary, planWire.ts). engineMs: the job's time in the worker (placement, expanding the
   * plan and encoding it; the model was prepared before).
   */
  | { kind: 'placed'; jobId: number; key: string; plan: WirePlan; infeasiblePlan?: Plan; engineMs: number }
  | { kind: 'pipelined'; jobId: number; key: string; pipeline: PipelinePlan }
  | { kind: 'compared'; jobId: number; key: string; comparison: Comparison }
  /** Superseded by a newer job before it started. */
  | { kind: 'dropped'; jobId: number }
  | { kind: 'failed'; jobId: number; error: WorkerFailure };

/** What a reply can hand over instead of copying: a placed plan's column buffers. */
export function transferablesOf(reply: WorkerReply): ArrayBuffer[] {
  return reply.kind === 'placed' ? wirePlanBuffers(reply.plan) : [];
}

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
