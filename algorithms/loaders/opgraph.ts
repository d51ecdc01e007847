// opplace's own graph format, `*.opgraph.json`, version 1 — documented by schema/opgraph.schema.json.
// It is the OpGraph of algorithms/graph.ts as JSON, plus a format tag and a version, so profilers
// and generators can hand opplace measured times and memory. Optional fields take defaults
// (namespace [], computeUs 0, outputs [] …); unknown fields are errors so typos do not pass silently.
import { OpplaceError } from '../errors';
import { baseName } from '../text';
import { OpBody, OpBodyBranch, OpBodyOp, OpEdge, OpGraph, OpNode, SymbolicDim, TensorDim, TensorInfo } from '../graph';
import type { LoadOptions } from './types';
import { describeJson, fieldError, isJsonObject, jsonDepth, JsonObject, JsonPlace, MAX_JSON_DEPTH, missingField, parseJsonBytes } from './jsonText';
import { setOwn } from '../records';

export const OPGRAPH_FORMAT = 'opgraph';
export const OPGRAPH_VERSION = 1;

type Json = unknown;
type Obj = JsonObject;
type Shape = TensorDim[] | null;

const TOP_KEYS = ['$schema', 'format', 'version', 'name', 'nodes', 'edges', 'warnings', 'stats', 'tensors', 'symbolicDims', 'meta'];
const NODE_KEYS = [
  'id',
  'name',
  'opType',
  'namespace',
  'computeUs',
  'persistentBytes',
  'temporaryBytes',
  'outputs',
  'colocationGroup',
  'flops',
  'memoryAccessBytes',
  'parameterCount',
  'modulePath',
  'isBackward',
  'foldedNodes',
  'body',
];
const TENSOR_KEYS = ['name', 'bytes', 'shape', 'dtype'];
const EDGE_KEYS = ['from', 'to', 'tensor', 'bytes', 'heldBytes', 'costUs'];

function checkKeys(obj: Obj, allowed: string[], p: JsonPlace): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new OpplaceError(`${p.where}: unknown field "${k}" (allowed: ${allowed.join(', ')})`, { file: p.file, node: p.node });
    }
  }
}

function str(obj: Obj, field: string, p: JsonPlace, dflt?: string): string {
  const v = obj[field];
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    missingField(p, field);
  }
  if (typeof v !== 'string') fieldError(p, field, 'a string', v);
  return v;
}

function nonEmptyStr(obj: Obj, field: string, p: JsonPlace, dflt?: string): string {
  const s = str(obj, field, p, dflt);
  if (s === '') fieldError(p, field, 'a non-empty string', s);
  return s;
}

function optStr(obj: Obj, field: string, p: JsonPlace): string | undefined {
  return obj[field] === undefined ? undefined : str(obj, field, p);
}

function num(obj: Obj, field: string, p: JsonPlace, dflt: number): number;
function num(obj: Obj, field: string, p: JsonPlace, dflt?: number): number | undefined;
function num(obj: Obj, field: string, p: JsonPlace, dflt?: number): number | undefined {
  const v = obj[field];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fieldError(p, field, 'a number ≥ 0', v);
  return v;
}

function int(obj: Obj, field: string, p: JsonPlace): number | undefined {
  const v = num(obj, field, p);
  if (v !== undefined && !Number.isInteger(v)) fieldError(p, field, 'an integer ≥ 0', v);
  return v;
}

function shapeOf(v: Json, field: string, p: JsonPlace): Shape {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) fieldError(p, field, 'an array of integers (null for an unknown dim, a string for a symbolic one) or null', v);
  return v.map((d, i) => {
    if (d === null) return null;
    if (typeof d === 'string' && d.length > 0) return d; // a symbolic dim ("seq", "2*seq")
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      fieldError(p, `${field}[${i}]`, 'an integer ≥ 0, a symbolic dim (a non-empty string) or null', d);
    return d;
  });
}

function strings(v: Json, field: string, p: JsonPlace): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fieldError(p, field, 'an array of strings', v);
  return v as string[];
}

function objectAt(v: Json, p: JsonPlace, keys: string[]): Obj {
  if (!isJsonObject(v)) throw new OpplaceError(`${p.where}: expected an object, got ${describeJson(v)}`, { file: p.file, node: p.node });
  checkKeys(v, keys, p);
  return v;
}

const BODY_OP_TYPES = ['If', 'Loop', 'Scan'];

