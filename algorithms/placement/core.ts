// The one event-driven scheduling core behind m-TOPO, m-ETF, m-SCT, the baselines and the replay
// simulator. Each device has a compute timeline and one communication channel shared by its sends
// and receives; a tensor goes to a device at most once; memory follows the model in model.ts.
//
// Selection is ETF's: the (ready op, device) pair with the smallest earliest start, ties to the
// lower topological rank, then the lower device. Instead of re-evaluating every ready op at every
// step, each device keeps two heaps (Baechi's cached per-device ready times):
//   pending[d]  ready ops keyed by when their inputs can be on d (a lower bound: channel and
//               device free times only grow, so a stale key is never too late — except when
//               another consumer has a tensor sent to d, and those are re-keyed then);
//   avail[d]    ops whose inputs are already there by the time d is free, keyed by rank — they all
//               start when d is free, so the lowest rank wins.
// Per step each device validates only its top entry (O(inputs)), so a step costs O(devices ·
// inputs · log V) instead of O(ready · devices · inputs).
import { KeyedHeap } from './heap';
import { MemoryLine } from './memoryLine';
import type { Problem } from './problem';
import { formatBytes } from '../units';
import { OpplaceError } from '../errors';

export interface CorePolicy {
  devices: number;
  /** Memory limit per device in bytes (Infinity = unlimited). */
  limits: number[];
  /** Coarse node → device, or -1 where the core may choose. */
  fixedDevice?: Int32Array;
  /** Replay: each device runs exactly these coarse nodes in this order. */
  deviceOrder?: number[][];
  /** m-SCT favourite child / parent per coarse node (-1 = none). */
  favChild?: Int32Array;
  favParent?: Int32Array;
  /** Place without checking limits (the `single` baseline reports the overflow afterwards). */
  ignoreMemory?: boolean;
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

interface Evaluation {
  start: number;
  /** Latest input arrival on the device (ignoring the device being busy). */
  dataReady: number;
  /** Earliest start of any new incoming transfer (Infinity when none). */
  firstCopy: number;
  copyBytes: number;
}

const NONE = -1;

export function runCore(problem: Problem, policy: CorePolicy): CoreResult {
  const { n, compute, tProducer, tCommUs, tBytes, inTensors, succ, pred, topoRank, group } = problem;
  const D = policy.devices;
  const T = tProducer.length;
  const limits = policy.limits;
  const checkMemory = !policy.ignoreMemory;
  // Topology: each pair of devices has its link (cost/topology.ts); without one, all pairs share tCommUs.
  const pairLink = problem.topology?.pairLink;
  const commByLink = problem.tCommByLink;
  if (problem.topology && problem.topology.devices !== D) throw new Error(`internal: topology of ${problem.topology.devices} devices, placing on ${D}`);

  const device = new Int32Array(n).fill(NONE);
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const devFree = new Float64Array(D);
  const chanFree = new Float64Array(D);
  const arrival = new Float64Array(T * D).fill(NaN);
  const copyLastUse = new Float64Array(T * D);
  const copyDevices: number[][] = Array.from({ length: T }, () => []);
  const tensorPending = new Int32Array(T);
  for (let k = 0; k < T; k++) tensorPending[k] = problem.tConsumers[k].length;
  const succPending = new Int32Array(n);
  const predPending = new Int32Array(n);
  const lastUse = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    succPending[v] = succ[v].length;
    predPending[v] = pred[v].length;
  }
  const groupDevice = new Int32Array(problem.groupCount).fill(NONE);
  const memory = Array.from({ length: D }, () => new MemoryLine());
  const transfers: CoreTransfer[] = [];
  const order: number[][] = Array.from({ length: D }, () => []);

  // m-SCT: favourite child per coarse node (favParent is implied: the rounding keeps ≤ 1 each way).
  const favChild = policy.favChild;
  // m-SCT: every ready, unplaced op (an awake device looks for the most urgent one among them).
  const trackReady = favChild !== undefined && !policy.deviceOrder;
  const readyList: number[] = [];
  const readyPos = new Int32Array(trackReady ? n : 0).fill(NONE);

  // Replay: position in each device's order.
  const replay = policy.deviceOrder;
  const replayDevice = new Int32Array(n).fill(NONE);
  const replayPos = new Int32Array(D);
  if (replay) replay.forEach((list, d) => list.forEach((v) => (replayDevice[v] = d)));

