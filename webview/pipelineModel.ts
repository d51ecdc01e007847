// Throughput mode's view model (issue 14): a PipelinePlan as the viewer draws it — ops coloured by
// stage, one memory bar per stage (persistent + stashed activations against the limit), the
// microbatch × stage schedule laid out as bars with the idle gaps (the bubble) between them, and
// the summary. Pure functions, no DOM: data in → data out, tested in plain Node.
import type { OpGraph } from '../algorithms/graph';
import type { PlacementOptions } from '../algorithms/plan';
import type { PipelineOptions, PipelinePlan, PipelineTask } from '../algorithms/pipeline/types';
import { displayText } from '../algorithms/text';
import { formatBytes, formatUs } from '../algorithms/units';
import { timeTicks } from './axes';
import type { MemoryBar } from './memoryPanel';
import type { PlanView } from './model';
import type { PipelineControls } from './protocol';
import type { SummaryItem } from './summary';

/** The pipeline planner's options from the viewer's: its knobs plus the shared devices/limits/link. */
export function pipelineOptionsFrom(o: PlacementOptions, c: PipelineControls): PipelineOptions {
  return {
    devices: o.devices,
    memoryLimits: o.memoryLimits.slice(),
    comm: o.comm,
    split: c.split,
    microbatches: c.microbatches,
    schedule: c.schedule,
    // Pipeline stages keep colocation groups whole; Baechi's co-placement is a latency heuristic.
    grouping: o.grouping === 'none' ? 'none' : 'colocation',
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.budgetMs !== undefined ? { budgetMs: o.budgetMs } : {}),
  };
}

/** node index → stage index (-1: not assigned, e.g. an infeasible plan). */
export function stageOfNodes(graph: OpGraph, plan: PipelinePlan | null, idx: Map<string, number>): Int32Array {
  const stageOf = new Int32Array(graph.nodes.length).fill(-1);
  if (!plan) return stageOf;
  for (const s of plan.stages) {
    for (const id of s.nodes) {
      const i = idx.get(id);
      if (i !== undefined) stageOf[i] = s.index;
    }
  }
  if (plan.stages.length === 0) return stageOf;
  // Nodes the stages do not list (a planner that only fills `assignment`): their device's stage.
  const stageOfDevice = new Map(plan.stages.map((s) => [s.device, s.index]));
  for (const [id, d] of Object.entries(plan.assignment ?? {})) {
    const i = idx.get(id);
    if (i !== undefined && stageOf[i] < 0) stageOf[i] = stageOfDevice.get(d) ?? -1;
  }
  return stageOf;
}

/**
 * The DAG's colouring in throughput mode: what planView gives for a placement, with stages in
 * place of devices (class `stage-K`), edges between stages drawn as cross edges, no critical path
 * (a pipeline's time per sample is the slowest stage, not a path) and no start/end times.
 */
export function pipelineView(graph: OpGraph, plan: PipelinePlan | null, idx: Map<string, number>): PlanView {
  const stageOf = stageOfNodes(graph, plan, idx);
  const crossEdge = new Uint8Array(graph.edges.length);
  graph.edges.forEach((e, k) => {
    const a = idx.get(e.from);
    const b = idx.get(e.to);
    if (a === undefined || b === undefined) return;
    if (stageOf[a] >= 0 && stageOf[b] >= 0 && stageOf[a] !== stageOf[b]) crossEdge[k] = 1;
  });
  const n = graph.nodes.length;
  return {
    deviceOf: stageOf,
    startUs: new Float64Array(n).fill(NaN),
    endUs: new Float64Array(n).fill(NaN),
    critical: new Uint8Array(n),
    crossEdge,
    criticalEdge: new Uint8Array(graph.edges.length),
    failed: new Uint8Array(n),
    failureReason: null,
    colourBy: 'stage',
    stageDevice: plan ? plan.stages.map((s) => s.device) : [],
  };
}

/** Stage labels for the legend and tooltips: "stage 1 · GPU 3". */
export function stageLabel(plan: PipelinePlan, stage: number): string {
  const s = plan.stages[stage];
  return s ? `stage ${s.index} · GPU ${s.device}` : `stage ${stage}`;
}

/** Tooltip rows for one op in throughput mode (replacing the latency rows device/start-end). */
export function pipelineNodeRows(plan: PipelinePlan | null, stage: number): [string, string][] {
  if (!plan || stage < 0) return [['stage', 'not placed']];
  const s = plan.stages[stage];
  return [
    ['stage', stageLabel(plan, stage)],
    ['stage load', `${formatUs(s.loadUs)} per sample${s.loadUs >= plan.timePerSampleUs - 1e-9 ? ' (the slowest stage)' : ''}`],
  ];
}

