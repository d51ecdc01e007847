// The memory and communication model shared (as definitions only) by the scheduler, the simulator
// and the independent checker: what a tensor is, how many bytes a node's outputs occupy.
//
// A tensor is identified by its producer and its name; it is sent at most once to each device,
// however many consumers it has there. A node's output block (all its outputs) is allocated when
// it starts and freed when its last consumer has run and its last outgoing transfer has ended
// (at its own end when nothing consumes it). A received copy is allocated on the destination when
// the transfer starts and freed when the last consumer of that tensor on that device has run.
// Temporary memory lives from start to end; persistent memory for the whole step.
import type { GraphIndex, OpGraph } from '../graph';

export interface TensorTable {
  /** Tensor ids per original node index (producer). */
  producer: Int32Array;
  name: string[];
  /** Memory the tensor occupies while alive (largest OpEdge.heldBytes ?? bytes of its edges). */
  bytes: Float64Array;
  /** Bytes that cross the link when it is sent (largest OpEdge.bytes). */
  transferBytes: Float64Array;
  /** Transfer time the file gives (largest OpEdge.costUs of the tensor's edges, 0 if none): `--comm file`. */
  costUs: Float64Array;
  /** Distinct consumer node indices per tensor, in edge order. */
  consumers: number[][];
  /** Distinct tensors each node consumes, in edge order. */
  inputs: number[][];
  /** Output block bytes per node: max(declared outputs, sum of its tensors). */
  nodeOutBytes: Float64Array;
}

/** `ends`: the edges' node indices when a GraphIndex has them (otherwise each id is looked up in `indexOf`). */
export function buildTensorTable(graph: OpGraph, indexOf: Map<string, number>, ends?: Pick<GraphIndex, 'edgeFrom' | 'edgeTo'>): TensorTable {
  const n = graph.nodes.length;
  // tensor ids of each producer as a linked list, newest first (nodes have few outputs, so a short
  // list beats string keys; two typed arrays instead of an array per node spare 100k-op graphs
  // their garbage collection)
  const lastOf = new Int32Array(n).fill(-1);
  const previous: number[] = [];
  const producer: number[] = [];
  const name: string[] = [];
  const bytes: number[] = [];
  const transferBytes: number[] = [];
  const costUs: number[] = [];
  const consumers: number[][] = [];
  const inputs: number[][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < graph.edges.length; k++) {
    const e = graph.edges[k];
    const a = ends ? ends.edgeFrom[k] : indexOf.get(e.from)!;
    const b = ends ? ends.edgeTo[k] : indexOf.get(e.to)!;
    const tensorName = e.tensor ?? '';
    let t = lastOf[a];
    while (t >= 0 && name[t] !== tensorName) t = previous[t];
    if (t < 0) {
      t = producer.length;
      previous.push(lastOf[a]);
      lastOf[a] = t;
      producer.push(a);
      name.push(tensorName);
      bytes.push(e.heldBytes ?? e.bytes);
      transferBytes.push(e.bytes);
      costUs.push(e.costUs ?? 0);
      consumers.push([]);
    } else {
      bytes[t] = Math.max(bytes[t], e.heldBytes ?? e.bytes);
      transferBytes[t] = Math.max(transferBytes[t], e.bytes);
      if ((e.costUs ?? 0) > costUs[t]) costUs[t] = e.costUs ?? 0;
    }
    // b already consumes t? Both lists hold the pair, so scan the shorter: a tensor with 100k
    // consumers made a scan of its list quadratic
    const cs = consumers[t];
    const ins = inputs[b];
    if (cs.length <= ins.length ? !cs.includes(b) : !ins.includes(t)) {
      cs.push(b);
      inputs[b].push(t);
    }
  }
  const tensorSum = new Float64Array(n);
  for (let t = 0; t < producer.length; t++) tensorSum[producer[t]] += bytes[t];
  const nodeOutBytes = new Float64Array(n);
  graph.nodes.forEach((node, i) => {
    let declared = 0;
    for (const o of node.outputs) declared += o.bytes;
    nodeOutBytes[i] = Math.max(declared, tensorSum[i]);
  });
  return {
    producer: Int32Array.from(producer),
    name,
    bytes: Float64Array.from(bytes),
    transferBytes: Float64Array.from(transferBytes),
    costUs: Float64Array.from(costUs),
    consumers,
    inputs,
    nodeOutBytes,
  };
}

/** Relative tolerance for comparing floating-point times. */
export const TIME_EPS = 1e-6;
export const timeTol = (t: number) => TIME_EPS * Math.max(1, Math.abs(t));