/** A control-flow op's body summary (graph.ts OpBody), checked field by field. */
function parseBody(raw: Json, p: JsonPlace): OpBody {
  const o = objectAt(raw, p, ['opType', 'branches', 'countedBranch', 'trips']);
  const opType = str(o, 'opType', p);
  if (!BODY_OP_TYPES.includes(opType)) fieldError(p, 'opType', `one of ${BODY_OP_TYPES.join(', ')}`, opType);
  if (!Array.isArray(o.branches)) fieldError(p, 'branches', 'an array', o.branches);
  const body: OpBody = { opType: opType as OpBody['opType'], branches: o.branches.map((b, k) => parseBranch(b, { ...p, where: `${p.where} branch #${k}` })) };
  const counted = int(o, 'countedBranch', p);
  if (counted !== undefined) body.countedBranch = counted;
  if (o.trips === null) body.trips = null;
  else {
    const trips = int(o, 'trips', p);
    if (trips !== undefined) body.trips = trips;
  }
  return body;
}

function parseBranch(raw: Json, p: JsonPlace): OpBodyBranch {
  const o = objectAt(raw, p, ['name', 'flops', 'ops', 'omittedOps']);
  if (!Array.isArray(o.ops)) fieldError(p, 'ops', 'an array', o.ops);
  const branch: OpBodyBranch = {
    name: str(o, 'name', p),
    flops: num(o, 'flops', p, 0),
    ops: o.ops.map((op, k): OpBodyOp => {
      const q = { ...p, where: `${p.where} op #${k}` };
      const x = objectAt(op, q, ['name', 'opType', 'flops', 'inputs']);
      const inputs = x.inputs ?? [];
      if (!Array.isArray(inputs) || inputs.some((i) => typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= k))
        fieldError(q, 'inputs', 'an array of indices of earlier ops', inputs);
      return { name: str(x, 'name', q), opType: str(x, 'opType', q), flops: num(x, 'flops', q, 0), inputs: inputs as number[] };
    }),
  };
  const omitted = int(o, 'omittedOps', p);
  if (omitted !== undefined) branch.omittedOps = omitted;
  return branch;
}

function parseSymbolicDims(raw: Json, file: string): SymbolicDim[] {
  const top: JsonPlace = { file, where: 'top level' };
  if (!Array.isArray(raw)) fieldError(top, 'symbolicDims', 'an array', raw);
  return raw.map((d, k) => {
    const p: JsonPlace = { file, where: `symbolicDims #${k}` };
    const o = objectAt(d, p, ['name', 'inputs', 'value']);
    const value = o.value === null ? null : int(o, 'value', p);
    if (value === undefined) missingField(p, 'value');
    return { name: nonEmptyStr(o, 'name', p), inputs: strings(o.inputs ?? [], 'inputs', p), value };
  });
}

function parseTensor(raw: Json, p: JsonPlace): TensorInfo {
  if (!isJsonObject(raw)) throw new OpplaceError(`${p.where}: expected an object, got ${describeJson(raw)}`, { file: p.file, node: p.node });
  checkKeys(raw, TENSOR_KEYS, p);
  const t: TensorInfo = { name: nonEmptyStr(raw, 'name', p), bytes: 0, shape: shapeOf(raw.shape, 'shape', p) };
  const bytes = num(raw, 'bytes', p);
  if (bytes === undefined) missingField(p, 'bytes');
  t.bytes = bytes;
  const dtype = optStr(raw, 'dtype', p);
  if (dtype !== undefined) t.dtype = dtype;
  return t;
}

