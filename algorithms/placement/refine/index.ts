// The refinement placer (issue 6): starts from the best plan of the Baechi placers and improves
// the simulated makespan by iterated local search, keeping every memory limit.
//
// A candidate is an assignment of placement units (a colocation group, or an ungrouped coarse
// node) to devices, or a priority list. Two decoders turn candidates into schedules, both through
// the shared core so the memory and channel model stay the placers' own:
//   - assignment: runCore with the devices fixed; the core orders ops by earliest start (ETF);
//   - list: HEFT-style list scheduling with insertion into idle gaps (refineList.ts), whose
//     per-device orders the core replays.
// Starts: the given placers' plans, contiguous topological splits with the fewest cut bytes
// (refineSplit.ts) and HEFT / CP-MISF lists. Moves: a critical-path unit to a neighbour's device
// (removes a transfer), a block of ops across a device boundary, a unit to another device, a swap
// of two units, priority swaps and lifts of critical ops. A candidate is kept when the core says
// it fits every limit and is not worse in (makespan, sum of end times); moves are drawn with
// weights that grow with their successes; after a run of failures the search restarts from the
// best with a few random kicks.
//
// Determinism: a seeded PRNG and a budget of work units (core nodes + inputs + transfers per
// evaluation) derived from `budgetMs`, not from the clock, so the same input and options give the
// same plan on every machine. The wall clock only stops a search that overruns its budget by far
// (a safety cap, reported as stoppedByClock).
import { mulberry32 } from '../../random';
import { CoreResult, runCore } from '../core';
import type { Problem } from '../problem';
import { listSchedule, upwardRanks } from './list';
import { contiguousSplits } from './split';

export interface RefineStart {
  algorithm: string;
  result: CoreResult;
}

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

