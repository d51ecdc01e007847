// An independent checker of a simulated pipeline step (tests run it on every schedule and plan).
// Written apart from schedule.ts and sharing none of its core: it works on node ids, maps and
// sorted lists, re-derives every rule from the graph and the runs alone, and returns the problems
// found (empty when the schedule is valid):
//   - every (op, microbatch) exactly once, on its op's stage, for exactly the op's compute time;
//   - precedence within a microbatch: a consumer starts after its producer ends, plus the
//     transfer time when they are on different stages' devices;
//   - no two runs overlap on a stage;
//   - the schedule's rule (training graphs): GPipe — no backward run on a stage before all its
//     forward runs have ended; 1F1B — microbatches enter a stage in order, at most S − s are in
//     flight on stage s (from the microbatch's first forward run there, or first run on a stage
//     without forward ops, to its last run there), and no backward run precedes that entry;
//   - the reported spans, busy times, step time (= last end) and bubble are the runs' own;
//   - memory: the reported peak = persistent + activations × microbatches in flight at most, and
//     never above the stage's limit.
import type { OpGraph } from '../graph';
import { isBackwardOp } from '../training';
import { edgeTransferUs, parseComm } from './comm';
import type { PipelinePlan, PipelineRun, PipelineScheduleName, PipelineTask } from './types';

export interface PipelineCheckSetup {
  stages: number;
  microbatches: number;
  schedule: PipelineScheduleName;
  /** node id → stage. */
  stageOf: Record<string, number>;
  /** Stage → device (default identity), for transferUs. */
  stageDevices?: number[];
  /** Transfer time of edge k (index into graph.edges) between two devices; default free. */
  transferUs?: (edge: number, from: number, to: number) => number;
  /** Per stage; default Σ persistentBytes of its ops. */
  persistentBytes?: number[];
  /** Per stage; default 0. */
  activationBytesPerMicrobatch?: number[];
  /** Per stage; checked when given. */
  memoryLimits?: number[];
}

export interface PipelineScheduleClaim {
  runs: PipelineRun[];
  tasks: PipelineTask[];
  stepUs: number;
  bubble: number;
  busyUs: number[];
  peakBytes: number[];
}

const tol = (t: number) => 1e-6 * Math.max(1, Math.abs(t));
const near = (a: number, b: number) => Math.abs(a - b) <= tol(Math.max(Math.abs(a), Math.abs(b)));

interface Interval {
  start: number;
  end: number;
}

/** Backward pass membership by id: flagged, or fed (transitively) by a flagged op. */
function backwardIds(graph: OpGraph): Set<string> {
  const consumers = new Map<string, string[]>();
  for (const e of graph.edges) {
    if (!consumers.has(e.from)) consumers.set(e.from, []);
    consumers.get(e.from)!.push(e.to);
  }
  const result = new Set<string>();
  const stack = graph.nodes.filter(isBackwardOp).map((v) => v.id);
  for (const id of stack) result.add(id);
  while (stack.length) {
    for (const c of consumers.get(stack.pop()!) ?? []) {
      if (!result.has(c)) {
        result.add(c);
        stack.push(c);
      }
    }
  }
  return result;
}

/** Most intervals open at once: [lo, hi] brackets, lo ignoring zero-length ones, hi counting
 * each zero-length one as open at its instant together with everything else. */
function concurrency(list: Interval[]): { lo: number; hi: number } {
  const positive = list.filter((x) => x.end > x.start);
  const points = [...new Set(list.map((x) => x.start))].sort((a, b) => a - b);
  let lo = list.length ? 1 : 0;
  let hi = lo;
  for (const t of points) {
    const open = positive.filter((x) => x.start <= t && t < x.end).length;
    const instants = list.filter((x) => x.start === t && x.end === t).length;
    lo = Math.max(lo, open);
    hi = Math.max(hi, open + instants);
  }
  return { lo, hi };
}