  const pending = Array.from({ length: D }, () => new KeyedHeap());
  const avail = Array.from({ length: D }, () => new KeyedHeap());
  // Memory: a start (v, d) must wait for (frees known so far), and ops that cannot fit on d now.
  const memNotBefore = new Map<number, number>();
  const blockedOn = new Uint8Array(n * D);
  const memBlocked: number[][] = Array.from({ length: D }, () => []);

  const scratchChan = new Float64Array(D);
  const ev: Evaluation = { start: 0, dataReady: 0, firstCopy: 0, copyBytes: 0 };

  const isAllowed = (v: number, d: number): boolean => {
    if (replay) return replayDevice[v] === d;
    const fixed = policy.fixedDevice ? policy.fixedDevice[v] : NONE;
    if (fixed >= 0) return fixed === d;
    const g = group[v];
    return g < 0 || groupDevice[g] < 0 || groupDevice[g] === d;
  };

  /** Earliest start of v on d with every new transfer and the start not before `notBefore`. */
  const evaluate = (v: number, d: number, notBefore: number, out: Evaluation, commit: boolean) => {
    for (let x = 0; x < D; x++) scratchChan[x] = chanFree[x];
    let ready = notBefore;
    let firstCopy = Infinity;
    let copyBytes = 0;
    for (const k of inTensors[v]) {
      const p = tProducer[k];
      const pd = device[p];
      let at: number;
      if (pd === d) at = end[p];
      else {
        const known = arrival[k * D + d];
        if (known === known) at = known; // not NaN: already sent to d
        else {
          // Baechi's channel model: the send starts when the producer is done and the source
          // channel is free, the receive when the send has started and the destination channel is
          // free; each channel is busy for the transfer time from its own start.
          const cost = pairLink ? commByLink![pairLink[pd * D + d]][k] : tCommUs[k];
          const sendStart = Math.max(end[p], scratchChan[pd]);
          const s = Math.max(sendStart, scratchChan[d], notBefore);
          at = s + cost;
          scratchChan[pd] = sendStart + cost;
          scratchChan[d] = at;
          if (s < firstCopy) firstCopy = s;
          copyBytes += tBytes[k];
          if (commit) {
            arrival[k * D + d] = at;
            transfers.push({ tensor: k, src: pd, dst: d, sendStart, start: s, end: at });
            copyDevices[k].push(d);
            memory[d].insert(s, tBytes[k]);
            if (at > lastUse[p]) lastUse[p] = at;
          }
        }
      }
      if (at > ready) ready = at;
    }
    if (commit) for (let x = 0; x < D; x++) chanFree[x] = scratchChan[x];
    out.dataReady = ready;
    out.start = Math.max(ready, devFree[d]);
    out.firstCopy = firstCopy;
    out.copyBytes = copyBytes;
  };

  /** When v's inputs (and memory, as far as known) allow it to start on d, ignoring d being busy. */
  const readyOn = (v: number, d: number): number => {
    const nb = memNotBefore.get(v * D + d) ?? 0;
    evaluate(v, d, nb, ev, false);
    return ev.dataReady;
  };

  const newPersistent = (v: number, d: number): number => {
    const g = group[v];
    if (g < 0) return problem.persistent[v];
    return groupDevice[g] === d ? 0 : problem.groupPersistent[g];
  };

  /**
   * Memory-aware plan of v on d starting from `nb`: returns the start and the lower bound its
   * transfers and start must respect, or Infinity when it cannot fit with what is known now.
   */
  const memoryPlan = (v: number, d: number, nb: number): { start: number; notBefore: number } => {
    evaluate(v, d, nb, ev, false);
    if (!checkMemory) return { start: ev.start, notBefore: nb };
    const line = memory[d];
    const persist = newPersistent(v, d);
    const room = limits[d] - line.persistent - persist;
    if (persist > 0 && line.maxDynamic > room) return { start: Infinity, notBefore: nb };
    const need = problem.outBytes[v] + problem.temporary[v] + ev.copyBytes;
    const from = Math.min(ev.start, ev.firstCopy);
    const fit = line.earliestFit(from, need, room);
    if (fit === from) return { start: ev.start, notBefore: nb };
    if (fit === Infinity) return { start: Infinity, notBefore: nb };
    // Wait for the frees: re-plan the transfers so that nothing starts before `fit`.
    evaluate(v, d, fit, ev, false);
    return { start: ev.start, notBefore: fit };
  };

  const makeReady = (c: number) => {
    if (replay) {
      const d = replayDevice[c];
      if (replay[d][replayPos[d]] !== c) return; // waits for its turn on the device
    }
    if (trackReady) {
      readyPos[c] = readyList.length;
      readyList.push(c);
    }
    let best = Infinity;
    for (let d = 0; d < D; d++) {
      if (!isAllowed(c, d)) continue;
      const r = readyOn(c, d);
      pending[d].push(c, r, topoRank[c]);
      const s = Math.max(r, devFree[d]);
      if (s < best) best = s;
    }
  };

