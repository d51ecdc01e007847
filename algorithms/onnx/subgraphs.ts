// If / Loop / Scan bodies (issue 11 §3): the work and the weights of a control-flow op's subgraphs,
// counted into the op, which stays one node of the placed graph. Silero VAD v5 keeps its whole
// network in If branches: counting only the top level gave `persistent 8 B` and 0 FLOPs.
// - Weights: every initializer and Constant node of every body (both If branches: both are
//   stored), at the width the caller's `bytesOf` gives; never multiplied by a trip count.
// - FLOPs and bytes moved: If = its larger branch (by FLOPs); Loop = one iteration × the trip
//   count when it is a constant, else one iteration (the op is listed in `unknownTrips`, nested
//   ones too, so the loader names it in a warning); Scan = one iteration × the scan inputs'
//   length along their scan axis, when known.
// - Output shapes: If's where both branches agree; Loop's and Scan's carried values as the body
//   gives them after one iteration, their scan outputs with the iteration count prepended
//   (Scan: inserted at its scan_output_axes).
// - A summary of each body goes on the op (OpNode.body) for the viewer: every op's name, type and
//   FLOPs for one run of the body, the If branch counted, the trip count (capped at MAX_BODY_OPS
//   ops a body: the viewer draws them all when the op is expanded).
// Bodies are evaluated in file order (ONNX requires a subgraph's nodes to be topologically sorted);
// a tensor not yet known reads as unknown. Carried values drop their constant contents, which
// change from one iteration to the next.
import type { OpBody, OpBodyBranch, OpBodyOp } from '../graph';
import { holdsParameters } from './dtypes';
import { opCost } from './cost';
import { inferNode } from './infer';
import { OnnxGraph, OnnxNode, OnnxValueInfo, hasField, int64ToNumber } from './proto';
import { Attrs, tensorDims, tensorValues } from './tensorData';
import { Shape, TensorMeta, cleanDim, normAxis, numDim, numel } from './values';

export const BODY_OPS = new Set(['If', 'Loop', 'Scan']);

/** Most ops a body's summary lists (the rest are counted in `omittedOps`; their FLOPs are in the branch's). */
export const MAX_BODY_OPS = 200;

export interface BodyEnv {
  opset: number;
  /** Bytes of a tensor (0 when its size is unknown): the loader's own measure. */
  bytesOf(meta: TensorMeta): number;
}

export interface BodyCost {
  flops: number;
  memoryAccessBytes: number;
  /** Bytes of the bodies' initializers and Constant nodes (every weight, at its stored width). */
  weightBytes: number;
  /** Elements of those weights whose type holds parameters (see holdsParameters). */
  parameterCount: number;
  /** Bytes of those parameter-holding weights. */
  parameterBytes: number;
  /** Loop/Scan nodes (this one or nested) whose iteration count is unknown: their body counted once. */
  unknownTrips: string[];
}

export interface BodyOpResult extends BodyCost {
  outputs: TensorMeta[];
  /** What the viewer shows of the bodies (see OpBody). */
  summary: OpBody;
}

type Lookup = (name: string) => TensorMeta | undefined;

const zero = (): BodyCost => ({ flops: 0, memoryAccessBytes: 0, weightBytes: 0, parameterCount: 0, parameterBytes: 0, unknownTrips: [] });
const unknownMeta = (dtype = 0): TensorMeta => ({ shape: null, dtype });
/** A value that changes between iterations: its shape and type, not its contents. */
const varying = (m: TensorMeta | undefined): TensorMeta => ({ shape: m?.shape ?? null, dtype: m?.dtype ?? 0 });

function addInto(total: BodyCost, c: BodyCost, times = 1): void {
  total.flops += c.flops * times;
  total.memoryAccessBytes += c.memoryAccessBytes * times;
  total.weightBytes += c.weightBytes;
  total.parameterCount += c.parameterCount;
  total.parameterBytes += c.parameterBytes;
  total.unknownTrips.push(...c.unknownTrips);
}

function graphAttr(node: OnnxNode, name: string): OnnxGraph | undefined {
  return node.attribute?.find((a) => a.name === name)?.g;
}

function declaredMeta(vi: OnnxValueInfo | undefined): TensorMeta {
  const tt = vi?.type?.tensor_type;
  if (!tt) return unknownMeta();
  if (!tt.shape) return unknownMeta(tt.elem_type ?? 0);
  return { shape: (tt.shape.dim ?? []).map((d) => (hasField(d, 'dim_value') ? cleanDim(int64ToNumber(d.dim_value)) : null)), dtype: tt.elem_type ?? 0 };
}

/** Inferred where known, the declared type's dims and dtype where not. */
function orDeclared(m: TensorMeta | undefined, vi: OnnxValueInfo | undefined): TensorMeta {
  const d = declaredMeta(vi);
  if (!m || !m.shape) return { ...(m ?? {}), shape: d.shape, dtype: m?.dtype || d.dtype };
  const shape = d.shape && d.shape.length === m.shape.length ? m.shape.map((x, k) => x ?? d.shape![k]) : m.shape;
  return { ...m, shape, dtype: m.dtype || d.dtype };
}

