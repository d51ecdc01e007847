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
import { KeyedHeap } from '../placement/heap';
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

/**
 * One simulation's state: the input's fixed tables, then what the events change — per stage, per
 * (stage, microbatch), per (op, microbatch) task t = i × M + m — and the clock. Typed arrays
 * throughout: no allocation per event.
 */
interface Simulation {
  readonly n: number;
  readonly M: number;
  readonly S: number;
  readonly index: GraphIndex;
  readonly stageOf: ArrayLike<number>;
  /** Per op: 1 in the backward pass (backwardClosure). */
  readonly backward: Uint8Array;
  /** 1F1B on a training graph (on an inference graph 1F1B is GPipe). */
  readonly oneFOneB: boolean;
  /** Per edge: the transfer time when it crosses stages, else 0. */
  readonly delay: Float64Array;
  /** Per edge: its consumer's node index. */
  readonly edgeTo: Int32Array;
  readonly compute: Float64Array;
  // per stage
  readonly forwardsOn: Int32Array;
  /** GPipe: forward tasks still to run. */
  readonly forwardsLeft: Int32Array;
  /** Most microbatches in flight: S − s under 1F1B, else M (no bound). */
  readonly bound: Int32Array;
  /** Ready tasks by key = m × n + topological rank: oldest microbatch first, then topological order. */
  readonly forwardReady: MinHeap[];
  readonly backwardReady: MinHeap[];
  /** Task running on the stage, −1 when idle. */
  readonly running: Int32Array;
  readonly inFlight: Int32Array;
  readonly peakInFlight: Int32Array;
  /** The next microbatch 1F1B admits on the stage. */
  readonly nextAdmit: Int32Array;
  readonly busy: Float64Array;
  // per (stage, microbatch)
  readonly admitted: Uint8Array;
  readonly opsLeft: Int32Array;
  /** Per (stage, microbatch, kind 0 forward / 1 backward): span start and end. */
  readonly spanStart: Float64Array;
  readonly spanEnd: Float64Array;
  // per task
  /** Inputs not yet produced. */
  readonly waiting: Int32Array;
  /** When the last input arrives. */
  readonly readyAt: Float64Array;
  readonly opStartUs: Float64Array;
  /** Completions (item = task × 2 + 1) and arrivals (task × 2), by (time, item): the placers' heap. */
  readonly events: KeyedHeap;
  now: number;
  done: number;
  stepUs: number;
}

const COMPLETION = 1; // event item = task × 2 + (1 completion | 0 arrival)

/** Simulates one step of M microbatches through the stages; see the model at the top. */
export function simulatePipeline(input: PipelineScheduleInput): SimulatedPipeline {
  const n = input.graph.nodes.length;
  checkInput(input, n);
  const sim = newSimulation(input, n);
  for (let i = 0; i < n; i++) if (sim.index.inEdges[i].length === 0) for (let m = 0; m < sim.M; m++) makeReady(sim, i * sim.M + m);
  for (let s = 0; s < sim.S; s++) dispatch(sim, s);
  while (sim.events.size) advance(sim);
  if (sim.done !== n * sim.M) {
    // cannot happen under the rules above (the oldest unfinished microbatch can always proceed)
    throw new Error(`pipeline schedule stalled after ${sim.done} of ${n * sim.M} tasks`);
  }
  return resultOf(input, sim);
}

function newSimulation(input: PipelineScheduleInput, n: number): Simulation {
  const { graph, stageOf, stages: S, microbatches: M } = input;
  const index = input.index ?? indexGraph(graph);
  const backward = backwardClosure(graph, index);
  const oneFOneB = input.schedule === '1f1b' && backward.includes(1);
  const { opsOn, forwardsOn } = opsPerStage(stageOf, backward, S, n);
  const opsLeft = new Int32Array(S * M);
  for (let s = 0; s < S; s++) opsLeft.fill(opsOn[s], s * M, (s + 1) * M);
  const waiting = new Int32Array(n * M);
  for (let i = 0; i < n; i++) waiting.fill(index.inEdges[i].length, i * M, (i + 1) * M);
  return {
    n,
    M,
    S,
    index,
    stageOf,
    backward,
    oneFOneB,
    delay: edgeDelays(input, index),
    edgeTo: Int32Array.from(graph.edges, (e) => index.indexOf.get(e.to)!),
    compute: Float64Array.from(graph.nodes, (v) => v.computeUs),
    forwardsOn,
    forwardsLeft: Int32Array.from(forwardsOn, (k) => k * M),
    bound: Int32Array.from({ length: S }, (_, s) => (oneFOneB ? S - s : M)),
    forwardReady: Array.from({ length: S }, () => new MinHeap()),
    backwardReady: Array.from({ length: S }, () => new MinHeap()),
    running: new Int32Array(S).fill(-1),
    inFlight: new Int32Array(S),
    peakInFlight: new Int32Array(S),
    nextAdmit: new Int32Array(S),
    busy: new Float64Array(S),
    admitted: new Uint8Array(S * M),
    opsLeft,
    spanStart: new Float64Array(S * M * 2).fill(Infinity),
    spanEnd: new Float64Array(S * M * 2).fill(-Infinity),
    waiting,
    readyAt: new Float64Array(n * M),
    opStartUs: new Float64Array(n * M).fill(NaN),
    events: new KeyedHeap(n * M + S),
    now: 0,
    done: 0,
    stepUs: 0,
  };
}

