// How placeGraph runs the refinement placer: the start placers (m-ETF and m-SCT for
// `algorithm: 'refine'`, the chosen placer for `refine: true`), the search (refine.ts) and the
// report of what it gained.
import { DEFAULTS } from '../../options';
import type { AlgorithmName, PlacementOptions, Plan } from '../../plan';
import type { CoreResult } from '../core';
import { CoreOutcome, runPlacer, sctLpInput } from '../placers';
import type { Problem } from '../problem';
import { favouriteChildren, FavouriteChildren } from '../sctLp';
import { clockDeadline, clockNow, makespanOf, refinePlacement, RefineStart, splitStarts } from './index';

export const DEFAULT_BUDGET_MS = DEFAULTS.budgetMs;
export const DEFAULT_SEED = DEFAULTS.seed;

export type RefineReport = NonNullable<Plan['refine']>;

/** True when the options ask for refinement (the `refine` placer or `refine: true`). */
export function wantsRefine(options: PlacementOptions): boolean {
  return options.algorithm === 'refine' || options.refine === true;
}

/** The placers a refinement starts from, best first when several are feasible. */
export function startAlgorithms(options: PlacementOptions): AlgorithmName[] {
  return options.algorithm === 'refine' ? ['m-etf', 'm-sct'] : [options.algorithm];
}

/** Fallback starts when no start placer fits: the topological fills often do. */
const FALLBACK_STARTS: AlgorithmName[] = ['m-topo', 'sequential'];

export interface RefinedOutcome {
  outcome: CoreOutcome;
  favourites?: FavouriteChildren;
  report?: RefineReport;
  evaluations: number;
  stoppedByClock: boolean;
}

/** The m-SCT LP's favourite children when m-SCT runs (as the placer or as a refinement start), else undefined. */
export async function favouritesFor(problem: Problem, options: PlacementOptions): Promise<FavouriteChildren | undefined> {
  return startAlgorithms(options).includes('m-sct') ? favouriteChildren(sctLpInput(problem), options.theta ?? DEFAULTS.theta) : undefined;
}

/** Whether the options' placer (refined or not) finds a plan at these limits: the oracle of the memory searches. */
export function feasibleAtLimits(problem: Problem, options: PlacementOptions, limits: number[], favourites?: FavouriteChildren): boolean {
  return wantsRefine(options) ? refineFeasibleAt(problem, options, limits, favourites) : runPlacer(problem, options.algorithm, limits, favourites).feasible;
}

/**
 * The start placers in order; with a `deadline`, the later ones are skipped once it has passed and
 * a start fits (the refinement budget bounds the starts too: m-SCT alone took 72 s on a 50k fan-in).
 */
function runStarts(
  problem: Problem,
  algorithms: AlgorithmName[],
  limits: number[],
  favourites?: FavouriteChildren,
  deadline = Infinity,
): { algorithm: AlgorithmName; outcome: CoreOutcome }[] {
  const out: { algorithm: AlgorithmName; outcome: CoreOutcome }[] = [];
  for (const algorithm of algorithms) {
    if (clockNow() > deadline && out.some((s) => s.outcome.feasible)) break;
    out.push({ algorithm, outcome: runPlacer(problem, algorithm, limits, favourites) });
  }
  return out;
}

/** Whether refinement finds any plan at these limits (it does exactly when one of its starts does). */
export function refineFeasibleAt(problem: Problem, options: PlacementOptions, limits: number[], favourites?: FavouriteChildren): boolean {
  const algorithms = startAlgorithms(options).concat(options.algorithm === 'refine' ? FALLBACK_STARTS : []);
  if (algorithms.some((a) => runPlacer(problem, a, limits, favourites).feasible)) return true;
  return options.algorithm === 'refine' && splitStarts(problem, limits).length > 0;
}

/** `solved`: the favourite children already solved for this problem (placePrepared's cache). */
export async function placeRefined(problem: Problem, options: PlacementOptions, limits: number[], solved?: FavouriteChildren): Promise<RefinedOutcome> {
  const algorithms = startAlgorithms(options);
  // the starts get the search's cap of their own (the search's starts when it begins, so a
  // normal run's plan never depends on how long the starts took)
  const deadline = clockDeadline(options.budgetMs ?? DEFAULT_BUDGET_MS);
  const favourites = solved ?? (await favouritesFor(problem, options));
  let starts = runStarts(problem, algorithms, limits, favourites, deadline);
  if (options.algorithm === 'refine' && !starts.some((s) => s.outcome.feasible)) starts = starts.concat(runStarts(problem, FALLBACK_STARTS, limits));
  let feasible = starts.filter((s) => s.outcome.feasible) as { algorithm: AlgorithmName; outcome: CoreResult }[];
  if (feasible.length === 0 && options.algorithm === 'refine') {
    // No placer fits: the search may still start from its own contiguous splits (reported as
    // starting from 'refine').
    feasible = splitStarts(problem, limits).map((outcome) => ({ algorithm: 'refine', outcome }));
  }
  if (feasible.length === 0) return { outcome: starts[0].outcome, favourites, evaluations: 0, stoppedByClock: false };
  // Best start: smallest makespan, ties to the earlier placer in the list.
  let start = feasible[0];
  for (const s of feasible) if (makespanOf(s.outcome) < makespanOf(start.outcome)) start = s;
  const refineStarts: RefineStart[] = feasible.map((s) => ({ algorithm: s.algorithm, result: s.outcome }));
  const searched = refinePlacement(problem, limits, refineStarts, {
    budgetMs: options.budgetMs ?? DEFAULT_BUDGET_MS,
    seed: options.seed ?? DEFAULT_SEED,
  });
  const startMakespanUs = makespanOf(start.outcome);
  const result = searched.makespanUs <= startMakespanUs ? searched.result : start.outcome;
  return {
    outcome: result,
    favourites,
    report: refineReport(problem, start.algorithm, start.outcome, result, searched.evaluations, searched.stoppedByClock),
    evaluations: searched.evaluations,
    stoppedByClock: searched.stoppedByClock,
  };
}

/** What refinement changed: makespan gain, original ops that changed device, devices touched. */
export function refineReport(
  problem: Problem,
  startAlgorithm: AlgorithmName,
  start: CoreResult,
  final: CoreResult,
  evaluations: number,
  stoppedByClock: boolean,
): RefineReport {
  const startMakespanUs = makespanOf(start);
  const finalMakespan = makespanOf(final);
  let movedOps = 0;
  const changed = new Set<number>();
  for (let c = 0; c < problem.n; c++) {
    const a = start.device[c];
    const b = final.device[c];
    if (a !== b) {
      movedOps += problem.members[c].length;
      changed.add(a);
      changed.add(b);
    }
  }
  const gainPercent = startMakespanUs > 0 ? Math.round(((startMakespanUs - finalMakespan) / startMakespanUs) * 1e6) / 1e4 : 0;
  return {
    startAlgorithm,
    startMakespanUs,
    gainPercent,
    movedOps,
    devicesChanged: [...changed].sort((x, y) => x - y),
    evaluations,
    stoppedByClock,
  };
}