  const unblock = (d: number) => {
    if (!memBlocked[d].length) return;
    for (const w of memBlocked[d]) {
      blockedOn[w * D + d] = 0;
      memNotBefore.delete(w * D + d);
      if (device[w] === NONE) pending[d].push(w, 0, topoRank[w]);
    }
    memBlocked[d] = [];
  };

  /**
   * A tensor just sent to d for one consumer can make other ready consumers of it on d ready
   * earlier than their heap key (their estimate had queued its transfer behind another one), so
   * push them again with the new time; the stale entries are dropped when they surface.
   */
  const rekeyConsumers = (k: number, d: number, except: number) => {
    for (const c of problem.tConsumers[k]) {
      if (c === except || device[c] !== NONE || predPending[c] !== 0 || blockedOn[c * D + d] || !isAllowed(c, d)) continue;
      if (replay && replay[d][replayPos[d]] !== c) continue;
      pending[d].push(c, readyOn(c, d), topoRank[c]);
    }
  };

  const commit = (v: number, d: number, notBefore: number) => {
    const firstNewTransfer = transfers.length;
    evaluate(v, d, notBefore, ev, true);
    const s = ev.start;
    // after reading ev: readyOn reuses it
    for (let x = firstNewTransfer; x < transfers.length; x++) rekeyConsumers(transfers[x].tensor, d, v);
    const e = s + compute[v];
    device[v] = d;
    if (trackReady) {
      // swap-remove from the ready list
      const last = readyList.pop()!;
      if (last !== v) {
        readyList[readyPos[v]] = last;
        readyPos[last] = readyPos[v];
      }
      readyPos[v] = NONE;
    }
    start[v] = s;
    end[v] = e;
    devFree[d] = e;
    order[d].push(v);
    const line = memory[d];
    const g = group[v];
    if (g >= 0) {
      if (groupDevice[g] < 0) {
        groupDevice[g] = d;
        line.persistent += problem.groupPersistent[g];
      }
    } else line.persistent += problem.persistent[v];
    line.insert(s, problem.outBytes[v] + problem.temporary[v]);
    line.insert(e, -problem.temporary[v]);
    lastUse[v] = e;
    if (succ[v].length === 0 && problem.outBytes[v] > 0) line.insert(e, -problem.outBytes[v]);
    for (const k of inTensors[v]) {
      const p = tProducer[k];
      if (e > lastUse[p]) lastUse[p] = e;
      if (device[p] !== d && e > copyLastUse[k * D + d]) copyLastUse[k * D + d] = e;
      if (--tensorPending[k] === 0) {
        for (const cd of copyDevices[k]) {
          memory[cd].insert(copyLastUse[k * D + cd], -tBytes[k]);
          unblock(cd);
        }
      }
    }
    for (const p of pred[v]) {
      if (--succPending[p] === 0) {
        memory[device[p]].insert(lastUse[p], -problem.outBytes[p]);
        unblock(device[p]);
      }
    }
    if (problem.temporary[v] > 0) unblock(d);
    if (replay) {
      const next = replay[d][++replayPos[d]];
      if (next !== undefined && predPending[next] === 0) makeReady(next);
    }
    for (const c of succ[v]) if (--predPending[c] === 0) makeReady(c);
  };

  const usable = (v: number, d: number) => device[v] === NONE && !blockedOn[v * D + d] && isAllowed(v, d);
  const candStart = new Float64Array(D);

  /** The op device d would run next and its start (candStart[d]), or NONE. */
  const candidateOn = (d: number): number => {
    const pd = pending[d];
    const av = avail[d];
    const free = devFree[d];
    while (pd.size && pd.peekKey() <= free) {
      const [v] = pd.pop();
      if (!usable(v, d)) continue;
      const r = readyOn(v, d);
      if (r > free) pd.push(v, r, topoRank[v]);
      else av.push(v, topoRank[v], 0);
    }
    while (av.size) {
      const v = av.peekItem();
      if (!usable(v, d)) { av.pop(); continue; }
      const r = readyOn(v, d);
      if (r > free) { av.pop(); pd.push(v, r, topoRank[v]); continue; }
      candStart[d] = free;
      return v;
    }
    while (pd.size) {
      const v = pd.peekItem();
      const key = pd.peekKey();
      if (!usable(v, d)) { pd.pop(); continue; }
      const r = readyOn(v, d);
      if (r > key) { pd.pop(); pd.push(v, r, topoRank[v]); continue; }
      candStart[d] = Math.max(r, free);
      return v;
    }
    return NONE;
  };

