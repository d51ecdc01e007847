// `sequential` split (issue 14): stages are consecutive ranges of one topological order of the
// forward blocks (shape.ts) — what torch pipelining and DeepSpeed can run as split points. Exact
// for that order by dynamic programming over (stages used, blocks covered):
//   best[k][i] = min over j ≤ i of max(best[k−1][j], load of blocks j…i−1 on device k−1),
// with device k−1's memory limit hard (j = i leaves that device empty). For one end i the loads of
// all ranges j…i−1 come from one sweep of j downwards that keeps, per crossing tensor, whether its
// producer is inside and how many of its consumer units are: O(C·(C·D + E)) for C blocks.
// Under `--comm file` the range load is exactly the model's; with a link a tensor read by several
// later stages is charged once to its sender here (the DP cannot know how many stages read it),
// and the plan reports the exact loads. Units without forward ops are added afterwards, each to
// the device where the largest load grows least.
import type { ThroughputModel } from './model';
import { LoadState } from './model';
import type { Blocks } from './shape';
import { deviceBytes, largestTemporary, MemoryRule } from './memory';
import { localSearch, SearchOptions, SearchSpace } from './search';

/** The DP's split of the blocks into consecutive ranges, device by device; labelOfBlock or null. */
export function sequentialBlocks(model: ThroughputModel, blocks: Blocks, rule: MemoryRule): Int32Array | null {
  const C = blocks.units.length;
  const D = rule.limits.length;
  const sweep: Sweep = { model, rule, sums: blockSums(model, blocks), tensors: blockTensors(model, blocks), table: splitTable(C, D) };
  for (let i = 1; i <= C; i++) bestRangesEndingAt(sweep, i);
  return labelsOf(sweep.table, C, D);
}

/** Per block: the sums over its units (the largest workspace for temporary). */
interface BlockSums {
  compute: Float64Array;
  persistent: Float64Array;
  temporary: Float64Array;
  activation: Float64Array;
}

/**
 * The crossing tensors each block produces and reads, and for the sweep of the current end i
 * whether a tensor's producer is in the range and how many of its consumer units are (entries of
 * an earlier end are reset on first touch: `stamp` is the end they belong to).
 */
interface BlockTensors {
  produced: number[][];
  read: number[][];
  consumers: Int32Array;
  producerIn: Uint8Array;
  consumersIn: Int32Array;
  stamp: Int32Array;
}

/** best[k·W + i]: least time per sample of blocks 0…i−1 on devices 0…k−1; from: where device k−1's range starts. */
interface SplitTable {
  W: number;
  best: Float64Array;
  from: Int32Array;
}

/** What the DP reads and fills. */
interface Sweep {
  model: ThroughputModel;
  rule: MemoryRule;
  sums: BlockSums;
  tensors: BlockTensors;
  table: SplitTable;
}

/** The range j…i−1 as it grows downwards: its load per sample and memory sums. */
interface Range {
  load: number;
  persistent: number;
  temporary: number;
  activation: number;
}

function blockSums(model: ThroughputModel, blocks: Blocks): BlockSums {
  const C = blocks.units.length;
  const sums: BlockSums = { compute: new Float64Array(C), persistent: new Float64Array(C), temporary: new Float64Array(C), activation: new Float64Array(C) };
  blocks.units.forEach((us, c) => {
    for (const u of us) {
      sums.compute[c] += model.unitCompute[u];
      sums.persistent[c] += model.unitPersistent[u];
      sums.temporary[c] = Math.max(sums.temporary[c], model.unitTemporary[u]);
      sums.activation[c] += model.unitActivation[u];
    }
  });
  return sums;
}

function blockTensors(model: ThroughputModel, blocks: Blocks): BlockTensors {
  const C = blocks.units.length;
  const T = model.tProducer.length;
  const produced: number[][] = Array.from({ length: C }, () => []);
  const read: number[][] = Array.from({ length: C }, () => []);
  for (let k = 0; k < T; k++) {
    const pb = blocks.blockOf[model.tProducer[k]];
    if (pb >= 0) produced[pb].push(k);
    for (const c of model.tConsumers[k]) {
      const cb = blocks.blockOf[c];
      if (cb >= 0) read[cb].push(k);
    }
  }
  return {
    produced,
    read,
    consumers: Int32Array.from({ length: T }, (_, k) => model.tConsumers[k].length),
    producerIn: new Uint8Array(T),
    consumersIn: new Int32Array(T),
    stamp: new Int32Array(T).fill(-1),
  };
}

/** The table with zero blocks on any number of devices costing 0. */
function splitTable(C: number, D: number): SplitTable {
  const W = C + 1;
  const best = new Float64Array((D + 1) * W).fill(Infinity);
  const from = new Int32Array((D + 1) * W).fill(-1);
  best[0] = 0;
  for (let k = 1; k <= D; k++) {
    best[k * W] = 0;
    from[k * W] = 0;
  }
  return { W, best, from };
}

/** best[k][i] for every k: device k−1 empty, or holding a range j…i−1 that fits (j from i − 1 down). */
function bestRangesEndingAt(sweep: Sweep, i: number): void {
  const { table } = sweep;
  const { W, best, from } = table;
  const D = sweep.rule.limits.length;
  for (let k = 1; k <= D; k++) {
    best[k * W + i] = best[(k - 1) * W + i];
    from[k * W + i] = i;
  }
  const range: Range = { load: 0, persistent: 0, temporary: 0, activation: 0 };
  for (let j = i - 1; j >= 0; j--) {
    addBlock(sweep, range, j, i);
    // a longer range only needs more memory on every device
    if (!offerRange(sweep, range, j, i)) break;
  }
}

