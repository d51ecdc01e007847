// The pipeline schedule (issue 14): M microbatches of one training (or inference) step flow
// through the stages of an assignment, and each device orders its ready work by the schedule's
// rule. Simulated at op granularity: every (op, microbatch) is a task on its stage's device, so the
// schedule is exact also when an `any` split makes the stage graph cyclic (a stage feeds a later
// one and is fed back by it within one microbatch) — a stage-level recurrence cannot express that.
//
// Model:
//   - a task runs for its op's computeUs, non-preemptively, one at a time per device; a device
//     never idles while it has an allowed ready task (list scheduling);
//   - a tensor that crosses devices arrives `transferUs(edge, from, to)` after its producer ends;
//     transfers occupy no device (copy engines overlap them with compute) and do not contend, so
//     with heavy communication stepUs / M can be below the max-load time per sample, which
//     charges communication to the devices (the paper's conservative rule);
//   - backward = the op's own flag (isBackwardOp) or any producer backward, so the forward set is
//     closed under producers and GPipe's "forwards first" can always finish its forwards;
//   - GPipe: forwards before backwards, oldest microbatch first; stage s runs no backward until
//     all M forwards of its ops are done;
//   - 1F1B (PipeDream-flush): backwards before forwards, oldest first; stage s admits microbatches
//     in order and holds at most S − s in flight (a microbatch is in flight on a stage from its
//     first forward there — its first task on a stage without forward ops — to its last task, and
//     runs no backward op there before it is in flight), which gives the warm-up of S − s forwards and then the
//     one-forward-one-backward alternation; inference graphs (no backward op) stash nothing, so
//     1F1B there is GPipe;
//   - memory of stage s at any time = its persistent bytes + activationBytesPerMicrobatch[s] × the
//     microbatches in flight on it; the peak is taken over the step.
// Ties are broken by (microbatch, topological rank): deterministic. 2,000 ops × 16 microbatches:
// see bench/README.md (pipeline schedule).
import { OpplaceError } from '../errors';
import { GraphIndex, indexGraph, OpGraph } from '../graph';
import { MinHeap } from '../minHeap';
import { isBackwardOp } from '../training';
import { formatBytes } from '../units';
import { edgeTransferUs, parseComm } from './comm';
import type { PipelinePlan, PipelineRun, PipelineScheduleName, PipelineStage, PipelineTask } from './types';

/** Transfer time (µs) of edge `edge`'s tensor from device `from` to device `to` (from ≠ to). */
export type EdgeTransferUs = (edge: number, from: number, to: number) => number;

export interface PipelineScheduleInput {
  graph: OpGraph;
  /** indexGraph(graph), when the caller has it already. */
  index?: GraphIndex;
  /** Node index (into graph.nodes) → stage, 0 … stages − 1 in pipeline order. */
  stageOf: ArrayLike<number>;
  stages: number;
  /** Stage → device for transfer times (default: stage s runs on device s). */
  stageDevices?: ArrayLike<number>;
  microbatches: number;
  schedule: PipelineScheduleName;
  /** Default: transfers are free. */
  transferUs?: EdgeTransferUs;
  /** Per stage, held for the whole step (default: Σ persistentBytes of the stage's ops). */
  persistentBytes?: ArrayLike<number>;
  /** Per stage, held by each microbatch in flight (default: 0). */
  activationBytesPerMicrobatch?: ArrayLike<number>;
}

export interface SimulatedPipeline {
  stages: number;
  microbatches: number;
  schedule: PipelineScheduleName;
  /** One span per (stage, microbatch, kind) with at least one op: first start to last end. */
  tasks: PipelineTask[];
  stepUs: number;
  /** 1 − Σ busyUs / (stages × stepUs); 0 for an empty step. */
  bubble: number;
  busyUs: number[];
  peakBytes: number[];
  /** Most microbatches in flight at once per stage (what peakBytes is made of). */
  peakInFlight: number[];
  /** Whether the graph has backward ops (a training step). */
  training: boolean;
  /** Start of op i (graph.nodes index) for microbatch m at [i × microbatches + m]. */
  opStartUs: Float64Array;
}

