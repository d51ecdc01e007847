// The scheduling core's state: everything one run changes, in one object of typed arrays indexed
// by coarse node, coarse tensor, device or (tensor, device) pair, plus the problem's adjacency in
// CSR form (built once per problem and kept: refine runs the core thousands of times on one).
import { KeyedHeap } from '../heap';
import { MemoryLine } from '../memoryLine';
import type { Problem, ProblemAdjacency } from '../problem';

export const NONE = -1;

/** Initial capacity of the ready heaps: BERT-L12's hold 129–256 entries; from 16 they grew 32 times a run. */
const HEAP_START = 256;

/** Entries of the readyOn memo at most (rows × devices; 16 bytes each). */
const MEMO_ENTRIES = 1 << 20;

export interface CorePolicy {
  devices: number;
  /** Memory limit per device in bytes (Infinity = unlimited). */
  limits: number[];
  /** Coarse node → device, or -1 where the core may choose. */
  fixedDevice?: Int32Array;
  /** Replay: each device runs exactly these coarse nodes in this order. */
  deviceOrder?: number[][];
  /** m-SCT favourite child / parent per coarse node (-1 = none); selects the SCT awake rule. */
  favChild?: Int32Array;
  favParent?: Int32Array;
  /** Place without checking limits (the `single` baseline reports the overflow afterwards). */
  ignoreMemory?: boolean;
  /**
   * Ready ops up to which a device scans them for its candidate, beyond which heaps take over
   * (etfSelection.ts; default SCAN_READY). The plan is the same either way: tests set 0 (heaps
   * always), Infinity (scans always) and small values (switching often) to show it.
   */
  scanReady?: number;
}

/**
 * Scan up to this many ready ops; above, the heaps (until fewer than a quarter are ready, so that
 * a count near the limit does not rebuild them each step). A scan goes in rank order and stops
 * early (etfSelection.ts), so it beats the heaps' upkeep well past BERT-L12's 211 ready ops at the
 * start; with no limit a 25k-consumer fan-out was quadratic (m-TOPO 514 ms, 19 ms with heaps).
 * Core, 4 devices, best run (BERT-L12 training; random DAG 10k; 50k ops with 1M edges), m-TOPO /
 * m-ETF / m-SCT: limit 32: 0.61 / 1.15 / 1.75 ms; 22.2 / 44.1 / 67.8; — · limit 256: 0.57 / 0.84 /
 * 1.40; 19.0 / 31.2 / 46.0; 29.8 / 120 / 137 · limit 512: 0.55 / 0.81 / 1.33; 12.9 / 32.0 / 47.7;
 * 29.7 / 120 / 137 · limit 1024: —; 12.7 / 32.4 / 47.3; 28.4 / 117 / 127.
 */
const SCAN_READY = 512;

export interface CoreTransfer {
  /** Coarse tensor index. */
  tensor: number;
  src: number;
  dst: number;
  /** Send start on the source channel, which is busy from here for the transfer time. */
  sendStart: number;
  /** Receive start on the destination channel (≥ sendStart); the data is there at `end`. */
  start: number;
  end: number;
}

export interface CoreResult {
  feasible: boolean;
  reason?: string;
  /** Coarse node that could not be placed (when infeasible). */
  failedNode?: number;
  device: Int32Array;
  start: Float64Array;
  end: Float64Array;
  transfers: CoreTransfer[];
  /** Coarse nodes per device in the order they run. */
  order: number[][];
}

export type { Csr } from '../problem';

/** The problem's adjacency (CSR, built with the problem: refine runs the core thousands of times on one). */
export type CoreGraph = ProblemAdjacency;

const heldBounds = new WeakMap<Problem, number>();

/**
 * An upper bound of what any one device can ever hold: every persistent byte, every op's output
 * block and workspace, every tensor received once. Under a limit at least this large memory never
 * binds (the fit tests of memoryFit.ts always pass), so the core skips the memory bookkeeping:
 * with ample limits it was 1 of BERT-L12's 4 evaluations per op and its 7,000 timeline inserts.
 */
