// The engine a placement worker holds for its view: one prepared model at a time (parse, cost,
// index, problems, m-SCT LP solutions — see PreparedGraph), answering place, compare and pipeline jobs on
// it. A job whose source key is the one held reuses everything; another key prepares anew.
// No worker_threads here: test/extension/engineClient.test.ts runs it in a worker bundled as the
// extension ships it, through the host's EngineClient.
import { compareAlgorithms, compareSplits } from '../algorithms/compare';
import { pipelineOptionsFrom } from '../webview/pipelineModel';
import { OpplaceError } from '../algorithms/errors';
import { checkPlaceable, type OpGraph } from '../algorithms/graph';
import { placePrepared, prepareForPlacement, PreparedGraph } from '../algorithms/placement/index';
import { prepareGraph } from '../algorithms/prepare';
import { planPipeline } from '../algorithms/pipeline/index';
import { encodePlan } from '../webview/planWire';
import { baseName } from './userMessages';
import type { Plan } from '../algorithms/plan';
import type { WirePlan } from '../webview/protocol';
import type { WorkerJob, WorkerReply } from './workerProtocol';
import { toFailure } from './workerProtocol';

export interface EngineState {
  key?: string;
  graph?: OpGraph;
  prepared?: PreparedGraph;
  /** Models prepared since the worker started (the observable of reuse). */
  prepares: number;
}

export function newEngineState(): EngineState {
  return { prepares: 0 };
}

async function ensurePrepared(state: EngineState, job: WorkerJob, post: (r: WorkerReply) => void): Promise<PreparedGraph> {
  const { source } = job;
  if (state.key === source.key && state.prepared) return state.prepared;
  if (!source.bytes) throw new OpplaceError('internal: the placement worker lost the model; re-place to load it again', { file: source.fileName });
  post({ kind: 'progress', jobId: job.jobId, message: `loading ${baseName(source.fileName)}` });
  // Forget the old model first: a failed load must not leave a stale one answering.
  state.key = state.graph = state.prepared = undefined;
  const graph = prepareGraph(source.bytes, source.fileName, source.load);
  const prepared = prepareForPlacement(graph);
  Object.assign(state, { key: source.key, graph, prepared, prepares: state.prepares + 1 });
  post({ kind: 'prepared', jobId: job.jobId, key: source.key, graph, prepares: state.prepares });
  return prepared;
}

/**
 * The plan in planWire's columns, over the graph the host and the webview hold (the `prepared`
 * reply's). The prepared graph's index maps node ids to graph.nodes positions already, so it is the
 * NodeIndex, built once per prepared model. Encoding here costs ~0.2 ms for BERT-L12's 2,012 ops;
 * the host no longer clones the 283 KB Plan (~1.4 ms per re-place) to encode it itself.
 */
function wirePlanOf(plan: Plan, prepared: PreparedGraph): WirePlan {
  return encodePlan(plan, prepared.graph, prepared.index.indexOf);
}

/** Runs one job on the held model; every outcome is a reply. */
export async function runEngineJob(state: EngineState, job: WorkerJob, post: (r: WorkerReply) => void): Promise<void> {
  try {
    const prepared = await ensurePrepared(state, job, post);
    const { jobId } = job;
    const key = job.source.key;
    const file = job.source.fileName;
    // The CLI's rule: a file with nothing to place is an error, not an empty plan.
    if (job.kind !== 'pipeline') checkPlaceable(prepared.graph);
    if (job.kind === 'place') {
      post({ kind: 'progress', jobId, message: `placing ${prepared.graph.nodes.length} ops with ${job.options.algorithm} on ${job.options.devices} devices` });
      const started = performance.now();
      const plan = await placePrepared(prepared, job.options, file);
      const infeasible = plan.feasible ? {} : { infeasiblePlan: plan };
      post({ kind: 'placed', jobId, key, plan: wirePlanOf(plan, prepared), ...infeasible, engineMs: performance.now() - started });
      return;
    }
    if (job.kind === 'pipeline') {
      post({
        kind: 'progress',
        jobId,
        message: `planning a ${job.options.split} pipeline of ${prepared.graph.nodes.length} ops on ${job.options.devices} devices`,
      });
      post({ kind: 'pipelined', jobId, key, pipeline: await planPipeline(prepared.graph, job.options, file) });
      return;
    }
    const { comparison } = await compareAlgorithms(prepared, job.options, {
      file,
      algorithms: job.algorithms,
      onProgress: (algorithm, i, count) => post({ kind: 'progress', jobId, message: `${algorithm} (${i + 1}/${count})`, fraction: i / count }),
    });
    // The throughput section, as `opplace compare` adds it: every split on the same devices and link.
    if (job.pipeline && comparison.options.topology === undefined) {
      post({ kind: 'progress', jobId, message: 'pipeline splits', fraction: 1 });
      const { split: _split, ...base } = pipelineOptionsFrom(comparison.options, { ...job.pipeline, split: 'sequential' });
      comparison.throughput = await compareSplits(prepared.graph, base, { file });
    }
    post({ kind: 'compared', jobId, key, comparison });
  } catch (e) {
    post({ kind: 'failed', jobId: job.jobId, error: toFailure(e) });
  }
}

/**
 * The worker's loop: jobs one at a time, in order; when a job ends and several wait, only the
 * newest runs and the others are `dropped` (a newer request supersedes them).
 */
export function engineLoop(post: (r: WorkerReply) => void): (job: WorkerJob) => void {
  const state = newEngineState();
  let waiting: WorkerJob[] = [];
  let running = false;
  const next = async (): Promise<void> => {
    while (waiting.length > 0) {
      const job = waiting[waiting.length - 1];
      for (const old of waiting.slice(0, -1)) post({ kind: 'dropped', jobId: old.jobId });
      // A dropped job may have carried the bytes of the key the newest one names.
      const bytes = waiting.find((j) => j.source.key === job.source.key && j.source.bytes)?.source.bytes;
      waiting = [];
      await runEngineJob(state, bytes && !job.source.bytes ? { ...job, source: { ...job.source, bytes } } : job, post);
    }
    running = false;
  };
  return (job) => {
    waiting.push(job);
    // Let messages that arrived together queue up before choosing the newest.
    if (running) return;
    running = true;
    setImmediate(() => void next());
  };
}