/** Per node: 1 when it belongs to the backward pass (own flag, or fed by a backward op). */
export function backwardClosure(graph: OpGraph, index: GraphIndex): Uint8Array {
  const backward = new Uint8Array(graph.nodes.length);
  for (const v of index.topo) {
    if (isBackwardOp(graph.nodes[v])) backward[v] = 1;
    else
      for (const u of index.pred[v])
        if (backward[u]) {
          backward[v] = 1;
          break;
        }
  }
  return backward;
}

/** Pending events by (time, item), in typed arrays: no allocation per push or pop. */
class EventQueue {
  private readonly time: Float64Array;
  private readonly item: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.time = new Float64Array(capacity);
    this.item = new Int32Array(capacity);
  }

  topTime(): number {
    return this.time[0];
  }

  topItem(): number {
    return this.item[0];
  }

  push(t: number, x: number): void {
    const { time, item } = this;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (time[p] < t || (time[p] === t && item[p] <= x)) break;
      time[i] = time[p];
      item[i] = item[p];
      i = p;
    }
    time[i] = t;
    item[i] = x;
  }

  pop(): void {
    const { time, item } = this;
    const n = --this.size;
    const t = time[n];
    const x = item[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (time[r] < time[l] || (time[r] === time[l] && item[r] < item[l])) ? r : l;
      if (time[c] > t || (time[c] === t && item[c] >= x)) break;
      time[i] = time[c];
      item[i] = item[c];
      i = c;
    }
    time[i] = t;
    item[i] = x;
  }
}

/**
 * Most (op, microbatch) tasks one simulation takes: ~32 bytes each in typed arrays, so 2^23 tasks
 * (2,048 ops × 4,096 microbatches) need ~270 MB; beyond that a clear error instead of a failed
 * allocation.
 */
export const MAX_PIPELINE_TASKS = 2 ** 23;

function checkInput(input: PipelineScheduleInput, n: number): void {
  const file = input.graph.source?.file ?? input.graph.name;
  const { stages, microbatches } = input;
  if (!Number.isInteger(stages) || stages < 1) throw new OpplaceError(`pipeline: stages must be an integer ≥ 1, got ${stages}`, { file });
  if (!Number.isInteger(microbatches) || microbatches < 1)
    throw new OpplaceError(`pipeline: microbatches must be an integer ≥ 1, got ${microbatches}`, { file });
  if (n * microbatches > MAX_PIPELINE_TASKS) {
    throw new OpplaceError(
      `pipeline: ${n} ops × ${microbatches} microbatches = ${n * microbatches} tasks to simulate, more than ${MAX_PIPELINE_TASKS}; use at most ${Math.max(1, Math.floor(MAX_PIPELINE_TASKS / n))} microbatches`,
      { file },
    );
  }
  if (input.schedule !== 'gpipe' && input.schedule !== '1f1b')
    throw new OpplaceError(`pipeline: unknown schedule "${String(input.schedule)}" (expected gpipe or 1f1b)`, { file });
  if (input.stageOf.length !== n) throw new OpplaceError(`pipeline: ${input.stageOf.length} stage numbers for ${n} ops`, { file });
  for (let i = 0; i < n; i++) {
    const s = input.stageOf[i];
    if (!Number.isInteger(s) || s < 0 || s >= stages)
      throw new OpplaceError(`pipeline: stage ${s} is not one of 0 … ${stages - 1}`, { file, node: input.graph.nodes[i].id });
  }
}

/** Edge k's delay: the transfer time when its ends are on different stages, else 0. */
function edgeDelays(input: PipelineScheduleInput, index: GraphIndex): Float64Array {
  const { graph, stageOf, transferUs } = input;
  const delay = new Float64Array(graph.edges.length);
  if (!transferUs) return delay;
  const device = (s: number) => (input.stageDevices ? input.stageDevices[s] : s);
  graph.edges.forEach((e, k) => {
    const a = stageOf[index.indexOf.get(e.from)!];
    const b = stageOf[index.indexOf.get(e.to)!];
    if (a === b) return;
    const t = transferUs(k, device(a), device(b));
    if (!Number.isFinite(t) || t < 0) {
      throw new OpplaceError(`pipeline: transfer time of edge ${e.from} → ${e.to} must be a finite number ≥ 0, got ${t}`, {
        file: graph.source?.file ?? graph.name,
        node: e.from,
      });
    }
    delay[k] = t;
  });
  return delay;
}

