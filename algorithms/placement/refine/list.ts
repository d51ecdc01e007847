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

/** The list schedule as it grows: each placed op's device and times, and each device's gaps. */
interface ListState {
  readonly device: Int32Array;
  readonly start: Float64Array;
  readonly end: Float64Array;
  /** Device of each unit once its first member is placed, else −1. */
  readonly unitDevice: Int32Array;
  readonly persistentUsed: Float64Array;
  /** Groups whose persistent bytes are counted already (on their first member). */
  readonly groupCounted: Uint8Array;
  /** Per device, sorted by start: the placed ops' starts, ends and ids (the idle gaps lie between). */
  readonly starts: number[][];
  readonly ends: number[][];
  readonly ops: number[][];
}

/** Where an op goes: a device, a start time, and its index in that device's sorted lists. */
interface Slot {
  device: number;
  at: number;
  pos: number;
}

/**
 * Per-device run orders of a priority list schedule. Units (colocation groups) stay together:
 * the first member placed decides the unit's device. `keys`: higher runs first among ready ops.
 */
export function listSchedule(problem: Problem, unitOf: Int32Array, limits: number[], keys: Float64Array): number[][] {
  const { n, pred, succ, topoRank } = problem;
  const D = limits.length;
  const state: ListState = {
    device: new Int32Array(n).fill(-1),
    start: new Float64Array(n),
    end: new Float64Array(n),
    unitDevice: new Int32Array(n).fill(-1),
    persistentUsed: new Float64Array(D),
    groupCounted: new Uint8Array(problem.groupCount),
    starts: Array.from({ length: D }, () => []),
    ends: Array.from({ length: D }, () => []),
    ops: Array.from({ length: D }, () => []),
  };
  const pending = new Int32Array(n);
  const heap = new KeyedHeap();
  for (let c = 0; c < n; c++) {
    pending[c] = pred[c].length;
    if (pending[c] === 0) heap.push(c, -keys[c], topoRank[c]);
  }
  while (heap.size) {
    const c = heap.pop();
    place(problem, state, unitOf, c, earliestSlot(problem, state, unitOf, limits, c) ?? leastLoadedSlot(problem, state, c));
    for (const s of succ[c]) if (--pending[s] === 0) heap.push(s, -keys[s], topoRank[s]);
  }
  // Zero-length ops inserted at equal times: order by (start, topological rank) so the replay
  // order always agrees with the graph.
  const { start } = state;
  return state.ops.map((list) => list.slice().sort((a, b) => start[a] - start[b] || topoRank[a] - topoRank[b]));
}

/** Persistent bytes op c adds to its device: its own, or its group's on the group's first member. */
function newPersistent(problem: Problem, state: ListState, c: number): number {
  const g = problem.group[c];
  return g >= 0 ? (state.groupCounted[g] ? 0 : problem.groupPersistent[g]) : problem.persistent[c];
}

/** The slot where c finishes first: on its unit's device if fixed, else on any device its persistent bytes fit; null when none does. */
function earliestSlot(problem: Problem, state: ListState, unitOf: Int32Array, limits: number[], c: number): Slot | null {
  const { compute, inTensors, tProducer, tCommUs } = problem;
  const fixed = state.unitDevice[unitOf[c]];
  let best: Slot | null = null;
  for (let d = 0; d < limits.length; d++) {
    if (fixed >= 0 && d !== fixed) continue;
    if (fixed < 0 && state.persistentUsed[d] + newPersistent(problem, state, c) > limits[d]) continue;
    let ready = 0;
    for (const k of inTensors[c]) {
      // a node's input tensors are distinct, so each pays its transfer once
      const p = tProducer[k];
      const at = state.device[p] === d ? state.end[p] : state.end[p] + tCommUs[k];
      if (at > ready) ready = at;
    }
    const gap = earliestGap(state.starts[d], state.ends[d], ready, compute[c]);
    if (gap.at < (best ? best.at : Infinity)) best = { device: d, at: gap.at, pos: gap.pos };
  }
  return best;
}

/** Nothing fits by persistent bytes: the least loaded device, from time 0 (the core replay will judge). */
function leastLoadedSlot(problem: Problem, state: ListState, c: number): Slot {
  let d = 0;
  for (let e = 1; e < state.persistentUsed.length; e++) if (state.persistentUsed[e] < state.persistentUsed[d]) d = e;
  const gap = earliestGap(state.starts[d], state.ends[d], 0, problem.compute[c]);
  return { device: d, at: gap.at, pos: gap.pos };
}

function place(problem: Problem, state: ListState, unitOf: Int32Array, c: number, slot: Slot): void {
  const d = slot.device;
  state.device[c] = d;
  state.start[c] = slot.at;
  state.end[c] = slot.at + problem.compute[c];
  if (state.unitDevice[unitOf[c]] < 0) state.unitDevice[unitOf[c]] = d;
  state.persistentUsed[d] += newPersistent(problem, state, c);
  if (problem.group[c] >= 0) state.groupCounted[problem.group[c]] = 1;
  state.starts[d].splice(slot.pos, 0, state.start[c]);
  state.ends[d].splice(slot.pos, 0, state.end[c]);
  state.ops[d].splice(slot.pos, 0, c);
}
