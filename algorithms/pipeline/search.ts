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

export function localSearch(model: ThroughputModel, start: Int32Array, space: SearchSpace, rule: MemoryRule, options: SearchOptions): SearchResult {
  const D = rule.limits.length;
  const state = new LoadState(model, start, D);
  const temporary = Float64Array.from({ length: D }, (_, d) => largestTemporary(model, state.device, d));
  const rnd = mulberry32(options.seed >>> 0);
  const itemPersistent = space.items.map((us) => us.reduce((s, u) => s + model.unitPersistent[u], 0));
  const itemActivation = space.items.map((us) => us.reduce((s, u) => s + model.unitActivation[u], 0));
  const itemTemporary = space.items.map((us) => us.reduce((s, u) => Math.max(s, model.unitTemporary[u]), 0));
  const fits = (i: number, d: number) =>
    deviceBytes(rule, d, state.persistent[d] + itemPersistent[i], Math.max(temporary[d], itemTemporary[i]), state.activation[d] + itemActivation[i]) <=
    rule.limits[d];
  const moveItem = (i: number, d: number) => {
    for (const u of space.items[i]) state.move(u, d);
  };
  const keep = (i: number, from: number, d: number) => {
    moveItem(i, d);
    temporary[d] = Math.max(temporary[d], itemTemporary[i]);
    temporary[from] = largestTemporary(model, state.device, from);
  };
  const restore = (device: Int32Array) => {
    for (let i = 0; i < space.items.length; i++) {
      const u = space.items[i][0];
      if (state.device[u] !== device[u]) keep(i, state.device[u], device[u]);
    }
  };
  let work = 0;
  let tried = 0;
  let kept = 0;
  let bestObj = objective(state);
  let best = state.device.slice();
  let cur = bestObj;
  let stuck = 0;
  while (work < options.workUnits && now() < options.deadlineMs) {
    // the bottleneck device (lowest index on ties)
    let dmax = 0;
    for (let d = 1; d < D; d++) if (state.load[d] > state.load[dmax]) dmax = d;
    let bestMove: [number, number] | null = null;
    let bestMoveObj = cur;
    const onMax: number[] = [];
    for (let i = 0; i < space.items.length; i++) if (state.device[space.items[i][0]] === dmax) onMax.push(i);
    for (const i of onMax) {
      for (let d = 0; d < D; d++) {
        if (d === dmax || !space.allowed(i, d, state.device) || !fits(i, d)) continue;
        moveItem(i, d);
        const o = objective(state);
        moveItem(i, dmax);
        work += 2 * space.items[i].length;
        tried++;
        if (better(o, bestMoveObj)) {
          bestMoveObj = o;
          bestMove = [i, d];
        }
      }
      if (work >= options.workUnits) break;
    }
    if (bestMove) {
      keep(bestMove[0], dmax, bestMove[1]);
      kept++;
      cur = objective(state);
      if (better(cur, bestObj)) {
        bestObj = cur;
        best = state.device.slice();
        stuck = 0;
      }
      continue;
    }
    // local optimum: kick one item off the bottleneck to a random allowed device with room
    if (++stuck > 2000 || onMax.length === 0) break;
    // from the best assignment so far: the walk does not drift away
    if (stuck % 8 === 0) restore(best);
    const kicks = 1 + Math.floor(rnd() * 3);
    for (let kick = 0; kick < kicks; kick++) {
      const i = Math.floor(rnd() * space.items.length);
      const at = state.device[space.items[i][0]];
      const targets: number[] = [];
      for (let d = 0; d < D; d++) if (d !== at && space.allowed(i, d, state.device) && fits(i, d)) targets.push(d);
      if (targets.length === 0) continue;
      keep(i, at, targets[Math.floor(rnd() * targets.length)]);
      work += space.items[i].length;
    }
    cur = objective(state);
  }
  return {
    device: best,
    timePerSampleUs: bestObj[0],
    movesTried: tried,
    movesKept: kept,
    stoppedByClock: work < options.workUnits && now() >= options.deadlineMs,
  };
}