function parseNode(raw: Json, i: number, file: string): OpNode {
  if (!isJsonObject(raw)) throw new OpplaceError(`node #${i}: expected an object, got ${describeJson(raw)}`, { file });
  const id = nonEmptyStr(raw, 'id', { file, where: `node #${i}` });
  const p: JsonPlace = { file, where: `node #${i}`, node: id };
  checkKeys(raw, NODE_KEYS, p);
  const namespace = raw.namespace ?? [];
  if (!Array.isArray(namespace) || namespace.some((s) => typeof s !== 'string')) fieldError(p, 'namespace', 'an array of strings', namespace);
  const outputsRaw = raw.outputs ?? [];
  if (!Array.isArray(outputsRaw)) fieldError(p, 'outputs', 'an array', outputsRaw);
  const node: OpNode = {
    id,
    name: str(raw, 'name', p, id),
    opType: str(raw, 'opType', p, 'Op'),
    namespace: namespace as string[],
    computeUs: num(raw, 'computeUs', p, 0),
    persistentBytes: num(raw, 'persistentBytes', p, 0),
    temporaryBytes: num(raw, 'temporaryBytes', p, 0),
    outputs: outputsRaw.map((t, k) => parseTensor(t, { ...p, where: `node #${i} output #${k}` })),
  };
  const names = new Set<string>();
  for (const t of node.outputs) {
    if (names.has(t.name)) throw new OpplaceError(`node #${i}: two outputs are named "${t.name}"`, { file, node: id });
    names.add(t.name);
  }
  const group = optStr(raw, 'colocationGroup', p);
  if (group !== undefined) node.colocationGroup = group;
  const flops = num(raw, 'flops', p);
  if (flops !== undefined) node.flops = flops;
  const mem = num(raw, 'memoryAccessBytes', p);
  if (mem !== undefined) node.memoryAccessBytes = mem;
  const params = int(raw, 'parameterCount', p);
  if (params !== undefined) node.parameterCount = params;
  const modulePath = optStr(raw, 'modulePath', p);
  if (modulePath !== undefined) node.modulePath = modulePath;
  const backward = raw.isBackward;
  if (backward !== undefined && typeof backward !== 'boolean') fieldError(p, 'isBackward', 'true or false', backward);
  if (backward !== undefined) node.isBackward = backward;
  if (raw.foldedNodes !== undefined) node.foldedNodes = strings(raw.foldedNodes, 'foldedNodes', p);
  if (raw.body !== undefined) node.body = parseBody(raw.body, { ...p, where: `node #${i} body` });
  return node;
}

function parseEdge(raw: Json, k: number, file: string, nodes: Map<string, OpNode>): OpEdge {
  if (!isJsonObject(raw)) throw new OpplaceError(`edge #${k}: expected an object, got ${describeJson(raw)}`, { file });
  const p0: JsonPlace = { file, where: `edge #${k}` };
  checkKeys(raw, EDGE_KEYS, p0);
  const from = nonEmptyStr(raw, 'from', p0);
  const to = nonEmptyStr(raw, 'to', p0);
  const p: JsonPlace = { file, where: `edge #${k} (${from} → ${to})`, node: from };
  const src = nodes.get(from);
  if (!src) throw new OpplaceError(`${p.where}: "from" names a missing node "${from}"`, { file });
  if (!nodes.has(to)) throw new OpplaceError(`${p.where}: "to" names a missing node "${to}"`, { file, node: from });
  const tensor = nonEmptyStr(raw, 'tensor', p, src.outputs[0]?.name ?? from);
  const declared = src.outputs.find((t) => t.name === tensor);
  const bytes = num(raw, 'bytes', p, declared?.bytes ?? 0);
  const heldBytes = num(raw, 'heldBytes', p);
  const costUs = num(raw, 'costUs', p);
  return { from, to, tensor, bytes, ...(heldBytes !== undefined ? { heldBytes } : {}), ...(costUs !== undefined ? { costUs } : {}) };
}

/** Adds an output slot for every edge tensor its producer does not list (bytes = largest edge). */
function addImpliedOutputs(nodes: Map<string, OpNode>, edges: OpEdge[]): void {
  const implied = new Map<string, TensorInfo>(); // `${from}\u0000${tensor}` → slot added here
  for (const e of edges) {
    const src = nodes.get(e.from)!;
    const key = `${e.from}\u0000${e.tensor}`;
    const added = implied.get(key);
    if (added) added.bytes = Math.max(added.bytes, e.bytes);
    else if (!src.outputs.some((t) => t.name === e.tensor)) {
      const slot: TensorInfo = { name: e.tensor, bytes: e.bytes, shape: null };
      src.outputs.push(slot);
      implied.set(key, slot);
    }
  }
}

function parseTensorsMap(raw: Json, file: string): Record<string, Shape> {
  if (!isJsonObject(raw)) fieldError({ file, where: 'top level' }, 'tensors', 'an object (tensor name → shape)', raw);
  const out: Record<string, Shape> = {};
  for (const [name, dims] of Object.entries(raw)) setOwn(out, name, shapeOf(dims, `tensors["${name}"]`, { file, where: 'top level' }));
  return out;
}

function graphNameOf(fileName: string): string {
  return baseName(fileName)
    .replace(/\.opgraph\.json$/i, '')
    .replace(/\.json$/i, '');
}

