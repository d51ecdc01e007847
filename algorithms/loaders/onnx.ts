// ONNX loader: ModelProto bytes → OpGraph with inferred shapes, weights and per-op cost inputs.
//
// Decisions (issue 2 §2–3):
// - Weights are initializers (also external-data ones: dims only, the data file is never opened),
//   `Constant` nodes, and `ConstantOfShape` nodes whose shape input is itself constant (the
//   onnx-light pattern: an int64 `*__SHAPE` initializer), and `Identity` of a weight (PyTorch's
//   deduplicated initializers: an alias of the same storage). These weight-producing nodes are folded
//   away: they are not graph nodes and no edge leaves them; the tensors they make are held as
//   weights. A ConstantOfShape fed by a computed shape stays a normal node.
// - A weight's bytes are `persistentBytes` of the first graph node (in file order) that consumes
//   it. A large floating weight consumed by several nodes (tied embeddings) puts all of them in one
//   colocation group and its bytes count once (on that first consumer). A shared weight that is
//   small (≤ REPLICATE_MAX_BYTES stored) or not floating (masks, shape constants, indices, int8
//   tensors) is replicated instead: each consumer holds a copy and counts its bytes. torch dedups
//   identical initializers (every fresh LayerNorm's ones/zeros) and shares one causal mask across
//   layers, so grouping those glued whole models into one group (issue 11 §2: GPT-2-small-like,
//   4 devices, m-ETF 74.27 ms colocated vs 10.56 ms not). See `shareWeight`.
// - A parameter is an element of a weight that a graph node consumes, from an initializer, a
//   `Constant` node or a ConstantOfShape, of any type but the shape/index/mask ones (int64, uint64,
//   bool, string: `holdsParameters`). Quantized models keep their weights as int8/uint8 with int32
//   biases, and PaddleOCR exports keep every conv weight in a `Constant` node: counting only float
//   initializers gave 0 parameters for a QDQ ResNet-18 and for every PaddleOCR model (issue 11 §4).
//   Every weight, parameter or not, adds to persistentBytes at its stored width; weights only
//   consumed by folded producers (the `__SHAPE` vectors) and unused initializers count nowhere.
//   `node.parameterCount` is set on the owning node, so the node counts sum to stats.parameterCount.
// - Graph inputs are not nodes: the first op that reads an input reads it from outside.
// - If/Loop/Scan stay single nodes; outer-scope tensors their subgraphs read become edges. Their
//   bodies' FLOPs, bytes moved and weights count on the node (../onnx/subgraphs.ts: If = its larger
//   branch, Loop/Scan = one iteration × the iteration count, once with a warning when unknown).
// - Shape plumbing is not placed (issue 11 §6): a node all of whose outputs inference folded to
//   constant values (Shape of a known shape, Gather/Unsqueeze/Concat of those, Range of constants…)
//   costs nothing at run time and moves nothing, so it is folded away too. In a GPT-2-large-like
//   plan 308 of 340 transfers were such int64 tensors ≤ 1 KiB, 41 ms of link time in an 85.6 ms
//   makespan. Its value (≤ MAX_FOLDED_ELEMENTS elements) is a replica in the persistentBytes of each
//   graph node that reads it, never a colocation tie (a shape shared by every layer would otherwise
//   glue the model into one group). The weights it was computed from keep their parameters on the
//   first graph node downstream and tie only their direct consumers; their bytes count only if some
//   graph node reads them directly (inception_v2's BN scales, Unsqueezed: the replica is the bytes).
// - A Cast (or CastLike) to the type its input already has is the same tensor: it is folded away
//   and its consumers read its input (Whisper's encoder made six 72 MB transfers through such casts).
//   So is an Identity of an activation (of a weight it is a weight alias, above): it is free.
// - Each graph node lists in `foldedNodes` the folded shape-arithmetic nodes and casts whose values
//   it reads (the viewer shows them as part of it); stats.folded counts every folded node by kind.
import { MinHeap } from '../minHeap';
import { OpplaceError } from '../errors';
import { baseName, quoteInput } from '../text';
import { OpEdge, OpGraph, OpNode, SymbolicDim, TensorDim, TensorInfo, validateGraph } from '../graph';
import { OpCost, opCost } from '../onnx/cost';
import { DT, bytesPerElement, dtypeName, holdsParameters, isFloatType } from '../onnx/dtypes';
import { inferNode } from '../onnx/infer';
import { modulePathOf, namespaceOf, uniqueNodeIds } from '../onnx/naming';
import { OnnxGraph, OnnxModel, OnnxNode, OnnxValueInfo, decodeOnnxModel, hasField, int64ToNumber } from '../onnx/proto';
import { Attrs, MAX_FOLDED_ELEMENTS, elementCount, isExternal, tensorDims, tensorValues } from '../onnx/tensorData';
import { BODY_OPS, BodyOpResult, bodyOp } from '../onnx/subgraphs';
import { symbolicDimsOf } from '../onnx/dims';
import { FREE_DIM_VALUE, Shape, TensorMeta, boundShape, cleanDim, numel } from '../onnx/values';
import { symbol } from '../onnx/symbolic';
import type { LoadOptions } from './types';
import { setOwn } from '../records';
import { minOf } from '../arrays';
import { formatBytes, formatFlops } from '../units';

const SUBGRAPH_OPS = new Set(['SequenceMap']);
const DEFAULT_OPSET = 13;
/**
 * Largest shared weight (stored bytes) replicated to each consumer rather than colocating them:
 * 64 KiB is the LayerNorm scale or a bias of a d = 16,384 fp32 model, the largest per-channel
 * vector a real export dedups, while the smallest weight matrix worth keeping in one place (a
 * 128×128 fp32 projection) is bigger. A copy that size costs ~4 µs on a 16 GB/s link and 64 KiB
 * of memory per consumer. The stored width (not --dtype) decides, so groups do not change with it.
 */
