// `contiguous` split (issue 14): each device's forward ops form a convex set and the stage graph
// is acyclic — a labelling of the forward blocks (shape.ts) monotone along every forward edge, the
// paper's "contiguous" case whose optimum its DP over downsets finds. Every sequential split is
// one, so this starts from the exact sequential split of the blocks' topological order and moves
// whole blocks between devices as long as the labels stay monotone (search.ts). Far cheaper than
// the paper's DP, whose downsets number in the millions on Inception-v3 (it did not finish there in
// 15 minutes); bench/README.md compares the two on the paper's graphs. When the forward block graph
// has few downsets (≤ IDEAL_LIMIT, fewer on larger graphs) the DP over chains of downsets runs too (exactDownsetSplit) and
// the better of the two is kept, so small graphs get the contiguous optimum.
import type { ThroughputModel } from './model';
import type { Blocks } from './shape';
import type { MemoryRule } from './memory';
import { deviceBytes } from './memory';
import { LoadState } from './model';
import { localSearch, SearchOptions, SearchResult, SearchSpace } from './search';

export function contiguousSpace(model: ThroughputModel, blocks: Blocks): SearchSpace {
  const items: number[][] = [...blocks.units, ...blocks.free.map((u) => [u])];
  const itemOf = new Int32Array(model.units.length);
  items.forEach((us, i) => us.forEach((u) => (itemOf[u] = i)));
  const C = blocks.units.length;
  const labelOf = (b: number, device: Int32Array) => device[blocks.units[b][0]];
  return {
    items,
    itemOf,
    allowed(i, d, device) {
      if (i >= C) return true; // a unit without forward ops: no shape constraint
      for (const p of blocks.pred[i]) if (labelOf(p, device) > d) return false;
      for (const s of blocks.succ[i]) if (labelOf(s, device) < d) return false;
      return true;
    },
  };
}

export function contiguousSearch(model: ThroughputModel, blocks: Blocks, start: Int32Array, rule: MemoryRule, options: SearchOptions): SearchResult {
  return localSearch(model, start, contiguousSpace(model, blocks), rule, options);
}

/**
 * Downsets enumerated at most: the DP evaluates up to N² / 2 pairs J ⊂ I at O(units + tensors)
 * each, so N is capped to keep that under ~4M steps (≤ 400; 100 for ResNet-50's layer graph, where
 * 400 downsets took 1.6 s on this machine against 40 ms for the local search alone).
 */
export const IDEAL_LIMIT = 400;
const DP_WORK = 4e6;

/**
 * The DP's state: the downsets (0/1 per block) in order of size, and per (devices k, downset i) the
 * best largest load of placing downset i on the first k devices (`best`) and the downset the chain
 * came from (`from`), both at k * N + i.
 */
interface DownsetDp {
  model: ThroughputModel;
  blocks: Blocks;
  rule: MemoryRule;
  ideals: Uint8Array[];
  sizes: number[];
  order: number[];
  best: Float64Array;
  from: Int32Array;
  /** Scratch unit labels for pieceCost. */
  label: Int32Array;
}

/** Load and memory of the piece I \ J placed alone on a device (free units outside). */
function pieceCost(dp: DownsetDp, I: Uint8Array, J: Uint8Array) {
  const { model, blocks, label } = dp;
  // unit labels: 1 inside the piece, 0 elsewhere (free units outside): the piece's load on device 1
  label.fill(0);
  let persistent = 0;
  let temporary = 0;
  let activation = 0;
  for (let c = 0; c < blocks.units.length; c++) {
    if (!I[c] || J[c]) continue;
    for (const u of blocks.units[c]) {
      label[u] = 1;
      persistent += model.unitPersistent[u];
      temporary = Math.max(temporary, model.unitTemporary[u]);
      activation += model.unitActivation[u];
    }
  }
  const state = new LoadState(model, label, 2);
  return { load: state.load[1], persistent, temporary, activation };
}

const isSubset = (J: Uint8Array, I: Uint8Array) => J.every((x, c) => !x || I[c] !== 0);

