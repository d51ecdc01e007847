// Where the refinement walk begins: the given placers' plans, each re-decoded (the core may order
// a fixed assignment better), contiguous topological splits with the fewest cut bytes (split.ts)
// at a few memory slacks, and the HEFT / CP-MISF lists (list.ts); the best of them, compared in
// that order.
import { CoreResult, runCore } from '../core';
import type { Problem } from '../problem';
import { Candidate, preferBetter } from './candidate';
import { upwardRanks } from './list';
import { consider, evaluateAssignment, evaluateKeys, overClock, Search } from './search';
import { contiguousSplits, SPLIT_SLACKS } from './split';
import { nodeDevices, placementUnits, unitDevices } from './units';

export interface RefineStart {
  algorithm: string;
  result: CoreResult;
}

/** The walk's first candidate, or null when no start is feasible. */
export function firstCandidate(search: Search, starts: RefineStart[]): Candidate | null {
  let current: Candidate | null = null;
  for (const s of starts) if (s.result.feasible) current = preferBetter(current, consider(search, s.result));
  if (!current) return null;
  for (const s of starts) if (s.result.feasible) current = preferBetter(current, evaluateAssignment(search, unitDevices(search.units, s.result)));
  current = bestSplit(search, current);
  return bestList(search, current);
}

function bestSplit(search: Search, current: Candidate): Candidate {
  for (const slack of SPLIT_SLACKS) {
    if (overClock(search)) break;
    for (const assign of contiguousSplits(search.problem, search.units.of, search.units.count, search.limits, slack)) {
      if (assign) current = preferBetter(current, evaluateAssignment(search, assign));
    }
  }
  return current;
}

/** The HEFT list (upward rank), then CP/MISF-like (upward rank, ties to the op with more successors). */
function bestList(search: Search, current: Candidate): Candidate {
  const { problem } = search;
  const rank = search.stoppedByClock ? [] : upwardRanks(problem, search.devices);
  current = preferBetter(current, evaluateKeys(search, Float64Array.from(rank)));
  const misf = Float64Array.from(rank, (r, c) => r + 1e-3 * problem.succ[c].length);
  return preferBetter(current, evaluateKeys(search, misf));
}

/**
 * The contiguous splits decoded by the core, feasible ones only: extra starts when no placer
 * fits, since a split that keeps chatty neighbours together often does.
 */
export function splitStarts(problem: Problem, limits: number[]): CoreResult[] {
  const units = placementUnits(problem);
  const out: CoreResult[] = [];
  const seen = new Set<string>();
  for (const slack of SPLIT_SLACKS) {
    for (const assign of contiguousSplits(problem, units.of, units.count, limits, slack)) {
      if (!assign) continue;
      const key = assign.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      const res = runCore(problem, { devices: limits.length, limits, fixedDevice: nodeDevices(units, assign) });
      if (res.feasible) out.push(res);
    }
  }
  return out;
}