/** Simulates one step of M microbatches through the stages; see the model at the top. */
export function simulatePipeline(input: PipelineScheduleInput): SimulatedPipeline {
  const { graph, stageOf, stages: S, microbatches: M } = input;
  const n = graph.nodes.length;
  checkInput(input, n);
  const index = input.index ?? indexGraph(graph);
  const backward = backwardClosure(graph, index);
  const training = backward.includes(1);
  const oneFOneB = input.schedule === '1f1b' && training;
  const delay = edgeDelays(input, index);
  const edgeTo = Int32Array.from(graph.edges, (e) => index.indexOf.get(e.to)!);
  const compute = Float64Array.from(graph.nodes, (v) => v.computeUs);

  // per stage
  const opsOn = new Int32Array(S);
  const forwardsOn = new Int32Array(S);
  for (let i = 0; i < n; i++) {
    opsOn[stageOf[i]]++;
    if (!backward[i]) forwardsOn[stageOf[i]]++;
  }
  const forwardsLeft = Int32Array.from(forwardsOn, (k) => k * M); // GPipe: forward tasks still to run
  const bound = Int32Array.from({ length: S }, (_, s) => (oneFOneB ? S - s : M));
  const forwardReady = Array.from({ length: S }, () => new MinHeap());
  const backwardReady = Array.from({ length: S }, () => new MinHeap());
  const running = new Int32Array(S).fill(-1);
  const inFlight = new Int32Array(S);
  const peakInFlight = new Int32Array(S);
  const nextAdmit = new Int32Array(S);
  const busy = new Float64Array(S);
  // per (stage, microbatch)
  const admitted = new Uint8Array(S * M);
  const opsLeft = new Int32Array(S * M);
  for (let s = 0; s < S; s++) opsLeft.fill(opsOn[s], s * M, (s + 1) * M);
  // per (stage, microbatch, kind): span start / end, kind 0 forward, 1 backward
  const spanStart = new Float64Array(S * M * 2).fill(Infinity);
  const spanEnd = new Float64Array(S * M * 2).fill(-Infinity);
  // per task t = i × M + m
  const waiting = new Int32Array(n * M);
  const readyAt = new Float64Array(n * M);
  const opStartUs = new Float64Array(n * M).fill(NaN);
  for (let i = 0; i < n; i++) waiting.fill(index.inEdges[i].length, i * M, (i + 1) * M);

  // ready key = m × n + topological rank: oldest microbatch first, then topological order
  const makeReady = (t: number) => {
    const i = (t / M) | 0;
    const key = (t - i * M) * n + index.topoRank[i];
    (backward[i] ? backwardReady : forwardReady)[stageOf[i]].push(key);
  };
  const opOfKey = (key: number) => index.topo[key % n];
  const mbOfKey = (key: number) => (key / n) | 0;
  // A microbatch enters a stage with its first forward there (with its first task on a stage of
  // backward ops only): a backward op that needs no forward one (a gradient source, a constant)
  // must not admit the microbatch early, which would hold a 1F1B slot for its whole forward pass.
  const allowed = (s: number, key: number, isBackward: boolean) => {
    const m = mbOfKey(key);
    if (admitted[s * M + m]) return true;
    if (isBackward && forwardsOn[s] > 0) return false;
    return m === nextAdmit[s] && inFlight[s] < bound[s];
  };

  const events = new EventQueue(n * M + S);
  const COMPLETION = 1; // event item = task × 2 + (1 completion | 0 arrival)
  let now = 0;
  let done = 0;
  let stepUs = 0;

  const start = (s: number, key: number) => {
    const i = opOfKey(key);
    const m = mbOfKey(key);
    const t = i * M + m;
    const sm = s * M + m;
    if (!admitted[sm]) {
      admitted[sm] = 1;
      nextAdmit[s] = Math.max(nextAdmit[s], m + 1);
      if (++inFlight[s] > peakInFlight[s]) peakInFlight[s] = inFlight[s];
    }
    const end = now + compute[i];
    opStartUs[t] = now;
    running[s] = t;
    busy[s] += compute[i];
    const span = sm * 2 + backward[i];
    if (now < spanStart[span]) spanStart[span] = now;
    if (end > spanEnd[span]) spanEnd[span] = end;
    events.push(end, t * 2 + COMPLETION);
  };

  const dispatch = (s: number) => {
    if (running[s] >= 0) return;
    const fwd = forwardReady[s];
    const bwd = backwardReady[s];
    if (oneFOneB) {
      if (bwd.size && allowed(s, bwd.peek(), true)) start(s, bwd.pop());
      else if (fwd.size && allowed(s, fwd.peek(), false)) start(s, fwd.pop());
    } else if (fwd.size) start(s, fwd.pop());
    else if (bwd.size && forwardsLeft[s] === 0) start(s, bwd.pop());
  };

  const complete = (t: number) => {
    const i = (t / M) | 0;
    const m = t - i * M;
    const s = stageOf[i];
    running[s] = -1;
    done++;
    if (now > stepUs) stepUs = now;
    if (!backward[i]) forwardsLeft[s]--;
    if (--opsLeft[s * M + m] === 0) inFlight[s]--;
    for (const k of index.outEdges[i]) {
      const u = edgeTo[k] * M + m;
      const at = now + delay[k];
      if (at > readyAt[u]) readyAt[u] = at;
      if (--waiting[u] === 0) {
        if (readyAt[u] <= now) makeReady(u);
        else events.push(readyAt[u], u * 2);
      }
    }
  };

  for (let i = 0; i < n; i++) if (index.inEdges[i].length === 0) for (let m = 0; m < M; m++) makeReady(i * M + m);
  for (let s = 0; s < S; s++) dispatch(s);
  while (events.size) {
    now = events.topTime();
    // everything that happens at `now` first, then each idle device picks: the choice sees all
    // work that became ready at this instant, whatever order the events were queued in
    while (events.size && events.topTime() <= now) {
      const x = events.topItem();
      events.pop();
      if (x & COMPLETION) complete(x >> 1);
      else makeReady(x >> 1);
    }
    for (let s = 0; s < S; s++) dispatch(s);
  }
  if (done !== n * M) {
    // cannot happen under the rules above (the oldest unfinished microbatch can always proceed)
    throw new Error(`pipeline schedule stalled after ${done} of ${n * M} tasks`);
  }
  return {
    stages: S,
    microbatches: M,
    schedule: input.schedule,
    tasks: collectSpans(spanStart, spanEnd, S, M),
    stepUs,
    bubble: bubbleOf(busy, S, stepUs),
    busyUs: Array.from(busy),
    peakBytes: peaks(input, peakInFlight),
    peakInFlight: Array.from(peakInFlight),
    training,
    opStartUs,
  };
}

