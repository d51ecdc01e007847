// The refinement placer (issue 6): starts from the best plan of the Baechi placers and improves
// the simulated makespan by iterated local search, keeping every memory limit.
//
// A candidate is an assignment of placement units (a colocation group, or an ungrouped coarse
// node; units.ts) to devices, or a priority list. Two decoders turn candidates into schedules, both
// through the shared core so the memory and channel model stay the placers' own (search.ts):
//   - assignment: runCore with the devices fixed; the core orders ops by earliest start (ETF);
//   - list: HEFT-style list scheduling with insertion into idle gaps (list.ts), whose per-device
//     orders the core replays.
// Starts (starts.ts): the given placers' plans, contiguous topological splits with the fewest cut
// bytes (split.ts) and HEFT / CP-MISF lists. Moves (moves.ts): a critical-path unit to a
// neighbour's device (removes a transfer), a block of ops across a device boundary, a unit to
// another device, a swap of two units, priority swaps and lifts of critical ops. The walk
// (walk.ts) keeps a candidate when the core says it fits every limit and it is not worse in
// (makespan, sum of end times; candidate.ts); moves are drawn with weights that grow with their
// successes; after a run of failures the search restarts from the best with a few random kicks.
//
// Determinism: a seeded PRNG and a budget of work units derived from `budgetMs`, not from the
// clock (search.ts), so the same input and options give the same plan on every machine.
import type { CoreResult } from '../core';
import type { Problem } from '../problem';
import { firstCandidate, RefineStart } from './starts';
import { bestSoFar, newSearch, RefineOptions } from './search';
import { walk } from './walk';

export { coarseCriticalPath, makespanOf } from './candidate';
export { clockDeadline, clockNow, seededRandom, workUnitsForBudget } from './search';
export type { RefineOptions } from './search';
export { splitStarts } from './starts';
export type { RefineStart } from './starts';

export interface RefineOutcome {
  result: CoreResult;
  makespanUs: number;
  evaluations: number;
  /** True when the wall-clock safety cap ended the search before its evaluation budget. */
  stoppedByClock: boolean;
}

export function refinePlacement(problem: Problem, limits: number[], starts: RefineStart[], options: RefineOptions): RefineOutcome {
  const search = newSearch(problem, limits, options);
  const first = firstCandidate(search, starts);
  if (!first) return { result: starts[0].result, makespanUs: Infinity, evaluations: search.evaluations, stoppedByClock: search.stoppedByClock };
  walk(search, first);
  const best = bestSoFar(search);
  return { result: best.result, makespanUs: best.makespan, evaluations: search.evaluations, stoppedByClock: search.stoppedByClock };
}
