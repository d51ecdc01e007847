// Contiguous splits for the refinement placer's starts: cut a topological order of the placement
// units into at most D segments, one device each, so that every segment fits its device (Baechi's
// m-TOPO accounting: outputs never freed, scaled by a slack factor since the real model frees
// them) and the communication across the cuts is smallest (dynamic programming over cut points).
// On the chain-like layer graphs, where transfers cost as much as layers, this beats the greedy
// placers that scatter ops; the core decides whether a split really fits.
import type { Problem } from '../problem';

/** Memory slacks the splits are made at: the m-TOPO accounting overestimates, so a split over the limit may still fit. */
export const SPLIT_SLACKS = [1, 1.25, 1.6];

/** Unit order: units by the topological rank of their first member. */
function unitOrder(problem: Problem, unitOf: Int32Array, unitCount: number): { order: number[]; pos: Int32Array } {
  const pos = new Int32Array(unitCount).fill(-1);
  const order: number[] = [];
  for (const c of problem.topo) {
    const u = unitOf[c];
    if (pos[u] < 0) {
      pos[u] = order.length;
      order.push(u);
    }
  }
  return { order, pos };
}

/**
 * Best contiguous split into exactly s segments for each s = 1..D (null where none fits), as unit
 * → device assignments. `slack` scales the limits (the m-TOPO accounting overestimates).
 */
export function contiguousSplits(problem: Problem, unitOf: Int32Array, unitCount: number, limits: number[], slack: number): (Int32Array | null)[] {
  const D = limits.length;
  const { order, pos } = unitOrder(problem, unitOf, unitCount);
  const mem = unitMemory(problem, unitOf, pos, unitCount);
  const cross = cutCosts(problem, unitOf, pos, unitCount);
  const table = leastCutTable(mem, cross, Math.min(...limits) * slack, D);
  const out: (Int32Array | null)[] = [];
  for (let s = 1; s <= D; s++) out.push(splitOf(table, order, s));
  return out;
}

/** Memory of each unit position under the m-TOPO accounting; a group's persistent bytes count once, on its first member. */
function unitMemory(problem: Problem, unitOf: Int32Array, pos: Int32Array, unitCount: number): Float64Array {
  const mem = new Float64Array(unitCount);
  const groupCounted = new Uint8Array(problem.groupCount);
  for (let c = 0; c < problem.n; c++) {
    const p = pos[unitOf[c]];
    const g = problem.group[c];
    let m = problem.temporary[c] + problem.outBytes[c];
    if (g < 0) m += problem.persistent[c];
    else if (!groupCounted[g]) {
      groupCounted[g] = 1;
      m += problem.groupPersistent[g];
    }
    mem[p] += m;
  }
  return mem;
}

/** cross[i]: communication of the tensors that span the cut before unit position i (a difference array over each tensor's span). */
function cutCosts(problem: Problem, unitOf: Int32Array, pos: Int32Array, unitCount: number): Float64Array {
  const U = unitCount;
  const diff = new Float64Array(U + 1);
  for (let k = 0; k < problem.tProducer.length; k++) {
    const a = pos[unitOf[problem.tProducer[k]]];
    let lo = a;
    let hi = a;
    for (const c of problem.tConsumers[k]) {
      const b = pos[unitOf[c]];
      if (b < lo) lo = b;
      if (b > hi) hi = b;
    }
    if (hi > lo) {
      diff[lo + 1] += problem.tCommUs[k];
      diff[hi + 1] -= problem.tCommUs[k];
    }
  }
  const cross = new Float64Array(U + 1);
  let run = 0;
  for (let i = 0; i <= U; i++) {
    run += diff[i];
    cross[i] = run;
  }
  return cross;
}

/** f[s][j]: least cut cost of units [0, j) in s segments; from[s][j]: start of the last segment (−1: none fits). */
interface CutTable {
  f: Float64Array[];
  from: Int32Array[];
}

/** The last segment's possible starts for the current end j: i is in iff mem[i] + … + mem[j − 1] ≤ cap. */
interface Window {
  lo: number;
  /** mem[lo] + … + mem[j − 1], kept as a running sum. */
  sum: number;
}