function addWeight(cost: BodyCost, meta: TensorMeta, env: BodyEnv): void {
  const bytes = env.bytesOf(meta);
  cost.weightBytes += bytes;
  if (!holdsParameters(meta.dtype)) return;
  cost.parameterCount += numel(meta.shape) ?? 0;
  cost.parameterBytes += bytes;
}

interface BodyPass {
  outputs: TensorMeta[];
  cost: BodyCost;
  ops: OpBodyOp[];
}

/** Ops listed in a body's summary: the FLOPs of each, and which earlier listed op feeds it. */
class OpList {
  readonly ops: OpBodyOp[] = [];
  omitted = 0;
  private readonly producer = new Map<string, number>();

  add(node: OnnxNode, position: number, flops: number): void {
    if (this.ops.length >= MAX_BODY_OPS) {
      this.omitted++;
      return;
    }
    const inputs = [...new Set((node.input ?? []).map((x) => this.producer.get(x)).filter((k): k is number => k !== undefined))];
    for (const out of node.output ?? []) if (out) this.producer.set(out, this.ops.length);
    this.ops.push({ name: node.name || `${node.op_type ?? '?'}_${position}`, opType: node.op_type ?? '?', flops, inputs });
  }
}

function branchSummary(name: string, pass: BodyPass & { omitted?: number }): OpBodyBranch {
  return { name, flops: pass.cost.flops, ops: pass.ops, ...(pass.omitted ? { omittedOps: pass.omitted } : {}) };
}

/** One pass over a body: its outputs' metas, what it costs and its ops, given the metas of its inputs. */
function evalBody(g: OnnxGraph | undefined, inputs: TensorMeta[], outer: Lookup, env: BodyEnv): BodyPass & { omitted: number } {
  const cost = zero();
  const list = new OpList();
  if (!g) return { outputs: [], cost, ops: list.ops, omitted: 0 };
  const scope = new Map<string, TensorMeta>();
  const lookup: Lookup = (name) => scope.get(name) ?? outer(name);
  for (const t of g.initializer ?? []) {
    const dims = tensorDims(t);
    const value = tensorValues(t);
    const meta: TensorMeta = { shape: dims, dtype: t.data_type ?? 0, ...(value ? { value } : {}) };
    if (t.name) scope.set(t.name, meta);
    addWeight(cost, meta, env);
  }
  (g.input ?? []).forEach((vi, k) => {
    if (vi.name) scope.set(vi.name, orDeclared(inputs[k], vi));
  });
  (g.node ?? []).forEach((node, position) => {
    const ins = (node.input ?? []).map((x) => (x ? (lookup(x) ?? unknownMeta()) : undefined));
    const outs = node.output ?? [];
    const domain = node.domain ?? '';
    let metas: TensorMeta[];
    if (domain !== '' && domain !== 'ai.onnx') {
      metas = outs.map(() => unknownMeta());
      list.add(node, position, 0);
    } else if (BODY_OPS.has(node.op_type ?? '')) {
      const r = bodyOp(node, ins, lookup, env);
      addInto(cost, r);
      metas = r.outputs;
      list.add(node, position, r.flops);
    } else {
      const attrs = new Attrs(node);
      metas = inferNode({ opType: node.op_type ?? '', attrs, inputs: ins, nOutputs: outs.length, opset: env.opset }).outputs;
      if (node.op_type === 'Constant' && ins.length === 0) {
        if (metas[0]) addWeight(cost, metas[0], env);
      } else {
        const c = opCost({
          opType: node.op_type ?? '',
          attrs,
          inputs: ins.map((m) => (m ? m.shape : undefined)),
          outputs: metas.map((m) => m.shape),
          inputBytes: ins.map((m) => (m ? env.bytesOf(m) : 0)),
          outputBytes: metas.map((m) => env.bytesOf(m)),
        });
        cost.flops += c.flops;
        cost.memoryAccessBytes += c.memoryAccessBytes;
        list.add(node, position, c.flops);
      }
    }
    outs.forEach((name, k) => {
      if (name) scope.set(name, metas[k] ?? unknownMeta());
    });
  });
  const outputs = (g.output ?? []).map((vi) => orDeclared(vi.name ? lookup(vi.name) : undefined, vi));
  return { outputs, cost, ops: list.ops, omitted: list.omitted };
}

/** Dims both shapes agree on; null where they differ (If's outputs). */
function agree(a: TensorMeta | undefined, b: TensorMeta | undefined): TensorMeta {
  const dtype = a?.dtype || b?.dtype || 0;
  if (!a?.shape || !b?.shape || a.shape.length !== b.shape.length) return unknownMeta(dtype);
  return { shape: a.shape.map((d, k) => (d === b.shape![k] ? d : null)), dtype };
}