export interface RefineOutcome {
  result: CoreResult;
  makespanUs: number;
  evaluations: number;
  /** True when the wall-clock safety cap ended the search before its evaluation budget. */
  stoppedByClock: boolean;
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

export function makespanOf(res: CoreResult): number {
  let m = 0;
  for (let v = 0; v < res.end.length; v++) if (res.end[v] > m) m = res.end[v];
  for (const t of res.transfers) if (t.end > m) m = t.end;
  return m;
}

interface Units {
  count: number;
  /** Unit of each coarse node. */
  of: Int32Array;
  members: number[][];
}

function placementUnits(problem: Problem): Units {
  const of = new Int32Array(problem.n);
  const members: number[][] = [];
  const unitOfGroup = new Int32Array(problem.groupCount).fill(-1);
  for (let c = 0; c < problem.n; c++) {
    const g = problem.group[c];
    if (g >= 0) {
      if (unitOfGroup[g] < 0) {
        unitOfGroup[g] = members.length;
        members.push([]);
      }
      of[c] = unitOfGroup[g];
    } else {
      of[c] = members.length;
      members.push([]);
    }
    members[of[c]].push(c);
  }
  return { count: members.length, of, members };
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

const SPLIT_SLACKS = [1, 1.25, 1.6];

/**
 * The contiguous splits (refineSplit.ts) decoded by the core, feasible ones only: extra starts
 * when no placer fits, since a split that keeps chatty neighbours together often does.
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
      const fixed = new Int32Array(problem.n);
      for (let c = 0; c < problem.n; c++) fixed[c] = assign[units.of[c]];
      const res = runCore(problem, { devices: limits.length, limits, fixedDevice: fixed });
      if (res.feasible) out.push(res);
    }
  }
  return out;
}

/** Move kinds of the search; each is picked with a weight that grows with its successes. */
const MOVES = ['neighbour', 'block', 'other', 'swap', 'keys', 'keysCritical', 'keysAdjacent'] as const;

export function refinePlacement(problem: Problem, limits: number[], starts: RefineStart[], options: RefineOptions): RefineOutcome {
  const D = limits.length;
  const { n } = problem;
  const units = placementUnits(problem);
  const random = seededRandom(options.seed);
  const randomInt = (k: number) => Math.floor(random() * k);
  const workBudget = options.maxEvaluations !== undefined ? Infinity : workUnitsForBudget(options.budgetMs);
  const maxEvaluations = options.maxEvaluations ?? 1_000_000;
  const deadline = options.deadline ?? clockDeadline(options.budgetMs, options.clockCapFactor);

  let evaluations = 0;
  let work = 0;
  let stoppedByClock = false;
  const seen = new Set<string>();

  interface State {
    result: CoreResult;
    makespan: number;
    flow: number;
    assign: Int32Array;
    critical: number[];
    keys: Float64Array;
  }
  let best: State | undefined;
  const better = (a: State, b: State) => a.makespan < b.makespan - 1e-9 || (a.makespan <= b.makespan + 1e-9 && a.flow < b.flow - 1e-9);
  const notWorse = (a: State, b: State) => a.makespan < b.makespan - 1e-9 || (a.makespan <= b.makespan + 1e-9 && a.flow <= b.flow + 1e-9);

  const assignmentOf = (res: CoreResult): Int32Array => {
    const assign = new Int32Array(units.count);
    for (let c = 0; c < n; c++) assign[units.of[c]] = res.device[c];
    return assign;
  };
  /** Priorities that replay a schedule: earlier start = higher key. */
  const keysOf = (res: CoreResult): Float64Array => {
    const keys = new Float64Array(n);
    for (let c = 0; c < n; c++) keys[c] = -res.start[c];
    return keys;
  };
  const stateOf = (result: CoreResult, keys?: Float64Array): State => {
    let flow = 0;
    for (let c = 0; c < n; c++) flow += result.end[c];
    for (const t of result.transfers) flow += t.end - t.start;
    return {
      result,
      makespan: makespanOf(result),
      flow,
      assign: assignmentOf(result),
      critical: coarseCriticalPath(problem, result),
      keys: keys ?? keysOf(result),
    };
  };
  // Deterministic cost of one core run: nodes + their inputs (+ the transfers it made, below).
  let workPerEvaluation = n + 50;
  for (let c = 0; c < n; c++) workPerEvaluation += problem.inTensors[c].length;
  const charge = (res: CoreResult) => {
    evaluations++;
    work += workPerEvaluation + res.transfers.length;
  };
  const consider = (result: CoreResult, keys?: Float64Array): State | null => {
    charge(result);
    if (!result.feasible) return null;
    const state = stateOf(result, keys);
    if (!best || better(state, best)) best = state;
    return state;
  };
  /** The clock cap also ends the seeding below: each seed is a full evaluation (~1.5 s at 50k ops). */
  const overClock = (): boolean => {
    if (now() > deadline) stoppedByClock = true;
    return stoppedByClock;
  };
  /** Assignment decoder: the core orders ops by earliest start (memoised: the search revisits). */
  const evaluateAssignment = (assign: Int32Array): State | null => {
    if (overClock()) return null;
    const key = assign.join(',');
    if (seen.has(key)) return null;
    seen.add(key);
    const fixed = new Int32Array(n);
    for (let c = 0; c < n; c++) fixed[c] = assign[units.of[c]];
    return consider(runCore(problem, { devices: D, limits, fixedDevice: fixed }));
  };
  /** List decoder: HEFT-style list schedule by priority, replayed by the core. */
  const evaluateKeys = (keys: Float64Array): State | null => {
    if (overClock()) return null;
    const order = listSchedule(problem, units.of, limits, keys);
    let result: CoreResult;
    try {
      result = runCore(problem, { devices: D, limits, deviceOrder: order });
    } catch {
      evaluations++;
      return null; // cannot happen for orders from listSchedule; never let a proposal crash the placer
    }
    return consider(result, keys);
  };

  let current: State | null = null;
  for (const s of starts) {
    if (!s.result.feasible) continue;
    const st = consider(s.result);
    if (st && (!current || better(st, current))) current = st;
  }
  if (!current || !best) return { result: starts[0].result, makespanUs: Infinity, evaluations, stoppedByClock };
  // Each start re-decoded (the core may order a fixed assignment better), and the HEFT list.
  for (const s of starts) {
    if (!s.result.feasible) continue;
    const st = evaluateAssignment(assignmentOf(s.result));
    if (st && better(st, current)) current = st;
  }
  // Contiguous splits with the fewest cut bytes (refineSplit.ts), at a few memory slacks.
  for (const slack of SPLIT_SLACKS) {
    if (overClock()) break;
    for (const assign of contiguousSplits(problem, units.of, units.count, limits, slack)) {
      if (!assign) continue;
      const st = evaluateAssignment(assign);
      if (st && better(st, current)) current = st;
    }
  }
  const rank = stoppedByClock ? [] : upwardRanks(problem, D);
  const heft = evaluateKeys(Float64Array.from(rank));
  if (heft && better(heft, current)) current = heft;
  // CP/MISF-like: upward rank, ties to the op with more successors
  const misf = Float64Array.from(rank, (r, c) => r + 1e-3 * problem.succ[c].length);
  const cpMisf = evaluateKeys(misf);
  if (cpMisf && better(cpMisf, current)) current = cpMisf;

  let meanCompute = 0;
  for (let c = 0; c < n; c++) meanCompute += problem.compute[c];
  meanCompute = meanCompute / Math.max(1, n) || 1;
  const otherDevice = (d: number) => (D < 2 ? d : (d + 1 + randomInt(D - 1)) % D);
  const weights = MOVES.map(() => 1);
  const patience = Math.max(30, Math.min(300, 2 * units.count));
  let failures = 0;
  let idle = 0;

  const propose = (cur: State, move: (typeof MOVES)[number]): State | null => {
    const crit = cur.critical;
    const pickNode = (): number => (crit.length && random() < 0.75 ? crit[randomInt(crit.length)] : randomInt(n));
    if (move === 'keys' || move === 'keysCritical' || move === 'keysAdjacent') {
      const keys = cur.keys.slice();
      if (move === 'keysAdjacent') {
        // exchange a critical op with one that started close to it (a local reorder)
        const a = pickNode();
        const s = cur.result.start[a];
        let b = -1;
        let bestDist = Infinity;
        const tries = 1 + randomInt(6);
        for (let t = 0; t < 24; t++) {
          const c = randomInt(n);
          if (c === a) continue;
          const dist = Math.abs(cur.result.start[c] - s) + random() * meanCompute;
          if (dist < bestDist) {
            bestDist = dist;
            b = c;
          }
          if (t >= tries * 4) break;
        }
        if (b >= 0) [keys[a], keys[b]] = [keys[b], keys[a]];
      } else if (move === 'keys') {
        // exchange the priorities of two ops (a swap in the list)
        const a = pickNode();
        const b = randomInt(n);
        [keys[a], keys[b]] = [keys[b], keys[a]];
      } else {
        // raise a critical op (and its critical predecessors) ahead of its competitors
        const at = crit.length ? randomInt(crit.length) : 0;
        const lift = meanCompute * (0.5 + 4 * random());
        for (let i = Math.max(0, at - randomInt(3)); i <= at && i < crit.length; i++) keys[crit[i]] += lift;
      }
      return evaluateKeys(keys);
    }
    if (D < 2) return null;
    const assign = cur.assign.slice();
    const c = pickNode();
    const u = units.of[c];
    const from = assign[u];
    const near = problem.pred[c].concat(problem.succ[c]).filter((w) => assign[units.of[w]] !== from);
    const to = near.length ? assign[units.of[near[randomInt(near.length)]]] : otherDevice(from);
    if (move === 'neighbour') assign[u] = to;
    else if (move === 'other') assign[u] = otherDevice(from);
    else if (move === 'block') {
      // shift a boundary: c and the ops around it in topological order that share its device
      const r = problem.topoRank[c];
      const width = 1 + randomInt(Math.max(1, Math.min(16, n >> 3)));
      const lo = Math.max(0, r - (random() < 0.5 ? width : 0));
      const hi = Math.min(n - 1, r + width);
      for (let i = lo; i <= hi; i++) {
        const w = units.of[problem.topo[i]];
        if (assign[w] === from) assign[w] = to;
      }
    } else {
      const w = units.of[randomInt(n)];
      if (assign[w] === from) assign[u] = otherDevice(from);
      else [assign[u], assign[w]] = [assign[w], assign[u]];
    }
    return evaluateAssignment(assign);
  };

  while (evaluations < maxEvaluations && work < workBudget) {
    // every iteration (a clock read is ~0.1 µs, an evaluation O(n)): checking every 16th let a
    // 20 ms budget on a 50k-op fan-in run 29 s, 16 evaluations of ~1.5 s past the cap (issue 12)
    if (overClock()) break;
    const cur: State = current;
    let total = 0;
    for (const w of weights) total += w;
    let pickAt = random() * total;
    let m = 0;
    while (m < MOVES.length - 1 && pickAt >= weights[m]) pickAt -= weights[m++];
    const before = evaluations;
    const candidate = propose(cur, MOVES[m]);
    if (evaluations !== before) idle = 0;
    if (evaluations === before) {
      // nothing new to evaluate (revisited assignment): count it against patience only
      if (++idle > 100000) break; // every neighbour already seen: the search is exhausted
      if (++failures >= patience) failures = 0;
      if (D < 2 && m < 4) weights[m] = 0;
      if (weights.every((w) => w === 0)) break;
      continue;
    }
    if (candidate && notWorse(candidate, cur)) {
      if (better(candidate, cur)) {
        weights[m] = Math.min(50, weights[m] + 1);
        failures = 0;
      } else failures++;
      current = candidate;
    } else failures++;
    if (failures >= patience) {
      // restart from the best with a few random moves, kept even when worse
      failures = 0;
      const base = best;
      const assign = base.assign.slice();
      const kicks = 1 + randomInt(3);
      for (let k = 0; k < kicks && D > 1; k++) {
        const u = units.of[base.critical.length ? base.critical[randomInt(base.critical.length)] : randomInt(n)];
        assign[u] = otherDevice(assign[u]);
      }
      if (D > 1 && random() < 0.5) current = evaluateAssignment(assign) ?? base;
      else {
        const keys = base.keys.slice();
        for (let k = 0; k < 2 + randomInt(4); k++) keys[randomInt(n)] += meanCompute * (random() * 8 - 4);
        current = evaluateKeys(keys) ?? base;
      }
    }
  }
  return { result: best.result, makespanUs: best.makespan, evaluations, stoppedByClock };
}

/** Deterministic work the search may do for a wall-clock budget (core work units, calibrated). */
export function workUnitsForBudget(budgetMs: number): number {
  return budgetMs * WORK_UNITS_PER_MS;
}
/** Core work units (nodes + tensors + transfers per evaluation) per millisecond on the project's
 *  2-core machine under a typical load; see bench/README.md (## Refine). */
const WORK_UNITS_PER_MS = 1500;
