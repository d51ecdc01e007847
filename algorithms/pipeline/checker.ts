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

export function checkPipelineSchedule(graph: OpGraph, setup: PipelineCheckSetup, claim: PipelineScheduleClaim): string[] {
  const problems: string[] = [];
  const report = (msg: string) => {
    if (problems.length < 50) problems.push(msg);
  };
  const { stages: S, microbatches: M } = setup;
  const position = new Map(graph.nodes.map((v, i) => [v.id, i]));
  // run of (node, microbatch) at position × M + microbatch
  const runOf: (PipelineRun | undefined)[] = new Array(graph.nodes.length * M);
  const runAt = (id: string, m: number) => runOf[position.get(id)! * M + m];

  // 1. every (op, microbatch) once, on its stage, for its compute time
  for (const r of claim.runs) {
    const i = position.get(r.node);
    const node = i === undefined ? undefined : graph.nodes[i];
    const what = `"${r.node}" microbatch ${r.microbatch}`;
    if (!node) {
      report(`run of unknown node "${r.node}"`);
      continue;
    }
    if (!Number.isInteger(r.microbatch) || r.microbatch < 0 || r.microbatch >= M) {
      report(`${what}: no such microbatch`);
      continue;
    }
    if (runOf[i! * M + r.microbatch]) {
      report(`${what} runs twice`);
      continue;
    }
    runOf[i! * M + r.microbatch] = r;
    if (r.stage !== setup.stageOf[r.node]) report(`${what} runs on stage ${r.stage}, assigned to ${setup.stageOf[r.node]}`);
    if (!(r.startUs >= -tol(0))) report(`${what} starts at ${r.startUs}`);
    if (!near(r.endUs - r.startUs, node.computeUs)) report(`${what} runs ${r.endUs - r.startUs} µs, expected ${node.computeUs}`);
  }
  for (const v of graph.nodes) for (let m = 0; m < M; m++) if (!runAt(v.id, m)) report(`"${v.id}" microbatch ${m} never runs`);
  if (problems.length) return problems;

  // 2. precedence, with the transfer time across devices
  const device = (s: number) => setup.stageDevices?.[s] ?? s;
  graph.edges.forEach((e, k) => {
    const a = setup.stageOf[e.from];
    const b = setup.stageOf[e.to];
    const delay = a !== b && setup.transferUs ? setup.transferUs(k, device(a), device(b)) : 0;
    for (let m = 0; m < M; m++) {
      const p = runAt(e.from, m)!;
      const c = runAt(e.to, m)!;
      if (c.startUs < p.endUs + delay - tol(p.endUs + delay)) {
        report(`microbatch ${m}: "${e.to}" starts at ${c.startUs} before "${e.from}"'s tensor arrives at ${p.endUs + delay}`);
      }
    }
  });

  // 3. one run at a time per stage
  const byStage: PipelineRun[][] = Array.from({ length: S }, () => []);
  for (const r of claim.runs) if (r.stage >= 0 && r.stage < S) byStage[r.stage].push(r);
  byStage.forEach((list, s) => {
    list.sort((x, y) => x.startUs - y.startUs || x.endUs - y.endUs);
    for (let k = 1; k < list.length; k++) {
      if (list[k].startUs < list[k - 1].endUs - tol(list[k].startUs)) {
        report(
          `stage ${s}: "${list[k].node}" mb ${list[k].microbatch} starts at ${list[k].startUs} while "${list[k - 1].node}" mb ${list[k - 1].microbatch} runs until ${list[k - 1].endUs}`,
        );
      }
    }
  });

  // spans per (stage, microbatch, kind) and in flight per (stage, microbatch)
  const backward = backwardIds(graph);
  const training = backward.size > 0;
  const spans = new Map<string, PipelineTask>();
  // in flight on a stage: from the microbatch's first forward there (first run on a stage without
  // forward ops) to its last run there
  const flight: Interval[][] = Array.from({ length: S }, () => Array.from({ length: M }, () => ({ start: Infinity, end: -Infinity })));
  const hasForward = new Set(graph.nodes.filter((v) => !backward.has(v.id)).map((v) => setup.stageOf[v.id]));
  for (const r of claim.runs) {
    const kind = backward.has(r.node) ? 'backward' : 'forward';
    const k = `${r.stage}/${r.microbatch}/${kind}`;
    const span = spans.get(k) ?? { stage: r.stage, microbatch: r.microbatch, kind, startUs: Infinity, endUs: -Infinity };
    span.startUs = Math.min(span.startUs, r.startUs);
    span.endUs = Math.max(span.endUs, r.endUs);
    spans.set(k, span);
    const f = flight[r.stage][r.microbatch];
    if (kind === 'forward' || !hasForward.has(r.stage)) f.start = Math.min(f.start, r.startUs);
    f.end = Math.max(f.end, r.endUs);
  }

  // 4. the schedule's rule
  if (training) {
    for (let s = 0; s < S; s++) {
      const inFlight = flight[s].filter((f) => f.start !== Infinity);
      if (setup.schedule === 'gpipe') {
        const lastForward = byStage[s].reduce((a, r) => (backward.has(r.node) ? a : Math.max(a, r.endUs)), -Infinity);
        const first = byStage[s].find((r) => backward.has(r.node) && r.startUs < lastForward - tol(lastForward));
        if (first)
          report(
            `stage ${s} (gpipe): backward "${first.node}" mb ${first.microbatch} starts at ${first.startUs}, before the stage's last forward ends at ${lastForward}`,
          );
      } else {
        const early = byStage[s].find((r) => backward.has(r.node) && hasForward.has(s) && r.startUs < flight[s][r.microbatch].start - tol(r.startUs));
        if (early)
          report(
            `stage ${s} (1f1b): backward "${early.node}" mb ${early.microbatch} starts at ${early.startUs}, before the microbatch's first forward there at ${flight[s][early.microbatch].start}`,
          );
        const bound = S - s;
        const { lo } = concurrency(inFlight);
        if (lo > bound) report(`stage ${s} (1f1b): ${lo} microbatches in flight at once, at most ${bound} allowed`);
        for (let m = 1; m < M; m++) {
          const [a, b] = [flight[s][m - 1], flight[s][m]];
          if (b.start < a.start - tol(a.start)) report(`stage ${s} (1f1b): microbatch ${m} enters at ${b.start}, before microbatch ${m - 1} at ${a.start}`);
        }
      }
    }
  }

  // 5. spans, busy, step time, bubble
  const claimed = new Map(claim.tasks.map((t) => [`${t.stage}/${t.microbatch}/${t.kind}`, t]));
  if (claimed.size !== claim.tasks.length) report('a (stage, microbatch, kind) span is reported twice');
  for (const [k, span] of spans) {
    const c = claimed.get(k);
    if (!c) report(`span ${k} is not reported`);
    else if (!near(c.startUs, span.startUs) || !near(c.endUs, span.endUs))
      report(`span ${k} reported ${c.startUs}–${c.endUs}, runs give ${span.startUs}–${span.endUs}`);
  }
  for (const k of claimed.keys()) if (!spans.has(k)) report(`span ${k} is reported but nothing runs in it`);
  const stepUs = claim.runs.reduce((a, r) => Math.max(a, r.endUs), 0);
  if (!near(claim.stepUs, stepUs)) report(`step time ${claim.stepUs} µs, last run ends at ${stepUs}`);
  let busySum = 0;
  for (let s = 0; s < S; s++) {
    const busy = byStage[s].reduce((a, r) => a + (r.endUs - r.startUs), 0);
    busySum += busy;
    if (!near(claim.busyUs[s] ?? NaN, busy)) report(`stage ${s}: busy ${claim.busyUs[s]} µs, runs give ${busy}`);
  }
  const bubble = stepUs > 0 ? 1 - busySum / (S * stepUs) : 0;
  if (!(Math.abs(claim.bubble - bubble) <= 1e-9)) report(`bubble ${claim.bubble}, runs give ${bubble}`);

  // 6. memory
  for (let s = 0; s < S; s++) {
    const persistent = setup.persistentBytes?.[s] ?? graph.nodes.filter((v) => setup.stageOf[v.id] === s).reduce((a, v) => a + v.persistentBytes, 0);
    const act = setup.activationBytesPerMicrobatch?.[s] ?? 0;
    const { lo, hi } = concurrency(flight[s].filter((f) => f.start !== Infinity));
    const peak = claim.peakBytes[s];
    if (!(peak >= persistent + act * lo - tol(peak)) || !(peak <= persistent + act * hi + tol(peak))) {
      report(`stage ${s}: peak ${peak} B, but ${persistent} B persistent + ${act} B × ${lo === hi ? lo : `${lo}…${hi}`} microbatches in flight`);
    }
    const limit = setup.memoryLimits?.[s];
    if (limit !== undefined && peak > limit) report(`stage ${s}: peak ${peak} B above the limit ${limit} B`);
  }
  return problems;
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
  if (problems.length) return problems;
  const link = parseComm(plan.options.comm, graph);
  const setup: PipelineCheckSetup = {
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
  const claim: PipelineScheduleClaim = {
    runs,
    tasks: plan.tasks,
    stepUs: plan.stepUs,
    bubble: plan.bubble,
    busyUs: plan.stages.map((st) => st.busyUs),
    peakBytes: plan.stages.map((st) => st.peakBytes),
  };
  return checkPipelineSchedule(graph, setup, claim);
}
