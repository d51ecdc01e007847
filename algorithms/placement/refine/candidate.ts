// A decoded candidate of the refinement search: the core's schedule and what the moves read from
// it (unit devices, critical path, list priorities), and the order candidates are ranked by.
import type { CoreResult } from '../core';
import type { Problem } from '../problem';
import { unitDevices, Units } from './units';

export interface Candidate {
  result: CoreResult;
  makespan: number;
  /** Σ op end times + Σ transfer durations: the tie-break between equal makespans (work done earlier leaves room to improve). */
  flow: number;
  /** Unit → device. */
  assign: Int32Array;
  /** Coarse nodes on the critical path, first to last: where the moves look first. */
  critical: number[];
  /** Priority per coarse node for the list decoder (higher runs first). */
  keys: Float64Array;
}

export function makespanOf(res: CoreResult): number {
  let m = 0;
  for (let v = 0; v < res.end.length; v++) if (res.end[v] > m) m = res.end[v];
  for (const t of res.transfers) if (t.end > m) m = t.end;
  return m;
}

/** Priorities that replay a schedule: earlier start = higher key. */
function replayKeys(n: number, res: CoreResult): Float64Array {
  const keys = new Float64Array(n);
  for (let c = 0; c < n; c++) keys[c] = -res.start[c];
  return keys;
}

function flowOf(n: number, res: CoreResult): number {
  let flow = 0;
  for (let c = 0; c < n; c++) flow += res.end[c];
  for (const t of res.transfers) flow += t.end - t.start;
  return flow;
}

/** A feasible core result as a candidate; `keys` when the list decoder made it from them. */
export function candidateOf(problem: Problem, units: Units, result: CoreResult, keys?: Float64Array): Candidate {
  return {
    result,
    makespan: makespanOf(result),
    flow: flowOf(problem.n, result),
    assign: unitDevices(units, result),
    critical: coarseCriticalPath(problem, result),
    keys: keys ?? replayKeys(problem.n, result),
  };
}

/** Strictly better: a shorter makespan, or the same (within 1e-9 µs) and less flow. */
export const better = (a: Candidate, b: Candidate): boolean => a.makespan < b.makespan - 1e-9 || (a.makespan <= b.makespan + 1e-9 && a.flow < b.flow - 1e-9);

/** Not worse: what the walk accepts, so it can drift across plateaus of equal makespan. */
export const notWorse = (a: Candidate, b: Candidate): boolean => a.makespan < b.makespan - 1e-9 || (a.makespan <= b.makespan + 1e-9 && a.flow <= b.flow + 1e-9);

/** `offered` when it is better than `current` (or there is no current), else `current`. */
export function preferBetter<T extends Candidate | null>(current: T, offered: Candidate | null): Candidate | T {
  return offered && (!current || better(offered, current)) ? offered : current;
}

/** Coarse nodes on the critical path of a core result (what made each op start when it did). */
export function coarseCriticalPath(problem: Problem, res: CoreResult): number[] {
  const { n, pred, inTensors, tProducer } = problem;
  let last = -1;
  for (let v = 0; v < n; v++) if (last < 0 || res.end[v] > res.end[last]) last = v;
  if (last < 0) return [];
  const posOnDevice = new Int32Array(n);
  res.order.forEach((list) => list.forEach((v, i) => (posOnDevice[v] = i)));
  const arrivalAt = new Map<number, number>();
  for (const t of res.transfers) arrivalAt.set(t.tensor * 1024 + t.dst, t.end);
  const path: number[] = [];
  const seen = new Uint8Array(n);
  let v = last;
  while (v >= 0 && !seen[v]) {
    seen[v] = 1;
    path.push(v);
    const s = res.start[v];
    if (s <= 0) break;
    const d = res.device[v];
    let next = -1;
    let latest = -1;
    for (const k of inTensors[v]) {
      const p = tProducer[k];
      const at = res.device[p] === d ? res.end[p] : (arrivalAt.get(k * 1024 + d) ?? res.end[p]);
      if (at > latest) {
        latest = at;
        next = p;
      }
    }
    const i = posOnDevice[v];
    const prevOnDevice = i > 0 ? res.order[d][i - 1] : -1;
    if (prevOnDevice >= 0 && res.end[prevOnDevice] >= latest) next = prevOnDevice;
    if (next < 0 && pred[v].length) next = pred[v][0];
    v = next;
  }
  return path.reverse();
}