/** Block j joins the range j…i−1: its sums, and the change in cost of each crossing tensor it touches. */
function addBlock(sweep: Sweep, range: Range, j: number, i: number): void {
  const { sums, tensors, model } = sweep;
  range.load += sums.compute[j];
  range.persistent += sums.persistent[j];
  range.temporary = Math.max(range.temporary, sums.temporary[j]);
  range.activation += sums.activation[j];
  for (const k of tensors.produced[j]) {
    touch(tensors, k, i);
    range.load -= crossingCost(model, tensors, k);
    tensors.producerIn[k] = 1;
    range.load += crossingCost(model, tensors, k);
  }
  for (const k of tensors.read[j]) {
    touch(tensors, k, i);
    range.load -= crossingCost(model, tensors, k);
    tensors.consumersIn[k]++;
    range.load += crossingCost(model, tensors, k);
  }
}

function touch(tensors: BlockTensors, k: number, i: number): void {
  if (tensors.stamp[k] !== i) {
    tensors.stamp[k] = i;
    tensors.producerIn[k] = 0;
    tensors.consumersIn[k] = 0;
  }
}

/** Tensor k's cost to the range: sent when its producer is in and some consumer is out, received when the reverse. */
function crossingCost(model: ThroughputModel, t: BlockTensors, k: number): number {
  return model.tUs[k] * ((t.producerIn[k] && t.consumersIn[k] < t.consumers[k] ? 1 : 0) + (!t.producerIn[k] && t.consumersIn[k] > 0 ? 1 : 0));
}

/** The range j…i−1 as device k−1's, for every k where it fits; false when it fits on no device. */
function offerRange(sweep: Sweep, range: Range, j: number, i: number): boolean {
  const { rule } = sweep;
  const { W, best, from } = sweep.table;
  const D = rule.limits.length;
  let anyFits = false;
  for (let k = 1; k <= D; k++) {
    if (deviceBytes(rule, k - 1, range.persistent, range.temporary, range.activation) > rule.limits[k - 1]) continue;
    anyFits = true;
    const prev = best[(k - 1) * W + j];
    const cand = prev > range.load ? prev : range.load;
    if (cand < best[k * W + i]) {
      best[k * W + i] = cand;
      from[k * W + i] = j;
    }
  }
  return anyFits;
}

/** Block labels read back from the table, or null when no split of all C blocks fits. */
function labelsOf(table: SplitTable, C: number, D: number): Int32Array | null {
  const { W, best, from } = table;
  if (!Number.isFinite(best[D * W + C])) return null;
  const label = new Int32Array(C);
  let i = C;
  for (let k = D; k >= 1; k--) {
    const j = from[k * W + i];
    for (let c = j; c < i; c++) label[c] = k - 1;
    i = j;
  }
  return label;
}

/**
 * Unit devices from block labels; units without forward ops go one by one (in unit order) to the
 * device where the largest load grows least among those with room. Null when one does not fit.
 */
export function placeFreeUnits(model: ThroughputModel, blocks: Blocks, labelOfBlock: Int32Array, rule: MemoryRule): Int32Array | null {
  const D = rule.limits.length;
  const device = new Int32Array(model.units.length);
  for (let u = 0; u < device.length; u++) device[u] = blocks.blockOf[u] >= 0 ? labelOfBlock[blocks.blockOf[u]] : 0;
  if (blocks.free.length === 0) return device;
  const free = new Set(blocks.free);
  // free units start on device 0 for the state; each is placed in turn
  const state = new LoadState(model, device, D);
  for (const u of blocks.free) {
    let bestD = -1;
    let bestMax = Infinity;
    for (let d = 0; d < D; d++) {
      state.move(u, d);
      const temp = Math.max(largestTemporary(model, state.device, d), model.unitTemporary[u]);
      let persistent = state.persistent[d];
      let activation = state.activation[d];
      // units not yet placed count nowhere
      for (const w of free)
        if (w !== u && state.device[w] === d) {
          persistent -= model.unitPersistent[w];
          activation -= model.unitActivation[w];
        }
      if (deviceBytes(rule, d, persistent, temp, activation) <= rule.limits[d]) {
        const m = state.maxLoad();
        if (m < bestMax) {
          bestMax = m;
          bestD = d;
        }
      }
    }
    if (bestD < 0) return null;
    state.move(u, bestD);
    free.delete(u);
  }
  return state.device.slice();
}

/**
 * Local search over the units without forward ops only (the forward split stays as the DP made
 * it): placed one by one they pile up where the first ones went — on ResNet-50's operator graph
 * 17 such units (gradient ops without a colour class, reading tensors from every stage) put
 * 562 ms of communication on one device, 649 ms per sample against 265 ms once they move.
 */
export function improveFreeUnits(model: ThroughputModel, blocks: Blocks, device: Int32Array, rule: MemoryRule, options: SearchOptions): Int32Array {
  if (blocks.free.length === 0) return device;
  const itemOf = new Int32Array(model.units.length).fill(-1);
  blocks.free.forEach((u, i) => (itemOf[u] = i));
  const space: SearchSpace = { items: blocks.free.map((u) => [u]), itemOf, allowed: () => true };
  return localSearch(model, device, space, rule, options).device;
}