function collectSpans(spanStart: Float64Array, spanEnd: Float64Array, S: number, M: number): PipelineTask[] {
  const tasks: PipelineTask[] = [];
  for (let s = 0; s < S; s++) {
    for (let m = 0; m < M; m++) {
      for (let kind = 0; kind < 2; kind++) {
        const k = (s * M + m) * 2 + kind;
        if (spanStart[k] === Infinity) continue;
        tasks.push({ stage: s, microbatch: m, kind: kind ? 'backward' : 'forward', startUs: spanStart[k], endUs: spanEnd[k] });
      }
    }
  }
  return tasks;
}

function bubbleOf(busy: Float64Array, S: number, stepUs: number): number {
  if (stepUs <= 0) return 0;
  let sum = 0;
  for (const b of busy) sum += b;
  return 1 - sum / (S * stepUs);
}

function peaks(input: PipelineScheduleInput, peakInFlight: Int32Array): number[] {
  const S = input.stages;
  let persistent = input.persistentBytes;
  if (!persistent) {
    const sum = new Float64Array(S);
    input.graph.nodes.forEach((v, i) => (sum[input.stageOf[i]] += v.persistentBytes));
    persistent = sum;
  }
  const activation = input.activationBytesPerMicrobatch;
  return Array.from({ length: S }, (_, s) => persistent[s] + (activation ? activation[s] : 0) * peakInFlight[s]);
}

