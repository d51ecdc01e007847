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

/**
 * Earliest start ≥ ready of a `length` op in the device's busy intervals (sorted by start). The
 * intervals never overlap (each went into a gap), so their ends are sorted too and the end before
 * interval i is ends[i − 1]: up to the first interval ending after `ready` the op starts at
 * `ready` before the first interval starting at ready + length or later (binary searches); after
 * it, only the gaps between intervals are scanned. The scan from the first interval was O(ops on
 * the device) per op — 15 s of refine's 27 s on a 20k-op chain.
 */
function earliestGap(starts: number[], ends: number[], ready: number, length: number): { at: number; pos: number } {
  const n = starts.length;
  const j = firstAbove(ends, ready, n);
  const x = ready + length;
  const i = firstAtLeast(starts, x, n);
  if (i <= j) return { at: ready, pos: i };
  for (let k = j + 1; k < n; k++) if (ends[k - 1] + length <= starts[k]) return { at: ends[k - 1], pos: k };
  return { at: n > 0 ? Math.max(ready, ends[n - 1]) : ready, pos: n };
}

/** First index with a[i] > t in a sorted array (n when none). */
function firstAbove(a: number[], t: number, n: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** First index with a[i] ≥ t in a sorted array (n when none). */
function firstAtLeast(a: number[], t: number, n: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] >= t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
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
      for (const k of inTensors[c]) {
        // a node's input tensors are distinct, so each pays its transfer once
        const p = tProducer[k];
        const at = device[p] === d ? end[p] : end[p] + tCommUs[k];
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
