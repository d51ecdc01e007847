// ETF's op selection: the (ready op, device) pair with the smallest earliest start, ties to the
// lower topological rank, then the lower device. Instead of re-evaluating every ready op at every
// step, each device keeps two heaps (Baechi's cached per-device ready times):
//   pending[d]  ready ops keyed by when their inputs can be on d (a lower bound: channel and
//               device free times only grow, so a stale key is never too late — except when
//               another consumer has a tensor sent to d, and those are re-keyed then);
//   avail[d]    ops whose inputs are already there by the time d is free, keyed by rank — they all
//               start when d is free, so the lowest rank wins.
// Per step each device validates only its top entry (O(inputs)), so a step costs O(devices ·
// inputs · log V) instead of O(ready · devices · inputs).
import { readyOn } from './channels';
import { CoreState, invalidate, isAllowed, NONE, usable } from './state';

/** All of c's inputs are placed: queue it on every device that may run it. */
export function makeReady(s: CoreState, c: number): void {
  if (s.replay) {
    const d = s.replayDevice[c];
    if (s.replay[d][s.replayPos[d]] !== c) return; // waits for its turn on the device
  }
  if (s.trackReady) {
    s.readyPos[c] = s.readyCount;
    s.readyList[s.readyCount++] = c;
  }
  const rank = s.problem.topoRank[c];
  const lb = inputsDoneAt(s, c);
  for (let d = 0; d < s.D; d++) {
    if (!isAllowed(s, c, d)) continue;
    s.pending[d].push(c, lb, rank);
    offer(s, d, c, lb);
  }
}

/**
 * When c's last producer ends: no input can be on any device before (a transfer starts after its
 * producer ends), so it is a heap key that is never too late. Keying the pending heaps by it
 * instead of by an evaluation per device defers the evaluation to when c surfaces there — never,
 * on the devices where c is placed elsewhere first (BERT-L12 m-ETF: 20,900 evaluations instead of
 * 25,600, for 19,700 heap pops instead of 15,200).
 */
function inputsDoneAt(s: CoreState, c: number): number {
  const { start, list } = s.graph.pred;
  let at = 0;
  for (let i = start[c], last = start[c + 1]; i < last; i++) if (s.end[list[i]] > at) at = s.end[list[i]];
  return at;
}

/** v was placed: it leaves the ready list (swap-remove, as the m-SCT scan expects). */
export function leaveReady(s: CoreState, v: number): void {
  if (!s.trackReady) return;
  const last = s.readyList[--s.readyCount];
  if (last !== v) {
    s.readyList[s.readyPos[v]] = last;
    s.readyPos[last] = s.readyPos[v];
  }
  s.readyPos[v] = NONE;
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
    const c = list[i];
    if (c === except || s.device[c] !== NONE || s.predPending[c] !== 0 || s.blockedOn[c * D + d] || !isAllowed(s, c, d)) continue;
    if (s.replay && s.replay[d][s.replayPos[d]] !== c) continue;
    s.pending[d].push(c, inputsDoneAt(s, c), s.problem.topoRank[c]);
    invalidate(s, d);
  }
}

/**
 * A newly ready op c, ready on d not before lb: d's valid candidate stays unless c beats it (then
 * c is the candidate — what findCandidate would return, without searching). c is evaluated only
 * when lb does not already show that it loses.
 */
function offer(s: CoreState, d: number, c: number, lb: number): void {
  if (!s.candValid[d]) return;
  const cur = s.candV[d];
  const free = s.devFree[d];
  const rank = s.problem.topoRank;
  const candStart = s.candStart[d];
  // candStart = free: cur is the lowest rank of the ops ready by `free`; else the smallest (ready time, rank)
  if (cur !== NONE && (candStart === free ? lb > free || rank[c] > rank[cur] : lb > candStart || (lb === candStart && rank[c] > rank[cur]))) return;
  const r = readyOn(s, c, d);
  let wins: boolean;
  if (cur === NONE) wins = true;
  else if (candStart === free) wins = r <= free && rank[c] < rank[cur];
  else wins = r <= free || r < candStart || (r === candStart && rank[c] < rank[cur]);
  if (!wins) return;
  s.candV[d] = c;
  s.candStart[d] = Math.max(r, free);
  s.candChannels[d] = s.evChannels;
}

/** The op device d would run next (its start in s.candStart[d]), or NONE. */
export function candidateOn(s: CoreState, d: number): number {
  if (s.candValid[d]) return s.candV[d];
  const v = findCandidate(s, d);
  s.candV[d] = v;
  s.candValid[d] = 1;
  s.candChannels[d] = v === NONE ? 0 : s.evChannels; // findCandidate's last evaluation is v's
  return v;
}

function findCandidate(s: CoreState, d: number): number {
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
