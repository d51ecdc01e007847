// The host's side of a view's placement engine: one long-lived worker (dist/placeWorker.js) that
// keeps the view's prepared model, so a re-place sends only options and gets only the plan back.
// Cancel = abandon: the job's promise rejects at once and its reply is ignored when it comes; only
// a job that does not finish within CANCEL_GRACE_MS is stopped by terminating the worker (the next
// job starts a fresh one, which prepares the model again).
// No `vscode` import: unit-tested in plain Node (test/extension/engineClient.test.ts).
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { OpGraph } from '../algorithms/graph';
import type { Comparison } from '../algorithms/compare';
import type { AlgorithmName, Plan, PlacementOptions } from '../algorithms/plan';
import type { PrepareOptions } from '../algorithms/prepare';
import type { PipelineOptions, PipelinePlan } from '../algorithms/pipeline/types';
import type { PipelineControls } from '../webview/protocol';
import type { ModelSource, WorkerFailure, WorkerJob, WorkerReply } from './workerProtocol';

/** How long an abandoned job may keep the worker busy before the worker is terminated. */
export const CANCEL_GRACE_MS = 2000;

/** Rejection value of a job: a failure from the engine, or `cancelled` when it was abandoned or superseded. */
export class JobError extends Error {
  constructor(
    readonly failure: WorkerFailure,
    readonly cancelled = false,
  ) {
    super(failure.message);
    this.name = cancelled ? 'JobCancelled' : 'JobError';
  }
}

export interface RunningJob<T> {
  result: Promise<T>;
  /** Abandons the job; `result` rejects with a cancelled JobError. Idempotent. */
  cancel(): void;
}

/** What a view places: the file's bytes and the load options (the key is derived from both). */
export interface ModelInput {
  bytes: Uint8Array;
  fileName: string;
  load: PrepareOptions;
}

export interface PlaceResult {
  plan: Plan;
  /** The job's time in the worker (placement + plan expansion), for the log. */
  engineMs: number;
  /** The graph the plan is for, and its key (a new key = a new graph for the webview). */
  graph: OpGraph;
  key: string;
}

export interface CompareResult {
  comparison: Comparison;
  graph: OpGraph;
  key: string;
}

export interface PipelineResult {
  pipeline: PipelinePlan;
  graph: OpGraph;
  key: string;
}

export type ProgressListener = (message: string, fraction?: number) => void;

/** Same bytes, file name and load options → same key: the worker's prepared model is reused. */
export function modelKey(input: ModelInput): string {
  const h = createHash('sha256');
  h.update(input.bytes);
  h.update('\0');
  h.update(input.fileName);
  h.update('\0');
  h.update(sortedJson(input.load));
  return h.digest('hex');
}

/**
 * JSON with every object's keys sorted, at every depth. (A replacer array would also filter the
 * nested keys: `dims: { seq: 128 }` hashed as `dims: {}`, so a change of dims kept the old model.)
 */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`).join(',')}}`;
}

type Answer = Extract<WorkerReply, { kind: 'placed' | 'compared' | 'pipelined' }>;

interface Pending {
  job: WorkerJob;
  resolve: (reply: Answer) => void;
  reject: (e: JobError) => void;
  onProgress?: ProgressListener;
  /** Abandoned by the caller: its reply is ignored. */
  abandoned: boolean;
}

export class EngineClient {
  private worker: Worker | undefined;
  /** The key the current worker holds (or will, once its queued job ran). */
  private workerKey: string | undefined;
  private nextJobId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly graphs = new Map<string, OpGraph>();
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  /** Models the current worker prepared (from its `prepared` replies); workers started so far. */
  prepares = 0;
  workersStarted = 0;

  constructor(
    private readonly workerScript: string,
    private readonly cancelGraceMs = CANCEL_GRACE_MS,
  ) {}

  place(input: ModelInput, options: PlacementOptions, onProgress?: ProgressListener): RunningJob<PlaceResult> {
    const running = this.submit(input, (jobId, source) => ({ kind: 'place', jobId, source, options }), onProgress);
    return {
      cancel: running.cancel,
      result: running.result.then((r) => this.withGraph(r, (x) => ({ plan: (x as { plan: Plan }).plan, engineMs: (x as { engineMs: number }).engineMs }))),
    };
  }

  /** Throughput objective: a pipeline plan of the same prepared model. */
  pipeline(input: ModelInput, options: PipelineOptions, onProgress?: ProgressListener): RunningJob<PipelineResult> {
    const running = this.submit(input, (jobId, source) => ({ kind: 'pipeline', jobId, source, options }), onProgress);
    return { cancel: running.cancel, result: running.result.then((r) => this.withGraph(r, (x) => ({ pipeline: (x as { pipeline: PipelinePlan }).pipeline }))) };
  }

  /** `pipeline`: the knobs of the throughput section (every split); absent = latency rows only. */
  compare(
    input: ModelInput,
    options: PlacementOptions,
    algorithms: AlgorithmName[],
    onProgress?: ProgressListener,
    pipeline?: PipelineControls,
  ): RunningJob<CompareResult> {
    const running = this.submit(
      input,
      (jobId, source) => ({ kind: 'compare', jobId, source, options, algorithms, ...(pipeline ? { pipeline } : {}) }),
      onProgress,
    );
    return {
      cancel: running.cancel,
      result: running.result.then((r) => this.withGraph(r, (x) => ({ comparison: (x as { comparison: Comparison }).comparison }))),
    };
  }