/** What one check carries: its inputs, the runs by (op, microbatch), and the problems found so far. */
interface Check {
  graph: OpGraph;
  setup: PipelineCheckSetup;
  claim: PipelineScheduleClaim;
  S: number;
  M: number;
  /** node id → index into graph.nodes. */
  position: Map<string, number>;
  /** Run of (node, microbatch) at position × M + microbatch. */
  runOf: (PipelineRun | undefined)[];
  problems: string[];
}

/** Forward and backward passes by id, and the stages that run forward ops (1F1B's entry rule). */
interface Passes {
  backward: Set<string>;
  hasForward: Set<number>;
}

export function checkPipelineSchedule(graph: OpGraph, setup: PipelineCheckSetup, claim: PipelineScheduleClaim): string[] {
  const check: Check = {
    graph,
    setup,
    claim,
    S: setup.stages,
    M: setup.microbatches,
    position: new Map(graph.nodes.map((v, i) => [v.id, i])),
    runOf: new Array<PipelineRun | undefined>(graph.nodes.length * setup.microbatches),
    problems: [],
  };
  checkRuns(check);
  if (check.problems.length) return check.problems;
  checkPrecedence(check);
  const byStage = runsByStage(check);
  checkOverlaps(check, byStage);
  const passes = passesOf(check);
  const { spans, flight } = spansAndFlight(check, passes);
  if (passes.backward.size > 0) checkScheduleRule(check, byStage, passes, flight);
  checkSpans(check, spans);
  checkTotals(check, byStage);
  checkMemory(check, flight);
  return check.problems;
}

/** At most 50 problems: a broken schedule breaks every rule many times over. */
function report(check: Check, msg: string): void {
  if (check.problems.length < 50) check.problems.push(msg);
}

/** The run of (op id, microbatch); checkRuns has made sure there is one for every pair. */
function runAt(check: Check, id: string, m: number): PipelineRun | undefined {
  return check.runOf[check.position.get(id)! * check.M + m];
}

/** 1. Every (op, microbatch) once, on its stage, for its compute time (indexing the runs). */
function checkRuns(check: Check): void {
  const { graph, setup, claim, M, runOf } = check;
  for (const r of claim.runs) {
    const i = check.position.get(r.node);
    const what = `"${r.node}" microbatch ${r.microbatch}`;
    if (i === undefined) {
      report(check, `run of unknown node "${r.node}"`);
      continue;
    }
    const node = graph.nodes[i];
    if (!Number.isInteger(r.microbatch) || r.microbatch < 0 || r.microbatch >= M) {
      report(check, `${what}: no such microbatch`);
      continue;
    }
    if (runOf[i * M + r.microbatch]) {
      report(check, `${what} runs twice`);
      continue;
    }
    runOf[i * M + r.microbatch] = r;
    if (r.stage !== setup.stageOf[r.node]) report(check, `${what} runs on stage ${r.stage}, assigned to ${setup.stageOf[r.node]}`);
    if (!(r.startUs >= -tol(0))) report(check, `${what} starts at ${r.startUs}`);
    if (!near(r.endUs - r.startUs, node.computeUs)) report(check, `${what} runs ${r.endUs - r.startUs} µs, expected ${node.computeUs}`);
  }
  for (const v of graph.nodes) for (let m = 0; m < M; m++) if (!runAt(check, v.id, m)) report(check, `"${v.id}" microbatch ${m} never runs`);
}

/** 2. Precedence, with the transfer time across devices. */
function checkPrecedence(check: Check): void {
  const { setup, M } = check;
  const device = (s: number) => setup.stageDevices?.[s] ?? s;
  check.graph.edges.forEach((e, k) => {
    const a = setup.stageOf[e.from];
    const b = setup.stageOf[e.to];
    const delay = a !== b && setup.transferUs ? setup.transferUs(k, device(a), device(b)) : 0;
    for (let m = 0; m < M; m++) {
      const p = runAt(check, e.from, m)!;
      const c = runAt(check, e.to, m)!;
      if (c.startUs < p.endUs + delay - tol(p.endUs + delay)) {
        report(check, `microbatch ${m}: "${e.to}" starts at ${c.startUs} before "${e.from}"'s tensor arrives at ${p.endUs + delay}`);
      }
    }
  });
}

