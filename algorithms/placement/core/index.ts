// The one event-driven scheduling core behind m-TOPO, m-ETF, m-SCT, the baselines and the replay
// simulator. Each device has a compute timeline and one communication channel shared by its sends
// and receives (channels.ts); a tensor goes to a device at most once; memory follows the model in
// ../model.ts (memoryFit.ts). Each step asks every device what it would run next — ETF's heaps
// (etfSelection.ts), or m-SCT's awake rule on top (sctAwake.ts) when the placer gives favourite
// children — and starts the earliest choice, ties to the lower topological rank, then the lower
// device (then the better host with a topology, hostTieBreak.ts). All state is in one object of
// typed arrays (state.ts); a step allocates nothing but the transfers it makes.
import { OpplaceError } from '../../errors';
import type { Problem } from '../problem';
import { evaluateOrRecall, forgetReady } from './channels';
import { etfChoice, leaveReady, makeReady, rekeyConsumers } from './etfSelection';
import { betterHost } from './hostTieBreak';
import { block, holdAndRelease, infeasibleReason, memoryPlan } from './memoryFit';
import { sctChoice } from './sctAwake';
import { createState, releaseScratch } from './runState';
import { CorePolicy, CoreResult, CoreState, invalidate, invalidateAbove, memNotBeforeOf, NONE } from './state';

export type { CorePolicy, CoreResult, CoreTransfer } from './state';

/** Start v on d: its transfers, its time on d, its memory, and what becomes ready. */
function commit(s: CoreState, v: number, d: number, notBefore: number): void {
  const firstNewTransfer = s.transfers.length;
  evaluateOrRecall(s, v, d, notBefore, true);
  const st = s.evStart;
  // what the devices' candidates read: d's free time (and arrivals on d), v, and the channels
  // the transfers wrote (the commit's evChannels) — a candidate that read none of them stays the
  // best (channel and device free times only grow, so no other op got earlier); BERT-L12 m-ETF:
  // 20,500 evaluations, not 20,900
  const written = s.evChannels;
  // after reading s.evStart and s.evChannels: readyOn overwrites them
  for (let x = firstNewTransfer; x < s.transfers.length; x++) rekeyConsumers(s, s.transfers[x].tensor, d, v);
  for (let x = 0; x < s.D; x++) {
    if (x === d) invalidate(s, x);
    else if (s.candV[x] === v || (s.candChannels[x] & written) !== 0) invalidateAbove(s, x);
  }
  const e = st + s.problem.compute[v];
  s.device[v] = d;
  leaveReady(s, v);
  s.start[v] = st;
  s.end[v] = e;
  s.devFree[d] = e;
  s.order[d].push(v);
  holdAndRelease(s, v, d, st, e);
  if (s.replay) {
    const next = s.replay[d][++s.replayPos[d]];
    if (next !== undefined && s.predPending[next] === 0) makeReady(s, next);
  }
  const { start, list } = s.graph.succ;
  const sendUs = s.succSendUs;
  for (let i = start[v]; i < start[v + 1]; i++) {
    const c = list[i];
    if (e > s.inputsDone[c]) s.inputsDone[c] = e; // every predecessor produces an input (problem.ts nodeAdjacency)
    if (s.onlyOn[c] < 0) arrivalBound(s, c, d, e + sendUs[i]); // an op with one device has nothing to skip
    if (--s.predPending[c] === 0) makeReady(s, c);
  }
}

/**
 * c gets inputs on d that reach another device at `at` at the soonest (sent as soon as they are
 * made, over the cheapest link): c's readiness is at least the latest such time on every device
 * but the one it comes from (farReady), and there at least the latest from the other devices
 * (nearReady: the two latest devices are kept, so the one device the far bound leaves out is
 * covered by the other). readyLowerBound reads them for a pair not evaluated yet, so a scan skips
 * devices the inputs must be sent to: BERT-L12 trial evaluations m-ETF 13,305 → 11,712, m-SCT
 * 15,265 → 14,286, m-ETF 0.89 → 0.83 ms best.
 */