export function mostEverHeld(problem: Problem): number {
  let bound = heldBounds.get(problem);
  if (bound === undefined) {
    bound = 0;
    for (let v = 0; v < problem.n; v++) bound += (problem.group[v] < 0 ? problem.persistent[v] : 0) + problem.outBytes[v] + problem.temporary[v];
    for (const b of problem.groupPersistent) bound += b;
    for (const b of problem.tBytes) bound += b;
    heldBounds.set(problem, bound);
  }
  return bound;
}

/** Whether a device's memory can bind at these limits (the timelines' sums round: a margin of 10⁻⁹). */
function memoryCanBind(problem: Problem, limits: number[]): boolean {
  const held = mostEverHeld(problem) * (1 + 1e-9);
  return limits.some((l) => !(held <= l));
}

export interface CoreState {
  problem: Problem;
  policy: CorePolicy;
  graph: CoreGraph;
  n: number;
  D: number;
  limits: number[];
  /** Limits are checked (not the `single` baseline) and can bind (not ample: mostEverHeld). */
  checkMemory: boolean;
  /** Per device pair (src · D + dst) the topology's link kind, or undefined (one link for all). */
  pairLink: ArrayLike<number> | undefined;
  commByLink: Float64Array[] | undefined;

  // --- per coarse node
  device: Int32Array;
  start: Float64Array;
  end: Float64Array;
  /** Latest time the node's output block is still needed (consumer ends, outgoing transfers). */
  lastUse: Float64Array;
  predPending: Int32Array;
  succPending: Int32Array;
  groupDevice: Int32Array;
  /** Where the node may run (isAllowed): ANYWHERE, ASK_GROUP, or the one device (D = none). */
  onlyOn: Int32Array;

  // --- per device
  devFree: Float64Array;
  chanFree: Float64Array;
  memory: MemoryLine[];
  order: number[][];

  // --- per tensor and (tensor, device)
  tensorPending: Int32Array;
  /** When tensor k is on device d (NaN = not sent there), at k · D + d. */
  arrival: Float64Array;
  /** Last consumer end of the copy of k on d, at k · D + d. */
  copyLastUse: Float64Array;
  /** Devices holding a copy of tensor k, as a list through the transfers: first and next transfer index. */
  copyFirst: Int32Array;
  copyLast: Int32Array;
  copyNext: number[];
  transfers: CoreTransfer[];

  // --- ETF selection: per device, ready ops by when their inputs can be there / by rank (made by readyHeaps)
  pending: KeyedHeap[];
  avail: KeyedHeap[];
  candStart: Float64Array;
  /**
   * candidateOn(d) as last computed (candV[d], start candStart[d]) while candValid[d]: it is a
   * function of the state (the heap keys are lower bounds, so the heaps' lazy order does not
   * matter), so it is recomputed only after something it reads changed — a push to d's heaps,
   * a start on d, any transfer (channels, arrivals), a group pinned, its op placed, a memory wait
   * on d (invalidate / invalidateAll).
   */
  candV: Int32Array;
  candValid: Uint8Array;
  /** The channels candV[d]'s evaluation read (channelBit): a transfer on others leaves it valid. */
  candChannels: Int32Array;

  // --- memory waits
  /** A start (v, d) must wait for this (the frees known so far), at v · D + d. */
  memNotBefore: Map<number, number>;
  blockedOn: Uint8Array;
  memBlocked: number[][];

  // --- replay
  replay: number[][] | undefined;
  replayDevice: Int32Array;
  replayPos: Int32Array;

  // --- every ready, unplaced op (readyList[readyHead .. readyHead + readyCount)): by topological
  // rank while scanning (etfSelection.ts), in any order while wide, then with each op's position in
  // readyPos. The list starts in the middle of 2n + 1 entries: it grows at the front at most once
  // per op made ready, and at the back as often, so it never runs out of room on either side.
  readyList: Int32Array;
  readyHead: number;
  readyPos: Int32Array;
  readyCount: number;
  /** A ready op's latest producer end: a lower bound of when its inputs can be anywhere (readyLowerBound). */
  inputsDone: Float64Array;
  /** Lower bounds of a ready op's readiness from its producers' ends and the cheapest sends (index.ts arrivalBound). */
  farReady: Float64Array;
  nearReady: Float64Array;
  /** The device farReady leaves out (NONE: no input yet). */
  nearDevice: Int32Array;
  /** Per succ entry (v → c), the longest of v's tensors to c over the cheapest link (sendTimes). */
  succSendUs: Float64Array;
  /** Per inTensors entry, the tensor's producer (evaluate reads it for every input). */
  inProducer: Int32Array;
  /** The heaps hold every ready op (etfSelection.ts): more than scanMax were ready; until fewer than scanLeave. */
  wide: boolean;
  scanMax: number;
  scanLeave: number;