/** Each stage's runs by start (then end): the order the rules and sums below read them in. */
function runsByStage(check: Check): PipelineRun[][] {
  const byStage: PipelineRun[][] = Array.from({ length: check.S }, () => []);
  for (const r of check.claim.runs) if (r.stage >= 0 && r.stage < check.S) byStage[r.stage].push(r);
  for (const list of byStage) list.sort((x, y) => x.startUs - y.startUs || x.endUs - y.endUs);
  return byStage;
}

/** 3. One run at a time per stage. */
function checkOverlaps(check: Check, byStage: PipelineRun[][]): void {
  byStage.forEach((list, s) => {
    for (let k = 1; k < list.length; k++) {
      if (list[k].startUs < list[k - 1].endUs - tol(list[k].startUs)) {
        report(
          check,
          `stage ${s}: "${list[k].node}" mb ${list[k].microbatch} starts at ${list[k].startUs} while "${list[k - 1].node}" mb ${list[k - 1].microbatch} runs until ${list[k - 1].endUs}`,
        );
      }
    }
  });
}

function passesOf(check: Check): Passes {
  const backward = backwardIds(check.graph);
  const hasForward = new Set(check.graph.nodes.filter((v) => !backward.has(v.id)).map((v) => check.setup.stageOf[v.id]));
  return { backward, hasForward };
}

/**
 * The runs' own spans per (stage, microbatch, kind), and when each microbatch is in flight on each
 * stage: from its first forward there (first run on a stage without forward ops) to its last run there.
 */
function spansAndFlight(check: Check, passes: Passes): { spans: Map<string, PipelineTask>; flight: Interval[][] } {
  const spans = new Map<string, PipelineTask>();
  const flight: Interval[][] = Array.from({ length: check.S }, () => Array.from({ length: check.M }, () => ({ start: Infinity, end: -Infinity })));
  for (const r of check.claim.runs) {
    const kind = passes.backward.has(r.node) ? 'backward' : 'forward';
    const k = `${r.stage}/${r.microbatch}/${kind}`;
    const span = spans.get(k) ?? { stage: r.stage, microbatch: r.microbatch, kind, startUs: Infinity, endUs: -Infinity };
    span.startUs = Math.min(span.startUs, r.startUs);
    span.endUs = Math.max(span.endUs, r.endUs);
    spans.set(k, span);
    const f = flight[r.stage][r.microbatch];
    if (kind === 'forward' || !passes.hasForward.has(r.stage)) f.start = Math.min(f.start, r.startUs);
    f.end = Math.max(f.end, r.endUs);
  }
  return { spans, flight };
}

/** 4. The schedule's rule, stage by stage (training graphs only). */
function checkScheduleRule(check: Check, byStage: PipelineRun[][], passes: Passes, flight: Interval[][]): void {
  for (let s = 0; s < check.S; s++) {
    if (check.setup.schedule === 'gpipe') checkGpipeStage(check, s, byStage[s], passes);
    else check1f1bStage(check, s, byStage[s], passes, flight[s]);
  }
}

/** GPipe: no backward run on a stage before its last forward run ends. */
function checkGpipeStage(check: Check, s: number, runs: PipelineRun[], { backward }: Passes): void {
  const lastForward = runs.reduce((a, r) => (backward.has(r.node) ? a : Math.max(a, r.endUs)), -Infinity);
  const first = runs.find((r) => backward.has(r.node) && r.startUs < lastForward - tol(lastForward));
  if (first)
    report(
      check,
      `stage ${s} (gpipe): backward "${first.node}" mb ${first.microbatch} starts at ${first.startUs}, before the stage's last forward ends at ${lastForward}`,
    );
}