/** Validates and converts a parsed JSON document (already `JSON.parse`d) into an OpGraph. */
export function opgraphFromJson(doc: Json, fileName: string): OpGraph {
  const file = fileName;
  const top: JsonPlace = { file, where: 'top level' };
  if (!isJsonObject(doc)) throw new OpplaceError(`expected a JSON object {"format": "opgraph", …}, got ${describeJson(doc)}`, { file });
  if (doc.format !== OPGRAPH_FORMAT) {
    throw new OpplaceError(`field "format" must be "opgraph", got ${doc.format === undefined ? 'nothing' : describeJson(doc.format)}`, { file });
  }
  if (doc.version === undefined) throw new OpplaceError('missing field "version" (this opplace reads version 1)', { file });
  if (typeof doc.version !== 'number' || !Number.isInteger(doc.version)) fieldError(top, 'version', 'an integer', doc.version);
  if (doc.version !== OPGRAPH_VERSION) {
    const why = doc.version > OPGRAPH_VERSION ? 'written by a newer opplace' : 'unknown version';
    throw new OpplaceError(`opgraph version ${doc.version} (${why}); this opplace reads version ${OPGRAPH_VERSION}`, { file });
  }
  checkKeys(doc, TOP_KEYS, top);
  if (!Array.isArray(doc.nodes)) fieldError(top, 'nodes', 'an array', doc.nodes);
  if (!Array.isArray(doc.edges)) fieldError(top, 'edges', 'an array', doc.edges);

  const nodes = doc.nodes.map((n, i) => parseNode(n, i, file));
  const byId = new Map<string, OpNode>();
  nodes.forEach((n, i) => {
    if (byId.has(n.id)) throw new OpplaceError(`node #${i}: duplicate node id "${n.id}"`, { file, node: n.id });
    byId.set(n.id, n);
  });
  const edges = doc.edges.map((e, k) => parseEdge(e, k, file, byId));
  addImpliedOutputs(byId, edges);

  const graph: OpGraph = { name: str(doc, 'name', top, graphNameOf(fileName)), nodes, edges, warnings: [], source: { file, format: 'opgraph' } };
  if (doc.warnings !== undefined) {
    if (!Array.isArray(doc.warnings) || doc.warnings.some((w) => typeof w !== 'string')) fieldError(top, 'warnings', 'an array of strings', doc.warnings);
    graph.warnings = [...(doc.warnings as string[])];
  }
  if (doc.stats !== undefined) {
    if (!isJsonObject(doc.stats)) fieldError(top, 'stats', 'an object', doc.stats);
    const p: JsonPlace = { file, where: 'stats' };
    checkKeys(doc.stats, ['parameterCount', 'parameterBytes', 'folded'], p);
    graph.stats = {};
    const pc = int(doc.stats, 'parameterCount', p);
    if (pc !== undefined) graph.stats.parameterCount = pc;
    const pb = num(doc.stats, 'parameterBytes', p);
    if (pb !== undefined) graph.stats.parameterBytes = pb;
    if (doc.stats.folded !== undefined) {
      const q: JsonPlace = { file, where: 'stats.folded' };
      const f = objectAt(doc.stats.folded, q, ['weights', 'constants', 'casts']);
      graph.stats.folded = { weights: int(f, 'weights', q) ?? 0, constants: int(f, 'constants', q) ?? 0, casts: int(f, 'casts', q) ?? 0 };
    }
  }
  if (doc.tensors !== undefined) graph.tensors = parseTensorsMap(doc.tensors, file);
  if (doc.symbolicDims !== undefined) graph.symbolicDims = parseSymbolicDims(doc.symbolicDims, file);
  if (doc.meta !== undefined) {
    if (!isJsonObject(doc.meta)) fieldError(top, 'meta', 'an object', doc.meta);
    if (jsonDepth(doc.meta, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
      throw new OpplaceError(`field "meta" is nested more than ${MAX_JSON_DEPTH} levels deep`, { file });
    graph.meta = doc.meta;
  }
  return graph;
}

export function parseOpgraph(bytes: Uint8Array, fileName: string, _options: LoadOptions = {}): OpGraph {
  return opgraphFromJson(parseJsonBytes(bytes, fileName), fileName);
}

// ---- writing ----

function tensorJson(t: TensorInfo): Obj {
  const o: Obj = { name: t.name, bytes: t.bytes, shape: t.shape };
  if (t.dtype !== undefined) o.dtype = t.dtype;
  return o;
}

function nodeJson(n: OpNode): Obj {
  // Fixed key order (the schema's), optional fields only when set: same graph → same bytes.
  const o: Obj = {
    id: n.id,
    name: n.name,
    opType: n.opType,
    namespace: n.namespace,
    computeUs: n.computeUs,
    persistentBytes: n.persistentBytes,
    temporaryBytes: n.temporaryBytes,
    outputs: n.outputs.map(tensorJson),
  };
  if (n.colocationGroup !== undefined) o.colocationGroup = n.colocationGroup;
  if (n.flops !== undefined) o.flops = n.flops;
  if (n.memoryAccessBytes !== undefined) o.memoryAccessBytes = n.memoryAccessBytes;
  if (n.parameterCount !== undefined) o.parameterCount = n.parameterCount;
  if (n.modulePath !== undefined) o.modulePath = n.modulePath;
  if (n.isBackward !== undefined) o.isBackward = n.isBackward;
  if (n.foldedNodes !== undefined) o.foldedNodes = n.foldedNodes;
  if (n.body !== undefined) o.body = bodyJson(n.body);
  return o;
}

/** The body in the schema's key order (same graph → same bytes). */
function bodyJson(b: OpBody): Obj {
  const o: Obj = {
    opType: b.opType,
    branches: b.branches.map((br) => ({
      name: br.name,
      flops: br.flops,
      ops: br.ops.map((op) => ({ name: op.name, opType: op.opType, flops: op.flops, inputs: op.inputs })),
      ...(br.omittedOps !== undefined ? { omittedOps: br.omittedOps } : {}),
    })),
  };
  if (b.countedBranch !== undefined) o.countedBranch = b.countedBranch;
  if (b.trips !== undefined) o.trips = b.trips;
  return o;
}

function checkFinite(graph: OpGraph): void {
  // JSON has no NaN/Infinity (JSON.stringify would write null); refuse instead of writing a bad file.
  for (const n of graph.nodes) {
    for (const [k, v] of Object.entries(n)) {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new OpplaceError(`cannot write ${k} = ${v} to an opgraph file`, { node: n.id });
    }
    for (const t of n.outputs) if (!Number.isFinite(t.bytes)) throw new OpplaceError(`cannot write output "${t.name}" with ${t.bytes} bytes`, { node: n.id });
  }
  for (const e of graph.edges)
    if (!Number.isFinite(e.bytes)) throw new OpplaceError(`cannot write edge ${e.from} → ${e.to} with ${e.bytes} bytes`, { node: e.from });
}

/**
 * Writes a graph as an opgraph v1 document: deterministic (fixed key order, graph order kept),
 * one node or edge per line so files diff well. `source` is not written (it is where the graph was
 * read from, not part of it).
 */
export function serializeOpgraph(graph: OpGraph): string {
  checkFinite(graph);
  const lines: string[] = ['{', `  "format": "${OPGRAPH_FORMAT}",`, `  "version": ${OPGRAPH_VERSION},`, `  "name": ${JSON.stringify(graph.name)},`];
  const list = (key: string, items: Obj[], last: boolean) => {
    if (items.length === 0) lines.push(`  "${key}": []${last ? '' : ','}`);
    else {
      lines.push(`  "${key}": [`);
      items.forEach((it, i) => lines.push(`    ${JSON.stringify(it)}${i < items.length - 1 ? ',' : ''}`));
      lines.push(`  ]${last ? '' : ','}`);
    }
  };
  const extras: [string, Json][] = [];
  if (graph.warnings.length) extras.push(['warnings', graph.warnings]);
  if (graph.stats) extras.push(['stats', graph.stats]);
  if (graph.tensors) extras.push(['tensors', graph.tensors]);
  if (graph.symbolicDims) extras.push(['symbolicDims', graph.symbolicDims]);
  if (graph.meta) extras.push(['meta', graph.meta]);
  list('nodes', graph.nodes.map(nodeJson), false);
  list(
    'edges',
    graph.edges.map((e) => ({
      from: e.from,
      to: e.to,
      tensor: e.tensor,
      bytes: e.bytes,
      ...(e.heldBytes !== undefined ? { heldBytes: e.heldBytes } : {}),
      ...(e.costUs !== undefined ? { costUs: e.costUs } : {}),
    })),
    extras.length === 0,
  );
  extras.forEach(([k, v], i) => lines.push(`  "${k}": ${JSON.stringify(v)}${i < extras.length - 1 ? ',' : ''}`));
  lines.push('}');
  return lines.join('\n') + '\n';
}
