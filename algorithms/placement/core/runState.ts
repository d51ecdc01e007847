// A run's state as it starts: the fresh arrays its result keeps, the working arrays it takes from
// the ones kept per problem (CoreScratch) and the tables derived from the problem once
// (problemTables.ts).
import { MemoryLine } from '../memoryLine';
import type { Problem } from '../problem';
import { inputProducers, memoryCanBind, pendingTemplatesOf, sendTimes } from './problemTables';
import { ANYWHERE, ASK_GROUP, CorePolicy, CoreState, NONE } from './state';

/** Entries of the readyOn memo at most (rows × devices; 16 bytes each). */
const MEMO_ENTRIES = 1 << 20;

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
    runAnywhere: !checkMemory && !replay && !policy.fixedDevice && problem.groupCount === 0,
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
  | 'candLow'
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
  /** The arrays that track held memory are full size (resetScratch makes them when memory can first bind). */
  held: boolean;
  sct: boolean;
  arrays: ScratchArrays;
}

const idleScratch = new WeakMap<Problem, CoreScratch[]>();

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
      candLow: new Float64Array(D),
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
  a.candLow.fill(-Infinity);
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

/**
 * Per node where it may run, decided once: replay's device, a fixed device, its group's device
 * (known once the group is pinned), or anywhere. isAllowed is asked for every ready op on every
 * device at every scan; reading policy, replay and group there was 8 % of m-SCT's profile.
 */
function fillOnlyOn(only: Int32Array, problem: Problem, policy: CorePolicy, replayDevice: Int32Array): void {
  const { n, group } = problem;
  const fixed = policy.fixedDevice;
  if (policy.deviceOrder) {
    const D = policy.devices;
    for (let v = 0; v < n; v++) only[v] = replayDevice[v] >= 0 ? replayDevice[v] : D;
  } else if (fixed) for (let v = 0; v < n; v++) only[v] = fixed[v] >= 0 ? fixed[v] : group[v] >= 0 ? ASK_GROUP : ANYWHERE;
  else for (let v = 0; v < n; v++) only[v] = group[v] >= 0 ? ASK_GROUP : ANYWHERE;
}