/** 1F1B: no backward run before its microbatch entered the stage, at most S − s in flight, entry in order. */
function check1f1bStage(check: Check, s: number, runs: PipelineRun[], { backward, hasForward }: Passes, flight: Interval[]): void {
  const early = runs.find((r) => backward.has(r.node) && hasForward.has(s) && r.startUs < flight[r.microbatch].start - tol(r.startUs));
  if (early)
    report(
      check,
      `stage ${s} (1f1b): backward "${early.node}" mb ${early.microbatch} starts at ${early.startUs}, before the microbatch's first forward there at ${flight[early.microbatch].start}`,
    );
  const bound = check.S - s;
  const { lo } = concurrency(flight.filter((f) => f.start !== Infinity));
  if (lo > bound) report(check, `stage ${s} (1f1b): ${lo} microbatches in flight at once, at most ${bound} allowed`);
  for (let m = 1; m < check.M; m++) {
    const [a, b] = [flight[m - 1], flight[m]];
    if (b.start < a.start - tol(a.start)) report(check, `stage ${s} (1f1b): microbatch ${m} enters at ${b.start}, before microbatch ${m - 1} at ${a.start}`);
  }
}

/** 5a. The reported spans are the runs' own, each once. */
function checkSpans(check: Check, spans: Map<string, PipelineTask>): void {
  const { tasks } = check.claim;
  const claimed = new Map(tasks.map((t) => [`${t.stage}/${t.microbatch}/${t.kind}`, t]));
  if (claimed.size !== tasks.length) report(check, 'a (stage, microbatch, kind) span is reported twice');
  for (const [k, span] of spans) {
    const c = claimed.get(k);
    if (!c) report(check, `span ${k} is not reported`);
    else if (!near(c.startUs, span.startUs) || !near(c.endUs, span.endUs))
      report(check, `span ${k} reported ${c.startUs}–${c.endUs}, runs give ${span.startUs}–${span.endUs}`);
  }
  for (const k of claimed.keys()) if (!spans.has(k)) report(check, `span ${k} is reported but nothing runs in it`);
}

/** 5b. Step time (the last end), busy time per stage and bubble are the runs' own. */
function checkTotals(check: Check, byStage: PipelineRun[][]): void {
  const { claim, S } = check;
  const stepUs = claim.runs.reduce((a, r) => Math.max(a, r.endUs), 0);
  if (!near(claim.stepUs, stepUs)) report(check, `step time ${claim.stepUs} µs, last run ends at ${stepUs}`);
  let busySum = 0;
  for (let s = 0; s < S; s++) {
    const busy = byStage[s].reduce((a, r) => a + (r.endUs - r.startUs), 0);
    busySum += busy;
    if (!near(claim.busyUs[s] ?? NaN, busy)) report(check, `stage ${s}: busy ${claim.busyUs[s]} µs, runs give ${busy}`);
  }
  const bubble = stepUs > 0 ? 1 - busySum / (S * stepUs) : 0;
  if (!(Math.abs(claim.bubble - bubble) <= 1e-9)) report(check, `bubble ${claim.bubble}, runs give ${bubble}`);
}

/** 6. Memory: the peak is persistent + activations × the microbatches in flight, and within the limit. */
function checkMemory(check: Check, flight: Interval[][]): void {
  const { graph, setup, claim } = check;
  for (let s = 0; s < check.S; s++) {
    const persistent = setup.persistentBytes?.[s] ?? graph.nodes.filter((v) => setup.stageOf[v.id] === s).reduce((a, v) => a + v.persistentBytes, 0);
    const act = setup.activationBytesPerMicrobatch?.[s] ?? 0;
    const { lo, hi } = concurrency(flight[s].filter((f) => f.start !== Infinity));
    const peak = claim.peakBytes[s];
    if (!(peak >= persistent + act * lo - tol(peak)) || !(peak <= persistent + act * hi + tol(peak))) {
      report(check, `stage ${s}: peak ${peak} B, but ${persistent} B persistent + ${act} B × ${lo === hi ? lo : `${lo}…${hi}`} microbatches in flight`);
    }
    const limit = setup.memoryLimits?.[s];
    if (limit !== undefined && peak > limit) report(check, `stage ${s}: peak ${peak} B above the limit ${limit} B`);
  }
}

