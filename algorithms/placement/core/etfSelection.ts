// ETF's op selection: the (ready op, device) pair with the smallest earliest start, ties to the
// lower topological rank, then the lower device. Each device keeps its candidate (candidateOn)
// until something it read changes. While few ops are ready (state.ts scanMax; BERT-L12 has a
// median of 4) a device finds it by scanning them, readyOn's memo making most looks free. With
// many ready, each device keeps two heaps instead (Baechi's cached per-device ready times):
//   pending[d]  ready ops keyed by when their inputs can be on d (a lower bound: channel and
//               device free times only grow, so a stale key is never too late — except when
//               another consumer has a tensor sent to d, and those are re-keyed then);
//   avail[d]    ops whose inputs are already there by the time d is free, keyed by rank — they all
//               start when d is free, so the lowest rank wins.
// Then each device validates only its top entry (O(inputs)), so a step costs O(devices · inputs ·
// log V) instead of O(ready · devices · inputs). Both give the same choice: the heaps' keys are
// lower bounds and they are filled with every ready op when the count passes scanMax.
import { forgetReady, readyBelow, readyLowerBound, readyOn } from './channels';
import { CoreState, invalidate, isAllowed, mayRun, NONE, readyHeaps, usable } from './state';

/** All of c's inputs are placed: it joins the ready ops (and the heaps of every device that may run it). */
export function makeReady(s: CoreState, c: number): void {
  if (s.replay) {
    const d = s.replayDevice[c];
    if (s.replay[d][s.replayPos[d]] !== c) return; // waits for its turn on the device
  }
  insertReady(s, c);
  if (s.wide) {
    queueOnDevices(s, c);
    return;
  }
  if (s.readyCount > s.scanMax) enterWide(s); // c is in the heaps now, but valid candidates have not seen it
  // a device without a valid candidate finds c anyway: cost c only where it may win now
  const only = s.onlyOn[c];
  if (only >= 0) {
    // m-TOPO, replay: one device to ask; without a valid candidate its bound is dropped, not
    // lowered (lowering it cost m-TOPO more than the scans it saved: 0.424 → 0.410 ms best)
    if (s.candValid[only]) offerNew(s, only, c);
    else s.candLow[only] = -Infinity;
  } else for (let d = 0; d < s.D; d++) if (isAllowed(s, c, d)) offerNew(s, d, c);
}

/**
 * makeReady's offer of c to d: costed only when its lower bound may beat d's valid candidate;
 * without one, it only lowers d's candLow.
 */
function offerNew(s: CoreState, d: number, c: number): void {
  const low = Math.max(readyLowerBound(s, c, d), s.devFree[d]);
  if (!s.candValid[d]) {
    if (low < s.candLow[d]) s.candLow[d] = low;
  } else if (beatsCandidate(s, d, c, low)) offer(s, d, c, readyOn(s, c, d));
}