export const REPLICATE_MAX_BYTES = 64 * 1024;

/** Most folded node names kept on one consumer (a long folded chain lists its nearest nodes). */
const MAX_FOLDED_NAMES = 32;

/** Why a node is not a graph node: it makes a weight, a constant value, or is a no-op cast. */
type FoldKind = 'weight' | 'constant' | 'cast';

export function parseOnnx(bytes: Uint8Array, fileName: string, options: LoadOptions = {}): OpGraph {
  const model = decodeOnnxModel(bytes, fileName);
  const graph = onnxModelToGraph(model, fileName, options);
  validateGraph(graph);
  return graph;
}

/** Builds the OpGraph of an already decoded model (see the decisions at the top of this file). */
export function onnxModelToGraph(model: OnnxModel, fileName: string, options: LoadOptions = {}): OpGraph {
  const g = model.graph;
  if (!g || !hasField(model, 'graph')) {
    throw new OpplaceError('the file decodes as protobuf but holds no ONNX graph (is it an ONNX model?)', { file: fileName });
  }
  const nodes = g.node ?? [];
  if (nodes.length === 0) throw new OpplaceError('the ONNX graph has no nodes', { file: fileName });
  nodes.forEach((n, i) => {
    if (!n.op_type) throw new OpplaceError(`node #${i} has no op_type: the file is not a valid ONNX model`, { file: fileName, node: n.name || undefined });
  });
  const batch = options.batch ?? 1;
  if (!Number.isSafeInteger(batch) || batch < 1) throw new OpplaceError(`batch must be a positive integer, got ${String(batch)}`, { file: fileName });
  const ctx = new BuildContext(model, g, fileName, options, batch);
  return ctx.build();
}

interface WeightInfo {
  meta: TensorMeta;
  /** The weight whose storage this one is (itself, or the source of an Identity alias chain). */
  root: string;
  /** Graph-node indices (ONNX node list) that consume it, in file order. */
  consumers: number[];
  /** Graph nodes that read a constant folded from it (they own its bytes if first, never tie to it). */
  indirect: number[];
}

/** A tensor a folded shape-arithmetic node made: its value is known, the node is not placed. */
interface ComputedConstant {
  meta: TensorMeta;
  /** Storage roots of the weights it was computed from. */
  sources: string[];
}

class BuildContext {
  private readonly nodes: OnnxNode[];
  private readonly metas = new Map<string, TensorMeta>();
  private readonly declared = new Map<string, TensorMeta>();
  private readonly producer = new Map<string, number>();
  private readonly weights = new Map<string, WeightInfo>();
  private readonly folded: (FoldKind | undefined)[];
  private readonly computed = new Map<string, ComputedConstant>();
  /** Output of a no-op Cast → the tensor it is (itself never an alias). */
  private readonly alias = new Map<string, string>();
  /** Tensor made by folded plumbing → the folded nodes behind it, nearest first (for the viewer). */
  private readonly foldedBehind = new Map<string, string[]>();
  private readonly warnings: string[] = [];
  /** Small integer initializers (shape data) whose contents are in an external file, never read. */
  private readonly externalShapeData: string[] = [];
  /** What the bodies of If/Loop/Scan nodes (by node index) cost and hold. */
  private readonly bodies = new Map<number, BodyOpResult>();
  /** The inputs' named dims a user may set (the viewer's fields; see ../onnx/dims.ts). */
  private symbolicDims: SymbolicDim[] = [];
  private readonly opset: number;
  /** --force-batch applies: graph inputs' fixed leading dims read as the batch. */
  private rewriteLeading = false;
  /** Shared weights copied to each consumer (see shareWeight), for graph.meta. */
  private replicated: ReplicatedConstants | undefined;
  /** Symbolic input dims no option gives a value → the first graph input that has them. */
  private freeDims = new Map<string, string>();
  /** Where in `warnings` the free-dims warning goes (it needs the costs, known only at the end). */
  private freeDimsWarningAt = 0;
  /** Graph node → its index in the ONNX node list. */
  private readonly indexOfNode = new Map<OpNode, number>();

  constructor(
    model: OnnxModel,
    private readonly g: OnnxGraph,
    private readonly file: string,
    private readonly options: LoadOptions,
    private readonly batch: number,
  ) {
    this.nodes = g.node ?? [];
    this.folded = new Array<FoldKind | undefined>(this.nodes.length).fill(undefined);
    let opset = 0;
    for (const o of model.opset_import ?? []) if (!o.domain || o.domain === 'ai.onnx') opset = int64ToNumber(o.version);
    this.opset = opset > 0 ? opset : DEFAULT_OPSET;
  }

  build(): OpGraph {
    this.indexProducers();
    this.readInitializers();
    this.readInputsAndDeclarations();
    const order = this.topologicalOrder();
    const unknownOps = new Map<string, number>();
    const opaqueOps = new Map<string, number>();
    for (const i of order) this.inferAndFold(i, unknownOps, opaqueOps);
    this.warnAboutTrips();
    this.warnAboutExternalShapeData();
    for (const [op, n] of unknownOps) this.warnings.push(`unknown op type "${op}" (${n} node${n > 1 ? 's' : ''}): kept as nodes with unknown output shapes`);
    for (const [op, n] of opaqueOps)
      this.warnings.push(`${op} (${n} node${n > 1 ? 's' : ''}) kept as single opaque nodes: subgraphs are not expanded, output shapes unknown`);
    this.warnIfShapesLost(order);
    return this.assemble();
  }

  private err(detail: string, node?: number): OpplaceError {
    const n = node === undefined ? undefined : this.nodes[node];
    return new OpplaceError(detail, { file: this.file, node: n ? n.name || `${n.op_type}_${node}` : undefined });
  }

  private indexProducers(): void {
    this.nodes.forEach((n, i) => {
      for (const out of n.output ?? []) {
        if (!out) continue;
        const prev = this.producer.get(out);
        if (prev !== undefined) {
          const p = this.nodes[prev];
          throw this.err(`tensor "${out}" is produced twice (also by node "${p.name || `${p.op_type}_${prev}`}")`, i);
        }
        this.producer.set(out, i);
      }
    });
  }

