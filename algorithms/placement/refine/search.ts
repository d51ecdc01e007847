// The refinement search's state and its two decoders. Everything that outlives one move lives in
// one Search object: the budget spent, the assignments already seen, the best candidate; the moves
// (moves.ts), the starts (starts.ts) and the walk (walk.ts) read and update it.
//
// Determinism: a seeded PRNG and a budget of work units (core nodes + inputs + transfers per
// evaluation) derived from `budgetMs`, not from the clock, so the same input and options give the
// same plan on every machine. The wall clock only stops a search that overruns its budget by far
// (a safety cap, reported as stoppedByClock).
import { mulberry32 } from '../../random';
import { CoreResult, runCore } from '../core';
import type { Problem } from '../problem';
import { Candidate, candidateOf, preferBetter } from './candidate';
import { listSchedule } from './list';
import { nodeDevices, placementUnits, Units } from './units';

export interface RefineOptions {
  budgetMs: number;
  seed: number;
  /** Override the evaluation budget derived from budgetMs (tests). */
  maxEvaluations?: number;
  /** Wall-clock safety cap: budgetMs × this + 1 s (default 10). */
  clockCapFactor?: number;
  /** The cap as a time (`clockNow()` ms); default clockDeadline(budgetMs) when the search starts. */
  deadline?: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
export const clockNow = now;

/** When the wall-clock safety cap of a refinement with this budget runs out, counted from now. */
export function clockDeadline(budgetMs: number, clockCapFactor = 10): number {
  return now() + budgetMs * clockCapFactor + 1000;
}

/** The refinement's random stream: mulberry32 of the mixed seed (refined plans depend on it, byte for byte). */
export function seededRandom(seed: number): () => number {
  return mulberry32(Math.floor(seed) ^ 0x9e3779b9);
}

/** Deterministic work the search may do for a wall-clock budget (core work units, calibrated). */
export function workUnitsForBudget(budgetMs: number): number {
  return budgetMs * WORK_UNITS_PER_MS;
}
/** Core work units (nodes + tensors + transfers per evaluation) per millisecond on the project's
 *  2-core machine under a typical load; see bench/README.md (## Refine). */
const WORK_UNITS_PER_MS = 1500;

export interface Search {
  readonly problem: Problem;
  readonly limits: number[];
  readonly devices: number;
  readonly units: Units;
  readonly random: () => number;
  /** Mean compute of a coarse node (1 when all are 0): the scale of priority lifts and kicks. */
  readonly meanCompute: number;
  /** Work units the search may spend (Infinity when `maxEvaluations` bounds it instead). */
  readonly workBudget: number;
  readonly maxEvaluations: number;
  /** Deterministic cost of one core run: nodes + their inputs (+ the transfers it made). */
  readonly workPerEvaluation: number;
  /** The wall-clock safety cap (`clockNow()` ms). */
  readonly deadline: number;
  evaluations: number;
  work: number;
  stoppedByClock: boolean;
  /** Assignments already decoded (the walk revisits them often). */
  readonly seen: Set<string>;
  best: Candidate | null;
}

export function newSearch(problem: Problem, limits: number[], options: RefineOptions): Search {
  const { n } = problem;
  const random = seededRandom(options.seed);
  let meanCompute = 0;
  for (let c = 0; c < n; c++) meanCompute += problem.compute[c];
  let workPerEvaluation = n + 50;
  for (let c = 0; c < n; c++) workPerEvaluation += problem.inTensors[c].length;
  return {
    problem,
    limits,
    devices: limits.length,
    units: placementUnits(problem),
    random,
    meanCompute: meanCompute / Math.max(1, n) || 1,
    workBudget: options.maxEvaluations !== undefined ? Infinity : workUnitsForBudget(options.budgetMs),
    maxEvaluations: options.maxEvaluations ?? 1_000_000,
    workPerEvaluation,
    deadline: options.deadline ?? clockDeadline(options.budgetMs, options.clockCapFactor),
    evaluations: 0,
    work: 0,
    stoppedByClock: false,
    seen: new Set<string>(),
    best: null,
  };
}

/** A random integer in [0, k) from the search's stream. */
export const randomInt = (search: Search, k: number): number => Math.floor(search.random() * k);

export const withinBudget = (search: Search): boolean => search.evaluations < search.maxEvaluations && search.work < search.workBudget;

/** Whether the clock cap has passed (sticky). It also ends the seeding: each seed is a full evaluation (~1.5 s at 50k ops). */
export function overClock(search: Search): boolean {
  if (now() > search.deadline) search.stoppedByClock = true;
  return search.stoppedByClock;
}

/** The best candidate so far; the walk starts only once a start has set it. */
export function bestSoFar(search: Search): Candidate {
  if (!search.best) throw new Error('refine: no feasible candidate yet');
  return search.best;
}

/** Charges one core run to the budget; a feasible one becomes a candidate (and perhaps the best). */
export function consider(search: Search, result: CoreResult, keys?: Float64Array): Candidate | null {
  search.evaluations++;
  search.work += search.workPerEvaluation + result.transfers.length;
  if (!result.feasible) return null;
  const candidate = candidateOf(search.problem, search.units, result, keys);
  search.best = preferBetter(search.best, candidate);
  return candidate;
}

/** Assignment decoder: the core orders ops by earliest start (memoised: the search revisits). */
export function evaluateAssignment(search: Search, assign: Int32Array): Candidate | null {
  if (overClock(search)) return null;
  const key = assign.join(',');
  if (search.seen.has(key)) return null;
  search.seen.add(key);
  const { problem, devices, limits } = search;
  return consider(search, runCore(problem, { devices, limits, fixedDevice: nodeDevices(search.units, assign) }));
}

/** List decoder: HEFT-style list schedule by priority, replayed by the core. */
export function evaluateKeys(search: Search, keys: Float64Array): Candidate | null {
  if (overClock(search)) return null;
  const { problem, devices, limits } = search;
  const order = listSchedule(problem, search.units.of, limits, keys);
  let result: CoreResult;
  try {
    result = runCore(problem, { devices, limits, deviceOrder: order });
  } catch {
    search.evaluations++;
    return null; // cannot happen for orders from listSchedule; never let a proposal crash the placer
  }
  return consider(search, result, keys);
}