  /**
   * Topology tie-break between two devices where op v would start at the same time (`better`):
   *   1. the host already holding more placed co-inputs of v's consumers (ops whose outputs meet
   *      v's downstream), so data that will be combined is produced on one host;
   *   2. the host with fewer devices busy at that time, so independent work spreads over hosts
   *      and each piece can grow inside its own host.
   * With one host both are always equal, so the plan is the uniform-link one.
   */
  const gpusPerHost = problem.topology?.gpusPerHost ?? D;
  const hostBusyAt = (d: number, t: number): number => {
    const first = d - (d % gpusPerHost);
    let busy = 0;
    for (let x = first; x < first + gpusPerHost; x++) if (devFree[x] > t) busy++;
    return busy;
  };
  const coInputsOnHost = (v: number, d: number): number => {
    const host = Math.floor(d / gpusPerHost);
    let count = 0;
    for (const c of succ[v]) for (const p of pred[c]) if (p !== v && device[p] >= 0 && Math.floor(device[p] / gpusPerHost) === host) count++;
    return count;
  };
  const betterHost = (v: number, d: number, than: number, t: number): boolean => {
    const a = coInputsOnHost(v, d);
    const b = coInputsOnHost(v, than);
    return a !== b ? a > b : hostBusyAt(d, t) < hostBusyAt(than, t);
  };

  /**
   * m-SCT: Baechi's urgent time of a ready op — its latest start (inputs there and the device
   * free) over the devices that may run it; once that has passed, waiting cannot make it start
   * earlier anywhere. Infinity as soon as it is known to be above `limit`.
   */
  const urgentTime = (v: number, limit: number): number => {
    // cheap test first: a device that may run v and is busy past `limit`
    for (let x = 0; x < D; x++) if (devFree[x] > limit && usable(v, x)) return Infinity;
    let latest = -Infinity;
    for (let x = 0; x < D; x++) {
      if (!usable(v, x)) continue;
      const t = Math.max(readyOn(v, x), devFree[x]);
      if (t > limit) return Infinity;
      if (t > latest) latest = t;
    }
    return latest;
  };

  /**
   * m-SCT (Baechi's SCTDevice._get_earliest_urgent_op): of the ready ops device d may run, the one
   * with the smallest urgent time, ties to the lower topological rank — if that time is at most
   * `by`, else NONE. Its urgent time is left in urgentAt.
   */
  let urgentAt = Infinity;
  const mostUrgentOn = (d: number, by: number): number => {
    let best = NONE;
    let bestTime = by;
    for (const v of readyList) {
      if (!usable(v, d)) continue;
      const t = urgentTime(v, bestTime);
      if (t < bestTime || (t === bestTime && (best === NONE || topoRank[v] < topoRank[best]))) {
        best = v;
        bestTime = t;
      }
    }
    urgentAt = bestTime;
    return best;
  };

  /**
   * m-SCT, Baechi's AWAKE state: device d waits for the favourite child of the op it ran last,
   * when that child is ready (all its parents placed), not placed yet, and d gives it the
   * earliest start of all devices (ties count). NONE when d is not awake. "Not placed" follows
   * Baechi's colocation: a group is placed as a whole when its first op runs, so a child whose
   * group is pinned — to d or to another device — is no reason to wait.
   */
  const awakeFor = (d: number): number => {
    const ran = order[d];
    if (!favChild || ran.length === 0) return NONE;
    const c = favChild[ran[ran.length - 1]];
    if (c < 0 || predPending[c] !== 0 || !usable(c, d)) return NONE;
    if (group[c] >= 0 && groupDevice[group[c]] >= 0) return NONE;
    if (policy.fixedDevice && policy.fixedDevice[c] >= 0) return NONE;
    const s = Math.max(readyOn(c, d), devFree[d]);
    for (let x = 0; x < D; x++) if (x !== d && usable(c, x) && Math.max(readyOn(c, x), devFree[x]) < s) return NONE;
    return c;
  };

  for (let v = 0; v < n; v++) if (predPending[v] === 0) makeReady(v);

