// Channels and transfers: when v's inputs can be on device d. Each device has one communication
// channel shared by its sends and receives (Baechi's model): a send starts when the producer is
// done and the source channel is free, the receive when the send has started and the destination
// channel is free; each channel is busy for the transfer time from its own start. A tensor goes
// to a device at most once.
//
// A trial evaluation must not change the channels, but several of v's inputs may queue on the same
// channel: it writes to a scratch copy that is valid where scratchStamp equals the current stamp,
// so a trial costs O(inputs), not O(devices) to copy the channels first.
import { CoreState, memNotBeforeOf } from './state';

function nextStamp(s: CoreState): number {
  if (s.stamp === 0x7fffffff) {
    s.scratchStamp.fill(0);
    s.stamp = 0;
  }
  return ++s.stamp;
}

/**
 * Earliest start of v on d with every new transfer and the start not before `notBefore`; the
 * result is left in s.ev*. With `commit`, the transfers are made: channels, arrivals, the
 * received copies' memory and the transfer list.
 */
export function evaluate(s: CoreState, v: number, d: number, notBefore: number, commit: boolean): void {
  const { D, device, end, arrival } = s;
  const { tProducer, tCommUs, tBytes } = s.problem;
  const inStart = s.graph.inTensors.start;
  const inList = s.graph.inTensors.list;
  const stamp = commit ? 0 : nextStamp(s);
  const chanFree = s.chanFree;
  const scratchChan = s.scratchChan;
  const scratchStamp = s.scratchStamp;
  let ready = notBefore;
  let firstCopy = Infinity;
  let copyBytes = 0;
  for (let i = inStart[v], last = inStart[v + 1]; i < last; i++) {
    const k = inList[i];
    const p = tProducer[k];
    const pd = device[p];
    let at: number;
    if (pd === d) at = end[p];
    else {
      const known = arrival[k * D + d];
      if (known === known)
        at = known; // not NaN: already sent to d
      else {
        const cost = s.pairLink ? s.commByLink![s.pairLink[pd * D + d]][k] : tCommUs[k];
        const srcFree = stamp !== 0 && scratchStamp[pd] === stamp ? scratchChan[pd] : chanFree[pd];
        const dstFree = stamp !== 0 && scratchStamp[d] === stamp ? scratchChan[d] : chanFree[d];
        const sendStart = Math.max(end[p], srcFree);
        const st = Math.max(sendStart, dstFree, notBefore);
        at = st + cost;
        if (commit) {
          chanFree[pd] = sendStart + cost;
          chanFree[d] = at;
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
  s.evStart = Math.max(ready, s.devFree[d]);
  s.evFirstCopy = firstCopy;
  s.evCopyBytes = copyBytes;
}

function recordTransfer(s: CoreState, k: number, src: number, dst: number, sendStart: number, start: number, end: number): void {
  s.arrival[k * s.D + dst] = end;
  const x = s.transfers.length;
  s.transfers.push({ tensor: k, src, dst, sendStart, start, end });
  s.copyNext.push(-1);
  if (s.copyFirst[k] < 0) s.copyFirst[k] = x;
  else s.copyNext[s.copyLast[k]] = x;
  s.copyLast[k] = x;
  s.memory[dst].insert(start, s.problem.tBytes[k]);
  const p = s.problem.tProducer[k];
  if (end > s.lastUse[p]) s.lastUse[p] = end;
}

/** When v's inputs (and memory, as far as known) allow it to start on d, ignoring d being busy. */
export function readyOn(s: CoreState, v: number, d: number): number {
  evaluate(s, v, d, memNotBeforeOf(s, v, d), false);
  return s.evDataReady;
}

/** When v could start on d: its inputs there and d free. */
export function startOn(s: CoreState, v: number, d: number): number {
  return Math.max(readyOn(s, v, d), s.devFree[d]);
}