  // --- m-SCT (favourite children given, not a replay)
  sct: boolean;
  /**
   * A lower bound of each ready op's urgent time (sctAwake.ts), valid while urgentEpochOf[v] =
   * urgentEpoch. Urgent times only grow as devices and channels fill, except when an op's allowed
   * devices shrink (a group pinned, a memory block), a memory wait is lifted (unblock) or a tensor
   * reaches a device for another consumer (rekeyConsumers): those end the bounds (urgentMayDrop).
   */
  urgentLow: Float64Array;
  urgentEpochOf: Int32Array;
  urgentEpoch: number;

  // --- readyOn's memo (channels.ts): a row of D values per op (row = v & memoRowMask, each entry
  // keyed by its op in memoKey), valid while the channels it read are unwritten since memoAt (a count
  // of channel writes; lastWrite per channel)
  memoRowMask: number;
  /** The op each entry was computed for (NONE = no entry). */
  memoKey: Int32Array;
  memoAt: Int32Array;
  memoReady: Float64Array;
  memoChannels: Int32Array;
  channelWrites: number;
  lastWrite: Int32Array;

  // --- the last evaluation (channels.ts), kept here so that evaluating allocates nothing
  evStart: number;
  evDataReady: number;
  /** The channels it read (channelBit of each), when an input had to be sent. */
  evChannels: number;
  evFirstCopy: number;
  evCopyBytes: number;
  /** The lower bound memoryPlan found for the transfers and start. */
  planNotBefore: number;
  /** The op selection's last choice: its start, and when it is chosen (m-SCT: once urgent). */
  choiceStart: number;
  choiceAt: number;
  urgentAt: number;
  /** Channel free times as an evaluation would leave them: valid where scratchStamp = stamp. */
  scratchChan: Float64Array;
  scratchStamp: Int32Array;
  stamp: number;
  /** Where the arrays above that the result does not keep came from (releaseScratch). */
  scratch: CoreScratch;
}

export function createState(problem: Problem, policy: CorePolicy): CoreState {
  const { n } = problem;
  const D = policy.devices;
  if (problem.topology && problem.topology.devices !== D) throw new Error(`internal: topology of ${problem.topology.devices} devices, placing on ${D}`);
  const replay = policy.deviceOrder;
  const sct = policy.favChild !== undefined && !replay;
  const checkMemory = !policy.ignoreMemory && memoryCanBind(problem, policy.limits);
  const scanMax = policy.scanReady ?? SCAN_READY;
  const scratch = takeScratch(problem, policy, checkMemory, sct);
  return {
    problem,
    policy,
    graph: problem.adjacency,
    n,
    D,
    limits: policy.limits,
    checkMemory,
    pairLink: problem.topology?.pairLink,
    commByLink: problem.tCommByLink,
    device: new Int32Array(n).fill(NONE),
    start: new Float64Array(n),
    end: new Float64Array(n),
    memory: Array.from({ length: D }, () => new MemoryLine()),
    order: Array.from({ length: D }, () => []),
    copyNext: [],
    transfers: [],
    memNotBefore: new Map(),
    memBlocked: Array.from({ length: D }, () => []),
    replay,
    readyHead: n,
    readyCount: 0,
    wide: false,
    scanMax,
    scanLeave: Math.ceil(scanMax / 4),
    sct,
    urgentEpoch: 1,
    channelWrites: 0,
    evStart: 0,
    evDataReady: 0,
    evChannels: 0,
    evFirstCopy: 0,
    evCopyBytes: 0,
    planNotBefore: 0,
    choiceStart: 0,
    choiceAt: 0,
    urgentAt: 0,
    stamp: 0,
    memoRowMask: scratch.memoRows - 1,
    succSendUs: sendTimes(problem),
    inProducer: inputProducers(problem),
    scratch,
    ...scratch.arrays,
  };
}