/** A scan output: the per-iteration shape with the iteration count inserted at `axis`. */
function stacked(m: TensorMeta | undefined, count: number | null, axis: number): TensorMeta {
  if (!m?.shape) return unknownMeta(m?.dtype ?? 0);
  const at = normAxis(axis, m.shape.length + 1);
  if (at === null) return unknownMeta(m.dtype);
  const shape: Shape = m.shape.slice();
  shape.splice(at, 0, count);
  return { shape, dtype: m.dtype };
}

/** The iteration count as a usable number, or null (absent, not constant, INT64_MAX "while" sentinel). */
function tripCount(m: TensorMeta | undefined): number | null {
  const v = m?.value?.[0];
  return v !== undefined && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

function nodeLabel(node: OnnxNode): string {
  return node.name || node.op_type || '?';
}

function ifOp(node: OnnxNode, outer: Lookup, env: BodyEnv): BodyOpResult {
  const a = evalBody(graphAttr(node, 'then_branch'), [], outer, env);
  const b = evalBody(graphAttr(node, 'else_branch'), [], outer, env);
  const big = b.cost.flops > a.cost.flops || (b.cost.flops === a.cost.flops && b.cost.memoryAccessBytes > a.cost.memoryAccessBytes) ? b : a;
  const cost: BodyCost = { ...zero(), flops: big.cost.flops, memoryAccessBytes: big.cost.memoryAccessBytes };
  // Both branches' weights are stored in the model, and both branches' unknown trips matter.
  for (const c of [a.cost, b.cost]) addInto(cost, { ...c, flops: 0, memoryAccessBytes: 0 });
  const outputs = (node.output ?? []).map((_, k) => agree(a.outputs[k], b.outputs[k]));
  const summary: OpBody = { opType: 'If', branches: [branchSummary('then_branch', a), branchSummary('else_branch', b)], countedBranch: big === a ? 0 : 1 };
  return { ...cost, outputs, summary };
}

function loopOp(node: OnnxNode, ins: (TensorMeta | undefined)[], outer: Lookup, env: BodyEnv): BodyOpResult {
  const carried = ins.slice(2).map(varying);
  const body = evalBody(graphAttr(node, 'body'), [{ shape: [], dtype: 7 }, { shape: [], dtype: 9 }, ...carried], outer, env);
  const trips = tripCount(ins[0]);
  const cost = zero();
  addInto(cost, body.cost, trips ?? 1);
  if (trips === null) cost.unknownTrips.unshift(nodeLabel(node));
  const n = carried.length;
  const outputs = (node.output ?? []).map((_, k) => (k < n ? varying(body.outputs[1 + k]) : stacked(body.outputs[1 + k], trips, 0)));
  return { ...cost, outputs, summary: { opType: 'Loop', branches: [branchSummary('body', body)], trips } };
}

function scanOp(node: OnnxNode, ins: (TensorMeta | undefined)[], outer: Lookup, env: BodyEnv): BodyOpResult {
  const attrs = new Attrs(node);
  const m = attrs.int('num_scan_inputs', 0);
  // Scan-8 has a leading sequence_lens input and a batch axis: its inputs are not laid out as below.
  const n = env.opset >= 9 ? ins.length - m : -1;
  if (n < 0 || m < 1) {
    const body = evalBody(graphAttr(node, 'body'), [], outer, env);
    return {
      ...body.cost,
      unknownTrips: [nodeLabel(node), ...body.cost.unknownTrips],
      outputs: (node.output ?? []).map(() => unknownMeta()),
      summary: { opType: 'Scan', branches: [branchSummary('body', body)], trips: null },
    };
  }
  const inAxes = attrs.ints('scan_input_axes') ?? [];
  const outAxes = attrs.ints('scan_output_axes') ?? [];
  let length: number | null = null;
  const slices = ins.slice(n).map((x, j) => {
    if (!x?.shape) return unknownMeta(x?.dtype ?? 0);
    const axis = normAxis(inAxes[j] ?? 0, x.shape.length);
    if (axis === null) return unknownMeta(x.dtype);
    if (length === null) length = numDim(x.shape[axis]);
    return { shape: x.shape.filter((_, k) => k !== axis), dtype: x.dtype };
  });
  const body = evalBody(graphAttr(node, 'body'), [...ins.slice(0, n).map(varying), ...slices], outer, env);
  const cost = zero();
  addInto(cost, body.cost, length ?? 1);
  if (length === null) cost.unknownTrips.unshift(nodeLabel(node));
  const outputs = (node.output ?? []).map((_, k) => (k < n ? varying(body.outputs[k]) : stacked(body.outputs[k], length, outAxes[k - n] ?? 0)));
  return { ...cost, outputs, summary: { opType: 'Scan', branches: [branchSummary('body', body)], trips: length } };
}

/** The outputs and the cost of the bodies of an If, Loop or Scan node (`BODY_OPS`). */
export function bodyOp(node: OnnxNode, ins: (TensorMeta | undefined)[], outer: Lookup, env: BodyEnv): BodyOpResult {
  if (node.op_type === 'If') return ifOp(node, outer, env);
  if (node.op_type === 'Loop') return loopOp(node, ins, outer, env);
  return scanOp(node, ins, outer, env);
}
