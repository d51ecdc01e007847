// Channels and transfers: when v's inputs can be on device d. Each device has one communication
// channel shared by its sends and receives (Baechi's model): a send starts when the producer is
// done and the source channel is free, the receive when the send has started and the destination
// channel is free; each channel is busy for the transfer time from its own start. A tensor goes
// to a device at most once.
//
// A trial evaluation must not change the channels, but several of v's inputs may queue on the same
// channel: it writes to a scratch copy that is valid where scratchStamp equals the current stamp,
// so a trial costs O(inputs), not O(devices) to copy the channels first.
import { CoreState, memNotBeforeOf, NONE } from './state';

function nextStamp(s: CoreState): number {
  if (s.stamp === 0x7fffffff) {
    s.scratchStamp.fill(0);
    s.stamp = 0;
  }
  return ++s.stamp;
}

/**
 * Earliest start of v on d with every new transfer and the start not before `notBefore`; the
 * result is left in s.ev*. With `commit`, the transfers are made: channels, arrivals, the received
 * copies' memory and the transfer list. (A trial where memory cannot bind is trialReady's.)
 */
export function evaluate(s: CoreState, v: number, d: number, notBefore: number, commit: boolean): void {
  const { D, device, end, arrival, chanFree, scratchChan, scratchStamp } = s;
  const { tCommUs, tBytes } = s.problem;
  const inList = s.graph.inTensors.list;
  const inProducer = s.inProducer;
  // a trial's scratch channels, stamped only once an input must be sent (most inputs are local)
  let stamp = -1;
  let ready = notBefore;
  let channels = 0;
  let firstCopy = Infinity;
  let copyBytes = 0;
  for (let i = s.graph.inTensors.start[v], last = s.graph.inTensors.start[v + 1]; i < last; i++) {
    const p = inProducer[i];
    const pd = device[p];
    let at: number;
    if (pd === d) at = end[p];
    else {
      const k = inList[i];
      const known = arrival[k * D + d];
      if (known === known)
        at = known; // not NaN: already sent to d
      else {
        const cost = s.pairLink ? s.commByLink![s.pairLink[pd * D + d]][k] : tCommUs[k];
        channels |= channelBit(pd) | channelBit(d);
        if (stamp < 0) stamp = commit ? 0 : nextStamp(s);
        const srcFree = stamp !== 0 && scratchStamp[pd] === stamp ? scratchChan[pd] : chanFree[pd];
        const dstFree = stamp !== 0 && scratchStamp[d] === stamp ? scratchChan[d] : chanFree[d];
        const sendStart = Math.max(end[p], srcFree);
        const st = Math.max(sendStart, dstFree, notBefore);
        at = st + cost;
        if (commit) {
          chanFree[pd] = sendStart + cost;
          chanFree[d] = at;
          s.lastWrite[pd] = s.lastWrite[d] = ++s.channelWrites;
          recordTransfer(s, k, pd, d, sendStart, st, at);
        } else {
          scratchChan[pd] = sendStart + cost;
          scratchStamp[pd] = stamp;
          scratchChan[d] = at;
          scratchStamp[d] = stamp;
        }
        if (st < firstCopy) firstCopy = st;
        copyBytes += tBytes[k];
      }
    }
    if (at > ready) ready = at;
  }
  s.evDataReady = ready;
  s.evChannels = channels;
  s.evStart = Math.max(ready, s.devFree[d]);
  s.evFirstCopy = firstCopy;
  s.evCopyBytes = copyBytes;
}

/**
 * evaluate for a trial where memory cannot bind (no memory wait, no copies to count): only the
 * readiness and the channels read, in s.evDataReady and s.evChannels. It repeats evaluate's loop
 * on purpose: it is most evaluations (BERT-L12 m-ETF 11,651 of 12,172), and without the commit
 * and copy branches the loop is faster — best run m-TOPO / m-ETF / m-SCT 0.493 / 0.821 / 1.45 →
 * 0.447 / 0.734 / 1.31 ms. A third loop only for commits gained nothing and was dropped.
 */