  private readInitializers(): void {
    for (const t of this.g.initializer ?? []) {
      const name = t.name ?? '';
      const dims = tensorDims(t);
      if (!dims)
        throw new OpplaceError(`initializer "${name}" has invalid dims [${quoteInput((t.dims ?? []).map(int64ToNumber).join(', '))}]`, { file: this.file });
      if (this.producer.has(name)) throw this.err(`initializer "${name}" is also produced by a node`, this.producer.get(name));
      const value = tensorValues(t);
      const meta: TensorMeta = { shape: dims, dtype: t.data_type ?? 0, ...(value ? { value } : {}) };
      if (isExternal(t) && (meta.dtype === DT.INT64 || meta.dtype === DT.INT32) && elementCount(dims) <= MAX_FOLDED_ELEMENTS) this.externalShapeData.push(name);
      this.metas.set(name, meta);
      this.weights.set(name, { meta, root: name, consumers: [], indirect: [] });
    }
  }

  private readInputsAndDeclarations(): void {
    const inputs = (this.g.input ?? []).filter((vi) => vi.name && !this.metas.has(vi.name) && !this.producer.has(vi.name));
    // Symbolic names used for the leading dim of a real input are the batch: they take options.batch everywhere.
    const batchParams = new Set<string>();
    for (const vi of inputs) {
      const d0 = vi.type?.tensor_type?.shape?.dim?.[0];
      if (d0?.dim_param && !hasField(d0, 'dim_value')) batchParams.add(d0.dim_param);
    }
    // --force-batch on a fixed-batch model: the inputs' leading dims take the batch as if symbolic.
    this.rewriteLeading = !!this.options.forceBatch && this.batch !== 1 && batchParams.size === 0 && BuildContext.allLeadingFixed(inputs);
    this.warnIfBatchUnused(inputs, batchParams);
    this.warnAboutDims(inputs, batchParams);
    this.symbolicDims = symbolicDimsOf(inputs, batchParams, this.options);
    for (const vi of inputs) this.metas.set(vi.name!, this.inputMeta(vi, batchParams));
    for (const vi of [...(this.g.value_info ?? []), ...(this.g.output ?? []), ...(this.g.input ?? [])]) {
      if (vi.name && !this.declared.has(vi.name)) this.declared.set(vi.name, this.valueInfoMeta(vi, batchParams, false));
    }
  }

  /**
   * A model exported with a fixed batch (every input's leading dim a number) ignores --batch: say
   * so, or a user asking for batch 32 silently gets the costs and memory of the exported batch.
   */
  private warnIfBatchUnused(inputs: OnnxValueInfo[], batchParams: Set<string>): void {
    if (this.batch === 1 || batchParams.size > 0 || inputs.length === 0) return;
    const leading = inputs.map((vi) => vi.type?.tensor_type?.shape?.dim?.[0]);
    if (leading.some((d) => !d || !hasField(d, 'dim_value'))) return; // a missing leading dim takes the batch
    const fixed = [...new Set(leading.map((d) => int64ToNumber(d!.dim_value)))].join(', ');
    if (this.options.forceBatch) {
      this.warnings.push(
        `--force-batch: the fixed leading dim (${fixed}) of every graph input was rewritten to ${this.batch}; shapes the model fixes inside (e.g. a Reshape to a constant shape) keep the exported batch, so check the sizes with \`opplace inspect\``,
      );
      return;
    }
    this.warnings.push(
      `--batch ${this.batch} has no effect: every graph input has a fixed leading dim (${fixed}); the costs and memory are those of the exported batch (add --force-batch to rewrite the inputs' leading dim, or re-export with a dynamic batch axis)`,
    );
  }

  /** Whether every graph input's leading dim is a number (the model was exported with a fixed batch). */
  private static allLeadingFixed(inputs: OnnxValueInfo[]): boolean {
    return (
      inputs.length > 0 &&
      inputs.every((vi) => {
        const d = vi.type?.tensor_type?.shape?.dim?.[0];
        return !!d && hasField(d, 'dim_value');
      })
    );
  }

  /** A graph input's meta: its --input-shape when given (rank must match the declared one). */
  private inputMeta(vi: OnnxValueInfo, batchParams: Set<string>): TensorMeta {
    const meta = this.valueInfoMeta(vi, batchParams, true);
    const given = this.options.inputShapes?.[vi.name!];
    if (!given || !Object.prototype.hasOwnProperty.call(this.options.inputShapes, vi.name!)) return meta;
    if (meta.shape && meta.shape.length !== given.length) {
      throw new OpplaceError(
        `input shape ${given.join('x')} given for graph input "${quoteInput(vi.name!)}" has rank ${given.length}, the model declares rank ${meta.shape.length} ([${meta.shape.map((d) => d ?? '?').join(', ')}])`,
        { file: this.file },
      );
    }
    return { ...meta, shape: given.slice() };
  }