  let placed = 0;
  while (placed < n) {
    let bestV = NONE;
    let bestD = NONE;
    let bestStart = Infinity;
    // When the choice is made: the start, except for an awake device's urgent op, which Baechi
    // runs once it has become urgent (its start on the device may lie before that).
    let bestAt = Infinity;
    for (let d = 0; d < D; d++) {
      let v = candidateOn(d);
      let s = candStart[d];
      let at = s;
      const c = awakeFor(d);
      if (c !== NONE) {
        // awake (Baechi's SCTDevice._get_op_on_await): run the most urgent ready op if it is
        // urgent by the time the favourite child could start here, else wait for the child
        const cs = Math.max(readyOn(c, d), devFree[d]);
        const u = mostUrgentOn(d, cs);
        if (u !== NONE) {
          at = urgentAt;
          v = u;
          s = Math.max(readyOn(u, d), devFree[d]);
        } else {
          v = c;
          s = at = cs;
        }
      }
      if (v === NONE) continue;
      if (at < bestAt || (at === bestAt && (s < bestStart || (s === bestStart && (topoRank[v] < topoRank[bestV] || (v === bestV && pairLink !== undefined && betterHost(v, d, bestD, s))))))) {
        bestAt = at;
        bestStart = s;
        bestV = v;
        bestD = d;
      }
    }
    if (bestV === NONE) {
      let failed = NONE;
      for (let v = 0; v < n; v++) {
        if (device[v] === NONE && predPending[v] === 0 && (failed === NONE || topoRank[v] < topoRank[failed])) failed = v;
      }
      if (failed !== NONE && memBlocked.some((l) => l.length)) return { ...infeasible(failed), device, start, end, transfers, order };
      if (replay) throw new OpplaceError('the device order contradicts the graph: a device waits for an op that depends on a later one');
      throw new Error('internal: scheduler stalled');
    }
    const plan = memoryPlan(bestV, bestD, memNotBefore.get(bestV * D + bestD) ?? 0);
    if (plan.start === Infinity) {
      blockedOn[bestV * D + bestD] = 1;
      memBlocked[bestD].push(bestV);
      continue;
    }
    if (plan.start > bestStart) {
      // Memory makes it wait: remember and choose again (others may go first).
      memNotBefore.set(bestV * D + bestD, plan.notBefore);
      continue;
    }
    commit(bestV, bestD, plan.notBefore);
    placed++;
  }
  return { feasible: true, device, start, end, transfers, order };

  function infeasible(v: number): { feasible: false; reason: string; failedNode: number } {
    const node = problem.graph.nodes[problem.members[v][0]];
    const what = problem.members[v].length > 1 ? `op "${node.id}" (fused with ${problem.members[v].length - 1} more)` : `op "${node.id}"`;
    const g = group[v];
    const groupText = g >= 0 ? ` of group "${problem.groupName[g]}"` : '';
    // The same two tests as memoryPlan: a group being pinned must keep its persistent bytes under
    // the device's peak so far; otherwise the op's outputs, workspace and received inputs must fit
    // beside what is still held at the end of the known timeline.
    let bestRoom = -Infinity;
    let bestD = 0;
    let bestNeed = 0;
    let bestWholeStep = false;
    for (let d = 0; d < D; d++) {
      if (!isAllowed(v, d)) continue;
      evaluate(v, d, 0, ev, false);
      const line = memory[d];
      const persist = newPersistent(v, d);
      const base = limits[d] - line.persistent;
      const wholeStep = persist > 0 && line.maxDynamic > base - persist;
      const need = wholeStep ? persist : persist + problem.outBytes[v] + problem.temporary[v] + ev.copyBytes;
      const room = base - (wholeStep ? line.maxDynamic : line.cum.length ? line.cum[line.cum.length - 1] : 0);
      if (bestRoom === -Infinity || room - need > bestRoom - bestNeed) {
        bestRoom = room;
        bestD = d;
        bestNeed = need;
        bestWholeStep = wholeStep;
      }
    }
    // When both round to the same text, show bytes so the message never reads "needs X, has X".
    const [needText, roomText] = formatBytes(bestNeed) === formatBytes(Math.max(0, bestRoom))
      ? [`${bestNeed} B`, `${Math.max(0, bestRoom)} B`]
      : [formatBytes(bestNeed), formatBytes(Math.max(0, bestRoom))];
    const reason = bestWholeStep
      ? `${what}${groupText} does not fit on any device: it needs ${needText} held for the whole step (persistent memory) ` +
        `but device ${bestD} has at most ${roomText} free at its peak, of its ${formatBytes(limits[bestD])} limit`
      : `${what}${groupText} does not fit on any device: it needs ${needText} ` +
        `(persistent, outputs, workspace and received inputs) but device ${bestD} has at most ${roomText} free ` +
        `of its ${formatBytes(limits[bestD])} limit`;
    return { feasible: false, reason, failedNode: v };
  }
}
