// HEFT-style list scheduling for the refinement placer's proposals: the ready op with the highest
// priority goes to the device where it would finish first, inserted into an idle gap when one is
// long enough. Transfers are costed without channel contention and memory by persistent bytes
// only — this is a proposal generator: its per-device orders are replayed by the shared core
// (refine.ts), which applies the real channel and memory model and has the last word.
import type { Problem } from '../problem';
import { KeyedHeap } from '../heap';

/** Upward rank (HEFT): longest compute + expected communication path from a node to an exit. */
export function upwardRanks(problem: Problem, devices: number): Float64Array {
  const { n, topo, compute, tProducer, tConsumers, tCommUs } = problem;
  const remote = devices > 1 ? (devices - 1) / devices : 0;
  const outTensors: number[][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < tProducer.length; k++) outTensors[tProducer[k]].push(k);
  const rank = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    const c = topo[i];
    let tail = 0;
    for (const k of outTensors[c]) {
      for (const s of tConsumers[k]) {
        const r = tCommUs[k] * remote + rank[s];
        if (r > tail) tail = r;
      }
    }
    rank[c] = compute[c] + tail;
  }
  return rank;
}

/** Earliest start ≥ ready of a `length` op in the device's busy intervals (sorted by start). */
function earliestGap(starts: number[], ends: number[], ready: number, length: number): { at: number; pos: number } {
  let prevEnd = 0;
  for (let i = 0; i < starts.length; i++) {
    const at = Math.max(ready, prevEnd);
    if (at + length <= starts[i]) return { at, pos: i };
    if (ends[i] > prevEnd) prevEnd = ends[i];
  }
  return { at: Math.max(ready, prevEnd), pos: starts.length };
}

/**
 * Per-device run orders of a priority list schedule. Units (colocation groups) stay together:
 * the first member placed decides the unit's device. `keys`: higher runs first among ready ops.
 */
export function listSchedule(problem: Problem, unitOf: Int32Array, limits: number[], keys: Float64Array): number[][] {
  const { n, compute, pred, succ, inTensors, tProducer, tCommUs, topoRank, group, groupPersistent, persistent } = problem;
  const D = limits.length;
  const device = new Int32Array(n).fill(-1);
  const end = new Float64Array(n);
  const start = new Float64Array(n);
  const unitDevice = new Int32Array(n).fill(-1);
  const persistentUsed = new Float64Array(D);
  const groupCounted = new Uint8Array(problem.groupCount);
  const starts: number[][] = Array.from({ length: D }, () => []);
  const ends: number[][] = Array.from({ length: D }, () => []);
  const ops: number[][] = Array.from({ length: D }, () => []);
  const pending = new Int32Array(n);
  const heap = new KeyedHeap();
  for (let c = 0; c < n; c++) {
    pending[c] = pred[c].length;
    if (pending[c] === 0) heap.push(c, -keys[c], topoRank[c]);
  }
  const newPersistent = (c: number) => (group[c] >= 0 ? (groupCounted[group[c]] ? 0 : groupPersistent[group[c]]) : persistent[c]);
  while (heap.size) {
    const c = heap.pop();
    const fixed = unitDevice[unitOf[c]];
    let bestD = -1;
    let bestAt = Infinity;
    let bestPos = 0;
    for (let d = 0; d < D; d++) {
      if (fixed >= 0 && d !== fixed) continue;
      if (fixed < 0 && persistentUsed[d] + newPersistent(c) > limits[d]) continue;
      let ready = 0;
      const counted: number[] = [];
      for (const k of inTensors[c]) {
        const p = tProducer[k];
        const at = device[p] === d ? end[p] : end[p] + (counted.includes(k) ? 0 : tCommUs[k]);
        counted.push(k);
        if (at > ready) ready = at;
      }
      const gap = earliestGap(starts[d], ends[d], ready, compute[c]);
      if (gap.at < bestAt) {
        bestAt = gap.at;
        bestD = d;
        bestPos = gap.pos;
      }
    }
    if (bestD < 0) {
      // nothing fits by persistent bytes: the least loaded device (the core replay will judge)
      bestD = 0;
      for (let d = 1; d < D; d++) if (persistentUsed[d] < persistentUsed[bestD]) bestD = d;
      const g = earliestGap(starts[bestD], ends[bestD], 0, compute[c]);
      bestAt = g.at;
      bestPos = g.pos;
    }
    device[c] = bestD;
    start[c] = bestAt;
    end[c] = bestAt + compute[c];
    if (unitDevice[unitOf[c]] < 0) unitDevice[unitOf[c]] = bestD;
    persistentUsed[bestD] += newPersistent(c);
    if (group[c] >= 0) groupCounted[group[c]] = 1;
    starts[bestD].splice(bestPos, 0, start[c]);
    ends[bestD].splice(bestPos, 0, end[c]);
    ops[bestD].splice(bestPos, 0, c);
    for (const s of succ[c]) if (--pending[s] === 0) heap.push(s, -keys[s], topoRank[s]);
  }
  // Zero-length ops inserted at equal times: order by (start, topological rank) so the replay
  // order always agrees with the graph.
  return ops.map((list) => list.slice().sort((a, b) => start[a] - start[b] || topoRank[a] - topoRank[b]));
}
