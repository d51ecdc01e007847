// Training memory model for graphs that have no measured training profile (e.g. an ONNX export of
// a forward pass). Baechi places the forward graph and colocates each gradient op with its forward
// op; we synthesise the backward graph so placement and simulation see the real step:
//   - every forward op v gets a backward op `v/grad` (time ≈ 2× forward, as a backward pass
//     computes gradients w.r.t. both inputs and weights), colocated with v;
//   - each forward edge u → v becomes a gradient edge v/grad → u/grad carrying a tensor of the same
//     size (the gradient of an activation has the activation's shape);
//   - the activations v produced stay alive until v/grad has run: an edge v → v/grad carries them
//     (the simulator frees an output after its last consumer);
//   - persistent memory of v = weights + gradients + optimizer state: sgd 0, momentum 1, adam 2
//     slots (first and second moments). In fp32 each is the weights' size. With fp16/bf16 weights
//     (mixed precision) the optimizer keeps an fp32 master copy and fp32 slots, each twice the
//     half-precision weights: Adam costs 16 bytes per parameter either way.
import { OpplaceError } from './errors';
import { OpEdge, OpGraph, OpNode, indexGraph, outputBytes } from './graph';
import type { Dtype } from './loaders/types';

import { OPTIMIZERS, Optimizer } from './options';

export { OPTIMIZERS };
export type { Optimizer };

/** Optimizer state slots per parameter. */
export function optimizerSlots(optimizer: Optimizer): number {
  switch (optimizer) {
    case 'sgd':
      return 0;
    case 'momentum':
      return 1;
    case 'adam':
      return 2;
    default:
      throw new OpplaceError(`unknown optimizer "${String(optimizer)}" (expected ${OPTIMIZERS.join(', ')})`);
  }
}

export interface TrainingOptions {
  optimizer: Optimizer;
  /** Element type the graph's weights are stored in (default fp32); fp16/bf16 = mixed precision. */
  dtype?: Dtype;
  /** Backward time as a multiple of forward time (default 2). */
  backwardFactor?: number;
}

export const GRAD_SUFFIX = '/grad';

/**
 * Whether an op belongs to the backward pass: the flag the loader or the training model set, else
 * (opplace JSON, profiles) the naming the training model and the exporters use (`…/grad` ids,
 * `…Grad` op types, dnn-partitioning `Backward` layers).
 */
export function isBackwardOp(node: OpNode): boolean {
  if (node.isBackward !== undefined) return node.isBackward;
  return node.opType === 'Backward' || /Grad$/.test(node.opType) || node.id.endsWith(GRAD_SUFFIX);
}

/** Persistent bytes of training per byte of stored weights: weights, gradients, optimizer state. */
export function trainingPersistentFactor(optimizer: Optimizer, dtype: Dtype = 'fp32'): number {
  const slots = optimizerSlots(optimizer);
  // half precision: weights + grads (1 + 1) + fp32 master copy (2) + fp32 slots (2 each)
  return dtype === 'fp32' ? 2 + slots : 4 + 2 * slots;
}

/** Returns a new graph: forward ops, synthesised backward ops and training persistent memory. */
export function trainingGraph(graph: OpGraph, options: TrainingOptions): OpGraph {
  const persistentFactor = trainingPersistentFactor(options.optimizer, options.dtype);
  const factor = options.backwardFactor ?? 2;
  const ids = new Set(graph.nodes.map((n) => n.id));
  const gradId = (id: string) => {
    let g = id + GRAD_SUFFIX;
    while (ids.has(g)) g += "'";
    return g;
  };
  const index = indexGraph(graph);
  const forward: OpNode[] = [];
  const backward: OpNode[] = [];
  const edges: OpEdge[] = [];
  const gradOf = new Map<string, string>();
  for (const v of index.topo) {
    const n = graph.nodes[v];
    const group = n.colocationGroup ?? `train:${n.id}`;
    forward.push({ ...n, colocationGroup: group, persistentBytes: n.persistentBytes * persistentFactor });
    const g = gradId(n.id);
    gradOf.set(n.id, g);
    // The gradient w.r.t. v's inputs has the inputs' sizes; its output slot is sized like the
    // largest input activation (or v's own output for a source op).
    let inBytes = 0;
    for (const k of index.inEdges[v]) inBytes = Math.max(inBytes, graph.edges[k].bytes);
    const outBytes = inBytes || outputBytes(n);
    backward.push({
      id: g,
      name: n.name + GRAD_SUFFIX,
      opType: n.opType + 'Grad',
      namespace: n.namespace,
      computeUs: n.computeUs * factor,
      persistentBytes: 0,
      temporaryBytes: n.temporaryBytes,
      outputs: [{ name: g + ':0', bytes: outBytes, shape: null, dtype: n.outputs[0]?.dtype }],
      colocationGroup: group,
      flops: n.flops !== undefined ? n.flops * factor : undefined,
      memoryAccessBytes: n.memoryAccessBytes !== undefined ? n.memoryAccessBytes * factor : undefined,
      modulePath: n.modulePath,
      isBackward: true,
    });
  }
  for (const e of graph.edges) edges.push(e);
  // saved activations: v → v/grad (one edge per node, carrying everything v produced)
  for (const v of index.topo) {
    const n = graph.nodes[v];
    const bytes = outputBytes(n);
    edges.push({ from: n.id, to: gradOf.get(n.id)!, tensor: n.outputs[0]?.name ?? n.id, bytes });
  }
  // gradient flow: for each forward edge u → v, v/grad → u/grad
  for (const e of graph.edges) {
    edges.push({
      from: gradOf.get(e.to)!,
      to: gradOf.get(e.from)!,
      tensor: gradOf.get(e.to)! + ':0',
      bytes: e.bytes,
      ...(e.heldBytes !== undefined ? { heldBytes: e.heldBytes } : {}),
    });
  }
  // Backward ops in reverse topological order so the stable topo order reads naturally.
  backward.reverse();
  return {
    ...graph,
    name: `${graph.name} (training, ${options.optimizer})`,
    nodes: [...forward, ...backward],
    edges,
    warnings: [...graph.warnings],
  };
}

/** The hand-computable training footprint on one device: weights, grads, optimizer, activations. */
export function trainingMemoryEstimate(
  graph: OpGraph,
  optimizer: Optimizer,
): {
  weightBytes: number;
  gradientBytes: number;
  optimizerBytes: number;
  activationBytes: number;
  totalBytes: number;
} {
  let weightBytes = 0;
  let activationBytes = 0;
  for (const n of graph.nodes) {
    weightBytes += n.persistentBytes;
    activationBytes += outputBytes(n);
  }
  const gradientBytes = weightBytes;
  const optimizerBytes = weightBytes * optimizerSlots(optimizer);
  return { weightBytes, gradientBytes, optimizerBytes, activationBytes, totalBytes: weightBytes + gradientBytes + optimizerBytes + activationBytes };
}