  /**
   * Says which --dim / --input-shape names match nothing, and finds the symbolic dims that stay free
   * (this.freeDims): shapes carry them as symbols, and warnAboutFreeDims says what they leave open.
   */
  private warnAboutDims(inputs: OnnxValueInfo[], batchParams: Set<string>): void {
    const dims = this.options.dims ?? {};
    const given = this.options.inputShapes ?? {};
    const names = new Set(inputs.map((vi) => vi.name!));
    const params = new Set<string>();
    const free = new Map<string, string>(); // dim name → first input it appears in
    for (const vi of inputs) {
      const fixed = Object.prototype.hasOwnProperty.call(given, vi.name!);
      for (const d of vi.type?.tensor_type?.shape?.dim ?? []) {
        if (!d.dim_param || hasField(d, 'dim_value')) continue;
        params.add(d.dim_param);
        if (!fixed && !batchParams.has(d.dim_param) && !Object.prototype.hasOwnProperty.call(dims, d.dim_param) && !free.has(d.dim_param))
          free.set(d.dim_param, vi.name!);
      }
    }
    const unusedDims = Object.keys(dims).filter((k) => !params.has(k));
    if (unusedDims.length)
      this.warnings.push(
        `--dim ${unusedDims.map((k) => `"${quoteInput(k)}"`).join(', ')}: no graph input has a symbolic dim of that name (the model's: ${[...params].map((k) => `"${quoteInput(k)}"`).join(', ') || 'none'})`,
      );
    const unusedInputs = Object.keys(given).filter((k) => !names.has(k));
    if (unusedInputs.length)
      this.warnings.push(
        `--input-shape ${unusedInputs.map((k) => `"${quoteInput(k)}"`).join(', ')}: no graph input of that name (the model's: ${[...names].map((k) => `"${quoteInput(k)}"`).join(', ')})`,
      );
    this.freeDims = free;
    this.freeDimsWarningAt = this.warnings.length;
  }

  /**
   * One warning when symbolic dims stay free: shapes keep them as symbols ([1, seq, 32]) and FLOPs
   * and bytes count them at FREE_DIM_VALUE (1), so the totals are the model at seq = 1. What a user
   * can act on is how much of that grows with them: the share of the FLOPs and of the activation
   * bytes (both at 1) of ops whose shapes contain a free dim. Placed where warnAboutDims ran.
   */
  private warnAboutFreeDims(nodes: OpNode[]): void {
    if (this.freeDims.size === 0) return;
    const symbolic = (s: Shape | null | undefined) => !!s && s.some((d) => typeof d === 'string');
    let flops = 0;
    let scaledFlops = 0;
    let bytes = 0;
    let scaledBytes = 0;
    for (const n of nodes) {
      const scales = n.outputs.some((t) => symbolic(t.shape)) || this.inputsOf(this.indexOfNode.get(n)!).some((x) => symbolic(this.metas.get(x)?.shape));
      flops += n.flops ?? 0;
      if (scales) scaledFlops += n.flops ?? 0;
      for (const t of n.outputs) {
        bytes += t.bytes;
        if (symbolic(t.shape)) scaledBytes += t.bytes;
      }
    }
    const at = [...this.freeDims.keys()].map((d) => `${quoteInput(d)} = ${FREE_DIM_VALUE}`).join(', ');
    const list = [...this.freeDims].map(([d, input]) => `"${quoteInput(d)}" (input "${quoteInput(input)}")`).join(', ');
    const pct = (part: number, all: number) => (all > 0 ? `${Math.round((100 * part) / all)}%` : '0%');
    this.warnings.splice(
      this.freeDimsWarningAt,
      0,
      `symbolic dims left free: ${list}; shapes keep them as symbols and FLOPs and bytes are counted at ${at} (${formatFlops(flops)}, ${formatBytes(bytes)} of activations); ${pct(scaledFlops, flops)} of those FLOPs and ${pct(scaledBytes, bytes)} of those bytes grow with them (give them a value with --dim NAME=VALUE or --input-shape INPUT=AxBx…)`,
    );
  }

  private valueInfoMeta(vi: OnnxValueInfo, batchParams: Set<string>, isInput: boolean): TensorMeta {
    const tt = vi.type?.tensor_type;
    if (!tt) return { shape: null, dtype: 0 };
    const dtype = tt.elem_type ?? 0;
    if (!tt.shape) return { shape: null, dtype };
    const shape = (tt.shape.dim ?? []).map((d, i) => {
      if (isInput && i === 0 && this.rewriteLeading) return this.batch;
      if (hasField(d, 'dim_value')) return cleanDim(int64ToNumber(d.dim_value));
      if (d.dim_param && this.options.dims && Object.prototype.hasOwnProperty.call(this.options.dims, d.dim_param)) return this.options.dims[d.dim_param];
      if (d.dim_param && batchParams.has(d.dim_param)) return this.batch;
      if (isInput && i === 0) return this.batch; // missing or symbolic leading dim of an input
      // a free input dim is a symbol, also where value_info repeats it (not onnx's own "unk__2" names)
      if (d.dim_param && this.freeDims.has(d.dim_param)) return symbol(d.dim_param);
      return null;
    });
    return { shape: shape.length > 64 ? null : shape, dtype };
  }

  /** Kahn's algorithm, smallest node index first, so files already in order keep their order. */
  private topologicalOrder(): number[] {
    const n = this.nodes.length;
    const succ: number[][] = Array.from({ length: n }, () => []);
    const indeg = new Int32Array(n);
    this.nodes.forEach((_, i) => {
      const seen = new Set<number>();
      for (const name of this.inputsOf(i)) {
        const p = this.producer.get(name);
        if (p === undefined || seen.has(p)) continue;
        if (p === i) throw this.err(`the node consumes its own output "${name}" (a cycle)`, i);
        seen.add(p);
        succ[p].push(i);
        indeg[i]++;
      }
    });
    const heap = new MinHeap();
    for (let i = 0; i < n; i++) if (indeg[i] === 0) heap.push(i);
    const order: number[] = [];
    while (heap.size) {
      const u = heap.pop();
      order.push(u);
      for (const v of succ[u]) if (--indeg[v] === 0) heap.push(v);
    }
    if (order.length !== n) {
      const stuck = indeg.findIndex((d) => d > 0);
      throw this.err('the ONNX graph has a cycle through this node', stuck);
    }
    return order;
  }

  private readonly inputCache = new Map<number, string[]>();

  /** Explicit inputs (non-empty names, deduplicated) plus outer-scope tensors read by subgraphs. */
  private inputsOf(i: number): string[] {
    const cached = this.inputCache.get(i);
    if (cached) return cached;
    const node = this.nodes[i];
    const names = new Set<string>();
    for (const x of node.input ?? []) if (x) names.add(x);
    for (const x of this.implicitInputs(node)) names.add(x);
    const list = [...names];
    this.inputCache.set(i, list);
    return list;
  }

