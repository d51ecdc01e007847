// Public API of the pipeline (throughput) planner, issue 14: planPipeline validates the options,
// splits the graph (sequential / contiguous / any), fills the stages (loads, compute and comm,
// memory) and simulates one step of M microbatches under the schedule (schedule.ts). Pure
// TypeScript, like the placement engine.
import { OpplaceError } from '../errors';
import { OpGraph, indexGraph, validateGraph } from '../graph';
import { formatBytes, formatBytesAtLeast } from '../units';
import { LIMITS } from '../options';
import { edgeTransferUs } from './comm';
import { buildThroughputModel, deviceLoads, inFlightMicrobatches, ThroughputModel, timePerSampleUs } from './model';
import { buildBlocks, Blocks } from './shape';
import { deviceBytes, MemoryRule, memoryRule } from './memory';
import { improveFreeUnits, placeFreeUnits, sequentialBlocks } from './sequential';
import { contiguousSearch, exactDownsetSplit } from './contiguous';
import { anySearch } from './any';
import type { SearchResult } from './search';
import { SimulatedPipeline, simulatePipeline, stageMemoryReason } from './schedule';
import { PIPELINE_SCHEDULES, PIPELINE_SPLITS, PipelineOptions, PipelinePlan, PipelineStage } from './types';
import { AlternativeStep, cycleWarning, findStageCycle, stallsOnCycle, StageCycle } from './warnings';

export type { PipelineOptions, PipelinePlan, PipelineStage, PipelineSplit, PipelineScheduleName, PipelineTask } from './types';
export { PIPELINE_SPLITS, PIPELINE_SCHEDULES } from './types';

/** Local-search budget when none is given, and unit moves per budget millisecond (fixed work, not the clock). */
export const DEFAULT_PIPELINE_BUDGET_MS = 300;
export const PIPELINE_WORK_UNITS_PER_MS = 2000;
const MAX_MICROBATCHES = LIMITS.maxMicrobatches;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Throws one clear OpplaceError for the first bad option. */
export function validatePipelineOptions(options: PipelineOptions, file?: string): void {
  const ctx = file ? { file } : {};
  const fail = (msg: string): never => {
    throw new OpplaceError(msg, ctx);
  };
  if (!Number.isInteger(options.devices) || options.devices < 1 || options.devices > 1024)
    fail(`devices must be an integer from 1 to 1024, got ${String(options.devices)}`);
  if (!Array.isArray(options.memoryLimits) || options.memoryLimits.length !== options.devices) {
    fail(
      `memoryLimits must list one limit per device (${options.devices}), got ${Array.isArray(options.memoryLimits) ? options.memoryLimits.length : String(options.memoryLimits)}`,
    );
  }
  options.memoryLimits.forEach((l, d) => {
    if (typeof l !== 'number' || Number.isNaN(l) || l < 0) fail(`memory limit of device ${d} must be a number of bytes ≥ 0, got ${String(l)}`);
  });
  if (!PIPELINE_SPLITS.includes(options.split)) fail(`unknown split "${String(options.split)}" (expected ${PIPELINE_SPLITS.join(', ')})`);
  if (!PIPELINE_SCHEDULES.includes(options.schedule)) fail(`unknown schedule "${String(options.schedule)}" (expected ${PIPELINE_SCHEDULES.join(', ')})`);
  if (!Number.isInteger(options.microbatches) || options.microbatches < 1 || options.microbatches > MAX_MICROBATCHES) {
    fail(`microbatches must be an integer from 1 to ${MAX_MICROBATCHES}, got ${String(options.microbatches)}`);
  }
  if (options.grouping !== undefined && options.grouping !== 'none' && options.grouping !== 'colocation')
    fail(`unknown grouping "${String(options.grouping)}" for a pipeline (expected none or colocation)`);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) fail(`seed must be an integer, got ${String(options.seed)}`);
  if (
    options.budgetMs !== undefined &&
    !(typeof options.budgetMs === 'number' && Number.isFinite(options.budgetMs) && options.budgetMs >= 0 && options.budgetMs <= 3_600_000)
  ) {
    fail(`budgetMs must be a number of milliseconds from 0 to 3600000, got ${String(options.budgetMs)}`);
  }
  if (typeof options.comm !== 'string') fail(`comm must be a preset, LATENCY_US:GBPS or file, got ${String(options.comm)}`);
}