/**
 * One memory bar per stage: persistent + activations stashed for the in-flight microbatches, the
 * bar's total = the stage's planned memoryBytes (when the parts do not add up the difference goes
 * to the stash, as memorySegments does for placements), against the device's limit.
 */
export function pipelineMemoryBars(plan: PipelinePlan | null): MemoryBar[] {
  if (!plan) return [];
  return plan.stages.map((s) => {
    const total = Math.max(0, s.memoryBytes);
    const persistent = Math.max(0, Math.min(total, s.persistentBytes));
    const stashed = total - persistent;
    const inFlight = s.activationBytesPerMicrobatch > 0 ? Math.round(s.stashedBytes / s.activationBytesPerMicrobatch) : 0;
    return {
      index: s.index,
      colourClass: `stage-${s.index}`,
      label: `S${s.index}`,
      attrs: {
        'data-stage': String(s.index),
        'data-device': String(s.device),
        'data-memory-bytes': String(s.memoryBytes),
        'data-sim-peak-bytes': String(s.peakBytes),
      },
      segments: [
        { name: 'persistent', bytes: persistent },
        { name: 'stashed', bytes: stashed },
      ],
      totalBytes: total,
      limitBytes: s.memoryLimitBytes,
      title: stageLabel(plan, s.index),
      rows: [
        ['planned', formatBytes(s.memoryBytes)],
        ['limit', formatBytes(s.memoryLimitBytes)],
        ['persistent', formatBytes(persistent)],
        ['stashed activations', `${formatBytes(stashed)}${inFlight > 0 ? ` (${inFlight} × ${formatBytes(s.activationBytesPerMicrobatch)})` : ''}`],
        ['simulated peak', formatBytes(s.peakBytes)],
        ['load per sample', `${formatUs(s.loadUs)} (compute ${formatUs(s.computeUs)}, comm ${formatUs(s.commUs)})`],
      ],
    };
  });
}

/** The summary header in throughput mode: time per sample, speed-up, step, bubble; or why not. */
export function pipelineSummaryItems(plan: PipelinePlan | null): SummaryItem[] {
  if (!plan) return [{ key: 'status', label: 'status', value: 'planning the pipeline…' }];
  const items: SummaryItem[] = [
    { key: 'objective', label: 'objective', value: 'throughput' },
    { key: 'split', label: 'split', value: plan.split },
    { key: 'schedule', label: 'schedule', value: `${plan.schedule} × ${plan.microbatches} microbatches` },
  ];
  if (plan.feasible) {
    items.push({ key: 'feasible', label: '', value: 'feasible', tone: 'ok' });
    items.push({ key: 'timePerSample', label: 'time per sample', value: formatUs(plan.timePerSampleUs) });
    if (plan.throughputSpeedup > 0) items.push({ key: 'throughputSpeedup', label: 'throughput over 1 GPU', value: `${plan.throughputSpeedup.toFixed(2)}×` });
    items.push({ key: 'stepUs', label: `step (${plan.microbatches} µbatches)`, value: formatUs(plan.stepUs) });
    items.push({ key: 'bubble', label: 'bubble', value: `${(plan.bubble * 100).toFixed(1)} %` });
  } else {
    items.push({ key: 'feasible', label: '', value: 'infeasible', tone: 'error' });
    if (plan.reason) items.push({ key: 'reason', label: 'why', value: plan.reason, tone: 'error' });
    if (plan.minimumMemoryBytes !== undefined)
      items.push({ key: 'minimumMemory', label: 'fits with', value: `${formatBytes(plan.minimumMemoryBytes)} per device` });
  }
  items.push({ key: 'placeTime', label: 'planned in', value: `${plan.placeMs.toFixed(plan.placeMs < 10 ? 2 : 0)} ms` });
  items.push({ key: 'stages', label: 'stages', value: String(plan.stages.length) });
  // text only, like the op names: a plan file from elsewhere may carry any characters here
  const warnings = Array.isArray(plan.warnings) ? plan.warnings.filter((w) => typeof w === 'string') : [];
  warnings.forEach((w, k) => items.push({ key: k === 0 ? 'warning' : `warning-${k}`, label: 'warning', value: displayText(w) }));
  return items;
}

// ───────────────────────────── timeline layout ─────────────────────────────

export interface TimelineBox {
  stage: number;
  x: number;
  y: number;
  w: number;
  h: number;
  startUs: number;
  endUs: number;
}

export interface TaskBox extends TimelineBox {
  microbatch: number;
  kind: PipelineTask['kind'];
  /** Index into plan.tasks. */
  task: number;
  /** "F3" / "B3" when the bar is wide enough to hold it, else ''. */
  text: string;
}