  private implicitInputs(node: OnnxNode): string[] {
    const found: string[] = [];
    const stack: OnnxGraph[] = [];
    for (const a of node.attribute ?? []) {
      if (a.g) stack.push(a.g);
      for (const sg of a.graphs ?? []) stack.push(sg);
    }
    while (stack.length) {
      const sg = stack.pop()!;
      const local = new Set<string>();
      for (const t of sg.initializer ?? []) if (t.name) local.add(t.name);
      for (const vi of sg.input ?? []) if (vi.name) local.add(vi.name);
      for (const n of sg.node ?? []) for (const o of n.output ?? []) local.add(o);
      for (const n of sg.node ?? []) {
        for (const x of n.input ?? []) if (x && !local.has(x) && (this.producer.has(x) || this.metas.has(x))) found.push(x);
        for (const a of n.attribute ?? []) {
          if (a.g) stack.push(a.g);
          for (const s of a.graphs ?? []) stack.push(s);
        }
      }
    }
    return found;
  }

  private isWeight(name: string): boolean {
    return this.weights.has(name);
  }

  private inferAndFold(i: number, unknownOps: Map<string, number>, opaqueOps: Map<string, number>): void {
    const node = this.nodes[i];
    const op = node.op_type!;
    const domain = node.domain ?? '';
    const inputs = (node.input ?? []).map((name) => (name ? (this.metas.get(name) ?? { shape: null, dtype: 0 }) : undefined));
    const outputs = node.output ?? [];
    let metas: TensorMeta[];
    if (BODY_OPS.has(op) && (domain === '' || domain === 'ai.onnx')) {
      const r = bodyOp(node, inputs, (name) => this.metas.get(name), { opset: this.opset, bytesOf: (m) => this.tensorBytes(m) });
      this.bodies.set(i, r);
      metas = r.outputs;
    } else if (SUBGRAPH_OPS.has(op)) {
      opaqueOps.set(op, (opaqueOps.get(op) ?? 0) + 1);
      metas = outputs.map(() => ({ shape: null, dtype: 0 }));
    } else if (domain !== '' && domain !== 'ai.onnx') {
      const key = `${domain}::${op}`;
      unknownOps.set(key, (unknownOps.get(key) ?? 0) + 1);
      metas = outputs.map(() => ({ shape: null, dtype: 0 }));
    } else {
      const r = inferNode({ opType: op, attrs: new Attrs(node), inputs, nOutputs: outputs.length, opset: this.opset });
      if (!r.known) unknownOps.set(op, (unknownOps.get(op) ?? 0) + 1);
      metas = r.outputs;
    }
    // Weight producers are folded away (see the top of the file).
    const producesWeight =
      (op === 'Constant' && (node.input ?? []).every((x) => !x)) ||
      (op === 'ConstantOfShape' && !!node.input?.[0] && this.isWeight(node.input[0])) ||
      (op === 'Identity' && !!node.input?.[0] && this.isWeight(node.input[0]));
    // An Identity of a weight (PyTorch emits them for deduplicated initializers) aliases its storage.
    const root = op === 'Identity' && producesWeight ? this.weights.get(node.input![0])!.root : undefined;
    const standard = domain === '' || domain === 'ai.onnx';
    if (producesWeight && standard) this.folded[i] = 'weight';
    const merged = outputs.map((name, k) => (name ? mergeDeclared(metas[k] ?? { shape: null, dtype: 0 }, this.declared.get(name)) : undefined));
    outputs.forEach((name, k) => {
      if (!name) return;
      const meta = merged[k]!;
      this.metas.set(name, meta);
      if (this.folded[i]) this.weights.set(name, { meta, root: root ?? name, consumers: [], indirect: [] });
    });
    if (this.folded[i] || !standard || SUBGRAPH_OPS.has(op) || BODY_OPS.has(op)) return;
    if (outputs.some((x) => x) && merged.every((m) => !m || isConstantValue(m) || isShapeValue(m))) this.foldConstant(i, merged);
    else if (this.isNoOpCast(i)) this.foldCast(i);
  }

  /** A node whose every output has a known value: the values are constants, the node is not placed. */
  private foldConstant(i: number, metas: (TensorMeta | undefined)[]): void {
    this.folded[i] = 'constant';
    const sources = new Set<string>();
    for (const x of this.nodes[i].input ?? []) {
      if (!x) continue;
      const t = this.resolve(x);
      const w = this.weights.get(t);
      if (w) sources.add(w.root);
      for (const s of this.computed.get(t)?.sources ?? []) sources.add(s);
    }
    const behind = this.foldedNamesBehind(i);
    (this.nodes[i].output ?? []).forEach((name, k) => {
      if (!name) return;
      this.computed.set(name, { meta: metas[k]!, sources: [...sources] });
      this.foldedBehind.set(name, behind);
    });
  }

  /** Identity, or Cast/CastLike to the element type its input already has (dtypes known): the same tensor. */
  private isNoOpCast(i: number): boolean {
    const node = this.nodes[i];
    const x = node.input?.[0];
    if (!x || (node.output ?? []).filter((o) => o).length !== 1) return false;
    if (node.op_type === 'Identity') return true;
    const from = this.metas.get(x)?.dtype ?? 0;
    if (from === 0) return false;
    if (node.op_type === 'Cast') return new Attrs(node).int('to', 0) === from;
    if (node.op_type === 'CastLike') return !!node.input?.[1] && this.metas.get(node.input[1])?.dtype === from;
    return false;
  }

  private foldCast(i: number): void {
    this.folded[i] = 'cast';
    const out = (this.nodes[i].output ?? []).find((o) => o)!;
    this.alias.set(out, this.resolve(this.nodes[i].input![0]));
    this.foldedBehind.set(out, this.foldedNamesBehind(i));
  }