/** The arrays of a run that its result does not keep: CoreScratch. */
type ScratchArrays = Pick<
  CoreState,
  | 'predPending'
  | 'groupDevice'
  | 'onlyOn'
  | 'replayDevice'
  | 'lastUse'
  | 'succPending'
  | 'tensorPending'
  | 'copyLastUse'
  | 'devFree'
  | 'chanFree'
  | 'arrival'
  | 'copyFirst'
  | 'copyLast'
  | 'candStart'
  | 'candV'
  | 'candValid'
  | 'candChannels'
  | 'blockedOn'
  | 'replayPos'
  | 'readyList'
  | 'readyPos'
  | 'inputsDone'
  | 'farReady'
  | 'nearReady'
  | 'nearDevice'
  | 'urgentLow'
  | 'urgentEpochOf'
  | 'memoKey'
  | 'memoAt'
  | 'memoReady'
  | 'memoChannels'
  | 'lastWrite'
  | 'scratchChan'
  | 'scratchStamp'
  | 'pending'
  | 'avail'
>;

/**
 * A run's working arrays, kept per problem for the next run with as many devices (refine and
 * compare run the core many times on one problem, the viewer once per click): a run takes them
 * (takeScratch), resets what it reads before writing, and gives them back (releaseScratch).
 * Allocating them each run made BERT-L12's createState 30 µs; reset, 12 µs.
 */
export interface CoreScratch {
  devices: number;
  memoRows: number;
  /** The arrays that track held memory are full size (heldArrays). */
  held: boolean;
  sct: boolean;
  arrays: ScratchArrays;
}

const idleScratch = new WeakMap<Problem, CoreScratch[]>();
const pendingTemplates = new WeakMap<Problem, { pred: Int32Array; succ: Int32Array; consumers: Int32Array }>();

function takeScratch(problem: Problem, policy: CorePolicy, checkMemory: boolean, sct: boolean): CoreScratch {
  const idle = idleScratch.get(problem) ?? [];
  idleScratch.set(problem, idle);
  const at = idle.findIndex((x) => x.devices === policy.devices);
  const scratch = at < 0 ? newScratch(problem, policy.devices) : idle.splice(at, 1)[0];
  resetScratch(problem, policy, scratch, checkMemory, sct);
  return scratch;
}

/** The run is over: its working arrays go back for the next run on this problem. */
export function releaseScratch(s: CoreState): void {
  idleScratch.get(s.problem)?.push(s.scratch);
}

function newScratch(problem: Problem, D: number): CoreScratch {
  const { n } = problem;
  const T = problem.tProducer.length;
  // one memo row per op where MEMO_ENTRIES allows (BERT-L12: 2,048 × 4), else ops share rows
  let rows = 1;
  while (rows < n && rows * 2 * D <= MEMO_ENTRIES) rows *= 2;
  const none = { lastUse: new Float64Array(0), succPending: new Int32Array(0), tensorPending: new Int32Array(0), copyLastUse: new Float64Array(0) };
  return {
    devices: D,
    memoRows: rows,
    held: false,
    sct: false,
    arrays: {
      predPending: new Int32Array(n),
      groupDevice: new Int32Array(problem.groupCount),
      onlyOn: new Int32Array(n),
      replayDevice: new Int32Array(n),
      ...none,
      devFree: new Float64Array(D),
      chanFree: new Float64Array(D),
      arrival: new Float64Array(T * D),
      copyFirst: new Int32Array(T),
      copyLast: new Int32Array(T),
      candStart: new Float64Array(D),
      candV: new Int32Array(D),
      candValid: new Uint8Array(D),
      candChannels: new Int32Array(D),
      blockedOn: new Uint8Array(n * D),
      replayPos: new Int32Array(D),
      readyList: new Int32Array(2 * n + 1),
      readyPos: new Int32Array(n),
      inputsDone: new Float64Array(n),
      farReady: new Float64Array(n),
      nearReady: new Float64Array(n),
      nearDevice: new Int32Array(n),
      urgentLow: new Float64Array(0),
      urgentEpochOf: new Int32Array(0),
      memoKey: new Int32Array(rows * D),
      memoAt: new Int32Array(rows * D),
      memoReady: new Float64Array(rows * D),
      memoChannels: new Int32Array(rows * D),
      lastWrite: new Int32Array(D),
      scratchChan: new Float64Array(D),
      scratchStamp: new Int32Array(D),
      pending: [],
      avail: [],
    },
  };
}