export interface PipelineTimelineLayout {
  width: number;
  height: number;
  /** Left edge of the time axis (lane labels to its left). */
  left: number;
  lanes: { stage: number; device: number; y: number; h: number; label: string; busyUs: number }[];
  tasks: TaskBox[];
  /** Idle time of each stage within the step: the bubble, drawn. */
  idle: TimelineBox[];
  ticks: { x: number; label: string }[];
  /** Pixels per µs. */
  scale: number;
  stepUs: number;
}

export interface TimelineGeometry {
  width: number;
  laneHeight: number;
  left: number;
  right: number;
  top: number;
  /** Room under the lanes for the time axis. */
  bottom: number;
}

export const PIPELINE_TIMELINE_GEOMETRY: TimelineGeometry = { width: 800, laneHeight: 30, left: 92, right: 10, top: 6, bottom: 20 };

/** Gaps in [0, stepUs] not covered by any of `spans` (each [start, end]), in time order. */
export function idleGaps(spans: [number, number][], stepUs: number, epsUs = 1e-6): [number, number][] {
  const sorted = spans.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const gaps: [number, number][] = [];
  let t = 0;
  for (const [s, e] of sorted) {
    if (s > t + epsUs) gaps.push([t, Math.min(s, stepUs)]);
    t = Math.max(t, e);
  }
  if (stepUs > t + epsUs) gaps.push([t, stepUs]);
  return gaps.filter(([a, b]) => b > a);
}

/**
 * The microbatch × stage schedule as boxes: one lane per stage (pipeline order, top to bottom), one
 * bar per task at its simulated start/end, and the idle gaps of each lane over the step. A task is
 * the span from the first to the last op of its (stage, microbatch, kind), so a stage whose ops
 * interleave microbatches or kinds has overlapping spans (resnet50_training, contiguous split: a
 * stage's backward of microbatch 0 starts inside its forward span): with backward tasks the lane
 * has a forward row above a backward row, so neither hides the other; idle boxes span the lane.
 */
export function pipelineTimelineLayout(plan: PipelinePlan, geometry: Partial<TimelineGeometry> = {}): PipelineTimelineLayout {
  const g = { ...PIPELINE_TIMELINE_GEOMETRY, ...geometry };
  const stageCount = plan.stages.length;
  const stepUs = Math.max(plan.stepUs, ...plan.tasks.map((t) => t.endUs), 0);
  const span = Math.max(1, g.width - g.left - g.right);
  const scale = stepUs > 0 ? span / stepUs : 0;
  const x = (t: number) => g.left + t * scale;
  const laneY = (s: number) => g.top + s * g.laneHeight;
  const training = plan.tasks.some((t) => t.kind === 'backward');
  const inner = Math.max(4, g.laneHeight - 6);
  const barH = training ? inner / 2 : inner;
  const rowY = (s: number, kind: PipelineTask['kind']) => laneY(s) + 3 + (training && kind === 'backward' ? barH : 0);
  const lanes = plan.stages.map((s) => ({
    stage: s.index,
    device: s.device,
    y: laneY(s.index),
    h: g.laneHeight,
    label: `S${s.index} · GPU ${s.device}`,
    busyUs: 0,
  }));
  const spans: [number, number][][] = plan.stages.map(() => []);
  const tasks: TaskBox[] = [];
  plan.tasks.forEach((t, k) => {
    if (t.stage < 0 || t.stage >= stageCount) return;
    const w = Math.max(0, (t.endUs - t.startUs) * scale);
    const text = `${t.kind === 'forward' ? 'F' : 'B'}${t.microbatch}`;
    tasks.push({
      stage: t.stage,
      microbatch: t.microbatch,
      kind: t.kind,
      task: k,
      x: x(t.startUs),
      y: rowY(t.stage, t.kind),
      w,
      h: barH,
      startUs: t.startUs,
      endUs: t.endUs,
      // About 6.5 px a character at 10 px, plus padding.
      text: w >= text.length * 6.5 + 4 ? text : '',
    });
    spans[t.stage].push([t.startUs, t.endUs]);
    lanes[t.stage].busyUs += t.endUs - t.startUs;
  });
  const idle: TimelineBox[] = [];
  spans.forEach((sp, s) => {
    for (const [a, b] of idleGaps(sp, stepUs)) idle.push({ stage: s, x: x(a), y: laneY(s) + 3, w: (b - a) * scale, h: inner, startUs: a, endUs: b });
  });
  const tickSet = timeTicks(stepUs, Math.max(2, Math.min(8, Math.floor(span / 90))));
  return {
    width: g.width,
    height: g.top + stageCount * g.laneHeight + g.bottom,
    left: g.left,
    lanes,
    tasks,
    idle,
    ticks: tickSet.values.map((v, i) => ({ x: x(v), label: tickSet.labels[i] })),
    scale,
    stepUs,
  };
}
