// Shape constraints of the pipeline splits (issue 14). Both shapes apply to the forward graph, as in
// the paper: every backward op rides with its unit (the forward op's colocation class, `colorClass`
// in dnn-partitioning), since the full training graph cannot be convex — every path from a stage's
// forward ops through the loss returns to its backward ops.
//
// Blocks: the units with forward ops, merged where forward edges between units form a cycle (two
// classes that each feed the other cannot go on different stages of a convex split), in a stable
// topological order. `contiguous` = a labelling with label(a) ≤ label(b) along every forward edge
// a → b between blocks (a chain of downsets: each device's set is convex and the stage graph
// acyclic in label order); `sequential` = consecutive ranges of the block order. Units with only
// backward ops (a few in the operator graphs: gradient-only classes) carry no shape constraint.
import type { ThroughputModel } from './model';

export interface Blocks {
  /** Block of each unit; -1 for units without forward ops (free). */
  blockOf: Int32Array;
  /** Units per block, blocks in topological order of the forward block graph. */
  units: number[][];
  /** Forward block graph: distinct predecessors / successors. */
  pred: number[][];
  succ: number[][];
  /** Units without forward ops. */
  free: number[];
}

export function buildBlocks(model: ThroughputModel): Blocks {
  const U = model.units.length;
  const { graph, index, backward } = model;
  const hasForward = new Uint8Array(U);
  graph.nodes.forEach((_, v) => {
    if (!backward[v]) hasForward[model.unitOf[v]] = 1;
  });
  const usucc: number[][] = Array.from({ length: U }, () => []);
  for (let a = 0; a < graph.nodes.length; a++) {
    if (backward[a]) continue;
    for (const b of index.succ[a]) {
      if (backward[b]) continue;
      const ua = model.unitOf[a];
      const ub = model.unitOf[b];
      if (ua !== ub && !usucc[ua].includes(ub)) usucc[ua].push(ub);
    }
  }
  const comp = stronglyConnected(U, usucc, hasForward);
  // blocks numbered by a stable topological order of the condensation (Kahn, smallest first unit first)
  const C = comp.count;
  const csucc: Set<number>[] = Array.from({ length: C }, () => new Set());
  const indeg = new Int32Array(C);
  const firstUnit = new Int32Array(C).fill(U);
  for (let u = 0; u < U; u++) {
    if (comp.of[u] < 0) continue;
    firstUnit[comp.of[u]] = Math.min(firstUnit[comp.of[u]], u);
    for (const w of usucc[u]) {
      const a = comp.of[u];
      const b = comp.of[w];
      if (a !== b && !csucc[a].has(b)) {
        csucc[a].add(b);
        indeg[b]++;
      }
    }
  }
  const order: number[] = [];
  const ready: number[] = [];
  for (let c = 0; c < C; c++) if (indeg[c] === 0) ready.push(c);
  while (ready.length) {
    // smallest first unit first: units follow the graph's stable topological order
    let best = 0;
    for (let k = 1; k < ready.length; k++) if (firstUnit[ready[k]] < firstUnit[ready[best]]) best = k;
    const c = ready.splice(best, 1)[0];
    order.push(c);
    for (const d of csucc[c]) if (--indeg[d] === 0) ready.push(d);
  }
  const rank = new Int32Array(C);
  order.forEach((c, r) => (rank[c] = r));
  const blockOf = new Int32Array(U).fill(-1);
  const units: number[][] = Array.from({ length: C }, () => []);
  const free: number[] = [];
  for (let u = 0; u < U; u++) {
    if (comp.of[u] < 0) free.push(u);
    else {
      blockOf[u] = rank[comp.of[u]];
      units[blockOf[u]].push(u);
    }
  }
  const pred: number[][] = Array.from({ length: C }, () => []);
  const succ: number[][] = Array.from({ length: C }, () => []);
  for (let c = 0; c < C; c++) {
    for (const d of csucc[c]) {
      succ[rank[c]].push(rank[d]);
      pred[rank[d]].push(rank[c]);
    }
  }
  return { blockOf, units, pred, succ, free };
}

/** Tarjan's SCC, iterative, over the nodes with `include` set; of[u] = component or -1. */
function stronglyConnected(n: number, succ: number[][], include: Uint8Array): { of: Int32Array; count: number } {
  const of = new Int32Array(n).fill(-1);
  const idx = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const iter = new Int32Array(n);
  let counter = 0;
  let count = 0;
  for (let s = 0; s < n; s++) {
    if (!include[s] || idx[s] >= 0) continue;
    const call: number[] = [s];
    idx[s] = low[s] = counter++;
    stack.push(s);
    onStack[s] = 1;
    while (call.length) {
      const v = call[call.length - 1];
      if (iter[v] < succ[v].length) {
        const w = succ[v][iter[v]++];
        if (!include[w]) continue;
        if (idx[w] < 0) {
          idx[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          call.push(w);
        } else if (onStack[w]) low[v] = Math.min(low[v], idx[w]);
      } else {
        call.pop();
        if (call.length) low[call[call.length - 1]] = Math.min(low[call[call.length - 1]], low[v]);
        if (low[v] === idx[v]) {
          let w: number;
          do {
            w = stack.pop()!;
            onStack[w] = 0;
            of[w] = count;
          } while (w !== v);
          count++;
        }
      }
    }
  }
  return { of, count };
}

/** Labels of a contiguous split are monotone along forward block edges. */
export function isMonotone(blocks: Blocks, labelOfBlock: ArrayLike<number>): boolean {
  for (let c = 0; c < blocks.units.length; c++) for (const d of blocks.succ[c]) if (labelOfBlock[c] > labelOfBlock[d]) return false;
  return true;
}
