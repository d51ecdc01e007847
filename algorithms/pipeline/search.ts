// Local search on the time per sample (issue 14), shared by `contiguous` (moves keep the forward
// block labels monotone) and `any` (no shape constraint). Items are what moves as one: a block of
// units (contiguous) or a unit (any); memory limits are hard on every move.
//
// Each step looks at the most loaded device and tries every item on it on every other device it
// may go to, with loads updated incrementally (LoadState: only the moved units' tensors change),
// and keeps the move that lowers (largest load, Σ load²) the most — the second term spreads the
// rest so the next bottleneck has room to shed. At a local optimum it kicks: one random allowed
// move of an item off the bottleneck (seeded), and descends again; the best assignment seen is
// returned. The work is counted in unit moves tried, fixed by the budget (like refine), so the
// same input and options give the same plan; a wall-clock cap (10 × budget + 1 s) only guards
// against a runaway.
import { mulberry32 } from '../random';
import type { ThroughputModel } from './model';
import { LoadState } from './model';
import { deviceBytes, largestTemporary, MemoryRule } from './memory';

export interface SearchSpace {
  /** Units of each item. */
  items: number[][];
  /** Item of each unit. */
  itemOf: Int32Array;
  /** Whether item i may go to device d given the current devices (shape constraint). */
  allowed(i: number, d: number, device: Int32Array): boolean;
}

export interface SearchOptions {
  seed: number;
  /** Unit moves to try in all. */
  workUnits: number;
  deadlineMs: number;
}

const EPS = 1e-9;
const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** (largest load, Σ load²) of the state. */
function objective(state: LoadState): [number, number] {
  let max = 0;
  let sq = 0;
  for (let d = 0; d < state.D; d++) {
    const l = state.load[d];
    if (l > max) max = l;
    sq += l * l;
  }
  return [max, sq];
}

const better = (a: [number, number], b: [number, number]) =>
  a[0] < b[0] - EPS * Math.max(1, b[0]) || (a[0] <= b[0] + EPS * Math.max(1, b[0]) && a[1] < b[1] * (1 - 1e-12));

export interface SearchResult {
  device: Int32Array;
  timePerSampleUs: number;
  movesTried: number;
  movesKept: number;
  /** The wall-clock cap ended the search before its work budget (the plan may then differ between runs). */
  stoppedByClock: boolean;
}

/** The search's state: the loads, each device's largest workspace, the items' sums, the best seen and the counters. */
interface Walk {
  readonly model: ThroughputModel;
  readonly space: SearchSpace;
  readonly rule: MemoryRule;
  readonly D: number;
  readonly state: LoadState;
  /** Per device: the largest workspace of its units (kept up to date on every kept move). */
  readonly temporary: Float64Array;
  readonly random: () => number;
  /** Per item: Σ persistent, Σ activation and the largest workspace of its units. */
  readonly itemPersistent: number[];
  readonly itemActivation: number[];
  readonly itemTemporary: number[];
  /** Unit moves tried, counted against options.workUnits. */
  work: number;
  tried: number;
  kept: number;
  best: Int32Array;
  bestObjective: [number, number];
  current: [number, number];
  /** Kicks since the best last improved. */
  stuck: number;
}

export function localSearch(model: ThroughputModel, start: Int32Array, space: SearchSpace, rule: MemoryRule, options: SearchOptions): SearchResult {
  const walk = newWalk(model, start, space, rule, options.seed);
  while (walk.work < options.workUnits && now() < options.deadlineMs) {
    const dmax = bottleneck(walk.state);
    const onMax: number[] = [];
    for (let i = 0; i < space.items.length; i++) if (walk.state.device[space.items[i][0]] === dmax) onMax.push(i);
    const move = bestMoveOff(walk, dmax, onMax, options.workUnits);
    if (move) {
      take(walk, move, dmax);
      continue;
    }
    // local optimum: kick one item off the bottleneck to a random allowed device with room
    if (++walk.stuck > 2000 || onMax.length === 0) break;
    // from the best assignment so far: the walk does not drift away
    if (walk.stuck % 8 === 0) restore(walk, walk.best);
    kick(walk);
    walk.current = objective(walk.state);
  }
  return {
    device: walk.best,
    timePerSampleUs: walk.bestObjective[0],
    movesTried: walk.tried,
    movesKept: walk.kept,
    stoppedByClock: walk.work < options.workUnits && now() >= options.deadlineMs,
  };
}

