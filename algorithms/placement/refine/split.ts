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
  const U = unitCount;
  const { order, pos } = unitOrder(problem, unitOf, unitCount);
  const mem = new Float64Array(U);
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
  // cross[i]: communication of tensors that span the cut before unit position i
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
  const cap = Math.min(...limits) * slack;
  // f[s][j]: least cut cost of units [0, j) in s segments; from[s][j]: start of the last segment
  const f: Float64Array[] = [];
  const from: Int32Array[] = [];
  for (let s = 0; s <= D; s++) {
    f.push(new Float64Array(U + 1).fill(Infinity));
    from.push(new Int32Array(U + 1).fill(-1));
  }
  f[0][0] = 0;
  // f[s][j] = min over the window i ∈ [lo(j), j) of f[s−1][i] + cut(i): the cut cost depends on i
  // only and lo(j) never decreases, so a sliding-window minimum per s (deque of increasing values;
  // equal values keep the larger i, as the scan from j − 1 down did) makes this O(U · D) instead
  // of O(U² · D) — 10 s of refine's 27 s on a 20k-op chain with ample memory.
  const dq: Int32Array[] = [];
  const head = new Int32Array(D + 1);
  const tail = new Int32Array(D + 1);
  for (let s = 0; s <= D; s++) dq.push(new Int32Array(U + 1));
  const g = (s: number, i: number) => f[s][i] + (i > 0 ? cross[i] : 0);
  let lo = 0;
  let sum = 0;
  for (let j = 1; j <= U; j++) {
    // window: i is in iff mem[i] + … + mem[j − 1] ≤ cap, summed from j − 1 down as before
    sum += mem[j - 1];
    if (j % 1024 === 0) {
      sum = 0; // no drift from the running sum
      for (let i = lo; i < j; i++) sum += mem[i];
    }
    while (lo < j && sum > cap * (1 + 1e-6)) sum -= mem[lo++];
    if (lo < j && sum > cap * (1 - 1e-6)) {
      lo = windowStart(mem, j, cap);
      sum = 0;
      for (let i = lo; i < j; i++) sum += mem[i];
    }
    for (let s = 1; s <= D; s++) {
      const q = dq[s];
      // admit i = j − 1, drop indices before lo
      const v = g(s - 1, j - 1);
      while (tail[s] > head[s] && g(s - 1, q[tail[s] - 1]) >= v) tail[s]--;
      q[tail[s]++] = j - 1;
      while (tail[s] > head[s] && q[head[s]] < lo) head[s]++;
      if (tail[s] > head[s]) {
        const i = q[head[s]];
        const best = g(s - 1, i);
        if (best < f[s][j]) {
          f[s][j] = best;
          from[s][j] = i;
        }
      }
    }
  }
  const out: (Int32Array | null)[] = [];
  for (let s = 1; s <= D; s++) {
    if (!Number.isFinite(f[s][U])) {
      out.push(null);
      continue;
    }
    const assign = new Int32Array(U);
    let j = U;
    for (let t = s; t >= 1; t--) {
      const i = from[t][j];
      for (let p = i; p < j; p++) assign[order[p]] = t - 1;
      j = i;
    }
    out.push(assign);
  }
  return out;
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
