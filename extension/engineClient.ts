// The host's side of a view's placement engine: one long-lived worker (dist/placeWorker.js) that
// keeps the view's prepared model, so a re-place sends only options and gets only the plan back, in
// the columns the webview's `plan` message carries (planWire.ts), which the host forwards as they are.
// The model's bytes go to the worker by transfer when nothing could make the host send them again.
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
import type { PipelineControls, WirePlan } from '../webview/protocol';
import { decodePlan, nodeIndexOf, type NodeIndex } from '../webview/planWire';
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
  /**
   * Handed over with the job: the engine may transfer their buffer to the worker (it is then
   * detached, length 0), so the caller must not read them after place/compare/pipeline. Left out
   * when `digest` is given and the worker holds the model (EngineClient.holds): a view re-placing
   * an unchanged file does not read it again.
   */
  bytes?: Uint8Array;
  /** contentDigest(bytes), when the caller has it: the bytes are not hashed again. */
  digest?: string;
  fileName: string;
  load: PrepareOptions;
}

/** A job without bytes whose model the worker does not hold (it was restarted, or another model went first): read the file and submit again. */
export const BYTES_NEEDED = 'internal: the placement engine needs the model bytes again';

export interface PlaceResult {
  /** The plan in planWire's columns over `graph`, as the worker encoded it: the webview's `plan` message carries it as is. */
  wire: WirePlan;
  /**
   * The full Plan, the engine's own: decoded from `wire` on the first call and kept (~1 ms for
   * BERT-L12's 2,012 ops), or an infeasible plan as the worker sent it (workerProtocol's `placed`).
   * Exports, the report and the viewer's first page need it; a re-place does not.
   */
  plan(): Plan;
  /** The job's time in the worker (placement + plan expansion + encoding), for the log. */
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

/** The hash of a model file's bytes, for ModelInput.digest. */
export function contentDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Same bytes, file name and load options → same key: the worker's prepared model is reused. */
export function modelKey(input: ModelInput): string {
  if (input.digest === undefined && input.bytes === undefined) throw new Error('internal: a model input has neither bytes nor digest');
  const h = createHash('sha256');
  h.update(input.digest ?? contentDigest(input.bytes!));
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
type Placed = Extract<WorkerReply, { kind: 'placed' }>;

/** A value made on the first call and kept. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/** The Plan of a wire plan the worker made over this very graph (a mismatch is a bug, not the user's). */
function decodedPlan(wire: WirePlan, graph: OpGraph, idx: NodeIndex): Plan {
  const decoded = decodePlan(wire, graph, idx);
  if ('problem' in decoded) throw new Error(`internal: the placement worker's plan does not fit its graph: ${decoded.problem}`);
  return decoded.plan;
}

/**
 * The transfer list that hands a job's bytes to the worker without a copy (structured clone kept a
 * second copy of the whole file in the host until the job ended). Only when the bytes span their
 * whole buffer (not a slice of a pooled or bigger buffer) and the worker has nothing else pending:
 * then no job is ahead of this one that could be abandoned and stuck, which would restart the
 * worker and re-send the waiting jobs from the host's copies (restartWorker).
 */
function bytesTransfer(source: ModelSource, workerIdle: boolean): ArrayBuffer[] {
  const bytes = source.bytes;
  if (!bytes || !workerIdle || !(bytes.buffer instanceof ArrayBuffer)) return [];
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer] : [];
}

/** Posts a job, moving the buffers in `transfer`; a buffer Node refuses to move (untransferable) is copied instead. */
function postJob(worker: Worker, job: WorkerJob, transfer: ArrayBuffer[]): void {
  if (transfer.length === 0) return worker.postMessage(job);
  try {
    worker.postMessage(job, transfer);
  } catch (e) {
    if ((e as Error).name !== 'DataCloneError') throw e;
    worker.postMessage(job);
  }
}

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
  /** Node index per graph, built on the first decode of a plan for it (planWire's decodePlan). */
  private readonly nodeIndexes = new WeakMap<OpGraph, NodeIndex>();
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
      result: running.result.then((r) => this.withGraph(r, (x, graph) => this.placed(x as Placed, graph))),
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