  /** The node's own name, then the folded nodes behind its inputs (deduplicated, capped). */
  private foldedNamesBehind(i: number): string[] {
    const names = new Set<string>([this.nodeLabel(i)]);
    for (const x of this.nodes[i].input ?? []) for (const n of (x && this.foldedBehind.get(x)) || []) names.add(n);
    return [...names].slice(0, MAX_FOLDED_NAMES);
  }

  private nodeLabel(i: number): string {
    const n = this.nodes[i];
    return n.name || `${n.op_type}_${i}`;
  }

  /** The tensor a name is: through no-op casts to the tensor they pass on. */
  private resolve(name: string): string {
    return this.alias.get(name) ?? name;
  }

  /**
   * Shape vectors (Reshape targets, Slice bounds…) saved as external data (onnx.save with
   * size_threshold=0) cannot fold: the data file is never opened, so every shape computed from them
   * is unknown. One warning names them and their first reader, instead of a silent loss.
   */
  private warnAboutExternalShapeData(): void {
    if (this.externalShapeData.length === 0) return;
    const wanted = new Set(this.externalShapeData);
    const readSet = new Set<string>();
    let first = -1;
    this.nodes.forEach((n, i) => {
      for (const x of n.input ?? []) {
        if (!wanted.has(x)) continue;
        readSet.add(x);
        if (first < 0) first = i;
      }
    });
    if (first < 0) return;
    const read = [...readSet];
    const reader = this.nodes[first];
    const list = quotedList(read, 3);
    this.warnings.push(
      `the data of integer tensor${read.length > 1 ? 's' : ''} ${list} (read by ${reader.op_type} "${quoteInput(reader.name || `${reader.op_type}_${first}`)}") is in an external file, which opplace does not read: shapes computed from ${read.length > 1 ? 'them' : 'it'} stay unknown (save the model with small tensors inline, e.g. onnx's default size_threshold=1024)`,
    );
  }

  /** One warning naming the Loop/Scan nodes whose body was counted once: their iteration count is unknown. */
  private warnAboutTrips(): void {
    const names = [...new Set([...this.bodies.values()].flatMap((b) => b.unknownTrips))];
    if (names.length === 0) return;
    const list = quotedList(names, 5);
    this.warnings.push(
      `the iteration count of Loop/Scan ${list} is not a constant: the FLOPs and bytes of ${names.length > 1 ? 'their bodies' : 'its body'} are counted for one iteration`,
    );
  }

  /**
   * One warning per graph when some node outputs have unknown shapes: their FLOPs and bytes count 0,
   * so the user must know, and where to look. Names the first node (in topological order) whose
   * input shapes are all known but an output's is not — where folding or inference stopped
   * (Faster R-CNN before constant Reduce* folded: its Resize, then 63 backbone convs lost shapes).
   */
  private warnIfShapesLost(order: number[]): void {
    const known = (name: string) => {
      const s = this.metas.get(name)?.shape;
      return !!s && s.every((d) => d !== null);
    };
    let lost = 0;
    let total = 0;
    let origin: number | undefined;
    for (const i of order) {
      if (this.folded[i]) continue;
      total++;
      const node = this.nodes[i];
      if (!(node.output ?? []).some((x) => x && !known(x))) continue;
      lost++;
      if (origin === undefined && (node.input ?? []).every((x) => !x || known(x))) origin = i;
    }
    if (lost === 0) return;
    const n = origin === undefined ? undefined : this.nodes[origin];
    const where = n
      ? `shapes stay unknown past node "${n.name || `${n.op_type}_${origin}`}" (${n.op_type}), whose input shapes are known`
      : 'shapes are unknown from the graph inputs on';
    this.warnings.push(
      `${where}: ${lost} of ${total} nodes (${Math.round((100 * lost) / total)}%) have an output of unknown shape, and their FLOPs and bytes count as 0`,
    );
  }

  /** Bytes of a tensor, with free dims at FREE_DIM_VALUE; 0 when a dim is unknown. */
  private tensorBytes(meta: TensorMeta | undefined): number {
    if (!meta) return 0;
    const n = numel(boundShape(meta.shape));
    return n === null ? 0 : n * bytesPerElement(meta.dtype, this.options.dtype);
  }

  /** The outputs a node declares, with bytes, shape and dtype as inferred. */
  private outputInfos(node: OnnxNode): TensorInfo[] {
    const outputs: TensorInfo[] = [];
    for (const out of node.output ?? []) {
      if (!out) continue;
      const m = this.metas.get(out);
      const info: TensorInfo = { name: out, bytes: this.tensorBytes(m), shape: m?.shape ?? null };
      const dt = m ? dtypeName(m.dtype) : undefined;
      if (dt) info.dtype = dt;
      outputs.push(info);
    }
    return outputs;
  }

  /** The roofline cost of one node from the inferred shapes and bytes of what it reads and writes. */
  private costOf(node: OnnxNode, outputs: TensorInfo[]): OpCost {
    const inNames = node.input ?? [];
    return opCost({
      opType: node.op_type!,
      attrs: new Attrs(node),
      inputs: inNames.map((x) => (x ? (this.metas.get(x)?.shape ?? null) : undefined)),
      outputs: (node.output ?? []).map((x) => (x ? (this.metas.get(x)?.shape ?? null) : null)),
      inputBytes: inNames.map((x) => (x ? this.tensorBytes(this.metas.get(x)) : 0)),
      outputBytes: outputs.map((t) => t.bytes),
    });
  }