/**
 * Checks a pipeline plan against the runs of its step: the plan's tasks, step, bubble, per-stage
 * busy time and peaks must be the runs' own, under the plan's assignment, comm spec, schedule and
 * memory (held = memoryBytes − stashedBytes, activations per microbatch), within the limits when
 * the plan is feasible. An infeasible plan must say why.
 */
export function checkPipelinePlan(graph: OpGraph, plan: PipelinePlan, runs: PipelineRun[]): string[] {
  const problems: string[] = [];
  if (!plan.feasible && !plan.reason) problems.push('infeasible plan without a reason');
  if (!plan.feasible && plan.stages.length === 0) {
    // no split found: nothing was simulated
    if (plan.tasks.length || runs.length) problems.push('an infeasible plan without stages has a schedule');
    return problems;
  }
  const stageOf = planStageOf(graph, plan, problems);
  if (problems.length) return problems;
  const claim: PipelineScheduleClaim = {
    runs,
    tasks: plan.tasks,
    stepUs: plan.stepUs,
    bubble: plan.bubble,
    busyUs: plan.stages.map((st) => st.busyUs),
    peakBytes: plan.stages.map((st) => st.peakBytes),
  };
  return checkPipelineSchedule(graph, planSetup(graph, plan, stageOf), claim);
}

/** node id → stage from the plan's assignment, with a problem for each stage list or device that does not add up. */
function planStageOf(graph: OpGraph, plan: PipelinePlan, problems: string[]): Record<string, number> {
  const stageOfDevice = new Map<number, number>();
  plan.stages.forEach((st, k) => {
    if (st.index !== k) problems.push(`stage #${k} has index ${st.index}`);
    if (stageOfDevice.has(st.device)) problems.push(`device ${st.device} is two stages`);
    stageOfDevice.set(st.device, k);
  });
  const stageOf: Record<string, number> = {};
  for (const v of graph.nodes) {
    const s = stageOfDevice.get(plan.assignment[v.id]);
    if (s === undefined) problems.push(`"${v.id}" is on device ${plan.assignment[v.id]}, no stage of the plan`);
    else stageOf[v.id] = s;
  }
  plan.stages.forEach((st) => {
    const ids = graph.nodes.filter((v) => stageOf[v.id] === st.index).map((v) => v.id);
    if (ids.length !== st.nodes.length || ids.some((id) => !st.nodes.includes(id)))
      problems.push(`stage ${st.index}: its node list is not the ops assigned to device ${st.device}`);
  });
  return stageOf;
}

/** What the plan says the step was run under: its stages' devices, comm spec, schedule and memory. */
function planSetup(graph: OpGraph, plan: PipelinePlan, stageOf: Record<string, number>): PipelineCheckSetup {
  const link = parseComm(plan.options.comm, graph);
  return {
    stages: plan.stages.length,
    microbatches: plan.microbatches,
    schedule: plan.schedule,
    stageOf,
    stageDevices: plan.stages.map((st) => st.device),
    transferUs: (k, a, b) => edgeTransferUs(link, graph.edges[k], a, b),
    persistentBytes: plan.stages.map((st) => st.memoryBytes - st.stashedBytes),
    activationBytesPerMicrobatch: plan.stages.map((st) => st.activationBytesPerMicrobatch),
    memoryLimits: plan.feasible ? plan.stages.map((st) => st.memoryLimitBytes) : undefined,
  };
}