/** Extends every smaller downset J ⊂ I by the piece I \ J on device k − 1, where it fits. */
function relaxFromSubsets(dp: DownsetDp, i: number): void {
  const { ideals, sizes, order, best, from, rule } = dp;
  const N = ideals.length;
  const D = rule.limits.length;
  for (const j of order) {
    if (sizes[j] >= sizes[i]) break;
    if (!isSubset(ideals[j], ideals[i])) continue;
    const piece = pieceCost(dp, ideals[i], ideals[j]);
    for (let k = 1; k <= D; k++) {
      if (deviceBytes(rule, k - 1, piece.persistent, piece.temporary, piece.activation) > rule.limits[k - 1]) continue;
      const cand = Math.max(best[(k - 1) * N + j], piece.load);
      if (cand < best[k * N + i]) {
        best[k * N + i] = cand;
        from[k * N + i] = j;
      }
    }
  }
}

/** Device k − 1 may stay empty: downset i on k devices is at least as good as on k − 1. */
function allowEmptyDevices(dp: DownsetDp, i: number): void {
  const { best, from } = dp;
  const N = dp.ideals.length;
  for (let k = 1; k <= dp.rule.limits.length; k++) {
    if (best[(k - 1) * N + i] < best[k * N + i]) {
      best[k * N + i] = best[(k - 1) * N + i];
      from[k * N + i] = i;
    }
  }
}

/** The device of each block, following the chain back from the full downset on all devices. */
function labelsOfChain(dp: DownsetDp, full: number): Int32Array {
  const { ideals, from } = dp;
  const C = dp.blocks.units.length;
  const N = ideals.length;
  const labelOfBlock = new Int32Array(C);
  let i = full;
  for (let k = dp.rule.limits.length; k >= 1; k--) {
    const j = from[k * N + i];
    for (let c = 0; c < C; c++) if (ideals[i][c] && !ideals[j][c]) labelOfBlock[c] = k - 1;
    i = j;
  }
  return labelOfBlock;
}

/**
 * The contiguous optimum over chains of downsets ∅ = I0 ⊆ I1 ⊆ … ⊆ ID = all blocks, device k − 1
 * taking I_k \ I_(k−1) (free units are placed afterwards, as for sequential), or null when the
 * block graph has more downsets than that cap or nothing fits. Loads as the model computes them
 * with the free units left out.
 */
export function exactDownsetSplit(model: ThroughputModel, blocks: Blocks, rule: MemoryRule): Int32Array | null {
  const C = blocks.units.length;
  const D = rule.limits.length;
  const limit = Math.min(IDEAL_LIMIT, Math.floor(Math.sqrt((2 * DP_WORK) / (model.units.length + model.tProducer.length + 1))));
  const ideals = downsets(blocks, limit);
  if (!ideals) return null;
  const key = (set: Uint8Array) => set.join('');
  const idOf = new Map(ideals.map((set, i) => [key(set), i]));
  const full = idOf.get('1'.repeat(C));
  if (full === undefined) return null;
  const N = ideals.length;
  const sizes = ideals.map((set) => set.reduce((a, b) => a + b, 0));
  const dp: DownsetDp = {
    model,
    blocks,
    rule,
    ideals,
    sizes,
    order: Array.from({ length: N }, (_, i) => i).sort((a, b) => sizes[a] - sizes[b] || a - b),
    best: new Float64Array((D + 1) * N).fill(Infinity),
    from: new Int32Array((D + 1) * N).fill(-1),
    label: new Int32Array(model.units.length),
  };
  const empty = idOf.get('0'.repeat(C))!;
  for (let k = 0; k <= D; k++) {
    dp.best[k * N + empty] = 0;
    dp.from[k * N + empty] = empty;
  }
  for (const i of dp.order) {
    if (i === empty) continue;
    relaxFromSubsets(dp, i);
    allowEmptyDevices(dp, i);
  }
  return Number.isFinite(dp.best[D * N + full]) ? labelsOfChain(dp, full) : null;
}

/** Every downset of the block graph (as 0/1 per block), or null beyond `limit`. */
function downsets(blocks: Blocks, limit: number): Uint8Array[] | null {
  const C = blocks.units.length;
  const seen = new Set<string>();
  const start = new Uint8Array(C);
  const out: Uint8Array[] = [start];
  seen.add(start.join(''));
  for (let q = 0; q < out.length; q++) {
    const set = out[q];
    for (let c = 0; c < C; c++) {
      if (set[c] || blocks.pred[c].some((p) => !set[p])) continue;
      const next = set.slice();
      next[c] = 1;
      const k = next.join('');
      if (seen.has(k)) continue;
      if (out.length >= limit) return null;
      seen.add(k);
      out.push(next);
    }
  }
  return out;
}