/** The simulated step as runs (for the checker and for tests; not for hot paths). */
export function pipelineRuns(graph: OpGraph, stageOf: ArrayLike<number>, sim: SimulatedPipeline): PipelineRun[] {
  const M = sim.microbatches;
  const runs: PipelineRun[] = [];
  graph.nodes.forEach((v, i) => {
    for (let m = 0; m < M; m++) {
      const startUs = sim.opStartUs[i * M + m];
      runs.push({ node: v.id, microbatch: m, stage: stageOf[i], startUs, endUs: startUs + v.computeUs });
    }
  });
  return runs;
}

/** What the simulation of a plan reads: its stages (order, device, memory split) and options. */
export type PlanToSimulate = Pick<PipelinePlan, 'stages' | 'assignment' | 'microbatches' | 'schedule' | 'options'>;

/**
 * Simulates a plan's step: stage of each op from its device, transfer times from the plan's comm
 * spec (comm.ts), persistent bytes = planned memory − stashed activations (weights and the largest
 * workspace), activations per microbatch as planned.
 */
export function simulatePlan(graph: OpGraph, plan: PlanToSimulate, index: GraphIndex = indexGraph(graph)): { sim: SimulatedPipeline; stageOf: Int32Array } {
  const file = graph.source?.file ?? graph.name;
  const stageOfDevice = new Map(plan.stages.map((st) => [st.device, st.index]));
  const stageOf = Int32Array.from(graph.nodes, (v) => {
    const s = stageOfDevice.get(plan.assignment[v.id]);
    if (s === undefined)
      throw new OpplaceError(`pipeline plan: the op is on device ${plan.assignment[v.id]}, which is no stage of the plan`, { file, node: v.id });
    return s;
  });
  const link = parseComm(plan.options.comm, graph, file);
  const stageDevices = Int32Array.from(plan.stages, (st) => st.device);
  const sim = simulatePipeline({
    graph,
    index,
    stageOf,
    stages: plan.stages.length,
    stageDevices,
    microbatches: plan.microbatches,
    schedule: plan.schedule,
    transferUs: (k, a, b) => edgeTransferUs(link, graph.edges[k], a, b),
    persistentBytes: plan.stages.map((st) => st.memoryBytes - st.stashedBytes),
    activationBytesPerMicrobatch: plan.stages.map((st) => st.activationBytesPerMicrobatch),
  });
  return { sim, stageOf };
}

/**
 * Why a plan's stages do not fit, naming the first stage whose planned memory or simulated peak is
 * above its limit (with what the memory is made of); undefined when all fit. The planners keep the
 * planned memory (which counts S − s or M microbatches in flight) within the limits, and the
 * simulated peak never holds more microbatches than that, so this is the simulator's safety net.
 */
export function stageMemoryReason(stages: PipelineStage[], schedule: PipelineScheduleName, peakInFlight: ArrayLike<number>): string | undefined {
  const over = stages.find((st) => st.peakBytes > st.memoryLimitBytes || st.memoryBytes > st.memoryLimitBytes);
  if (!over) return undefined;
  const simulated = over.peakBytes > over.memoryBytes;
  const bytes = simulated ? over.peakBytes : over.memoryBytes;
  const k = simulated
    ? peakInFlight[over.index]
    : Math.round(over.activationBytesPerMicrobatch > 0 ? over.stashedBytes / over.activationBytesPerMicrobatch : 0);
  return (
    `stage ${over.index} (device ${over.device}) ${simulated ? 'peaks at' : 'holds'} ${formatBytes(bytes)} in the ${schedule} step ` +
    `(${formatBytes(over.memoryBytes - over.stashedBytes)} held + ${formatBytes(over.activationBytesPerMicrobatch)} of activations × ${k} microbatch${k === 1 ? '' : 'es'} in flight), ` +
    `above its limit of ${formatBytes(over.memoryLimitBytes)}`
  );
}

/** The runs of a plan's step, for the checker (tests re-simulate the plan they check). */
export function planRuns(graph: OpGraph, plan: PlanToSimulate): PipelineRun[] {
  if (plan.stages.length === 0) return [];
  const { sim, stageOf } = simulatePlan(graph, plan);
  return pipelineRuns(graph, stageOf, sim);
}
