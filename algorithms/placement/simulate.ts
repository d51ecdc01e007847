// From a core result to the plan pieces users see: the schedule and transfers in terms of the
// original nodes, per-device memory timelines and peaks, busy time, the critical path, and the
// lower bound. Also the replay simulator (`simulateSchedule`).
import type { OpGraph } from '../graph';
import { GraphIndex, indexGraph } from '../graph';
import type { DevicePlan, ScheduledOp, Transfer } from '../plan';
import type { CoreResult } from './core';
import type { CoreOutcome } from './placers';
import { runCore } from './core';
import { buildTensorTable, TensorTable, timeTol } from './model';
import type { Problem } from './problem';
import { buildProblem } from './problem';
import { PlacementOrResolved, resolvedPlacementOf } from '../options';
import { OpplaceError } from '../errors';
import { ownValue } from '../records';
import { pushAll } from '../arrays';

export interface PlanPieces {
  feasible: boolean;
  reason?: string;
  makespanUs: number;
  devices: DevicePlan[];
  schedule: ScheduledOp[];
  transfers: Transfer[];
  criticalPath: string[];
  /** Indices into `transfers` that lie on the critical path. */
  criticalTransfers: number[];
}

/**
 * Expands coarse (grouped/fused) results into original nodes: members run back to back. Only the
 * placed nodes: a run that stopped (infeasible) leaves the others on device -1.
 */
export function expandSchedule(problem: Problem, res: CoreResult): { schedule: ScheduledOp[]; transfers: Transfer[] } {
  const { graph, members, tensors } = problem;
  const nodeStart = new Float64Array(graph.nodes.length);
  const nodeDevice = new Int32Array(graph.nodes.length).fill(-1);
  const schedule: ScheduledOp[] = [];
  // entries device by device in the order each ran them (starts never decrease along a device),
  // with each entry's start and node index for the ordering below
  const startOf = new Float64Array(graph.nodes.length);
  const nodeOf = new Int32Array(graph.nodes.length);
  const deviceEnd: number[] = [];
  res.order.forEach((ran, d) => {
    for (const c of ran) {
      let t = res.start[c];
      for (const i of members[c]) {
        const e = t + graph.nodes[i].computeUs;
        nodeStart[i] = t;
        nodeDevice[i] = d;
        startOf[schedule.length] = t;
        nodeOf[schedule.length] = i;
        schedule.push({ node: graph.nodes[i].id, device: d, startUs: t, endUs: e });
        t = e;
      }
    }
    deviceEnd.push(schedule.length);
  });
  const order = byStartThenRank(startOf, nodeOf, problem.index.topoRank, deviceEnd);
  const transfers: Transfer[] = res.transfers.map((tr) => {
    const t = problem.tensorIds[tr.tensor];
    const p = tensors.producer[t];
    let to = -1;
    for (const c of tensors.consumers[t]) {
      if (nodeDevice[c] === tr.dst && (to < 0 || nodeStart[c] < nodeStart[to])) to = c;
    }
    return {
      from: graph.nodes[p].id,
      to: graph.nodes[to].id,
      tensor: tensors.name[t],
      bytes: tensors.transferBytes[t],
      srcDevice: tr.src,
      dstDevice: tr.dst,
      startUs: tr.start,
      endUs: tr.end,
      ...(tr.sendStart < tr.start ? { sendStartUs: tr.sendStart } : {}),
    };
  });
  transfers.sort((a, b) => a.startUs - b.startUs || a.srcDevice - b.srcDevice || a.dstDevice - b.dstDevice);
  return { schedule: Array.from(order, (k) => schedule[k]), transfers };
}

/**
 * Schedule entries (0 .. deviceEnd[last]) ordered by start, ties to the lower topological rank.
 * Entries come device by device (device d's end at deviceEnd[d]) nearly in order — starts along a
 * device do not decrease but for rounding (a fused node's members' starts are summed one by one,
 * the next node's start from its total), and equal starts (zero-time ops) are in run order, not
 * rank order — so an insertion sort per device, then a merge of the devices, instead of a
 * comparator sort of all entries (7 % of a BERT-L12 re-place's profile; m-ETF on a prepared graph,
 * placeMs 1.94 → 1.89 ms best). With many devices a merge step costs too much: there, the sort.
 */