type FilledFields = Pick<
  PipelinePlan,
  'feasible' | 'reason' | 'timePerSampleUs' | 'throughputSpeedup' | 'stepUs' | 'bubble' | 'stages' | 'tasks' | 'assignment'
>;

interface Split {
  device: Int32Array | null;
  search?: PipelinePlan['search'];
  /** `any`: the contiguous split its local search started from (simulated when the result stalls). */
  contiguousStart?: Int32Array;
}

/** The split of `options.split` (device per unit), or null when nothing fits the memory limits. */
function split(model: ThroughputModel, blocks: Blocks, rule: MemoryRule, options: PipelineOptions): Split {
  const budget = options.budgetMs ?? DEFAULT_PIPELINE_BUDGET_MS;
  const started = now();
  const search = (share: number, seed: number) => ({
    seed,
    workUnits: budget * share * PIPELINE_WORK_UNITS_PER_MS,
    deadlineMs: started + budget * 10 + 1000,
  });
  const seed = options.seed ?? 1;
  // the units without forward ops (no shape constraint) are placed after the forward split
  const withFree = (labels: Int32Array | null) => {
    const device = labels ? placeFreeUnits(model, blocks, labels, rule) : null;
    return device ? improveFreeUnits(model, blocks, device, rule, search(0.1, seed)) : null;
  };
  const sequential = withFree(sequentialBlocks(model, blocks, rule));
  if (options.split === 'sequential') return { device: sequential };
  // small forward graphs: the exact contiguous optimum over chains of downsets as well
  const exact = withFree(exactDownsetSplit(model, blocks, rule));
  const starts = [sequential, exact].filter((d): d is Int32Array => d !== null);
  if (starts.length === 0) return { device: null };
  const D = options.devices;
  const start = starts.reduce((a, b) => (timePerSampleUs(model, b, D) < timePerSampleUs(model, a, D) ? b : a));
  const contiguous = contiguousSearch(model, blocks, start, rule, search(options.split === 'any' ? 0.5 : 1, seed));
  const report = (...runs: SearchResult[]) => ({
    movesTried: runs.reduce((n, r) => n + r.movesTried, 0),
    movesKept: runs.reduce((n, r) => n + r.movesKept, 0),
    stoppedByClock: runs.some((r) => r.stoppedByClock),
  });
  if (options.split === 'contiguous') return { device: contiguous.device, search: report(contiguous) };
  const any = anySearch(model, contiguous.device, rule, search(0.5, seed + 1));
  return { device: any.device, search: report(contiguous, any), contiguousStart: contiguous.device };
}

/** Why no split fits: the unit that fits on no device, or the total. */
function infeasibleReason(model: ThroughputModel, blocks: Blocks, rule: MemoryRule, devices: number): string {
  const most = Math.max(...rule.limits);
  const last = rule.limits.length - 1;
  let worst = -1;
  let worstNeed = 0;
  for (let u = 0; u < model.units.length; u++) {
    // the least any device could need for it: the last stage, one microbatch in flight
    const need = model.unitPersistent[u] + model.unitTemporary[u] + model.unitActivation[u] * rule.inFlight[last];
    if (need > worstNeed) {
      worstNeed = need;
      worst = u;
    }
  }
  const what = (u: number) => {
    const members = model.units[u];
    const first = model.graph.nodes[members[0]];
    return members.length === 1 ? `op "${first.id}"` : `group "${model.unitName[u]}" (${members.length} ops, first op "${first.id}")`;
  };
  if (worst >= 0 && worstNeed > most)
    return `${what(worst)} needs ${formatBytes(worstNeed)}, more than any device holds (the largest limit is ${formatBytes(most)})`;
  let total = 0;
  for (let u = 0; u < model.units.length; u++) total += model.unitPersistent[u];
  const stuck = firstBlockWithoutRoom(model, blocks, rule);
  const where = stuck
    ? `; filling the devices in order, ${what(blocks.units[stuck.block][0])} finds no room: device ${stuck.device} would need ${formatBytes(stuck.needBytes)} of its ${formatBytes(rule.limits[stuck.device])} limit`
    : '';
  return `no split into ${devices} pipeline stages fits: the ops hold ${formatBytes(total)} persistent in all, with activations for the microbatches in flight, against ${rule.limits.map(formatBytes).join(', ')}${where}`;
}