/** Ops, and forward ops, per stage. */
function opsPerStage(stageOf: ArrayLike<number>, backward: Uint8Array, S: number, n: number): { opsOn: Int32Array; forwardsOn: Int32Array } {
  const opsOn = new Int32Array(S);
  const forwardsOn = new Int32Array(S);
  for (let i = 0; i < n; i++) {
    opsOn[stageOf[i]]++;
    if (!backward[i]) forwardsOn[stageOf[i]]++;
  }
  return { opsOn, forwardsOn };
}

/**
 * Everything that happens at the next event time first, then each idle device picks: the choice
 * sees all work that became ready at this instant, whatever order the events were queued in.
 */
function advance(sim: Simulation): void {
  const { events } = sim;
  sim.now = events.peekKey();
  while (events.size && events.peekKey() <= sim.now) {
    const x = events.pop();
    if (x & COMPLETION) complete(sim, x >> 1);
    else makeReady(sim, x >> 1);
  }
  for (let s = 0; s < sim.S; s++) dispatch(sim, s);
}

/** Events at one time run in item order (the tie), so the same input gives the same schedule. */
function queueEvent(sim: Simulation, time: number, item: number): void {
  sim.events.push(item, time, item);
}

/** Task t joins its stage's forward or backward ready set. */
function makeReady(sim: Simulation, t: number): void {
  const { M, n } = sim;
  const i = (t / M) | 0;
  const key = (t - i * M) * n + sim.index.topoRank[i];
  (sim.backward[i] ? sim.backwardReady : sim.forwardReady)[sim.stageOf[i]].push(key);
}

/** An idle stage starts the task its schedule picks, if any may run. */
function dispatch(sim: Simulation, s: number): void {
  if (sim.running[s] >= 0) return;
  const fwd = sim.forwardReady[s];
  const bwd = sim.backwardReady[s];
  if (sim.oneFOneB) {
    if (bwd.size && allowed(sim, s, bwd.peek(), true)) start(sim, s, bwd.pop());
    else if (fwd.size && allowed(sim, s, fwd.peek(), false)) start(sim, s, fwd.pop());
  } else if (fwd.size) start(sim, s, fwd.pop());
  else if (bwd.size && sim.forwardsLeft[s] === 0) start(sim, s, bwd.pop());
}

/**
 * 1F1B's admission: a microbatch enters a stage with its first forward there (with its first task
 * on a stage of backward ops only): a backward op that needs no forward one (a gradient source, a
 * constant) must not admit the microbatch early, which would hold a 1F1B slot for its whole
 * forward pass.
 */
function allowed(sim: Simulation, s: number, key: number, isBackward: boolean): boolean {
  const m = (key / sim.n) | 0;
  if (sim.admitted[s * sim.M + m]) return true;
  if (isBackward && sim.forwardsOn[s] > 0) return false;
  return m === sim.nextAdmit[s] && sim.inFlight[s] < sim.bound[s];
}

/** Stage s starts the task of ready key `key` now (admitting its microbatch on first contact). */
function start(sim: Simulation, s: number, key: number): void {
  const { M, now } = sim;
  const i = sim.index.topo[key % sim.n];
  const m = (key / sim.n) | 0;
  const t = i * M + m;
  const sm = s * M + m;
  if (!sim.admitted[sm]) {
    sim.admitted[sm] = 1;
    sim.nextAdmit[s] = Math.max(sim.nextAdmit[s], m + 1);
    if (++sim.inFlight[s] > sim.peakInFlight[s]) sim.peakInFlight[s] = sim.inFlight[s];
  }
  const end = now + sim.compute[i];
  sim.opStartUs[t] = now;
  sim.running[s] = t;
  sim.busy[s] += sim.compute[i];
  const span = sm * 2 + sim.backward[i];
  if (now < sim.spanStart[span]) sim.spanStart[span] = now;
  if (end > sim.spanEnd[span]) sim.spanEnd[span] = end;
  queueEvent(sim, end, t * 2 + COMPLETION);
}

/** Task t ends now: its stage is free, and each consumer's input arrives after the edge's delay. */
function complete(sim: Simulation, t: number): void {
  const { M, now } = sim;
  const i = (t / M) | 0;
  const m = t - i * M;
  const s = sim.stageOf[i];
  sim.running[s] = -1;
  sim.done++;
  if (now > sim.stepUs) sim.stepUs = now;
  if (!sim.backward[i]) sim.forwardsLeft[s]--;
  if (--sim.opsLeft[s * M + m] === 0) sim.inFlight[s]--;
  for (const k of sim.index.outEdges[i]) {
    const u = sim.edgeTo[k] * M + m;
    const at = now + sim.delay[k];
    if (at > sim.readyAt[u]) sim.readyAt[u] = at;
    if (--sim.waiting[u] === 0) {
      if (sim.readyAt[u] <= now) makeReady(sim, u);
      else queueEvent(sim, sim.readyAt[u], u * 2);
    }
  }
}

function resultOf(input: PipelineScheduleInput, sim: Simulation): SimulatedPipeline {
  const { S, M } = sim;
  return {
    stages: S,
    microbatches: M,
    schedule: input.schedule,
    tasks: collectSpans(sim.spanStart, sim.spanEnd, S, M),
    stepUs: sim.stepUs,
    bubble: bubbleOf(sim.busy, S, sim.stepUs),
    busyUs: Array.from(sim.busy),
    peakBytes: peaks(input, sim.peakInFlight),
    peakInFlight: Array.from(sim.peakInFlight),
    training: sim.backward.includes(1),
    opStartUs: sim.opStartUs,
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
