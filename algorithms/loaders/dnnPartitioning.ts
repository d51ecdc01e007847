// Loader for the JSON graphs of "Efficient Algorithms for Device Placement of DNN Graph Operators"
// (NeurIPS 2020, data/dnn-partitioning). Node: {id, name, fpgaLatency (ms), size (bytes),
// isBackwardNode, colorClass?, …}; edge: {sourceId, destId, cost (ms), size? (bytes)}; cost → costUs.
// Mapping: id → id (as a string), fpgaLatency ms → computeUs, colorClass → colocationGroup, and the
// paper's memory model: a node's `size` is all the memory it takes on an accelerator, held for the
// step (→ persistentBytes); an edge's `size` only costs transfer time (OpEdge.bytes with
// heldBytes 0, so no output activation is counted a second time), its `cost` → costUs.
// `maxFPGAs` × `maxSizePerFPGA` are the file's own devices and memory (fileDefaults).
import { OpplaceError } from '../errors';
import { baseName } from '../text';
import { OpEdge, OpGraph, OpNode } from '../graph';
import type { LoadOptions } from './types';
import { describeJson, fieldError, isJsonObject, JsonObject, JsonPlace, missingField, parseJsonBytes } from './jsonText';

/** The single output tensor of node `id` (edges from it carry this name). */
export const dnnTensorName = (id: string) => `t${id}`;

type Json = unknown;

function graphNameOf(fileName: string): string {
  return baseName(fileName).replace(/\.json$/i, '');
}

/**
 * Op type from the node name. Layer graphs name nodes `node12` / `node12grad`; operator graphs use
 * ONNX-runtime style names (`Reshape5`, `Gelu_3_Grad/GeluGrad_0`, `AdamOptimizer_…`) and lower-case
 * or numeric weight names (`bert.encoder…weight`, `gpu_0/res2_0_branch2a_w_0`, `99`).
 */
export function dnnOpType(name: string, isBackward: boolean): string {
  if (/^node\d+grad$/i.test(name)) return 'Backward';
  if (/^node\d+$/i.test(name)) return 'Layer';
  const grad = /_Grad\/([A-Za-z]+)/.exec(name);
  if (grad) return grad[1];
  const head = /^([A-Z][A-Za-z]*)/.exec(name);
  if (head) return head[1];
  // Lower-case or numeric names are initializers (weights) in these exports, e.g. `99`, `96_transposed`.
  if (/^[a-z0-9]/.test(name)) return 'Parameter';
  return isBackward ? 'Backward' : 'Op';
}

/** Namespace for grouping: dotted weight names and slash paths, without the last component. */
function dnnNamespace(name: string): string[] {
  if (name.includes('/')) return name.split('/').slice(0, -1);
  if (/^[a-z]/.test(name) && name.includes('.')) return name.split('.').slice(0, -1);
  return [];
}

function nonNegativeNumber(obj: JsonObject, field: string, ctx: JsonPlace, optional = false): number | undefined {
  const v = obj[field];
  if (v === undefined && optional) return undefined;
  if (v === undefined) missingField(ctx, field);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fieldError(ctx, field, 'a number ≥ 0', v);
  return v;
}

function integer(obj: JsonObject, field: string, ctx: JsonPlace, optional = false): number | undefined {
  const v = obj[field];
  if (v === undefined && optional) return undefined;
  if (v === undefined) missingField(ctx, field);
  if (typeof v !== 'number' || !Number.isInteger(v)) fieldError(ctx, field, 'an integer', v);
  return v;
}

/** `true`/`false` or 0/1, as the format allows both. */
function flag(obj: JsonObject, field: string, ctx: JsonPlace): boolean {
  const v = obj[field];
  if (v === undefined) return false;
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  return fieldError(ctx, field, 'true, false, 0 or 1', v);
}

/** The document with its "nodes" and "edges" arrays, or the error that says what the file is instead. */
function graphDocument(doc: Json, file: string): JsonObject & { nodes: Json[]; edges: Json[] } {
  if (!isJsonObject(doc)) throw new OpplaceError(`expected a JSON object with "nodes" and "edges", got ${describeJson(doc)}`, { file });
  if (doc.nodes === undefined && (Array.isArray(doc.fpgas) || Array.isArray(doc.cpus))) {
    // the data set ships these next to the graphs; they look alike but assign nodes, they are not a graph
    throw new OpplaceError(
      'this is a dnn-partitioning human-expert split (nodes per device), not a graph: place the matching graph from throughput-inputs/ or latency-inputs/',
      { file },
    );
  }
  if (!Array.isArray(doc.nodes)) throw new OpplaceError(`field "nodes" must be an array, got ${describeJson(doc.nodes)}`, { file });
  if (!Array.isArray(doc.edges)) throw new OpplaceError(`field "edges" must be an array, got ${describeJson(doc.edges)}`, { file });
  return doc as JsonObject & { nodes: Json[]; edges: Json[] };
}

/** What reading the nodes builds: the nodes, where each id was read (for duplicates and edge ends), the backward count. */
interface NodesRead {
  file: string;
  nodes: OpNode[];
  indexOf: Map<string, number>;
  backwardNodes: number;
}