export function byStartThenRank(startOf: Float64Array, nodeOf: Int32Array, rank: Int32Array, deviceEnd: number[]): Int32Array {
  const total = deviceEnd.length ? deviceEnd[deviceEnd.length - 1] : 0;
  const compare = (a: number, b: number) => startOf[a] - startOf[b] || rank[nodeOf[a]] - rank[nodeOf[b]];
  const before = (a: number, b: number) => compare(a, b) < 0;
  const order = Int32Array.from({ length: total }, (_, k) => k);
  if (deviceEnd.length > 16) return order.sort(compare);
  let from = 0;
  for (const end of deviceEnd) {
    // a long run of ties far from rank order would make the insertion sort quadratic: then the sort
    let moves = 0;
    for (let k = from + 1; k < end && moves <= 8 * (end - from); k++) {
      const x = order[k];
      let j = k;
      for (; j > from && before(x, order[j - 1]); j--) order[j] = order[j - 1];
      order[j] = x;
      moves += k - j;
    }
    if (moves > 8 * (end - from)) order.subarray(from, end).sort(compare);
    from = end;
  }
  const heads = deviceEnd.map((_, d) => (d === 0 ? 0 : deviceEnd[d - 1]));
  const merged = new Int32Array(total);
  for (let out = 0; out < total; out++) {
    let best = -1;
    for (let d = 0; d < deviceEnd.length; d++) if (heads[d] < deviceEnd[d] && (best < 0 || before(order[heads[d]], order[heads[best]]))) best = d;
    merged[out] = order[heads[best]++];
  }
  return merged;
}

/**
 * Per-device memory over time (original nodes, the model in model.ts), persistent included.
 * `pendingEndUs`: when a node is not in the schedule (a placer that stopped), until when the
 * outputs it would read stay held (the failure: they were still needed).
 */
export function memoryTimelines(
  graph: OpGraph,
  // Only the id → index map: the webview, which has no GraphIndex, recomputes a plan's timelines with it (webview/planWire.ts).
  index: Pick<GraphIndex, 'indexOf'>,
  schedule: ScheduledOp[],
  transfers: Transfer[],
  devices: number,
  tensors: TensorTable = buildTensorTable(graph, index.indexOf),
  pendingEndUs = 0,
): { timeline: [number, number][]; peak: number; persistent: number; peakActivation: number }[] {
  const n = graph.nodes.length;
  const dev = new Int32Array(n).fill(-1);
  const start = new Float64Array(n);
  const end = new Float64Array(n).fill(pendingEndUs);
  for (const s of schedule) {
    const i = index.indexOf.get(s.node)!;
    dev[i] = s.device;
    start[i] = s.startUs;
    end[i] = s.endUs;
  }
  const events = Array.from({ length: devices }, newMemoryEvents);
  const persistent = new Float64Array(devices);
  const freeAt = new Float64Array(n);
  for (let i = 0; i < n; i++) freeAt[i] = end[i];
  for (let t = 0; t < tensors.producer.length; t++) {
    const p = tensors.producer[t];
    for (const c of tensors.consumers[t]) if (end[c] > freeAt[p]) freeAt[p] = end[c];
  }
  const tensorKey = transferredTensors(graph, index, tensors, transfers);
  for (const tr of transfers) {
    const t = tensorKey.get(tr.from + '\u0000' + (tr.tensor ?? ''));
    if (t === undefined) continue;
    const p = tensors.producer[t];
    if (tr.endUs > freeAt[p]) freeAt[p] = tr.endUs;
    let last = tr.endUs;
    for (const c of tensors.consumers[t]) if (dev[c] === tr.dstDevice && end[c] > last) last = end[c];
    pushEvent(events[tr.dstDevice], tr.startUs, 1, tensors.bytes[t]);
    pushEvent(events[tr.dstDevice], last, 0, -tensors.bytes[t]);
  }
  for (let i = 0; i < n; i++) {
    const d = dev[i];
    if (d < 0) continue;
    const node = graph.nodes[i];
    persistent[d] += node.persistentBytes;
    const out = tensors.nodeOutBytes[i];
    if (out + node.temporaryBytes > 0) pushEvent(events[d], start[i], 1, out + node.temporaryBytes);
    if (node.temporaryBytes > 0) pushEvent(events[d], end[i], 0, -node.temporaryBytes);
    if (out > 0) pushEvent(events[d], freeAt[i], 0, -out);
  }
  return events.map((evs, d) => deviceTimeline(evs, persistent[d]));
}