  /** The graph node of ONNX node i (kept, not folded), its Loop/Scan/If body's cost added in. */
  private opNodeOf(node: OnnxNode, i: number, id: string): OpNode {
    const name = node.name ?? '';
    const outputs = this.outputInfos(node);
    const cost = this.costOf(node, outputs);
    const opNode: OpNode = {
      id,
      name: name || id,
      opType: node.op_type!,
      namespace: namespaceOf(name),
      computeUs: 0,
      persistentBytes: 0,
      temporaryBytes: 0,
      outputs,
      flops: cost.flops,
      memoryAccessBytes: cost.memoryAccessBytes,
      parameterCount: 0,
    };
    const body = this.bodies.get(i);
    if (body) {
      opNode.flops = (opNode.flops ?? 0) + body.flops;
      opNode.memoryAccessBytes = (opNode.memoryAccessBytes ?? 0) + body.memoryAccessBytes;
      opNode.body = body.summary;
    }
    const mp = modulePathOf(name);
    if (mp) opNode.modulePath = mp;
    return opNode;
  }

  /** Edges between kept nodes; they follow node order then input order: deterministic. */
  private edgesBetween(ids: (string | undefined)[], keep: (i: number) => boolean): OpEdge[] {
    const edges: OpEdge[] = [];
    this.nodes.forEach((_, i) => {
      if (!keep(i)) return;
      for (const x of this.resolvedInputsOf(i)) {
        const p = this.producer.get(x);
        if (p === undefined || !keep(p) || p === i) continue;
        edges.push({ from: ids[p]!, to: ids[i]!, tensor: x, bytes: this.tensorBytes(this.metas.get(x)) });
      }
    });
    return edges;
  }

  /** One warning listing (the first five of) the tensors read but never produced nor declared. */
  private warnAboutMissingInputs(): void {
    const missing = this.missingInputs();
    if (!missing.length) return;
    this.warnings.push(
      `${missing.length} tensor(s) are read but neither produced, initialized nor declared as graph inputs (shapes unknown): ${missing
        .slice(0, 5)
        .map((x) => `"${x}"`)
        .join(', ')}${missing.length > 5 ? ', …' : ''}`,
    );
  }

  private assemble(): OpGraph {
    const keep = (i: number) => !this.folded[i];
    const ids = uniqueNodeIds(this.nodes, keep);
    const opNodes: OpNode[] = [];
    const nodeAt = new Map<number, OpNode>();
    this.nodes.forEach((node, i) => {
      if (!keep(i)) return;
      const opNode = this.opNodeOf(node, i, ids[i]!);
      opNodes.push(opNode);
      nodeAt.set(i, opNode);
      this.indexOfNode.set(opNode, i);
      this.attachConstants(i, opNode);
    });
    const edges = this.edgesBetween(ids, keep);
    if (opNodes.length === 0) {
      throw new OpplaceError('the ONNX graph has only constant-producing nodes (Constant/ConstantOfShape/Identity of weights): no operators to place', {
        file: this.file,
      });
    }
    const stats = this.assignWeights(nodeAt);
    this.warnAboutFreeDims(opNodes);
    const tensors: Record<string, TensorDim[] | null> = {};
    for (const [name, m] of this.metas) setOwn(tensors, name, m.shape);
    this.warnAboutMissingInputs();
    return {
      name: graphName(this.g.name, this.file),
      nodes: opNodes,
      edges,
      source: { file: this.file, format: 'onnx' },
      warnings: this.warnings,
      stats: { ...stats, folded: this.foldCounts() },
      tensors,
      ...(this.symbolicDims.length ? { symbolicDims: this.symbolicDims } : {}),
      ...(this.replicated ? { meta: { replicatedConstants: this.replicated } } : {}),
    };
  }

  /** inputsOf through no-op casts, deduplicated (x and Cast(x) read by one node are one tensor). */
  private resolvedInputsOf(i: number): string[] {
    return [...new Set(this.inputsOf(i).map((x) => this.resolve(x)))];
  }

  /**
   * What a graph node reads that is not an edge: weights (it consumes them), folded constants (a
   * replica in its persistentBytes; their source weights are read through them) and the folded
   * nodes behind both, listed for the viewer.
   */
  private attachConstants(i: number, opNode: OpNode): void {
    const behind = new Set<string>();
    for (const name of this.inputsOf(i)) for (const n of this.foldedBehind.get(name) ?? []) behind.add(n);
    if (behind.size) opNode.foldedNodes = [...behind].slice(0, MAX_FOLDED_NAMES);
    for (const x of this.resolvedInputsOf(i)) {
      const w = this.weights.get(x);
      if (w) pushOnce(this.weights.get(w.root)!.consumers, i);
      const c = this.computed.get(x);
      if (!c) continue;
      opNode.persistentBytes += this.tensorBytes(c.meta);
      for (const s of c.sources) pushOnce(this.weights.get(s)!.indirect, i);
    }
  }

  private foldCounts(): { weights: number; constants: number; casts: number } {
    const count = (k: FoldKind) => this.folded.filter((f) => f === k).length;
    return { weights: count('weight'), constants: count('constant'), casts: count('cast') };
  }

