// Contiguous splits for the refinement placer's starts: cut a topological order of the placement
// units into at most D segments, one device each, so that every segment fits its device (Baechi's
// m-TOPO accounting: outputs never freed, scaled by a slack factor since the real model frees
// them) and the communication across the cuts is smallest (dynamic programming over cut points).
// On the chain-like layer graphs, where transfers cost as much as layers, this beats the greedy
// placers that scatter ops; the core decides whether a split really fits.
import type { Problem } from '../problem';

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
  for (let j = 1; j <= U; j++) {
    let segment = 0;
    for (let i = j - 1; i >= 0; i--) {
      segment += mem[i];
      if (segment > cap) break;
      const cut = i > 0 ? cross[i] : 0;
      for (let s = 1; s <= D; s++) {
        const v = f[s - 1][i] + cut;
        if (v < f[s][j]) {
          f[s][j] = v;
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