/**
 * One device's memory events as columns (time, kind 0 free / 1 alloc, bytes), not a [time, kind,
 * delta, isTemp] array each (with transferredTensors: generated 100k-op graph, m-ETF plan,
 * memoryTimelines 120–137 → 109–122 ms best of 12; what is left is mostly the sort of ~75k events
 * per device, which a comparator or a packed-key native sort do in the same ~22 ms).
 */
interface MemoryEvents {
  time: number[];
  kind: number[];
  delta: number[];
}

const newMemoryEvents = (): MemoryEvents => ({ time: [], kind: [], delta: [] });

function pushEvent(e: MemoryEvents, time: number, kind: number, delta: number): void {
  e.time.push(time);
  e.kind.push(kind);
  e.delta.push(delta);
}

/** "producer id\0tensor name" → tensor index, for the tensors of producers that send something (not all 100k). */
function transferredTensors(graph: OpGraph, index: Pick<GraphIndex, 'indexOf'>, tensors: TensorTable, transfers: Transfer[]): Map<string, number> {
  const tensorKey = new Map<string, number>();
  if (transfers.length === 0) return tensorKey;
  const sends = new Uint8Array(graph.nodes.length);
  for (const tr of transfers) {
    const p = index.indexOf.get(tr.from);
    if (p !== undefined) sends[p] = 1;
  }
  for (let t = 0; t < tensors.producer.length; t++) {
    const p = tensors.producer[t];
    if (sends[p]) tensorKey.set(graph.nodes[p].id + '\u0000' + tensors.name[t], t);
  }
  return tensorKey;
}

/**
 * The steps of memory in use on one device: events by time, frees before allocations at the same
 * instant, then in the order they were made (what a stable sort of the events gave: the same sums).
 */
function deviceTimeline(evs: MemoryEvents, persistent: number): { timeline: [number, number][]; peak: number; persistent: number; peakActivation: number } {
  const { time, kind, delta } = evs;
  const order = Int32Array.from({ length: time.length }, (_, k) => k);
  order.sort((a, b) => time[a] - time[b] || kind[a] - kind[b] || a - b);
  const timeline: [number, number][] = [[0, persistent]];
  let cur = persistent;
  let peak = cur;
  let peakDyn = 0;
  for (let k = 0; k < order.length; k++) {
    const e = order[k];
    cur += delta[e];
    const last = k === order.length - 1 || time[order[k + 1]] !== time[e];
    if (!last) continue;
    const tl = timeline[timeline.length - 1];
    if (tl[0] === time[e]) tl[1] = cur;
    else timeline.push([time[e], cur]);
    if (cur > peak) peak = cur;
    if (cur - persistent > peakDyn) peakDyn = cur - persistent;
  }
  return { timeline, peak, persistent, peakActivation: peakDyn };
}

