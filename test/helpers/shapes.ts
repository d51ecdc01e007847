// Generated graph shapes for the scaling bench (issue 15 item 6): each is built in memory from a
// seed, never committed as a file (also used by tests). The DNN-shaped generator is generateDag.ts.
import type { OpEdge, OpGraph, OpNode } from '../../algorithms/graph';
import { mulberry32 } from '../../algorithms/random';

function node(id: string, rand: () => number): OpNode {
  return {
    id,
    name: id,
    opType: 'Op',
    namespace: [],
    computeUs: Math.round((5 + rand() * 195) * 10) / 10,
    persistentBytes: 0,
    temporaryBytes: 0,
    outputs: [{ name: `${id}:0`, bytes: Math.round(64 * 1024 + rand() * 4 * 1024 * 1024), shape: null }],
  };
}

function edge(from: OpNode, to: OpNode): OpEdge {
  return { from: from.id, to: to.id, tensor: from.outputs[0].name, bytes: from.outputs[0].bytes };
}

/** Every op after the first takes `minInputs`…`maxInputs` distinct inputs from the previous `window` ops. */
export function randomWindowDag(ops: number, options: { window?: number; minInputs?: number; maxInputs?: number; seed?: number } = {}): OpGraph {
  const window = options.window ?? 1000;
  const lo = options.minInputs ?? 1;
  const hi = options.maxInputs ?? 4;
  const rand = mulberry32(options.seed ?? 1);
  const nodes: OpNode[] = [];
  const edges: OpEdge[] = [];
  const picked = new Set<number>();
  for (let i = 0; i < ops; i++) {
    nodes.push(node(`op${i}`, rand));
    if (i === 0) continue;
    const span = Math.min(i, window);
    const k = Math.min(span, lo + Math.floor(rand() * (hi - lo + 1)));
    picked.clear();
    while (picked.size < k) picked.add(i - 1 - Math.floor(rand() * span));
    for (const p of [...picked].sort((a, b) => a - b)) edges.push(edge(nodes[p], nodes[i]));
  }
  return { name: `random-window-${ops}`, nodes, edges, warnings: [] };
}

/** One producer whose single output tensor feeds `consumers` independent ops. */
export function fanOut(consumers: number, seed = 1): OpGraph {
  const rand = mulberry32(seed);
  const nodes: OpNode[] = [node('src', rand)];
  const edges: OpEdge[] = [];
  for (let i = 0; i < consumers; i++) {
    nodes.push(node(`c${i}`, rand));
    edges.push(edge(nodes[0], nodes[i + 1]));
  }
  return { name: `fan-out-${consumers}`, nodes, edges, warnings: [] };
}

/** A chain of `ops` ops. */
export function chainDag(ops: number, seed = 1): OpGraph {
  const rand = mulberry32(seed);
  const nodes: OpNode[] = [];
  const edges: OpEdge[] = [];
  for (let i = 0; i < ops; i++) {
    nodes.push(node(`op${i}`, rand));
    if (i > 0) edges.push(edge(nodes[i - 1], nodes[i]));
  }
  return { name: `chain-${ops}`, nodes, edges, warnings: [] };
}