function trialReady(s: CoreState, v: number, d: number): void {
  const { D, device, end, arrival, chanFree, scratchChan, scratchStamp } = s;
  const tCommUs = s.problem.tCommUs;
  const inList = s.graph.inTensors.list;
  const inProducer = s.inProducer;
  let stamp = -1;
  let ready = 0;
  let channels = 0;
  for (let i = s.graph.inTensors.start[v], last = s.graph.inTensors.start[v + 1]; i < last; i++) {
    const p = inProducer[i];
    const pd = device[p];
    let at: number;
    if (pd === d) at = end[p];
    else {
      const k = inList[i];
      const known = arrival[k * D + d];
      if (known === known) at = known;
      else {
        const cost = s.pairLink ? s.commByLink![s.pairLink[pd * D + d]][k] : tCommUs[k];
        channels |= channelBit(pd) | channelBit(d);
        if (stamp < 0) stamp = nextStamp(s);
        const srcFree = scratchStamp[pd] === stamp ? scratchChan[pd] : chanFree[pd];
        const dstFree = scratchStamp[d] === stamp ? scratchChan[d] : chanFree[d];
        const sendStart = end[p] > srcFree ? end[p] : srcFree;
        const st = sendStart > dstFree ? sendStart : dstFree;
        at = st + cost;
        scratchChan[pd] = sendStart + cost;
        scratchStamp[pd] = stamp;
        scratchChan[d] = at;
        scratchStamp[d] = stamp;
      }
    }
    if (at > ready) ready = at;
  }
  s.evDataReady = ready;
  s.evChannels = channels;
}

/**
 * evaluate, unless readyOn's memo already says it all: v's readiness on d needed no transfer
 * (every input was there: nothing to send, and that cannot change) and was remembered with a
 * memory wait no later than `notBefore`. Then the start is that readiness, `notBefore` or d's free
 * time. Commits and memory plans ask this right after the selection read the memo: BERT-L12, 1,407
 * (m-TOPO) / 1,491 (m-ETF) / 1,452 (m-SCT) of 2,012 commits evaluate nothing.
 */
export function evaluateOrRecall(s: CoreState, v: number, d: number, notBefore: number, commit: boolean): void {
  const i = memoIndex(s, v, d);
  if (s.memoKey[i] !== v || s.memoChannels[i] !== 0 || notBefore < memNotBeforeOf(s, v, d)) {
    evaluate(s, v, d, notBefore, commit);
    return;
  }
  const ready = Math.max(s.memoReady[i], notBefore);
  s.evDataReady = ready;
  s.evChannels = 0;
  s.evStart = Math.max(ready, s.devFree[d]);
  s.evFirstCopy = Infinity;
  s.evCopyBytes = 0;
}

/**
 * The bit of device x's channel in a set of channels (an evaluation's reads, a commit's writes);
 * beyond 31 devices every channel shares all bits, so any write meets any read.
 */
export function channelBit(x: number): number {
  return x < 31 ? 1 << x : -1;
}

function recordTransfer(s: CoreState, k: number, src: number, dst: number, sendStart: number, start: number, end: number): void {
  s.arrival[k * s.D + dst] = end;
  const x = s.transfers.length;
  s.transfers.push({ tensor: k, src, dst, sendStart, start, end });
  s.copyNext.push(-1);
  if (s.copyFirst[k] < 0) s.copyFirst[k] = x;
  else s.copyNext[s.copyLast[k]] = x;
  s.copyLast[k] = x;
  if (!s.checkMemory) return;
  s.memory[dst].insert(start, s.problem.tBytes[k]);
  const p = s.problem.tProducer[k];
  if (end > s.lastUse[p]) s.lastUse[p] = end;
}