/** First index in [0, n) whose key is ≥ `from`, the keys sorted ascending (n when none is). */
function firstAtLeast(n: number, keyAt: (i: number) => number, from: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyAt(mid) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A channel side a transfer frees: device d's channel as its sender (at send end) or receiver (at its end). */
interface ChannelEnd {
  t: number;
  k: number;
  asSender: boolean;
}

/** What the critical-path walk looks things up in, built once per walk, and what it has walked. */
interface PathWalk {
  graph: OpGraph;
  index: GraphIndex;
  transfers: Transfer[];
  /** The scheduled op of each node, by node index (ids looked up once, not per step: 100k ops). */
  opOf: (ScheduledOp | undefined)[];
  /** Ops per device sorted by end, to find the one that ended when another started. */
  devOps: Map<number, ScheduledOp[]>;
  /** producer index × keyDevices + destination device → transfer indices. */
  incoming: Map<number, number[]>;
  /** Device count for `incoming`'s keys (one more than the highest device seen). */
  keyDevices: number;
  /** Producer node index of each transfer. */
  fromOf: Int32Array;
  /** Per device, when each transfer leaves its channel free, sorted for binary search. */
  chanEnds: ChannelEnd[][];
  /** Nodes walked, by index. */
  visited: Uint8Array;
  seenTransfer: Set<number>;
  /** Critical transfers, walk order. */
  crit: number[];
}

const sendStartOf = (tr: Transfer) => tr.sendStartUs ?? tr.startUs;
const near = (a: number, b: number) => Math.abs(a - b) <= timeTol(Math.max(a, b));

function pathWalk(graph: OpGraph, index: GraphIndex, schedule: ScheduledOp[], transfers: Transfer[]): PathWalk {
  const opOf: (ScheduledOp | undefined)[] = new Array(graph.nodes.length);
  let keyDevices = 1;
  for (const s of schedule) {
    opOf[index.indexOf.get(s.node)!] = s;
    keyDevices = Math.max(keyDevices, s.device + 1);
  }
  for (const tr of transfers) keyDevices = Math.max(keyDevices, tr.dstDevice + 1, tr.srcDevice + 1);
  const fromOf = Int32Array.from(transfers, (tr) => index.indexOf.get(tr.from)!);
  const devOps = new Map<number, ScheduledOp[]>();
  for (const s of schedule) {
    if (!devOps.has(s.device)) devOps.set(s.device, []);
    devOps.get(s.device)!.push(s);
  }
  for (const list of devOps.values()) list.sort((a, b) => a.endUs - b.endUs || a.startUs - b.startUs);
  const incoming = new Map<number, number[]>();
  transfers.forEach((tr, k) => {
    const key = fromOf[k] * keyDevices + tr.dstDevice;
    if (!incoming.has(key)) incoming.set(key, []);
    incoming.get(key)!.push(k);
  });
  // A send ends at sendStart + duration, a receive at endUs (Baechi's channel model, plan.ts Transfer).
  const chanEnds: ChannelEnd[][] = [];
  transfers.forEach((tr, k) => {
    const sides: [number, number, boolean][] = [
      [tr.srcDevice, sendStartOf(tr) + (tr.endUs - tr.startUs), true],
      [tr.dstDevice, tr.endUs, false],
    ];
    for (const [d, t, asSender] of sides) (chanEnds[d] ??= []).push({ t, k, asSender });
  });
  for (const list of chanEnds) list?.sort((a, b) => a.t - b.t || a.k - b.k);
  const visited = new Uint8Array(graph.nodes.length);
  return { graph, index, transfers, opOf, devOps, incoming, keyDevices, fromOf, chanEnds, visited, seenTransfer: new Set(), crit: [] };
}

/** Among the ops of `list` ending at t and not yet walked, the one that started last (zero-length ops chain back in order). */
function opEndingAt(walk: PathWalk, list: ScheduledOp[], t: number, not: ScheduledOp): ScheduledOp | null {
  const lo = firstAtLeast(list.length, (i) => list[i].endUs, t - timeTol(t));
  let found: ScheduledOp | null = null;
  for (let k = lo; k < list.length && list[k].endUs <= t + timeTol(t); k++) {
    if (list[k] !== not && list[k].startUs <= not.startUs && !walk.visited[walk.index.indexOf.get(list[k].node)!]) found = list[k];
  }
  return found;
}

/** A transfer not yet walked that left device d's channel free at time t. */
function channelFreedAt(walk: PathWalk, d: number, t: number): ChannelEnd | undefined {
  const list = walk.chanEnds[d];
  if (!list) return undefined;
  const lo = firstAtLeast(list.length, (i) => list[i].t, t - timeTol(t));
  for (let j = lo; j < list.length && list[j].t <= t + timeTol(t); j++) if (!walk.seenTransfer.has(list[j].k)) return list[j];
  return undefined;
}

/**
 * Follows transfer k's chain back to the op whose end started it (the chain then joins the
 * critical transfers), through the channel that held each transfer up; null when it reaches a gap.
 */
function opBehindTransfer(walk: PathWalk, k: number): ScheduledOp | null {
  const { transfers, opOf, fromOf } = walk;
  // `viaSend`: the chain reached this transfer through the end of its send (so its send start
  // matters), else through its receive
  let tk = k;
  let viaSend = false;
  const chain: number[] = [];
  for (let hop = 0; hop < transfers.length; hop++) {
    chain.push(tk);
    const tr = transfers[tk];
    const prod = opOf[fromOf[tk]]!;
    const sendStart = sendStartOf(tr);
    const recvWaited: boolean = !viaSend && tr.startUs > sendStart + timeTol(tr.startUs);
    if (!recvWaited && near(prod.endUs, sendStart)) {
      pushAll(walk.crit, chain);
      return prod;
    }
    walk.seenTransfer.add(tk);
    // channel-bound: another transfer freed the destination channel when the receive
    // started, or the source channel when the send started
    const prev: ChannelEnd | undefined = recvWaited
      ? channelFreedAt(walk, tr.dstDevice, tr.startUs)
      : (channelFreedAt(walk, tr.srcDevice, sendStart) ?? (viaSend ? undefined : channelFreedAt(walk, tr.dstDevice, tr.startUs)));
    if (prev === undefined) return null;
    tk = prev.k;
    viaSend = prev.asSender;
  }
  return null;
}

/** What made `cur` start when it did: an input (local producer, or through a transfer) first, else the op before it on its device. */
function startCause(walk: PathWalk, cur: ScheduledOp): ScheduledOp | null {
  const { index, transfers, opOf, incoming, keyDevices } = walk;
  const i = index.indexOf.get(cur.node)!;
  for (const p of index.pred[i]) {
    const ps = opOf[p]!;
    if (ps.device === cur.device && near(ps.endUs, cur.startUs)) return ps;
    for (const k of incoming.get(p * keyDevices + cur.device) ?? []) {
      if (!near(transfers[k].endUs, cur.startUs)) continue;
      const op = opBehindTransfer(walk, k);
      if (op) return op;
    }
  }
  // the device was busy until then
  return opEndingAt(walk, walk.devOps.get(cur.device)!, cur.startUs, cur);
}

/**
 * Walks back from the op that ends last, each time to what made the current item start when it
 * did: an input arriving (local producer or transfer), the previous op on the device, or for a
 * transfer its producer or the previous transfer on one of its channels. Stops at time 0 or a gap.
 */
export function criticalPath(graph: OpGraph, index: GraphIndex, schedule: ScheduledOp[], transfers: Transfer[]): { nodes: string[]; transfers: number[] } {
  if (schedule.length === 0) return { nodes: [], transfers: [] };
  const walk = pathWalk(graph, index, schedule, transfers);
  let last = schedule[0];
  for (const s of schedule) if (s.endUs > last.endUs || (s.endUs === last.endUs && s.startUs > last.startUs)) last = s;
  const nodes: string[] = [];
  let op: ScheduledOp | null = last;
  let guard = schedule.length + transfers.length + 1;
  while (op && guard-- > 0 && !walk.visited[index.indexOf.get(op.node)!]) {
    walk.visited[index.indexOf.get(op.node)!] = 1;
    nodes.push(op.node);
    if (op.startUs <= timeTol(0)) break;
    op = startCause(walk, op);
  }
  return { nodes: nodes.reverse(), transfers: walk.crit.reverse() };
}

/** max(longest path without communication, total work / devices). */
export function lowerBound(graph: OpGraph, devices: number, index: GraphIndex = indexGraph(graph)): number {
  const n = graph.nodes.length;
  const finish = new Float64Array(n);
  let longest = 0;
  let total = 0;
  for (const v of index.topo) {
    let s = 0;
    for (const p of index.pred[v]) if (finish[p] > s) s = finish[p];
    finish[v] = s + graph.nodes[v].computeUs;
    if (finish[v] > longest) longest = finish[v];
    total += graph.nodes[v].computeUs;
  }
  return Math.max(longest, total / Math.max(1, devices));
}

/** The last end of an op or a transfer. */
function lastEnd(schedule: ScheduledOp[], transfers: Transfer[]): number {
  let last = 0;
  for (const s of schedule) if (s.endUs > last) last = s.endUs;
  for (const tr of transfers) if (tr.endUs > last) last = tr.endUs;
  return last;
}

/** Per device: its limit, memory (peak, breakdown, timeline) and busy time under `schedule`. */
function devicePlans(problem: Problem, schedule: ScheduledOp[], transfers: Transfer[], limits: number[], pendingEndUs = 0): DevicePlan[] {
  const D = limits.length;
  const mem = memoryTimelines(problem.graph, problem.index, schedule, transfers, D, problem.tensors, pendingEndUs);
  const busy = new Float64Array(D);
  for (const s of schedule) busy[s.device] += s.endUs - s.startUs;
  return limits.map((limit, d) => ({
    index: d,
    memoryLimitBytes: limit,
    peakBytes: mem[d].peak,
    busyUs: busy[d],
    persistentBytes: mem[d].persistent,
    peakActivationBytes: mem[d].peakActivation,
    memoryTimeline: mem[d].timeline,
  }));
}

/** Everything of a plan except the bookkeeping fields (file, algorithm, timing). */
export function planPieces(problem: Problem, res: CoreResult, limits: number[]): PlanPieces {
  const { schedule, transfers } = expandSchedule(problem, res);
  const devices = devicePlans(problem, schedule, transfers, limits);
  const cp = criticalPath(problem.graph, problem.index, schedule, transfers);
  return {
    feasible: true,
    makespanUs: lastEnd(schedule, transfers),
    devices,
    schedule,
    transfers,
    criticalPath: cp.nodes,
    criticalTransfers: cp.transfers,
  };
}

/**
 * The devices of an infeasible plan: memory and busy time of the ops placed before the placer
 * stopped, so the viewer's bars show what filled each device (not 0 B). Outputs that an op not
 * yet placed still needs stay held until the failure (the last end so far). When nothing was
 * placed (or the placer returned no partial run) the devices are empty: limits only.
 */
export function partialDevices(problem: Problem, outcome: CoreOutcome, limits: number[]): DevicePlan[] {
  if ('filledBytes' in outcome) {
    // a topological fill has no schedule: its own count of what each device took before the failure
    return limits.map((l, d) => ({
      index: d,
      memoryLimitBytes: l,
      peakBytes: outcome.filledBytes[d],
      busyUs: outcome.filledUs[d],
      persistentBytes: outcome.persistentBytes[d],
    }));
  }
  const res = outcome as Partial<CoreResult>;
  const empty = () => limits.map((l, d) => ({ index: d, memoryLimitBytes: l, peakBytes: 0, busyUs: 0 }));
  if (!res.device || !res.start || !res.end || !res.transfers) return empty();
  const { schedule, transfers } = expandSchedule(problem, res as CoreResult);
  if (schedule.length === 0) return empty();
  return devicePlans(problem, schedule, transfers, limits, lastEnd(schedule, transfers));
}

export interface SimulateInput {
  /** Device per original node id. */
  assignment: Record<string, number> | Map<string, number>;
  /** Original node ids per device in run order; default: each device runs its ops in topological order. */
  order?: string[][];
  /**
   * The devices, their limits and the links between them (the interconnect, or a topology that
   * replaces it), as a plan's options or already resolved (algorithms/options.ts). The placer,
   * grouping and fusion do not matter: a replay runs the original ops.
   */
  placement: PlacementOrResolved;
}

/**
 * Replays a given placement with the shared core: each device runs its ops in the given order,
 * with the channel and memory model of the placers. Limits are not enforced (the peaks say
 * whether they hold); the result is the plan pieces.
 */
export function simulateSchedule(graph: OpGraph, input: SimulateInput): PlanPieces {
  const index = indexGraph(graph);
  const { options, link, topology } = resolvedPlacementOf(input.placement);
  const problem = buildProblem(graph, { grouping: 'none', fuse: false, link, ...(topology ? { topology } : {}) }, index);
  const D = options.devices;
  const get = (id: string) => (input.assignment instanceof Map ? input.assignment.get(id) : ownValue(input.assignment, id));
  const order: number[][] = Array.from({ length: D }, () => []);
  if (input.order) {
    const seen = new Set<string>();
    input.order.forEach((list, d) => {
      for (const id of list) {
        const i = index.indexOf.get(id);
        if (i === undefined) throw new OpplaceError(`order lists unknown node "${id}"`, { node: id });
        if (seen.has(id)) throw new OpplaceError('node appears twice in the device order', { node: id });
        seen.add(id);
        order[d].push(problem.coarseOf[i]);
      }
    });
    if (seen.size !== graph.nodes.length) throw new OpplaceError(`the device order lists ${seen.size} of ${graph.nodes.length} nodes`);
  } else {
    for (const v of index.topo) {
      const id = graph.nodes[v].id;
      const d = get(id);
      if (d === undefined || !Number.isInteger(d) || d < 0 || d >= D)
        throw new OpplaceError(`no valid device (got ${String(d)}; devices 0..${D - 1})`, { node: id });
      order[d].push(problem.coarseOf[v]);
    }
  }
  const limits = options.memoryLimits;
  const res = runCore(problem, { devices: D, limits, deviceOrder: order, ignoreMemory: true });
  return planPieces(problem, res, limits);
}