/** Starts i in [lo, j) of one segment count, by increasing f[s − 1][i] + cut(i): the window's minimum is at the head. */
interface MinimumQueue {
  items: Int32Array;
  head: number;
  tail: number;
}

/**
 * The dynamic programme f[s][j] = min over the window i ∈ [lo(j), j) of f[s−1][i] + cut(i): the cut
 * cost depends on i only and lo(j) never decreases, so a sliding-window minimum per s (a queue of
 * increasing values; equal values keep the larger i, as the scan from j − 1 down did) makes this
 * O(U · D) instead of O(U² · D) — 10 s of refine's 27 s on a 20k-op chain with ample memory.
 */
function leastCutTable(mem: Float64Array, cross: Float64Array, cap: number, D: number): CutTable {
  const U = mem.length;
  const table: CutTable = { f: [], from: [] };
  const queues: MinimumQueue[] = [];
  for (let s = 0; s <= D; s++) {
    table.f.push(new Float64Array(U + 1).fill(Infinity));
    table.from.push(new Int32Array(U + 1).fill(-1));
    queues.push({ items: new Int32Array(U + 1), head: 0, tail: 0 });
  }
  table.f[0][0] = 0;
  const window: Window = { lo: 0, sum: 0 };
  for (let j = 1; j <= U; j++) {
    advanceWindow(window, mem, j, cap);
    for (let s = 1; s <= D; s++) relax(table, queues[s], cross, s, j, window.lo);
  }
  return table;
}

/** Moves the window to end j, summed from j − 1 down near the cap as the exact scan did. */
function advanceWindow(window: Window, mem: Float64Array, j: number, cap: number): void {
  window.sum += mem[j - 1];
  if (j % 1024 === 0) window.sum = sumOf(mem, window.lo, j); // no drift from the running sum
  while (window.lo < j && window.sum > cap * (1 + 1e-6)) window.sum -= mem[window.lo++];
  if (window.lo < j && window.sum > cap * (1 - 1e-6)) {
    window.lo = windowStart(mem, j, cap);
    window.sum = sumOf(mem, window.lo, j);
  }
}

function sumOf(mem: Float64Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += mem[i];
  return sum;
}

/** Cost of a last segment starting at i: the best split of [0, i) in one segment fewer, plus the cut before i. */
const startCost = (prev: Float64Array, cross: Float64Array, i: number): number => prev[i] + (i > 0 ? cross[i] : 0);

/** f[s][j] from the window's best start: admit i = j − 1, drop starts before lo, take the head. */
function relax(table: CutTable, queue: MinimumQueue, cross: Float64Array, s: number, j: number, lo: number): void {
  const prev = table.f[s - 1];
  const q = queue.items;
  const v = startCost(prev, cross, j - 1);
  while (queue.tail > queue.head && startCost(prev, cross, q[queue.tail - 1]) >= v) queue.tail--;
  q[queue.tail++] = j - 1;
  while (queue.tail > queue.head && q[queue.head] < lo) queue.head++;
  if (queue.tail > queue.head) {
    const i = q[queue.head];
    const best = startCost(prev, cross, i);
    if (best < table.f[s][j]) {
      table.f[s][j] = best;
      table.from[s][j] = i;
    }
  }
}

/** The split into s segments read back from the table (unit → device), or null when none fits. */
function splitOf(table: CutTable, order: number[], s: number): Int32Array | null {
  const U = table.f[s].length - 1;
  if (!Number.isFinite(table.f[s][U])) return null;
  const assign = new Int32Array(U);
  let j = U;
  for (let t = s; t >= 1; t--) {
    const i = table.from[t][j];
    for (let p = i; p < j; p++) assign[order[p]] = t - 1;
    j = i;
  }
  return assign;
}

/** Smallest i with mem[i] + … + mem[j − 1] ≤ cap, summed from j − 1 down (exact near the cap). */
function windowStart(mem: Float64Array, j: number, cap: number): number {
  let segment = 0;
  let i = j - 1;
  for (; i >= 0; i--) {
    segment += mem[i];
    if (segment > cap) break;
  }
  return i + 1;
}