/** Everything a run reads before it writes it, as a new run starts (the rest is guarded: memo keys, stamps, epochs). */
function resetScratch(problem: Problem, policy: CorePolicy, scratch: CoreScratch, checkMemory: boolean, sct: boolean): void {
  const a = scratch.arrays;
  const counts = pendingTemplatesOf(problem);
  a.predPending.set(counts.pred);
  a.groupDevice.fill(NONE);
  a.replayDevice.fill(NONE);
  policy.deviceOrder?.forEach((list, d) => list.forEach((v) => (a.replayDevice[v] = d)));
  fillOnlyOn(a.onlyOn, problem, policy, a.replayDevice);
  if (checkMemory) {
    if (!scratch.held) {
      scratch.held = true;
      a.lastUse = new Float64Array(problem.n);
      a.succPending = new Int32Array(problem.n);
      a.tensorPending = new Int32Array(problem.tProducer.length);
      a.copyLastUse = new Float64Array(problem.tProducer.length * scratch.devices);
    }
    a.lastUse.fill(0);
    a.succPending.set(counts.succ);
    a.tensorPending.set(counts.consumers);
    a.copyLastUse.fill(0);
  }
  if (sct && !scratch.sct) {
    scratch.sct = true;
    a.urgentLow = new Float64Array(problem.n);
    a.urgentEpochOf = new Int32Array(problem.n);
  }
  a.urgentEpochOf.fill(0);
  a.devFree.fill(0);
  a.chanFree.fill(0);
  a.arrival.fill(NaN);
  a.copyFirst.fill(NONE);
  a.copyLast.fill(NONE);
  a.candV.fill(NONE);
  a.candValid.fill(0);
  a.blockedOn.fill(0);
  a.replayPos.fill(0);
  a.inputsDone.fill(0);
  a.farReady.fill(0);
  a.nearReady.fill(0);
  a.nearDevice.fill(NONE);
  a.memoKey.fill(NONE);
  a.lastWrite.fill(0);
  a.scratchStamp.fill(0);
  for (const h of a.pending) h.clear();
  for (const h of a.avail) h.clear();
}

const sendTimesOf = new WeakMap<Problem, Float64Array>();

/**
 * Per succ entry (v → c), the longest transfer time among v's tensors that c reads, over the
 * cheapest link: how long after v ends the last of them can be on another device at the soonest.
 */
function sendTimes(problem: Problem): Float64Array {
  let times = sendTimesOf.get(problem);
  if (times) return times;
  const { succ, consumers } = problem.adjacency;
  const cheapest = Float64Array.from(problem.tCommUs);
  for (const byLink of problem.tCommByLink ?? []) for (let k = 0; k < cheapest.length; k++) cheapest[k] = Math.min(cheapest[k], byLink[k]);
  times = new Float64Array(succ.list.length);
  // tensors of one producer are consecutive (problem.ts): its successors' succ positions are marked
  // once per producer (a 100k-consumer fan-out would be quadratic with a search per consumer)
  const at = new Int32Array(problem.n);
  let marked = NONE;
  for (let k = 0; k < problem.tProducer.length; k++) {
    const v = problem.tProducer[k];
    if (v !== marked) {
      for (let i = succ.start[v]; i < succ.start[v + 1]; i++) at[succ.list[i]] = i;
      marked = v;
    }
    for (let j = consumers.start[k]; j < consumers.start[k + 1]; j++) {
      const i = at[consumers.list[j]];
      if (cheapest[k] > times[i]) times[i] = cheapest[k];
    }
  }
  sendTimesOf.set(problem, times);
  return times;
}