/** Where an op of rank r goes in the ready list (sorted by rank, ranks distinct): an index into readyList. */
function readyIndex(s: CoreState, r: number): number {
  const rank = s.problem.topoRank;
  let lo = s.readyHead;
  let hi = lo + s.readyCount;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rank[s.readyList[mid]] < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * c joins the ready list. While scanning the list stays in rank order, and the shorter side moves
 * (shifted by hand: copyWithin's call cost more than the few moves): a new op's rank is mostly
 * high and a placed op's low, so one end or the other is near (BERT-L12, entries moved a run when
 * the back side always moved → the shorter: m-TOPO 73,400 → 3,900, m-ETF 43,100 → 2,900).
 */
function insertReady(s: CoreState, c: number): void {
  const list = s.readyList;
  const head = s.readyHead;
  const tail = head + s.readyCount;
  if (s.wide) {
    s.readyPos[c] = tail;
    list[tail] = c;
    s.readyCount++;
    return;
  }
  const rank = s.problem.topoRank;
  const r = rank[c];
  // most often c goes last (a new op's rank is high): no search
  const at = s.readyCount === 0 || rank[list[tail - 1]] < r ? tail : readyIndex(s, r);
  s.readyCount++;
  if (at - head < tail - at) {
    for (let i = head; i < at; i++) list[i - 1] = list[i];
    list[at - 1] = c;
    s.readyHead = head - 1;
  } else {
    for (let i = tail; i > at; i--) list[i] = list[i - 1];
    list[at] = c;
  }
}

function queueOnDevices(s: CoreState, c: number): void {
  const rank = s.problem.topoRank[c];
  for (let d = 0; d < s.D; d++) {
    if (!isAllowed(s, c, d)) continue;
    const r = readyOn(s, c, d);
    s.pending[d].push(c, r, rank);
    offer(s, d, c, r);
  }
}

/** Too many ready ops to scan: every ready op goes into the heaps of the devices it may use now. */
function enterWide(s: CoreState): void {
  s.wide = true;
  readyHeaps(s);
  const rank = s.problem.topoRank;
  for (let i = s.readyHead, last = i + s.readyCount; i < last; i++) {
    const v = s.readyList[i];
    s.readyPos[v] = i;
    for (let d = 0; d < s.D; d++) if (mayRun(s, v, d)) s.pending[d].push(v, readyOn(s, v, d), rank[v]);
  }
}

/** v was placed: it leaves the ready list (kept in rank order while scanning, in any order while wide). */
export function leaveReady(s: CoreState, v: number): void {
  const list = s.readyList;
  const head = s.readyHead;
  const last = head + --s.readyCount;
  if (!s.wide) {
    // the shorter side moves, as in insertReady; most often v is first (the lowest rank wins ties)
    const at = list[head] === v ? head : readyIndex(s, s.problem.topoRank[v]);
    if (at - head < last - at) {
      for (let i = at; i > head; i--) list[i] = list[i - 1];
      s.readyHead = head + 1;
    } else for (let i = at; i < last; i++) list[i] = list[i + 1];
    return;
  }
  // wide: swap-remove (a fan-out of 100k ready consumers placed front first would shift them all)
  const moved = list[last];
  list[s.readyPos[v]] = moved;
  s.readyPos[moved] = s.readyPos[v];
  if (s.readyCount < s.scanLeave) {
    s.wide = false;
    const rank = s.problem.topoRank;
    list.subarray(head, last).sort((a, b) => rank[a] - rank[b]);
    for (let d = 0; d < s.D; d++) {
      s.pending[d].clear();
      s.avail[d].clear();
    }
  }
}

/**
 * A tensor just sent to d for one consumer can make other ready consumers of it on d ready
 * earlier than their heap key (their estimate had queued its transfer behind another one), so
 * push them again with the new time; the stale entries are dropped when they surface.
 */
export function rekeyConsumers(s: CoreState, k: number, d: number, except: number): void {
  const { start, list } = s.graph.consumers;
  const D = s.D;
  for (let i = start[k], last = start[k + 1]; i < last; i++) {
    forgetReady(s, list[i], d); // no longer a lower bound (readyLowerBound)
    if (s.sct) s.urgentEpochOf[list[i]] = 0; // its urgent time (sctAwake.ts) may drop too
  }
  // scanning: d's candidate is recomputed anyway (its op just started) and the consumers' memo on d read d's channel
  if (!s.wide) return;
  for (let i = start[k], last = start[k + 1]; i < last; i++) {
    const c = list[i];
    if (c === except || s.device[c] !== NONE || s.predPending[c] !== 0 || s.blockedOn[c * D + d] || !isAllowed(s, c, d)) continue;
    if (s.replay && s.replay[d][s.replayPos[d]] !== c) continue;
    s.pending[d].push(c, readyOn(s, c, d), s.problem.topoRank[c]);
    invalidate(s, d);
  }
}

/**
 * Whether c, starting on d at `start`, beats d's valid candidate: earlier, or as early and of
 * lower rank. With a lower bound of c's start it says whether c may beat it, nothing evaluated.
 */
function beatsCandidate(s: CoreState, d: number, c: number, start: number): boolean {
  const cur = s.candV[d];
  const rank = s.problem.topoRank;
  return cur === NONE || start < s.candStart[d] || (start === s.candStart[d] && rank[c] < rank[cur]);
}

/**
 * A newly ready op c, ready on d at exactly r: d's valid candidate stays unless c beats it (then
 * c is the candidate — what findCandidate would return, without searching).
 */
function offer(s: CoreState, d: number, c: number, r: number): void {
  const st = Math.max(r, s.devFree[d]);
  if (!s.candValid[d]) {
    if (st < s.candLow[d]) s.candLow[d] = st;
    return;
  }
  if (!beatsCandidate(s, d, c, st)) return;
  s.candV[d] = c;
  s.candStart[d] = st;
  s.candChannels[d] = s.evChannels; // of readyOn(c, d), just before
}

/** The op device d would run next (its start in s.candStart[d]), or NONE. */
export function candidateOn(s: CoreState, d: number): number {
  if (s.candValid[d]) return s.candV[d];
  const v = findCandidate(s, d);
  if (v === NONE) s.candStart[d] = Infinity; // the heaps leave it
  s.candV[d] = v;
  s.candValid[d] = 1;
  s.candChannels[d] = v === NONE ? 0 : s.evChannels; // findCandidate's last evaluation is v's
  return v;
}

/**
 * d's candidate among the ready ops: the smallest start, ties to the lower rank. The list is in
 * rank order, so a later op wins only by starting strictly earlier: one whose lower bound is not
 * earlier is skipped unevaluated, and once the best starts when d is free nothing can beat it.
 */
function scanCandidate(s: CoreState, d: number): number {
  const free = s.devFree[d];
  let best = NONE;
  let bestStart = Infinity;
  let bestChannels = 0;
  for (let i = s.readyHead, last = i + s.readyCount; i < last && bestStart > free; i++) {
    const v = s.readyList[i];
    if (!mayRun(s, v, d)) continue;
    const r = readyBelow(s, v, d, bestStart);
    const st = r > free ? r : free;
    if (st < bestStart) {
      best = v;
      bestStart = st;
      bestChannels = s.evChannels;
    }
  }
  s.candStart[d] = bestStart;
  s.evChannels = bestChannels;
  return best;
}

function findCandidate(s: CoreState, d: number): number {
  if (!s.wide) return scanCandidate(s, d);
  const pd = s.pending[d];
  const av = s.avail[d];
  const free = s.devFree[d];
  const topoRank = s.problem.topoRank;
  while (pd.size && pd.peekKey() <= free) {
    const v = pd.pop();
    if (!usable(s, v, d)) continue;
    const r = readyOn(s, v, d);
    if (r > free) pd.push(v, r, topoRank[v]);
    else av.push(v, topoRank[v], 0);
  }
  while (av.size) {
    const v = av.peekItem();
    if (!usable(s, v, d)) {
      av.pop();
      continue;
    }
    const r = readyOn(s, v, d);
    if (r > free) {
      av.pop();
      pd.push(v, r, topoRank[v]);
      continue;
    }
    s.candStart[d] = free;
    return v;
  }
  while (pd.size) {
    const v = pd.peekItem();
    const key = pd.peekKey();
    if (!usable(s, v, d)) {
      pd.pop();
      continue;
    }
    const r = readyOn(s, v, d);
    if (r > key) {
      pd.pop();
      pd.push(v, r, topoRank[v]);
      continue;
    }
    s.candStart[d] = Math.max(r, free);
    return v;
  }
  return NONE;
}

/** What device d runs next under ETF. */
export function etfChoice(s: CoreState, d: number): number {
  const v = candidateOn(s, d);
  s.choiceStart = s.choiceAt = s.candStart[d];
  return v;
}
