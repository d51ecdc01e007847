// The smallest uniform per-device memory at which a placer succeeds — what `opplace fit` reports
// and what an infeasible plan says "fits with". One search serves both, so they print one number.
//
// Greedy placers are not monotone in the limit. Measured on examples/inceptionv3_training.json
// (4 devices, colocation): `sequential` succeeds at 34–35, 40, 50 and ≥ 65 GiB and fails between;
// m-ETF succeeds at 10.25–10.5 GiB, fails at 10.75–11 and succeeds again from 11.75. A bisection
// between 0 and a surely-enough limit lands on whichever edge it meets first (65 GiB for
// sequential). So the search walks up from a lower bound in steps of MEMORY_FIT_TOLERANCE and
// stops at the first limit that succeeds, then bisects the last step down to BISECT_TOLERANCE.
// Stated guarantee: the placer succeeds at the answer, and fails at every limit probed below it,
// which are at most MEMORY_FIT_TOLERANCE apart from the lower bound up (an island of success
// narrower than that step can be missed).
import type { Problem } from './problem';

/** Relative step of the upward walk: no probed limit 1 % or more below the answer succeeds. */
export const MEMORY_FIT_TOLERANCE = 0.01;
/** Relative precision of the final bisection inside one step. */
const BISECT_TOLERANCE = 1e-3;
/** A walk longer than this takes larger steps (the tolerance it then met is reported). */
const MAX_WALK_PROBES = 400;

export interface MemorySearchResult {
  /** Smallest uniform limit found to work (bytes). */
  minimumBytes: number;
  /** The largest probed limit below it that failed (0 when none was probed). */
  failedBelowBytes: number;
  /** Relative spacing of the probes below the answer that all failed. */
  tolerance: number;
  probes: number;
}

/** Memory that is surely enough for any placer: everything at once on every device. */
export function generousLimit(problem: Problem, devices: number): number {
  let s = 0;
  for (let c = 0; c < problem.n; c++) s += problem.persistent[c] + problem.temporary[c] + problem.outBytes[c];
  for (let k = 0; k < problem.tBytes.length; k++) s += problem.tBytes[k];
  return Math.max(1, s * 2 + devices);
}

/**
 * Memory no placement can do with less: the device running an op holds its temporary memory, its
 * outputs and the persistent memory of its group (or its own) at once, and some device holds at
 * least an even share of all persistent memory.
 */
export function memoryLowerBound(problem: Problem, devices: number): number {
  let persistent = 0;
  let most = 0;
  for (let c = 0; c < problem.n; c++) {
    persistent += problem.persistent[c];
    const g = problem.group[c];
    const held = problem.temporary[c] + problem.outBytes[c] + (g >= 0 ? problem.groupPersistent[g] : problem.persistent[c]);
    if (held > most) most = held;
  }
  return Math.max(most, persistent / Math.max(1, devices));
}

export function minimumUniformMemory(problem: Problem, devices: number, succeeds: (limit: number) => boolean): MemorySearchResult | undefined {
  let probes = 0;
  const probe = (limit: number): boolean => {
    probes++;
    return succeeds(limit);
  };
  let hi = generousLimit(problem, devices);
  let tries = 0;
  while (!probe(hi)) {
    if (++tries > 4) return undefined;
    hi *= 4;
  }
  const lower = memoryLowerBound(problem, devices);
  if (lower === 0 && probe(0)) return { minimumBytes: 0, failedBelowBytes: 0, tolerance: MEMORY_FIT_TOLERANCE, probes };
  const start = Math.max(1, lower);
  const steps = Math.log(hi / start) / Math.log(1 + MEMORY_FIT_TOLERANCE);
  const tolerance = steps > MAX_WALK_PROBES ? Math.pow(hi / start, 1 / MAX_WALK_PROBES) - 1 : MEMORY_FIT_TOLERANCE;
  let lo = 0;
  let found = hi;
  for (let limit = start; limit < hi; limit = Math.ceil(limit * (1 + tolerance))) {
    if (probe(limit)) {
      found = limit;
      break;
    }
    lo = limit;
  }
  // Bisect the last step: smallest success above the last failure (to BISECT_TOLERANCE).
  while (lo > 0 && found - lo > Math.max(1, found * BISECT_TOLERANCE)) {
    const mid = Math.floor((lo + found) / 2);
    if (probe(mid)) found = mid;
    else lo = mid;
  }
  return { minimumBytes: found, failedBelowBytes: lo, tolerance, probes };
}