const inputProducersOf = new WeakMap<Problem, Int32Array>();

function inputProducers(problem: Problem): Int32Array {
  let p = inputProducersOf.get(problem);
  if (!p) inputProducersOf.set(problem, (p = Int32Array.from(problem.adjacency.inTensors.list, (k) => problem.tProducer[k])));
  return p;
}

/** Per x, the length of its CSR list (what is still pending of it). */
function pendingCounts(csr: { start: Int32Array }): Int32Array {
  const counts = new Int32Array(csr.start.length - 1);
  for (let x = 0; x < counts.length; x++) counts[x] = csr.start[x + 1] - csr.start[x];
  return counts;
}

/** What a run starts with pending: per node its predecessors and successors, per tensor its consumers. */
function pendingTemplatesOf(problem: Problem): { pred: Int32Array; succ: Int32Array; consumers: Int32Array } {
  let t = pendingTemplates.get(problem);
  if (!t) {
    const { pred, succ, consumers } = problem.adjacency;
    t = { pred: pendingCounts(pred), succ: pendingCounts(succ), consumers: pendingCounts(consumers) };
    pendingTemplates.set(problem, t);
  }
  return t;
}

/** The ready heaps (etfSelection.ts), made when first needed: most runs never have enough ops ready. */
export function readyHeaps(s: CoreState): void {
  if (s.pending.length > 0) return;
  for (let d = 0; d < s.D; d++) {
    s.pending.push(new KeyedHeap(HEAP_START));
    s.avail.push(new KeyedHeap(HEAP_START));
  }
}

const ANYWHERE = -2;
const ASK_GROUP = -1;

/**
 * Per node where it may run, decided once: replay's device, a fixed device, its group's device
 * (known once the group is pinned), or anywhere. isAllowed is asked for every ready op on every
 * device at every scan; reading policy, replay and group there was 8 % of m-SCT's profile.
 */
function fillOnlyOn(only: Int32Array, problem: Problem, policy: CorePolicy, replayDevice: Int32Array): void {
  const D = policy.devices;
  for (let v = 0; v < problem.n; v++) {
    if (policy.deviceOrder) only[v] = replayDevice[v] >= 0 ? replayDevice[v] : D;
    else if (policy.fixedDevice && policy.fixedDevice[v] >= 0) only[v] = policy.fixedDevice[v];
    else only[v] = problem.group[v] >= 0 ? ASK_GROUP : ANYWHERE;
  }
}

/** Whether the core may run v on d at all: replay's device, a fixed device, or v's group's device. */
export function isAllowed(s: CoreState, v: number, d: number): boolean {
  const only = s.onlyOn[v];
  if (only === ANYWHERE) return true;
  if (only >= 0) return only === d;
  const gd = s.groupDevice[s.problem.group[v]];
  return gd < 0 || gd === d;
}

/** Not placed yet, not waiting for memory on d, and allowed on d. */
export function usable(s: CoreState, v: number, d: number): boolean {
  return s.device[v] === NONE && mayRun(s, v, d);
}

/** usable, for an op known not to be placed (one in the ready list; the heaps hold placed ones too). */
export function mayRun(s: CoreState, v: number, d: number): boolean {
  return !s.blockedOn[v * s.D + d] && isAllowed(s, v, d);
}

/** The memory wait of (v, d) recorded so far (0 = none). */
export function memNotBeforeOf(s: CoreState, v: number, d: number): number {
  return s.memNotBefore.size === 0 ? 0 : (s.memNotBefore.get(v * s.D + d) ?? 0);
}

/** Device d's candidate must be recomputed. */
export function invalidate(s: CoreState, d: number): void {
  s.candValid[d] = 0;
}

export function invalidateAll(s: CoreState): void {
  s.candValid.fill(0);
}

/** Some ready op's urgent time may have dropped (a device taken away, a wait lifted): forget every bound. */
export function urgentMayDrop(s: CoreState): void {
  s.urgentEpoch++;
}