function readNode(raw: Json, i: number, read: NodesRead): void {
  const { file, indexOf } = read;
  if (!isJsonObject(raw)) throw new OpplaceError(`node #${i}: expected an object, got ${describeJson(raw)}`, { file });
  const idNum = integer(raw, 'id', { file, where: `node #${i}` })!;
  const id = String(idNum);
  const ctx: JsonPlace = { file, where: `node #${i} (id ${id})`, node: id };
  if (indexOf.has(id)) throw new OpplaceError(`${ctx.where}: duplicate id (also node #${indexOf.get(id)})`, { file, node: id });
  const name = raw.name === undefined ? id : raw.name;
  if (typeof name !== 'string') fieldError(ctx, 'name', 'a string', name);
  const latencyMs = nonNegativeNumber(raw, 'fpgaLatency', ctx)!;
  const size = nonNegativeNumber(raw, 'size', ctx)!;
  const backward = flag(raw, 'isBackwardNode', ctx);
  if (backward) read.backwardNodes++;
  flag(raw, 'supportedOnFpga', ctx); // validated only: opplace places everything on accelerators
  const color = integer(raw, 'colorClass', ctx, true);
  const node: OpNode = {
    id,
    name,
    opType: dnnOpType(name, backward),
    namespace: dnnNamespace(name),
    computeUs: latencyMs * 1000,
    persistentBytes: size,
    temporaryBytes: 0,
    outputs: [],
    isBackward: backward,
  };
  if (color !== undefined) node.colocationGroup = String(color);
  indexOf.set(id, i);
  read.nodes.push(node);
}

function readEdge(raw: Json, k: number, read: NodesRead): OpEdge {
  const { file, indexOf } = read;
  if (!isJsonObject(raw)) throw new OpplaceError(`edge #${k}: expected an object, got ${describeJson(raw)}`, { file });
  const ctx: JsonPlace = { file, where: `edge #${k}` };
  const from = String(integer(raw, 'sourceId', ctx));
  const to = String(integer(raw, 'destId', ctx));
  const ectx: JsonPlace = { file, where: `edge #${k} (${from} → ${to})`, node: from };
  if (!indexOf.has(from)) throw new OpplaceError(`${ectx.where}: sourceId ${from} is not the id of any node`, { file });
  if (!indexOf.has(to)) throw new OpplaceError(`${ectx.where}: destId ${to} is not the id of any node`, { file });
  const costMs = nonNegativeNumber(raw, 'cost', ectx, true);
  // `size` is optional in the format (debug information); without it the edge carries 0 bytes.
  const size = nonNegativeNumber(raw, 'size', ectx, true) ?? 0;
  // `cost` (ms) is the paper's transfer time of the source's output: what `--comm file` charges
  return { from, to, tensor: dnnTensorName(from), bytes: size, heldBytes: 0, ...(costMs !== undefined ? { costUs: costMs * 1000 } : {}) };
}

/** The file's own device count and memory, and the backward-node count. */
function graphMeta(doc: JsonObject, backwardNodes: number): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const key of ['maxSizePerFPGA', 'maxFPGAs', 'maxCPUs']) {
    if (typeof doc[key] === 'number') meta[key] = doc[key];
  }
  // a training graph already: `--training` must not add a second backward pass (cli/placementArgs.ts)
  if (backwardNodes > 0) meta.backwardNodes = backwardNodes;
  return meta;
}

export function parseDnnPartitioning(bytes: Uint8Array, fileName: string, _options: LoadOptions = {}): OpGraph {
  const file = fileName;
  const doc = graphDocument(parseJsonBytes(bytes, file), file);
  const read: NodesRead = { file, nodes: [], indexOf: new Map(), backwardNodes: 0 };
  doc.nodes.forEach((raw, i) => readNode(raw, i, read));
  const edges = doc.edges.map((raw, k) => readEdge(raw, k, read));
  const producers = new Set(edges.map((e) => e.from));
  const { nodes } = read;
  for (const node of nodes) {
    // the output slot holds no memory of its own: the node's size already counts it
    if (producers.has(node.id)) node.outputs.push({ name: dnnTensorName(node.id), bytes: 0, shape: null });
  }
  return { name: graphNameOf(fileName), nodes, edges, warnings: [], source: { file, format: 'dnn-partitioning' }, meta: graphMeta(doc, read.backwardNodes) };
}

/** Devices and memory per device the file itself sets (dnn-partitioning `maxFPGAs`, `maxSizePerFPGA`), for front ends to default to. */
export function fileDefaults(graph: OpGraph): { devices?: number; memoryBytes?: number } {
  const meta = graph.meta ?? {};
  const devices = meta.maxFPGAs;
  const memory = meta.maxSizePerFPGA;
  return {
    ...(typeof devices === 'number' && Number.isInteger(devices) && devices >= 1 ? { devices } : {}),
    ...(typeof memory === 'number' && Number.isFinite(memory) && memory > 0 ? { memoryBytes: memory } : {}),
  };
}
