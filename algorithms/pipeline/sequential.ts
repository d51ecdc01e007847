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
  const blockCompute = new Float64Array(C);
  const blockPersistent = new Float64Array(C);
  const blockTemporary = new Float64Array(C);
  const blockActivation = new Float64Array(C);
  blocks.units.forEach((us, c) => {
    for (const u of us) {
      blockCompute[c] += model.unitCompute[u];
      blockPersistent[c] += model.unitPersistent[u];
      blockTemporary[c] = Math.max(blockTemporary[c], model.unitTemporary[u]);
      blockActivation[c] += model.unitActivation[u];
    }
  });
  // tensors a block produces / reads (by unit), consumer units in blocks
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
  const total = Int32Array.from({ length: T }, (_, k) => model.tConsumers[k].length);
  const prodIn = new Uint8Array(T);
  const inCount = new Int32Array(T);
  const stamp = new Int32Array(T).fill(-1);
  const W = C + 1;
  const best = new Float64Array((D + 1) * W).fill(Infinity);
  const from = new Int32Array((D + 1) * W).fill(-1);
  best[0] = 0;
  for (let k = 1; k <= D; k++) {
    best[k * W] = 0;
    from[k * W] = 0;
  }
  const cost = (k: number) => model.tUs[k] * ((prodIn[k] && inCount[k] < total[k] ? 1 : 0) + (!prodIn[k] && inCount[k] > 0 ? 1 : 0));
  for (let i = 1; i <= C; i++) {
    // empty stage: device k−1 holds nothing
    for (let k = 1; k <= D; k++) {
      best[k * W + i] = best[(k - 1) * W + i];
      from[k * W + i] = i;
    }
    let load = 0;
    let persistent = 0;
    let temporary = 0;
    let activation = 0;
    for (let j = i - 1; j >= 0; j--) {
      // block j joins the range j…i−1
      load += blockCompute[j];
      persistent += blockPersistent[j];
      temporary = Math.max(temporary, blockTemporary[j]);
      activation += blockActivation[j];
      for (const k of produced[j]) {
        if (stamp[k] !== i) {
          stamp[k] = i;
          prodIn[k] = 0;
          inCount[k] = 0;
        }
        load -= cost(k);
        prodIn[k] = 1;
        load += cost(k);
      }
      for (const k of read[j]) {
        if (stamp[k] !== i) {
          stamp[k] = i;
          prodIn[k] = 0;
          inCount[k] = 0;
        }
        load -= cost(k);
        inCount[k]++;
        load += cost(k);
      }
      let anyFits = false;
      for (let k = 1; k <= D; k++) {
        if (deviceBytes(rule, k - 1, persistent, temporary, activation) > rule.limits[k - 1]) continue;
        anyFits = true;
        const prev = best[(k - 1) * W + j];
        const cand = prev > load ? prev : load;
        if (cand < best[k * W + i]) {
          best[k * W + i] = cand;
          from[k * W + i] = j;
        }
      }
      // a longer range only needs more memory on every device
      if (!anyFits) break;
    }
  }
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
