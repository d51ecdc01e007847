// Deterministic generator of DNN-shaped operator DAGs for benchmarks and property tests: a stem,
// then a seeded mix of ResNet blocks (conv chain + skip connection), Inception blocks (parallel
// branches joined by a concat) and Transformer blocks (q/k/v fan-out, attention, residual adds),
// then a head. With `training`, a backward pass mirrors the forward one: every gradient op reads
// the gradients of its forward op's consumers and the forward op's saved activations, which gives
// the long forward→backward edges real training graphs have.
import type { OpEdge, OpGraph, OpNode } from '../../algorithms/graph';
import { mulberry32 } from '../../algorithms/random';

export interface GenerateDagOptions {
  /** Approximate number of forward nodes (the result stops at the first block boundary ≥ this). */
  nodes: number;
  seed?: number;
  /** Add a mirrored backward pass (roughly doubles the node count). */
  training?: boolean;
  /** Which blocks to draw from; default all three. */
  blocks?: ('resnet' | 'inception' | 'transformer')[];
}

interface Builder {
  nodes: OpNode[];
  edges: OpEdge[];
  rand: () => number;
}

/** Compute time µs: log-uniform in [lo, hi]. */
function logUniform(rand: () => number, lo: number, hi: number): number {
  return Math.round(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))) * 10) / 10;
}

function addNode(b: Builder, opType: string, block: string, inputs: number[], heavy: boolean): number {
  const index = b.nodes.length;
  const id = `${opType}_${index}`;
  const bytes = Math.round(logUniform(b.rand, 64 * 1024, heavy ? 16 * 1024 * 1024 : 4 * 1024 * 1024));
  b.nodes.push({
    id,
    name: id,
    opType,
    namespace: [block],
    computeUs: heavy ? logUniform(b.rand, 40, 2000) : logUniform(b.rand, 5, 200),
    persistentBytes: heavy ? Math.round(logUniform(b.rand, 1024, 8 * 1024 * 1024)) : 0,
    temporaryBytes: heavy ? Math.round(logUniform(b.rand, 0 + 1024, 4 * 1024 * 1024)) : 0,
    outputs: [{ name: `${id}:0`, bytes, shape: null }],
  });
  for (const src of inputs) {
    const from = b.nodes[src];
    b.edges.push({ from: from.id, to: id, tensor: from.outputs[0].name, bytes: from.outputs[0].bytes });
  }
  return index;
}

function chain(b: Builder, block: string, input: number, ops: [string, boolean][]): number {
  let last = input;
  for (const [op, heavy] of ops) last = addNode(b, op, block, [last], heavy);
  return last;
}

function resnetBlock(b: Builder, block: string, x: number): number {
  const main = chain(b, block, x, [
    ['Conv', true],
    ['BatchNorm', false],
    ['Relu', false],
    ['Conv', true],
    ['BatchNorm', false],
  ]);
  // every other block has a projection on the skip path
  const skip =
    b.rand() < 0.5
      ? x
      : chain(b, block, x, [
          ['Conv', true],
          ['BatchNorm', false],
        ]);
  const add = addNode(b, 'Add', block, [main, skip], false);
  return addNode(b, 'Relu', block, [add], false);
}

function inceptionBlock(b: Builder, block: string, x: number): number {
  const branches = 3 + Math.floor(b.rand() * 2);
  const ends: number[] = [];
  for (let k = 0; k < branches; k++) {
    const len = 1 + Math.floor(b.rand() * 3);
    const ops: [string, boolean][] = [];
    for (let t = 0; t < len; t++) ops.push([t % 2 === 0 ? 'Conv' : 'Relu', t % 2 === 0]);
    ends.push(chain(b, block, x, ops));
  }
  return addNode(b, 'Concat', block, ends, false);
}

function transformerBlock(b: Builder, block: string, x: number): number {
  const q = addNode(b, 'MatMul', block, [x], true);
  const k = addNode(b, 'MatMul', block, [x], true);
  const v = addNode(b, 'MatMul', block, [x], true);
  const scores = addNode(b, 'MatMul', block, [q, k], true);
  const probs = chain(b, block, scores, [
    ['Div', false],
    ['Softmax', false],
  ]);
  const ctx = addNode(b, 'MatMul', block, [probs, v], true);
  const proj = addNode(b, 'MatMul', block, [ctx], true);
  const add1 = addNode(b, 'Add', block, [proj, x], false);
  const ln1 = addNode(b, 'LayerNormalization', block, [add1], false);
  const ff = chain(b, block, ln1, [
    ['MatMul', true],
    ['Gelu', false],
    ['MatMul', true],
  ]);
  const add2 = addNode(b, 'Add', block, [ff, ln1], false);
  return addNode(b, 'LayerNormalization', block, [add2], false);
}

/** Mirror the forward graph: grad(f) ← grad(consumers of f), f's inputs; a final update per heavy op. */
function addBackward(b: Builder, forwardCount: number): void {
  const consumers: number[][] = Array.from({ length: forwardCount }, () => []);
  const producers: number[][] = Array.from({ length: forwardCount }, () => []);
  const indexOf = new Map(b.nodes.map((n, i) => [n.id, i] as const));
  for (const e of b.edges) {
    const f = indexOf.get(e.from)!;
    const t = indexOf.get(e.to)!;
    consumers[f].push(t);
    producers[t].push(f);
  }
  const grad = new Int32Array(forwardCount).fill(-1);
  for (let f = forwardCount - 1; f >= 0; f--) {
    const fwd = b.nodes[f];
    const inputs = [...consumers[f].map((t) => grad[t]), ...producers[f]];
    if (inputs.length === 0) inputs.push(f);
    grad[f] = addNode(b, `${fwd.opType}Grad`, fwd.namespace[0], inputs, fwd.persistentBytes > 0);
    if (fwd.persistentBytes > 0) addNode(b, 'ApplyGradient', fwd.namespace[0], [grad[f]], false);
  }
}

/** A DNN-shaped OpGraph with about `options.nodes` forward nodes; same options → same graph. */
export function generateDnnDag(options: GenerateDagOptions): OpGraph {
  const seed = options.seed ?? 1;
  const b: Builder = { nodes: [], edges: [], rand: mulberry32(seed) };
  const kinds = options.blocks && options.blocks.length > 0 ? options.blocks : (['resnet', 'inception', 'transformer'] as const);
  let x = addNode(b, 'Input', 'stem', [], false);
  x = chain(b, 'stem', x, [
    ['Conv', true],
    ['BatchNorm', false],
    ['Relu', false],
  ]);
  let blockIndex = 0;
  while (b.nodes.length < Math.max(0, options.nodes - 2)) {
    const kind = kinds[Math.floor(b.rand() * kinds.length)];
    const name = `block${blockIndex++}`;
    x = kind === 'resnet' ? resnetBlock(b, name, x) : kind === 'inception' ? inceptionBlock(b, name, x) : transformerBlock(b, name, x);
  }
  chain(b, 'head', x, [
    ['MatMul', true],
    ['Loss', false],
  ]);
  if (options.training) addBackward(b, b.nodes.length);
  const name = `dnn-${options.nodes}${options.training ? '-train' : ''}-s${seed}`;
  return { name, nodes: b.nodes, edges: b.edges, warnings: [] };
}
