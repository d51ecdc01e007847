// The scheduling core's state: everything one run changes, in one object of typed arrays indexed
// by coarse node, coarse tensor, device or (tensor, device) pair, plus the problem's adjacency in
// CSR form (built once per problem and kept: refine runs the core thousands of times on one).
import { KeyedHeap } from '../heap';
import type { MemoryLine } from '../memoryLine';
import type { Problem, ProblemAdjacency } from '../problem';
import type { CoreScratch } from './runState';

export const NONE = -1;

/** Initial capacity of the ready heaps: BERT-L12's hold 129–256 entries; from 16 they grew 32 times a run. */
const HEAP_START = 256;

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
   * (etfSelection.ts; default runState.ts SCAN_READY). The plan is the same either way: tests set 0 (heaps
   * always), Infinity (scans always) and small values (switching often) to show it.
   */
  scanReady?: number;
  /**
   * Ask every device free in time at every step, also one whose candidate must be recomputed and
   * cannot start in time (CoreState.candLow). The plan is the same either way; tests set it to
   * show that.
   */
  askEveryDevice?: boolean;
}

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

export interface CoreState {
  problem: Problem;
  policy: CorePolicy;
  graph: CoreGraph;
  n: number;
  D: number;
  limits: number[];
  /** Limits are checked (not the `single` baseline) and can bind (not ample: mostEverHeld). */
  checkMemory: boolean;
  /**
   * Every op may run on every device for the whole run: no fixed device, replay or group, and
   * memory cannot bind (m-ETF and m-SCT without grouping: mayRun is asked ~21,000 times a run).
   */
  runAnywhere: boolean;
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
  /**
   * While d's candidate is not valid, a lower bound of the start it will have (index.ts schedule):
   * its last start when it must be recomputed only because it was placed elsewhere or a channel
   * it read was written (invalidateAbove: nothing on d got earlier), lowered by each op made ready
   * since (etfSelection.ts offerNew); -Infinity after anything else (invalidate).
   */
  candLow: Float64Array;

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

/** The ready heaps (etfSelection.ts), made when first needed: most runs never have enough ops ready. */
export function readyHeaps(s: CoreState): void {
  if (s.pending.length > 0) return;
  for (let d = 0; d < s.D; d++) {
    s.pending.push(new KeyedHeap(HEAP_START));
    s.avail.push(new KeyedHeap(HEAP_START));
  }
}

/** onlyOn's values besides a device (runState.ts fillOnlyOn). */
export const ANYWHERE = -2;
export const ASK_GROUP = -1;

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
  if (s.runAnywhere) return true;
  // blockedOn is only ever set where memory can bind (memoryFit.ts block)
  return isAllowed(s, v, d) && (!s.checkMemory || !s.blockedOn[v * s.D + d]);
}

/** The memory wait of (v, d) recorded so far (0 = none). */
export function memNotBeforeOf(s: CoreState, v: number, d: number): number {
  return s.memNotBefore.size === 0 ? 0 : (s.memNotBefore.get(v * s.D + d) ?? 0);
}

/** Device d's candidate must be recomputed. */
export function invalidate(s: CoreState, d: number): void {
  s.candValid[d] = 0;
  s.candLow[d] = -Infinity;
}

export function invalidateAll(s: CoreState): void {
  s.candValid.fill(0);
  s.candLow.fill(-Infinity);
}

/**
 * Device d's candidate must be recomputed, but no ready op got an earlier start on d: the
 * candidate was placed elsewhere, or a channel it read was written (channel free times only grow).
 */
export function invalidateAbove(s: CoreState, d: number): void {
  if (!s.candValid[d]) return; // its bound stands
  s.candValid[d] = 0;
  s.candLow[d] = s.candStart[d];
}

/** Some ready op's urgent time may have dropped (a device taken away, a wait lifted): forget every bound. */
export function urgentMayDrop(s: CoreState): void {
  s.urgentEpoch++;
}