function newWalk(model: ThroughputModel, start: Int32Array, space: SearchSpace, rule: MemoryRule, seed: number): Walk {
  const D = rule.limits.length;
  const state = new LoadState(model, start, D);
  const first = objective(state);
  return {
    model,
    space,
    rule,
    D,
    state,
    temporary: Float64Array.from({ length: D }, (_, d) => largestTemporary(model, state.device, d)),
    random: mulberry32(seed >>> 0),
    itemPersistent: space.items.map((us) => us.reduce((s, u) => s + model.unitPersistent[u], 0)),
    itemActivation: space.items.map((us) => us.reduce((s, u) => s + model.unitActivation[u], 0)),
    itemTemporary: space.items.map((us) => us.reduce((s, u) => Math.max(s, model.unitTemporary[u]), 0)),
    work: 0,
    tried: 0,
    kept: 0,
    best: state.device.slice(),
    bestObjective: first,
    current: first,
    stuck: 0,
  };
}

/** The most loaded device (lowest index on ties). */
function bottleneck(state: LoadState): number {
  let dmax = 0;
  for (let d = 1; d < state.D; d++) if (state.load[d] > state.load[dmax]) dmax = d;
  return dmax;
}

/** Whether item i fits on device d as well as what d holds. */
function fits(walk: Walk, i: number, d: number): boolean {
  const { state, rule } = walk;
  const bytes = deviceBytes(
    rule,
    d,
    state.persistent[d] + walk.itemPersistent[i],
    Math.max(walk.temporary[d], walk.itemTemporary[i]),
    state.activation[d] + walk.itemActivation[i],
  );
  return bytes <= rule.limits[d];
}

function moveItem(walk: Walk, i: number, d: number): void {
  for (const u of walk.space.items[i]) walk.state.move(u, d);
}

/** Moves item i from `from` to d for good: the workspaces follow. */
function keep(walk: Walk, i: number, from: number, d: number): void {
  moveItem(walk, i, d);
  walk.temporary[d] = Math.max(walk.temporary[d], walk.itemTemporary[i]);
  walk.temporary[from] = largestTemporary(walk.model, walk.state.device, from);
}

function restore(walk: Walk, device: Int32Array): void {
  const { items } = walk.space;
  for (let i = 0; i < items.length; i++) {
    const u = items[i][0];
    if (walk.state.device[u] !== device[u]) keep(walk, i, walk.state.device[u], device[u]);
  }
}

/** Of every allowed move of an item off the bottleneck, the one that lowers the objective most (tried and undone); null if none does. */
function bestMoveOff(walk: Walk, dmax: number, onMax: number[], workUnits: number): [number, number] | null {
  const { space, state } = walk;
  let bestMove: [number, number] | null = null;
  let bestMoveObjective = walk.current;
  for (const i of onMax) {
    for (let d = 0; d < walk.D; d++) {
      if (d === dmax || !space.allowed(i, d, state.device) || !fits(walk, i, d)) continue;
      moveItem(walk, i, d);
      const o = objective(state);
      moveItem(walk, i, dmax);
      walk.work += 2 * space.items[i].length;
      walk.tried++;
      if (better(o, bestMoveObjective)) {
        bestMoveObjective = o;
        bestMove = [i, d];
      }
    }
    if (walk.work >= workUnits) break;
  }
  return bestMove;
}

function take(walk: Walk, [i, d]: [number, number], dmax: number): void {
  keep(walk, i, dmax, d);
  walk.kept++;
  walk.current = objective(walk.state);
  if (better(walk.current, walk.bestObjective)) {
    walk.bestObjective = walk.current;
    walk.best = walk.state.device.slice();
    walk.stuck = 0;
  }
}

/** One to three random items, each to a random allowed device with room (seeded). */
function kick(walk: Walk): void {
  const { space, state, random } = walk;
  const kicks = 1 + Math.floor(random() * 3);
  for (let k = 0; k < kicks; k++) {
    const i = Math.floor(random() * space.items.length);
    const at = state.device[space.items[i][0]];
    const targets: number[] = [];
    for (let d = 0; d < walk.D; d++) if (d !== at && space.allowed(i, d, state.device) && fits(walk, i, d)) targets.push(d);
    if (targets.length === 0) continue;
    keep(walk, i, at, targets[Math.floor(random() * targets.length)]);
    walk.work += space.items[i].length;
  }
}