/**
 * The greedy fill of the block order (each device takes the longest run that fits; for ranges of
 * one order this fits whenever any split does): the first block that fits on no remaining device.
 */
function firstBlockWithoutRoom(model: ThroughputModel, blocks: Blocks, rule: MemoryRule): { block: number; device: number; needBytes: number } | null {
  const D = rule.limits.length;
  let d = 0;
  let persistent = 0;
  let temporary = 0;
  let activation = 0;
  for (let c = 0; c < blocks.units.length; c++) {
    let p = 0;
    let t = 0;
    let a = 0;
    for (const u of blocks.units[c]) {
      p += model.unitPersistent[u];
      t = Math.max(t, model.unitTemporary[u]);
      a += model.unitActivation[u];
    }
    for (;;) {
      const need = deviceBytes(rule, d, persistent + p, Math.max(temporary, t), activation + a);
      if (need <= rule.limits[d]) {
        persistent += p;
        temporary = Math.max(temporary, t);
        activation += a;
        break;
      }
      if (d === D - 1) return { block: c, device: d, needBytes: need };
      d++;
      persistent = temporary = activation = 0;
    }
  }
  return null;
}

/** Smallest uniform per-device memory at which a split exists (binary search to 0.1 % or 1 byte). */
function minimumUniformMemory(model: ThroughputModel, blocks: Blocks, options: PipelineOptions): number | undefined {
  const D = options.devices;
  const succeeds = (limit: number) => {
    const rule = memoryRule(model, Array(D).fill(limit), options.schedule, options.microbatches);
    const labels = sequentialBlocks(model, blocks, rule);
    return labels !== null && placeFreeUnits(model, blocks, labels, rule) !== null;
  };
  let hi = 1;
  for (let u = 0; u < model.units.length; u++) hi += model.unitPersistent[u] + model.unitTemporary[u] + model.unitActivation[u] * options.microbatches;
  if (!succeeds(hi)) return undefined;
  let lo = 0;
  if (succeeds(0)) return 0;
  while (hi - lo > Math.max(1, hi * 1e-3)) {
    const mid = Math.floor((lo + hi) / 2);
    if (succeeds(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** What planPipeline and evaluatePipeline share: checked input, the model, the memory rule, the plan's fixed fields. */
function prepare(graph: OpGraph, options: PipelineOptions, file?: string) {
  const fileName = file ?? graph.source?.file ?? graph.name;
  validatePipelineOptions(options, fileName);
  validateGraph(graph);
  const started = now();
  const model = buildThroughputModel(graph, { comm: options.comm, grouping: options.grouping ?? 'colocation' }, fileName, indexGraph(graph));
  const limits = options.memoryLimits.slice();
  const rule = memoryRule(model, limits, options.schedule, options.microbatches);
  let singleDeviceUs = 0;
  for (const n of graph.nodes) singleDeviceUs += n.computeUs;
  const base = {
    file: fileName,
    objective: 'throughput' as const,
    split: options.split,
    schedule: options.schedule,
    microbatches: options.microbatches,
    singleDeviceUs,
    options: { ...options, memoryLimits: limits },
  };
  return { fileName, started, model, rule, base };
}

export async function planPipeline(graph: OpGraph, options: PipelineOptions, file?: string): Promise<PipelinePlan> {
  const { started, model, rule, base } = prepare(graph, options, file);
  const blocks = buildBlocks(model);
  const D = options.devices;
  const { device, search, contiguousStart } = split(model, blocks, rule, options);
  if (!device) {
    const minimumMemoryBytes = minimumUniformMemory(model, blocks, options);
    const reason = infeasibleReason(model, blocks, rule, D);
    return {
      ...base,
      feasible: false,
      timePerSampleUs: 0,
      throughputSpeedup: 0,
      stepUs: 0,
      bubble: 0,
      stages: [],
      tasks: [],
      assignment: {},
      reason: minimumMemoryBytes !== undefined ? `${reason}; it would fit with ${formatBytesAtLeast(minimumMemoryBytes)} per device` : reason,
      ...(minimumMemoryBytes !== undefined ? { minimumMemoryBytes } : {}),
      placeMs: now() - started,
    };
  }
  const { cycle, ...filled } = fillPlan(model, device, rule, options);
  // the alternative is simulated only when the warning is due (a second simulation of the step)
  const alternative = (): AlternativeStep | undefined => {
    if (!contiguousStart) return undefined;
    const start = fillPlan(model, contiguousStart, rule, options);
    return start.feasible ? { name: 'the contiguous split this search started from', stepUs: start.stepUs } : undefined;
  };
  const summary = { ...filled, microbatches: options.microbatches, schedule: options.schedule };
  const warning = stallsOnCycle(summary, cycle) ? cycleWarning(summary, cycle, alternative()) : undefined;
  return {
    ...base,
    ...filled,
    placeMs: now() - started,
    ...(search ? { search } : {}),
    ...(warning ? { warnings: [warning] } : {}),
  };
}

/**
 * The plan of a given assignment (node id → device; a colocation group's ops on one device), with
 * its stages, simulated step and warnings: what planPipeline reports, for a split made elsewhere.
 */
export function evaluatePipeline(graph: OpGraph, options: PipelineOptions, assignment: Record<string, number>, file?: string): PipelinePlan {
  const { fileName, started, model, rule, base } = prepare(graph, options, file);
  const device = new Int32Array(model.units.length);
  model.units.forEach((members, u) => {
    const first = graph.nodes[members[0]].id;
    device[u] = assignment[first];
    if (!Number.isInteger(device[u]) || device[u] < 0 || device[u] >= options.devices || assignment[first] !== device[u])
      throw new OpplaceError(`op "${first}" needs a device from 0 to ${options.devices - 1} in the assignment, got ${String(assignment[first])}`, {
        file: fileName,
      });
    for (const v of members)
      if (assignment[graph.nodes[v].id] !== device[u])
        throw new OpplaceError(`op "${graph.nodes[v].id}" must go with op "${first}" (one colocation group), on device ${device[u]}`, { file: fileName });
  });
  const { cycle, ...filled } = fillPlan(model, device, rule, options);
  const warning = cycleWarning({ ...filled, microbatches: options.microbatches, schedule: options.schedule }, cycle);
  return {
    ...base,
    ...filled,
    placeMs: now() - started,
    ...(warning ? { warnings: [warning] } : {}),
  };
}

/** Stages, loads, memory and the simulated step of a unit → device assignment. */
function fillPlan(model: ThroughputModel, deviceOfUnit: Int32Array, rule: MemoryRule, options: PipelineOptions): FilledFields & { cycle: StageCycle | null } {
  const { graph } = model;
  const nodeDevice = Int32Array.from(graph.nodes, (_, v) => deviceOfUnit[model.unitOf[v]]);
  const order = stageOrder(model, nodeDevice, options.devices);
  const sums = stageSums(model, deviceOfUnit, order);
  const sim = simulateStages(model, order, sums, options);
  const stages = stagesOf(model, deviceOfUnit, rule, options, order, sums, sim);
  const timePerSampleUs = stages.reduce((m, s) => Math.max(m, s.loadUs), 0);
  const assignment: Record<string, number> = {};
  graph.nodes.forEach((node, v) => (assignment[node.id] = nodeDevice[v]));
  const singleDeviceUs = graph.nodes.reduce((s, n) => s + n.computeUs, 0);
  const reason = stageMemoryReason(stages, options.schedule, sim.peakInFlight);
  return {
    feasible: reason === undefined,
    ...(reason !== undefined ? { reason } : {}),
    timePerSampleUs,
    throughputSpeedup: timePerSampleUs > 0 ? singleDeviceUs / timePerSampleUs : 1,
    stepUs: sim.stepUs,
    bubble: sim.bubble,
    stages,
    tasks: sim.tasks,
    assignment,
    cycle: findStageCycle(model, order.stageOf, order.used.length),
  };
}

/** The devices in use in pipeline order, each device's position in it (−1 unused), and each node's stage. */
interface StageOrder {
  used: number[];
  position: Int32Array;
  stageOf: Int32Array;
}

/**
 * Stages in pipeline order: by the topological position of each device's first forward op (its
 * first op for a device with none). Sequential and contiguous splits fill devices in that order
 * anyway; an `any` split need not, and 1F1B's in-flight bound S − s assumes the order data flows in.
 */
function stageOrder(model: ThroughputModel, nodeDevice: Int32Array, D: number): StageOrder {
  const { graph, index } = model;
  const firstRank = new Float64Array(D).fill(Infinity);
  const firstAnyRank = new Float64Array(D).fill(Infinity);
  for (let v = 0; v < graph.nodes.length; v++) {
    const d = nodeDevice[v];
    const r = index.topoRank[v];
    if (r < firstAnyRank[d]) firstAnyRank[d] = r;
    if (!model.backward[v] && r < firstRank[d]) firstRank[d] = r;
  }
  const used: number[] = [];
  for (let d = 0; d < D; d++) if (firstAnyRank[d] < Infinity) used.push(d);
  const orderKey = (d: number) => (firstRank[d] < Infinity ? firstRank[d] : graph.nodes.length + firstAnyRank[d]);
  used.sort((a, b) => orderKey(a) - orderKey(b) || a - b);
  const position = new Int32Array(D).fill(-1);
  used.forEach((d, p) => (position[d] = p));
  return { used, position, stageOf: Int32Array.from(nodeDevice, (d) => position[d]) };
}

/** Per stage: node ids in topological order, memory sums and forward / backward compute. */
interface StageSums {
  nodes: string[][];
  persistent: Float64Array;
  /** The largest workspace of one op. */
  temporary: Float64Array;
  /** Activations one microbatch stashes. */
  activation: Float64Array;
  forwardUs: Float64Array;
  backwardUs: Float64Array;
}

function stageSums(model: ThroughputModel, deviceOfUnit: Int32Array, { used, position, stageOf }: StageOrder): StageSums {
  const { graph, index } = model;
  const S = used.length;
  const sums: StageSums = {
    nodes: Array.from({ length: S }, () => []),
    persistent: new Float64Array(S),
    temporary: new Float64Array(S),
    activation: new Float64Array(S),
    forwardUs: new Float64Array(S),
    backwardUs: new Float64Array(S),
  };
  for (const v of index.topo) {
    const s = stageOf[v];
    const node = graph.nodes[v];
    sums.nodes[s].push(node.id);
    sums.persistent[s] += node.persistentBytes;
    sums.temporary[s] = Math.max(sums.temporary[s], node.temporaryBytes);
    if (model.backward[v]) sums.backwardUs[s] += node.computeUs;
    else sums.forwardUs[s] += node.computeUs;
  }
  for (let u = 0; u < model.units.length; u++) sums.activation[position[deviceOfUnit[u]]] += model.unitActivation[u];
  return sums;
}

/** One step of the schedule on these stages (schedule.ts), with the model's transfer times and the stages' memory. */
function simulateStages(model: ThroughputModel, { used, stageOf }: StageOrder, sums: StageSums, options: PipelineOptions): SimulatedPipeline {
  const { graph, index, link } = model;
  return simulatePipeline({
    graph,
    index,
    stageOf,
    stages: used.length,
    stageDevices: used,
    microbatches: options.microbatches,
    schedule: options.schedule,
    transferUs: (k, from, to) => edgeTransferUs(link, graph.edges[k], from, to),
    persistentBytes: Float64Array.from(sums.persistent, (p, s) => p + sums.temporary[s]),
    activationBytesPerMicrobatch: sums.activation,
  });
}

function stagesOf(
  model: ThroughputModel,
  deviceOfUnit: Int32Array,
  rule: MemoryRule,
  options: PipelineOptions,
  { used }: StageOrder,
  sums: StageSums,
  sim: SimulatedPipeline,
): PipelineStage[] {
  const S = used.length;
  const { computeUs, commUs } = deviceLoads(model, deviceOfUnit, options.devices);
  return used.map((d, s) => {
    const held = model.training ? inFlightMicrobatches(options.schedule, s, S, options.microbatches) : 0;
    const stashedBytes = sums.activation[s] * held;
    return {
      index: s,
      device: d,
      nodes: sums.nodes[s],
      loadUs: computeUs[d] + commUs[d],
      computeUs: computeUs[d],
      commUs: commUs[d],
      forwardUs: sums.forwardUs[s],
      backwardUs: sums.backwardUs[s],
      memoryBytes: sums.persistent[s] + sums.temporary[s] + stashedBytes,
      persistentBytes: sums.persistent[s],
      stashedBytes,
      activationBytesPerMicrobatch: sums.activation[s],
      peakBytes: sim.peakBytes[s],
      memoryLimitBytes: rule.limits[d],
      busyUs: sim.busyUs[s],
    };
  });
}