  /** Stops the worker; running jobs reject as cancelled. */
  dispose(): void {
    this.disposed = true;
    this.stopWorker('placement engine closed');
  }

  private withGraph<T>(reply: Answer, pick: (r: typeof reply) => T): T & { graph: OpGraph; key: string } {
    const graph = this.graphs.get(reply.key);
    if (!graph) throw new JobError({ message: 'internal: the placement worker answered without its graph', userError: false });
    return { ...pick(reply), graph, key: reply.key };
  }

  private submit(input: ModelInput, make: (jobId: number, source: ModelSource) => WorkerJob, onProgress?: ProgressListener): RunningJob<Answer> {
    if (this.disposed) return { result: Promise.reject(new JobError({ message: 'placement engine closed', userError: true }, true)), cancel: () => undefined };
    const worker = this.ensureWorker();
    const key = modelKey(input);
    // The bytes travel only when the worker does not hold this model yet.
    const source: ModelSource = { key, fileName: input.fileName, load: input.load, ...(key === this.workerKey ? {} : { bytes: input.bytes }) };
    this.workerKey = key;
    const jobId = this.nextJobId++;
    const job = make(jobId, source);
    let entry!: Pending;
    const result = new Promise<Answer>((resolve, reject) => {
      entry = { job: { ...job, source: { ...source, bytes: input.bytes } }, resolve, reject, onProgress, abandoned: false };
    });
    this.pending.set(jobId, entry);
    worker.postMessage(job);
    return { result, cancel: () => this.abandon(jobId) };
  }

  private abandon(jobId: number): void {
    const entry = this.pending.get(jobId);
    if (!entry || entry.abandoned) return;
    entry.abandoned = true;
    entry.reject(new JobError({ message: 'placement cancelled', userError: true }, true));
    this.armGrace();
  }

  /** When only abandoned jobs remain and they do not end in time, the worker is stopped. */
  private armGrace(): void {
    clearTimeout(this.graceTimer);
    if (![...this.pending.values()].some((p) => p.abandoned)) return;
    this.graceTimer = setTimeout(() => {
      const oldest = [...this.pending.values()][0];
      if (oldest?.abandoned) this.restartWorker();
    }, this.cancelGraceMs);
    this.graceTimer.unref?.();
  }

  /** Terminates a worker stuck in an abandoned job and re-sends the jobs still wanted to a new one. */
  private restartWorker(): void {
    const wanted = [...this.pending.values()].filter((p) => !p.abandoned);
    for (const p of this.pending.values()) if (p.abandoned) this.pending.delete(p.job.jobId);
    void this.worker?.terminate();
    this.worker = undefined;
    this.workerKey = undefined;
    const worker = this.ensureWorker();
    let held: string | undefined;
    for (const p of wanted) {
      // A fresh worker holds nothing: the first job of a key carries its bytes again.
      const source = p.job.source.key === held ? { ...p.job.source, bytes: undefined } : p.job.source;
      held = p.job.source.key;
      worker.postMessage({ ...p.job, source });
    }
    this.workerKey = held;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerScript);
    this.workersStarted++;
    this.prepares = 0;
    worker.on('message', (reply: WorkerReply) => this.receive(reply));
    worker.on('error', (e) => this.workerDied(worker, `placement worker crashed: ${e.message}`, e.stack));
    worker.on('exit', (code) => this.workerDied(worker, `placement worker exited unexpectedly (code ${code})`));
    this.worker = worker;
    return worker;
  }

  private workerDied(worker: Worker, message: string, stack?: string): void {
    if (worker !== this.worker) return; // terminated on purpose
    this.worker = undefined;
    this.workerKey = undefined;
    for (const p of this.pending.values()) if (!p.abandoned) p.reject(new JobError({ message, userError: false, stack }));
    this.pending.clear();
  }

  private stopWorker(message: string): void {
    clearTimeout(this.graceTimer);
    const worker = this.worker;
    this.worker = undefined;
    this.workerKey = undefined;
    for (const p of this.pending.values()) if (!p.abandoned) p.reject(new JobError({ message, userError: true }, true));
    this.pending.clear();
    void worker?.terminate();
  }

  private receive(reply: WorkerReply): void {
    if (reply.kind === 'prepared') {
      // Kept even for an abandoned job: the worker holds this model now and will not send it again.
      this.graphs.clear();
      this.graphs.set(reply.key, reply.graph);
      this.prepares = reply.prepares;
      return;
    }
    const entry = this.pending.get(reply.jobId);
    if (!entry) return;
    if (reply.kind === 'progress') {
      if (!entry.abandoned) entry.onProgress?.(reply.message, reply.fraction);
      return;
    }
    this.pending.delete(reply.jobId);
    this.armGrace();
    if (entry.abandoned) return;
    if (reply.kind === 'failed') entry.reject(new JobError(reply.error));
    else if (reply.kind === 'dropped') entry.reject(new JobError({ message: 'placement superseded by a newer request', userError: true }, true));
    else entry.resolve(reply);
  }
}

/** One job on a worker of its own, stopped afterwards (commands on a file no view holds). */
export function runOnce<T>(workerScript: string, start: (engine: EngineClient) => RunningJob<T>): RunningJob<T> {
  const engine = new EngineClient(workerScript);
  const running = start(engine);
  const done = () => engine.dispose();
  running.result.then(done, done);
  return { result: running.result, cancel: () => (running.cancel(), done()) };
}