  /** persistentBytes, parameterCount, colocation groups and replicas from weight consumption. */
  private assignWeights(nodeAt: Map<number, OpNode>): { parameterCount: number; parameterBytes: number } {
    let parameterCount = 0;
    let parameterBytes = 0;
    const parent = new Map<number, number>();
    const find = (x: number): number => {
      let r = x;
      while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
      parent.set(x, r);
      return r;
    };
    const groupName = new Map<number, string>();
    const replicas = { tensors: 0, bytes: 0, copiedBytes: 0, consumers: new Set<number>() };
    for (const [name, w] of this.weights) {
      if (w.consumers.length === 0 && w.indirect.length === 0) continue;
      const owner = nodeAt.get(Math.min(w.consumers[0] ?? Infinity, w.indirect[0] ?? Infinity))!;
      const bytes = this.tensorBytes(w.meta);
      if (holdsParameters(w.meta.dtype)) {
        const n = numel(w.meta.shape) ?? 0;
        owner.parameterCount = (owner.parameterCount ?? 0) + n;
        parameterCount += n;
        parameterBytes += bytes;
      }
      if (w.consumers.length > 1 && shareWeight(w.meta) === 'replicate') {
        // Every consumer holds a copy and counts it. Conservative when two consumers end up on one
        // device (that device really holds it once): which nodes share a device is the placer's
        // answer, and a per-device count would need the core; a replica is ≤ 64 KiB or a mask.
        for (const c of w.consumers) {
          nodeAt.get(c)!.persistentBytes += bytes;
          replicas.consumers.add(c);
        }
        replicas.tensors++;
        replicas.bytes += bytes;
        replicas.copiedBytes += bytes * w.consumers.length;
        continue;
      }
      // read only through folded constants: the devices hold those (replicas on their readers), not it
      if (w.consumers.length) owner.persistentBytes += bytes;
      if (w.consumers.length > 1) {
        const roots = w.consumers.map(find);
        const root = minOf(roots);
        const label = roots.map((r) => groupName.get(r)).find((x) => x) ?? `weights:${name}`;
        for (const r of roots) parent.set(r, root);
        for (const c of w.consumers) parent.set(c, root);
        groupName.set(root, label);
      }
    }
    // The weights inside If/Loop/Scan bodies are the node's own (subgraph initializers and Constants).
    for (const [i, b] of this.bodies) {
      const node = nodeAt.get(i);
      if (!node) continue;
      node.persistentBytes += b.weightBytes;
      node.parameterCount = (node.parameterCount ?? 0) + b.parameterCount;
      parameterCount += b.parameterCount;
      parameterBytes += b.parameterBytes;
    }
    for (const [i, node] of nodeAt) {
      if (!parent.has(i)) continue;
      const label = groupName.get(find(i));
      if (label) node.colocationGroup = label;
    }
    if (replicas.tensors > 0) {
      this.replicated = { tensors: replicas.tensors, bytes: replicas.bytes, copiedBytes: replicas.copiedBytes, consumers: replicas.consumers.size };
    }
    return { parameterCount, parameterBytes };
  }

  private missingInputs(): string[] {
    const out = new Set<string>();
    this.nodes.forEach((n) => {
      for (const x of n.input ?? []) if (x && !this.metas.has(x)) out.add(x);
    });
    return [...out];
  }
}

/**
 * What a weight read by several nodes does to placement: a large floating tensor (a tied embedding,
 * a trainable weight) keeps its consumers on one device; a small one or a non-floating one (a mask,
 * a shape constant, an index or int8 tensor: nothing an optimizer updates) is copied to each.
 */
export function shareWeight(meta: TensorMeta): 'colocate' | 'replicate' {
  const floating = meta.dtype === 0 || isFloatType(meta.dtype);
  if (!floating) return 'replicate';
  const n = numel(meta.shape);
  // Unknown size: keep the old, memory-safe answer.
  if (n === null) return 'colocate';
  return n * bytesPerElement(meta.dtype) <= REPLICATE_MAX_BYTES ? 'replicate' : 'colocate';
}

/** graph.meta.replicatedConstants: what the loader copied to each consumer instead of colocating. */
export interface ReplicatedConstants {
  /** Shared weights replicated. */
  tensors: number;
  /** Their bytes, each counted once. */
  bytes: number;
  /** Their bytes counted on every consumer (what persistentBytes sums to for them). */
  copiedBytes: number;
  /** Distinct graph nodes that hold a replica. */
  consumers: number;
}

/** The one line inspect and place print about replicated constants, or null when there are none. */
export function replicationNote(graph: OpGraph): string | null {
  const r = graph.meta?.replicatedConstants as ReplicatedConstants | undefined;
  if (!r || r.tensors === 0) return null;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `replicated ${plural(r.tensors, 'shared constant')} (${formatBytes(r.bytes)}) to each of their ${plural(r.consumers, 'consumer')} instead of colocating them; persistent bytes count every copy (${formatBytes(r.copiedBytes)})`;
}

// Names exporters give every graph; the file name says more.
const GENERIC_GRAPH_NAMES = new Set(['', 'torch_jit', 'torch-jit-export', 'main_graph', 'graph', 'model', 'tf2onnx']);

/** `"a", "b", … (N in all)`: the first `max` names of a warning's list, quoted for display. */
function quotedList(names: string[], max: number): string {
  const shown = names.slice(0, max).map((x) => `"${quoteInput(x)}"`);
  return shown.join(', ') + (names.length > max ? `, … (${names.length} in all)` : '');
}

function graphName(name: string | undefined, file: string): string {
  if (name && !GENERIC_GRAPH_NAMES.has(name)) return name;
  return baseName(file).replace(/\.onnx$/i, '');
}

/** Appends i unless it is already last (callers push node indices in increasing order). */
function pushOnce(list: number[], i: number): void {
  if (list[list.length - 1] !== i) list.push(i);
}

/** A tensor whose whole value inference knows (small enough to fold, shape fully known). */
function isConstantValue(m: TensorMeta): boolean {
  return !!m.value && m.value.length <= MAX_FOLDED_ELEMENTS && numel(m.shape) === m.value.length;
}

/**
 * A shape vector known in the free dims ([1, seq, 32]): every element a number or symbolic. Like a
 * constant it is known before the step runs, whatever the dims turn out to be, so its producer is
 * shape plumbing and not placed either (with seq free as with seq = 64).
 */
function isShapeValue(m: TensorMeta): boolean {
  return !!m.sym && m.sym.every((d) => d !== null) && numel(m.shape) === m.sym.length;
}

/** Fills what inference left unknown from the shapes the file declares (value_info, graph outputs). */
function mergeDeclared(inferred: TensorMeta, declared: TensorMeta | undefined): TensorMeta {
  if (!declared) return inferred;
  const dtype = inferred.dtype || declared.dtype;
  let shape: Shape = inferred.shape;
  if (!shape) shape = declared.shape;
  else if (declared.shape && declared.shape.length === shape.length) shape = shape.map((d, k) => (d === null ? declared.shape![k] : d));
  return { ...inferred, shape, dtype };
}