  private withGraph<T>(reply: Answer, pick: (r: typeof reply, graph: OpGraph) => T): T & { graph: OpGraph; key: string } {
    const graph = this.graphs.get(reply.key);
    if (!graph) throw new JobError({ message: 'internal: the placement worker answered without its graph', userError: false });
    return { ...pick(reply, graph), graph, key: reply.key };
  }

  private placed(reply: Placed, graph: OpGraph): Omit<PlaceResult, 'graph' | 'key'> {
    const { plan: wire, infeasiblePlan } = reply;
    return { wire, engineMs: reply.engineMs, plan: once(() => infeasiblePlan ?? decodedPlan(wire, graph, this.nodeIndexOf(graph))) };
  }

  private nodeIndexOf(graph: OpGraph): NodeIndex {
    let idx = this.nodeIndexes.get(graph);
    if (!idx) this.nodeIndexes.set(graph, (idx = nodeIndexOf(graph)));
    return idx;
  }

  /**
   * Whether a job for this model may leave its bytes out: the worker prepared it (its `prepared`
   * reply came) and no job for another model was sent since.
   */
  holds(input: ModelInput): boolean {
    return this.prepared(modelKey(input));
  }

  /** The worker has prepared `key` and nothing for another model was sent since (holds). */
  private prepared(key: string): boolean {
    return this.worker !== undefined && key === this.workerKey && this.graphs.has(key);
  }

  private submit(input: ModelInput, make: (jobId: number, source: ModelSource) => WorkerJob, onProgress?: ProgressListener): RunningJob<Answer> {
    if (this.disposed) return { result: Promise.reject(new JobError({ message: 'placement engine closed', userError: true }, true)), cancel: () => undefined };
    const key = modelKey(input);
    // The bytes travel only when the worker does not hold this model yet: also for the key sent
    // last if the worker has not prepared it (still on its way, or its loading failed — without the
    // bytes a re-place of a broken file said "lost the model" instead of what is wrong with it).
    const held = this.prepared(key);
    if (!input.bytes && !held) return { result: Promise.reject(new JobError({ message: BYTES_NEEDED, userError: false })), cancel: () => undefined };
    const worker = this.ensureWorker();
    const source: ModelSource = { key, fileName: input.fileName, load: input.load, ...(held ? {} : { bytes: input.bytes }) };
    this.workerKey = key;
    const jobId = this.nextJobId++;
    const job = make(jobId, source);
    const transfer = bytesTransfer(source, this.pending.size === 0);
    // Transferred bytes are never needed again (see bytesTransfer); kept ones may be re-sent.
    const kept = transfer.length ? undefined : input.bytes;
    let entry!: Pending;
    const result = new Promise<Answer>((resolve, reject) => {
      entry = { job: { ...job, source: { ...source, bytes: kept } }, resolve, reject, onProgress, abandoned: false };
    });
    this.pending.set(jobId, entry);
    postJob(worker, job, transfer);
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
    let sent = 0;
    for (const p of wanted) {
      // A fresh worker holds nothing: the first job of a key carries its bytes again, moved for the
      // first job (nothing runs ahead of it, as in submit) and copied for the others. A job that came
      // without bytes (the view did not read an unchanged file) goes back to its view to read it.
      if (p.job.source.key !== held && !p.job.source.bytes) {
        this.pending.delete(p.job.jobId);
        p.reject(new JobError({ message: BYTES_NEEDED, userError: false }));
        continue;
      }
      const source = p.job.source.key === held ? { ...p.job.source, bytes: undefined } : p.job.source;
      held = p.job.source.key;
      const transfer = bytesTransfer(source, sent++ === 0);
      if (transfer.length) p.job = { ...p.job, source: { ...p.job.source, bytes: undefined } };
      postJob(worker, { ...p.job, source }, transfer);
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
