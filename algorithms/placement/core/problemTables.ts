// What the scheduling core derives from a problem once and keeps beside it (a WeakMap per table):
// refine, compare and the viewer's re-places run the core many times on one problem.
import type { Problem } from '../problem';
import { NONE } from './state';

/** A table derived from a problem on first use and kept beside it while the problem lives. */
function perProblem<T>(derive: (problem: Problem) => T): (problem: Problem) => T {
  const kept = new WeakMap<Problem, T>();
  return (problem) => {
    if (kept.has(problem)) return kept.get(problem)!;
    const table = derive(problem);
    kept.set(problem, table);
    return table;
  };
}

/**
 * An upper bound of what any one device can ever hold: every persistent byte, every op's output
 * block and workspace, every tensor received once. Under a limit at least this large memory never
 * binds (the fit tests of memoryFit.ts always pass), so the core skips the memory bookkeeping:
 * with ample limits it was 1 of BERT-L12's 4 evaluations per op and its 7,000 timeline inserts.
 */
export const mostEverHeld = perProblem((problem): number => {
  let bound = 0;
  for (let v = 0; v < problem.n; v++) bound += (problem.group[v] < 0 ? problem.persistent[v] : 0) + problem.outBytes[v] + problem.temporary[v];
  for (const b of problem.groupPersistent) bound += b;
  for (const b of problem.tBytes) bound += b;
  return bound;
});

/** Whether a device's memory can bind at these limits (the timelines' sums round: a margin of 10⁻⁹). */
export function memoryCanBind(problem: Problem, limits: number[]): boolean {
  const held = mostEverHeld(problem) * (1 + 1e-9);
  return limits.some((l) => !(held <= l));
}

/**
 * Per succ entry (v → c), the longest transfer time among v's tensors that c reads, over the
 * cheapest link: how long after v ends the last of them can be on another device at the soonest.
 */
export const sendTimes = perProblem((problem): Float64Array => {
  const { succ, consumers } = problem.adjacency;
  const cheapest = Float64Array.from(problem.tCommUs);
  for (const byLink of problem.tCommByLink ?? []) for (let k = 0; k < cheapest.length; k++) cheapest[k] = Math.min(cheapest[k], byLink[k]);
  const times = new Float64Array(succ.list.length);
  // tensors of one producer are consecutive (problem.ts): its successors' succ positions are marked
  // once per producer (a 100k-consumer fan-out would be quadratic with a search per consumer)
  const at = new Int32Array(problem.n);
  let marked = NONE;
  for (let k = 0; k < problem.tProducer.length; k++) {
    const v = problem.tProducer[k];
    if (v !== marked) {
      for (let i = succ.start[v]; i < succ.start[v + 1]; i++) at[succ.list[i]] = i;
      marked = v;
    }
    for (let j = consumers.start[k]; j < consumers.start[k + 1]; j++) {
      const i = at[consumers.list[j]];
      if (cheapest[k] > times[i]) times[i] = cheapest[k];
    }
  }
  return times;
});

/** Per inTensors entry, the tensor's producer. */
export const inputProducers = perProblem((problem): Int32Array => Int32Array.from(problem.adjacency.inTensors.list, (k) => problem.tProducer[k]));

/** Per x, the length of its CSR list (what is still pending of it). */
function pendingCounts(csr: { start: Int32Array }): Int32Array {
  const counts = new Int32Array(csr.start.length - 1);
  for (let x = 0; x < counts.length; x++) counts[x] = csr.start[x + 1] - csr.start[x];
  return counts;
}

/** What a run starts with pending: per node its predecessors and successors, per tensor its consumers. */
export const pendingTemplatesOf = perProblem((problem): { pred: Int32Array; succ: Int32Array; consumers: Int32Array } => {
  const { pred, succ, consumers } = problem.adjacency;
  return { pred: pendingCounts(pred), succ: pendingCounts(succ), consumers: pendingCounts(consumers) };
});