/**
 * When v's inputs (and memory, as far as known) allow it to start on d, ignoring d being busy:
 * remembered per (v, d) while the channels its evaluation read are unwritten. It reads the ready
 * op's producers' ends and devices (fixed once v is ready), the channels of the devices it must
 * send from and d's, the arrivals on d (written only with d's channel) and v's memory wait on d
 * (forgetReady). ETF re-validates its heap tops and m-SCT asks every ready op's start on every
 * device at every step: on BERT-L12 the memo takes m-SCT from 66,600 evaluations to 17,200 (its
 * per-step memo before forgot everything at each start), m-ETF from 20,500 to 14,600.
 */
export function readyOn(s: CoreState, v: number, d: number): number {
  const i = memoIndex(s, v, d);
  if (s.memoKey[i] === v && unwrittenSince(s, s.memoChannels[i], s.memoAt[i])) {
    s.evChannels = s.memoChannels[i];
    return s.memoReady[i];
  }
  return rememberReady(s, v, d, i);
}

/** Evaluate v on d for readyOn and remember the readiness at memo entry i. */
function rememberReady(s: CoreState, v: number, d: number, i: number): number {
  if (s.checkMemory) evaluate(s, v, d, memNotBeforeOf(s, v, d), false);
  else trialReady(s, v, d);
  s.memoKey[i] = v;
  s.memoAt[i] = s.channelWrites;
  s.memoReady[i] = s.evDataReady;
  s.memoChannels[i] = s.evChannels;
  return s.evDataReady;
}

/**
 * A lower bound of readyOn(v, d) that evaluates nothing: its remembered value even if stale, else
 * v's latest producer end. Stale values stay lower bounds because everything an evaluation reads
 * only grows (channel free times) or is fixed once v is ready (its producers' ends and devices),
 * except v's memory wait on d (forgetReady when it changes) and an input that reaches d for another
 * consumer (rekeyConsumers in etfSelection.ts), which are forgotten.
 */
export function readyLowerBound(s: CoreState, v: number, d: number): number {
  const i = memoIndex(s, v, d);
  return s.memoKey[i] === v ? s.memoReady[i] : producersBound(s, v, d);
}

/** v's readiness on d from its producers' ends and the cheapest sends (index.ts arrivalBound). */
function producersBound(s: CoreState, v: number, d: number): number {
  const done = s.inputsDone[v];
  const sent = s.nearDevice[v] === d ? s.nearReady[v] : s.farReady[v];
  return sent > done ? sent : done;
}

/**
 * readyOn(v, d) when it may be below `bound`; otherwise a lower bound of it that is not (and
 * s.evChannels is not set): what a scan for a start before `bound` needs, with one look at the
 * memo where readyLowerBound and readyOn took two.
 */
export function readyBelow(s: CoreState, v: number, d: number, bound: number): number {
  const i = memoIndex(s, v, d);
  if (s.memoKey[i] === v) {
    const known = s.memoReady[i];
    if (known >= bound) return known;
    if (unwrittenSince(s, s.memoChannels[i], s.memoAt[i])) {
      s.evChannels = s.memoChannels[i];
      return known;
    }
  } else {
    const low = producersBound(s, v, d);
    if (low >= bound) return low;
  }
  return rememberReady(s, v, d, i);
}

/** Where (v, d)'s entry is in readyOn's memo arrays (state.ts: a row of D entries per op, rows shared past the cap). */
function memoIndex(s: CoreState, v: number, d: number): number {
  return (v & s.memoRowMask) * s.D + d;
}

/** None of these channels (channelBit set) was written after write count `at`. */
function unwrittenSince(s: CoreState, channels: number, at: number): boolean {
  if (channels === 0) return true;
  if (channels === -1) return s.channelWrites === at;
  for (let m = channels; m !== 0; m &= m - 1) if (s.lastWrite[31 - Math.clz32(m & -m)] > at) return false;
  return true;
}

/** v's memory wait on d changed: its remembered readiness there is stale. */
export function forgetReady(s: CoreState, v: number, d: number): void {
  const i = memoIndex(s, v, d);
  if (s.memoKey[i] === v) s.memoKey[i] = NONE;
}
