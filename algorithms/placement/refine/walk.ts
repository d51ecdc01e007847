// The refinement walk (iterated local search): propose a move, keep the candidate when it is not
// worse, raise the weight of a move that improved; after `patience` failures in a row restart from
// the best with a few random kicks, kept even when worse.
import { Candidate, better, notWorse } from './candidate';
import { isPriorityMove, MOVES, otherDevice, propose } from './moves';
import { bestSoFar, evaluateAssignment, evaluateKeys, overClock, randomInt, Search, withinBudget } from './search';

interface Walk {
  current: Candidate;
  /** Pick weight per move (MOVES order): +1 per improvement, at most 50; 0 for a move that cannot apply. */
  weights: number[];
  /** Failures in a row before a restart: about two per unit, within 30 … 300. */
  patience: number;
  failures: number;
  /** Proposals in a row that decoded nothing new (revisited assignments). */
  idle: number;
}

/** Proposals in a row that find nothing new before the neighbourhood counts as exhausted. */
const MAX_IDLE = 100000;

/** Walks from `first` until the budget is spent, the clock cap passes or nothing is left to try. */
export function walk(search: Search, first: Candidate): void {
  const state: Walk = {
    current: first,
    weights: MOVES.map(() => 1),
    patience: Math.max(30, Math.min(300, 2 * search.units.count)),
    failures: 0,
    idle: 0,
  };
  // the clock is read every iteration (~0.1 µs against an O(n) evaluation): checking every 16th
  // let a 20 ms budget on a 50k-op fan-in run 29 s, 16 evaluations of ~1.5 s past the cap (issue 12)
  while (withinBudget(search) && !overClock(search)) if (!step(search, state)) break;
}

/** One proposal and its verdict; false when the search is exhausted. */
function step(search: Search, state: Walk): boolean {
  const m = pickMove(search, state.weights);
  const before = search.evaluations;
  const candidate = propose(search, state.current, MOVES[m]);
  if (search.evaluations === before) return revisited(search, state, m);
  state.idle = 0;
  if (candidate && notWorse(candidate, state.current)) {
    if (better(candidate, state.current)) {
      state.weights[m] = Math.min(50, state.weights[m] + 1);
      state.failures = 0;
    } else state.failures++;
    state.current = candidate;
  } else state.failures++;
  if (state.failures >= state.patience) restart(search, state);
  return true;
}

/** A move drawn by weight. */
function pickMove(search: Search, weights: number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let pickAt = search.random() * total;
  let m = 0;
  while (m < MOVES.length - 1 && pickAt >= weights[m]) pickAt -= weights[m++];
  return m;
}

/** Nothing new to evaluate (revisited assignment): counts against patience only; false when exhausted. */
function revisited(search: Search, state: Walk, m: number): boolean {
  if (++state.idle > MAX_IDLE) return false;
  if (++state.failures >= state.patience) state.failures = 0;
  if (search.devices < 2 && !isPriorityMove(MOVES[m])) state.weights[m] = 0;
  return !state.weights.every((w) => w === 0);
}

/** Restarts from the best with a few random kicks to devices (half the time) or to priorities. */
function restart(search: Search, state: Walk): void {
  state.failures = 0;
  const base = bestSoFar(search);
  const { n } = search.problem;
  const D = search.devices;
  const assign = base.assign.slice();
  const kicks = 1 + randomInt(search, 3);
  for (let k = 0; k < kicks && D > 1; k++) {
    const u = search.units.of[base.critical.length ? base.critical[randomInt(search, base.critical.length)] : randomInt(search, n)];
    assign[u] = otherDevice(search, assign[u]);
  }
  if (D > 1 && search.random() < 0.5) state.current = evaluateAssignment(search, assign) ?? base;
  else {
    const keys = base.keys.slice();
    // the bound is drawn anew at each iteration (refined plans are pinned by this stream)
    for (let k = 0; k < 2 + randomInt(search, 4); k++) keys[randomInt(search, n)] += search.meanCompute * (search.random() * 8 - 4);
    state.current = evaluateKeys(search, keys) ?? base;
  }
}