function arrivalBound(s: CoreState, c: number, d: number, at: number): void {
  if (s.nearDevice[c] === d) {
    if (at > s.farReady[c]) s.farReady[c] = at;
  } else if (at > s.farReady[c]) {
    s.nearReady[c] = s.farReady[c];
    s.farReady[c] = at;
    s.nearDevice[c] = d;
  } else if (at > s.nearReady[c]) s.nearReady[c] = at;
}

export function runCore(problem: Problem, policy: CorePolicy): CoreResult {
  const s = createState(problem, policy);
  const result = schedule(s);
  releaseScratch(s); // not when it throws: a run cut short leaves its arrays to the collector
  return result;
}

/** The event loop: one op started per step, until all are or none can be. */
function schedule(s: CoreState): CoreResult {
  const problem = s.problem;
  const { n, D, topoRank } = { n: s.n, D: s.D, topoRank: problem.topoRank };
  const choose = s.sct ? sctChoice : etfChoice;
  const withHosts = s.pairLink !== undefined;
  const result = () => ({ device: s.device, start: s.start, end: s.end, transfers: s.transfers, order: s.order });

  for (let v = 0; v < n; v++) if (s.predPending[v] === 0) makeReady(s, v);

  let placed = 0;
  while (placed < n) {
    let bestV = NONE;
    let bestD = NONE;
    let bestStart = Infinity;
    // When the choice is made: the start, except for an awake device's urgent op (sctAwake.ts).
    let bestAt = Infinity;
    for (let d = 0; d < D; d++) {
      // a choice is never made before its device is free (etfChoice, sctChoice): a device still
      // busy at the best choice so far can neither win nor tie, and is not asked (BERT-L12: 281 /
      // 288 of ~8,050 asks under m-ETF / m-SCT, the busy devices' rescans and awake tests). Nor
      // is one whose candidate must be recomputed but cannot start by then (candLow: m-SCT's
      // choices start no earlier than ETF's candidate): BERT-L12 m-ETF / m-SCT, 2,466 / 2,286
      // asks, most of them rescans, deferred until the device may win (0.71 → 0.63 ms, 1.22 → 1.09)
      if (s.devFree[d] > bestAt || (!s.candValid[d] && s.candLow[d] > bestAt && !s.policy.askEveryDevice)) continue;
      const v = choose(s, d);
      if (v === NONE) continue;
      const st = s.choiceStart;
      const at = s.choiceAt;
      if (
        at < bestAt ||
        (at === bestAt &&
          (st < bestStart || (st === bestStart && (topoRank[v] < topoRank[bestV] || (v === bestV && withHosts && betterHost(s, v, d, bestD, st))))))
      ) {
        bestAt = at;
        bestStart = st;
        bestV = v;
        bestD = d;
      }
    }
    if (bestV === NONE) {
      let failed = NONE;
      for (let v = 0; v < n; v++) {
        if (s.device[v] === NONE && s.predPending[v] === 0 && (failed === NONE || topoRank[v] < topoRank[failed])) failed = v;
      }
      if (failed !== NONE && s.memBlocked.some((l) => l.length))
        return { feasible: false, reason: infeasibleReason(s, failed), failedNode: failed, ...result() };
      if (s.replay) throw new OpplaceError('the device order contradicts the graph: a device waits for an op that depends on a later one');
      throw new Error('internal: scheduler stalled');
    }
    if (!s.checkMemory) {
      // memory cannot bind: memoryPlan would evaluate the choice again and return its start
      commit(s, bestV, bestD, 0);
      placed++;
      continue;
    }
    const planned = memoryPlan(s, bestV, bestD, memNotBeforeOf(s, bestV, bestD));
    if (planned === Infinity) {
      block(s, bestV, bestD);
      continue;
    }
    if (planned > bestStart) {
      // Memory makes it wait: remember and choose again (others may go first).
      s.memNotBefore.set(bestV * D + bestD, s.planNotBefore);
      forgetReady(s, bestV, bestD);
      invalidate(s, bestD);
      continue;
    }
    commit(s, bestV, bestD, s.planNotBefore);
    placed++;
  }
  return { feasible: true, ...result() };
}
