// Memory fit: whether and from when v fits on d under the device's limit (the model in
// ../model.ts), the bookkeeping of a start (what it holds, what it frees), and the message when
// nothing fits. An op that cannot fit on d with what is known now is blocked on d until
// something on d is freed.
import { formatBytes } from '../../units';
import { evaluate, evaluateOrRecall, forgetReady } from './channels';
import { CoreState, invalidate, invalidateAll, isAllowed, NONE, urgentMayDrop } from './state';

/** Persistent bytes v adds to d: its own, or its group's when the group is not on d yet. */
export function newPersistent(s: CoreState, v: number, d: number): number {
  const g = s.problem.group[v];
  if (g < 0) return s.problem.persistent[v];
  return s.groupDevice[g] === d ? 0 : s.problem.groupPersistent[g];
}

/**
 * Memory-aware start of v on d from `nb`: the start, or Infinity when it cannot fit with what is
 * known now; the lower bound its transfers and start must respect is left in s.planNotBefore.
 */
export function memoryPlan(s: CoreState, v: number, d: number, nb: number): number {
  evaluateOrRecall(s, v, d, nb, false);
  s.planNotBefore = nb;
  if (!s.checkMemory) return s.evStart;
  const line = s.memory[d];
  const persist = newPersistent(s, v, d);
  const room = s.limits[d] - line.persistent - persist;
  if (persist > 0 && line.maxDynamic > room) return Infinity;
  const need = s.problem.outBytes[v] + s.problem.temporary[v] + s.evCopyBytes;
  const from = Math.min(s.evStart, s.evFirstCopy);
  const fit = line.earliestFit(from, need, room);
  if (fit === from) return s.evStart;
  if (fit === Infinity) return Infinity;
  // Wait for the frees: re-plan the transfers so that nothing starts before `fit`.
  evaluate(s, v, d, fit, false);
  s.planNotBefore = fit;
  return s.evStart;
}

/** Something on d was freed: the ops blocked on d may try again. */
export function unblock(s: CoreState, d: number): void {
  const list = s.memBlocked[d];
  if (!list.length) return;
  const D = s.D;
  for (const w of list) {
    s.blockedOn[w * D + d] = 0;
    if (s.memNotBefore.delete(w * D + d)) forgetReady(s, w, d);
    if (s.wide && s.device[w] === NONE) s.pending[d].push(w, 0, s.problem.topoRank[w]);
  }
  s.memBlocked[d] = [];
  invalidate(s, d);
  urgentMayDrop(s);
}

/** v cannot fit on d with what is known now. */
export function block(s: CoreState, v: number, d: number): void {
  s.blockedOn[v * s.D + d] = 1;
  s.memBlocked[d].push(v);
  invalidate(s, d);
  urgentMayDrop(s);
}

/** v started on d at `st` and ends at `e`: what it holds, and what its end lets go. */
export function holdAndRelease(s: CoreState, v: number, d: number, st: number, e: number): void {
  const { problem, D, memory } = s;
  const line = memory[d];
  const g = problem.group[v];
  if (g >= 0 && s.groupDevice[g] < 0) {
    s.groupDevice[g] = d;
    invalidateAll(s); // the group's other ops may now run on d only
    urgentMayDrop(s);
    line.persistent += problem.groupPersistent[g];
  }
  if (!s.checkMemory) return; // what follows only tracks what is held, which only memory checks read
  if (g < 0) line.persistent += problem.persistent[v];
  line.insert(st, problem.outBytes[v] + problem.temporary[v]);
  line.insert(e, -problem.temporary[v]);
  s.lastUse[v] = e;
  const { succ, pred, inTensors } = s.graph;
  if (succ.start[v + 1] === succ.start[v] && problem.outBytes[v] > 0) line.insert(e, -problem.outBytes[v]);
  const { tProducer, tBytes } = problem;
  for (let i = inTensors.start[v], last = inTensors.start[v + 1]; i < last; i++) {
    const k = inTensors.list[i];
    const p = tProducer[k];
    if (e > s.lastUse[p]) s.lastUse[p] = e;
    if (s.device[p] !== d && e > s.copyLastUse[k * D + d]) s.copyLastUse[k * D + d] = e;
    if (--s.tensorPending[k] === 0) {
      for (let x = s.copyFirst[k]; x >= 0; x = s.copyNext[x]) {
        const cd = s.transfers[x].dst;
        memory[cd].insert(s.copyLastUse[k * D + cd], -tBytes[k]);
        unblock(s, cd);
      }
    }
  }
  for (let i = pred.start[v], last = pred.start[v + 1]; i < last; i++) {
    const p = pred.list[i];
    if (--s.succPending[p] === 0) {
      memory[s.device[p]].insert(s.lastUse[p], -problem.outBytes[p]);
      unblock(s, s.device[p]);
    }
  }
  if (problem.temporary[v] > 0) unblock(s, d);
}

/** The message for op v, which fits on no device. */
export function infeasibleReason(s: CoreState, v: number): string {
  const { problem, limits, D } = s;
  const node = problem.graph.nodes[problem.members[v][0]];
  const what = problem.members[v].length > 1 ? `op "${node.id}" (fused with ${problem.members[v].length - 1} more)` : `op "${node.id}"`;
  const g = problem.group[v];
  const groupText = g >= 0 ? ` of group "${problem.groupName[g]}"` : '';
  // The same two tests as memoryPlan: a group being pinned must keep its persistent bytes under
  // the device's peak so far; otherwise the op's outputs, workspace and received inputs must fit
  // beside what is still held at the end of the known timeline.
  let bestRoom = -Infinity;
  let bestD = 0;
  let bestNeed = 0;
  let bestWholeStep = false;
  for (let d = 0; d < D; d++) {
    if (!isAllowed(s, v, d)) continue;
    evaluate(s, v, d, 0, false);
    const line = s.memory[d];
    const persist = newPersistent(s, v, d);
    const base = limits[d] - line.persistent;
    const wholeStep = persist > 0 && line.maxDynamic > base - persist;
    const need = wholeStep ? persist : persist + problem.outBytes[v] + problem.temporary[v] + s.evCopyBytes;
    const room = base - (wholeStep ? line.maxDynamic : line.cum.length ? line.cum[line.cum.length - 1] : 0);
    if (bestRoom === -Infinity || room - need > bestRoom - bestNeed) {
      bestRoom = room;
      bestD = d;
      bestNeed = need;
      bestWholeStep = wholeStep;
    }
  }
  // When both round to the same text, show bytes so the message never reads "needs X, has X".
  const [needText, roomText] =
    formatBytes(bestNeed) === formatBytes(Math.max(0, bestRoom))
      ? [`${bestNeed} B`, `${Math.max(0, bestRoom)} B`]
      : [formatBytes(bestNeed), formatBytes(Math.max(0, bestRoom))];
  return bestWholeStep
    ? `${what}${groupText} does not fit on any device: it needs ${needText} held for the whole step (persistent memory) ` +
        `but device ${bestD} has at most ${roomText} free at its peak, of its ${formatBytes(limits[bestD])} limit`
    : `${what}${groupText} does not fit on any device: it needs ${needText} ` +
        `(persistent, outputs, workspace and received inputs) but device ${bestD} has at most ${roomText} free ` +
        `of its ${formatBytes(limits[bestD])} limit`;
}
