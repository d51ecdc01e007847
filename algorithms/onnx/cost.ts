// Per-op work for the roofline cost model: floating-point operations and bytes moved (read +
// written) of one forward (inference) execution. Counts are the usual analytic ones (a multiply-add
// is 2 FLOPs); cheap elementwise ops get a small per-element constant. Unknown shapes count 0;
// free symbolic dims count as FREE_DIM_VALUE (values.ts), so a free `seq` gives the cost at seq = 1.
import { einsumDims } from './infer';
import { Attrs } from './tensorData';
import { NumShape, Shape, boundShape, numel } from './values';
import { ownValue } from '../records';

export interface CostInput {
  opType: string;
  attrs: Attrs;
  inputs: (Shape | undefined)[];
  outputs: Shape[];
  /** Bytes of each input / output tensor (0 when unknown). */
  inputBytes: number[];
  outputBytes: number[];
}

export interface OpCost {
  flops: number;
  memoryAccessBytes: number;
}

// FLOPs per output element of elementwise ops (transcendentals cost a few).
const PER_ELEMENT: Record<string, number> = {
  Relu: 1,
  LeakyRelu: 2,
  PRelu: 2,
  Elu: 3,
  Selu: 4,
  Celu: 4,
  ThresholdedRelu: 1,
  Clip: 2,
  Sigmoid: 4,
  HardSigmoid: 3,
  HardSwish: 4,
  Tanh: 5,
  Softplus: 4,
  Softsign: 3,
  Mish: 8,
  Gelu: 8,
  FastGelu: 8,
  QuickGelu: 5,
  Erf: 6,
  Exp: 2,
  Log: 2,
  Sqrt: 2,
  Reciprocal: 1,
  Neg: 1,
  Abs: 1,
  Floor: 1,
  Ceil: 1,
  Round: 1,
  Sign: 1,
  Sin: 4,
  Cos: 4,
  Tan: 4,
  Pow: 4,
  Not: 1,
  Add: 1,
  Sub: 1,
  Mul: 1,
  Div: 1,
  Mod: 1,
  Max: 1,
  Min: 1,
  Equal: 1,
  Less: 1,
  Greater: 1,
  LessOrEqual: 1,
  GreaterOrEqual: 1,
  And: 1,
  Or: 1,
  Xor: 1,
  Where: 1,
  Cast: 0,
  CumSum: 1,
  Trilu: 0,
  IsNaN: 1,
  IsInf: 1,
  Softmax: 5,
  LogSoftmax: 5,
  Hardmax: 2,
  BatchNormalization: 2,
  InstanceNormalization: 5,
  LayerNormalization: 8,
  GroupNormalization: 5,
  MeanVarianceNormalization: 5,
  LpNormalization: 3,
  QuantizeLinear: 2,
  DequantizeLinear: 2,
  // min and max over x (for the scale), then scale, round and saturate each element
  DynamicQuantizeLinear: 5,
};

// Ops that only reinterpret or route data; a runtime implements them without touching the elements.
const VIEW_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Shape', 'Size', 'Constant']);

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const count = (s: NumShape | undefined) => numel(s) ?? 0;

/** What the counts read: the shapes with free dims bound. */
interface BoundCost extends Omit<CostInput, 'inputs' | 'outputs'> {
  inputs: (NumShape | undefined)[];
  outputs: NumShape[];
}

function product(xs: readonly (number | string | null)[]): number {
  let p = 1;
  for (const x of xs) p *= typeof x === 'number' ? x : 0;
  return p;
}

type FlopsOf = (c: BoundCost) => number;

const out0Of = (c: BoundCost) => count(c.outputs[0]);
const in0Of = (c: BoundCost) => count(c.inputs[0]);

// weight and bias slots: Conv(x, W, B); ConvInteger(x, W, x_zp, W_zp) has no bias;
// QLinearConv(x, x_s, x_zp, W, W_s, W_zp, y_s, y_zp, B)
function convFlops(c: BoundCost): number {
  const q = c.opType === 'QLinearConv';
  const w = c.inputs[q ? 3 : 1];
  if (!w || w.length < 2) return 0;
  const out0 = out0Of(c);
  const macs = out0 * product(w.slice(1)); // (Cin/group) × kernel per output element
  const bias = c.opType === 'ConvInteger' ? undefined : c.inputs[q ? 8 : 2];
  return 2 * macs + (bias ? out0 : 0);
}

function convTransposeFlops(c: BoundCost): number {
  const w = c.inputs[1];
  if (!w || w.length < 2) return 0;
  return 2 * in0Of(c) * product(w.slice(1)) + (c.inputs[2] ? out0Of(c) : 0);
}

function gemmFlops(c: BoundCost): number {
  const a = c.inputs[0];
  if (!a || a.length !== 2) return 0;
  const k = (c.attrs.int('transA', 0) ? a[0] : a[1]) ?? 0;
  const out0 = out0Of(c);
  return 2 * out0 * k + (c.inputs[2] ? out0 : 0);
}

function matMulFlops(c: BoundCost): number {
  const a = c.inputs[0];
  if (!a || a.length === 0) return 0;
  return 2 * out0Of(c) * (a[a.length - 1] ?? 0);
}

const windowPoolFlops: FlopsOf = (c) => out0Of(c) * product(c.attrs.ints('kernel_shape') ?? []);

// each output element averages sampling_ratio² bilinear samples (adaptive when 0: about 2×2),
// a sample being 4 reads weighted and summed (4 multiply-adds)
function roiAlignFlops(c: BoundCost): number {
  const r = c.attrs.int('sampling_ratio', 0);
  return out0Of(c) * (r > 0 ? r * r : 4) * 8;
}

// bins hold a few elements each at detector scales: a small constant
const maxRoiPoolFlops: FlopsOf = (c) => (in0Of(c) > 0 ? out0Of(c) * 4 : 0);

const lrnFlops: FlopsOf = (c) => out0Of(c) * (2 * c.attrs.int('size', 1) + 3);

function variadicSumFlops(c: BoundCost): number {
  const out0 = out0Of(c);
  return out0 * Math.max(1, c.inputs.length - 1) + (c.opType === 'Mean' ? out0 : 0);
}

// one multiply-add per point of the full index space (all letters, broadcast '...')
function einsumFlops(c: BoundCost): number {
  const e = einsumDims(
    c.attrs.string('equation', ''),
    c.inputs.map((s) => s ?? null),
  );
  if (!e) return 0;
  return 2 * product([...e.dims.values()]) * product(e.ellipsis);
}

function resizeFlops(c: BoundCost): number {
  const mode = c.attrs.string('mode', 'nearest');
  return out0Of(c) * (mode === 'nearest' ? 1 : mode === 'cubic' ? 16 : 4);
}

function recurrentFlops(c: BoundCost): number {
  const x = c.inputs[0];
  if (!x || x.length !== 3) return 0;
  const layout = c.attrs.int('layout', 0);
  const seq = (layout ? x[1] : x[0]) ?? 0;
  const batch = (layout ? x[0] : x[1]) ?? 0;
  const input = x[2] ?? 0;
  const w = c.inputs[1];
  const dirs = w && w[0] !== null ? w[0] : 1;
  const gates = c.opType === 'LSTM' ? 4 : c.opType === 'GRU' ? 3 : 1;
  const hidden = c.attrs.int('hidden_size', w && w[1] !== null ? w[1] / gates : 0);
  // per step and direction: gate matmuls on x and h, bias adds, and the gate nonlinearities
  const perStep = gates * 2 * hidden * (input + hidden) + gates * 2 * hidden + 6 * hidden;
  return seq * batch * dirs * perStep;
}

/** Op types that read each input element once (reductions, global pools, arg/top-k): one FLOP each. */
const ONE_PER_INPUT = [
  'GlobalAveragePool',
  'GlobalMaxPool',
  'GlobalLpPool',
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
  'ArgMax',
  'ArgMin',
  'TopK',
];

const sameFor = (ops: readonly string[], f: FlopsOf) => ops.map((op): [string, FlopsOf] => [op, f]);

/** The op types whose FLOPs are not a per-element constant (PER_ELEMENT), each with its count. */
const FLOPS_BY_OP: ReadonlyMap<string, FlopsOf> = new Map<string, FlopsOf>([
  ...sameFor(['Conv', 'ConvInteger', 'QLinearConv'], convFlops),
  ['ConvTranspose', convTransposeFlops],
  ['Gemm', gemmFlops],
  ...sameFor(['MatMul', 'MatMulInteger', 'QLinearMatMul'], matMulFlops),
  ...sameFor(['MaxPool', 'AveragePool', 'LpPool'], windowPoolFlops),
  ...sameFor(ONE_PER_INPUT, in0Of),
  ['RoiAlign', roiAlignFlops],
  ['MaxRoiPool', maxRoiPoolFlops],
  ['LRN', lrnFlops],
  ['Sum', variadicSumFlops],
  ['Mean', variadicSumFlops],
  ['Einsum', einsumFlops],
  ['Resize', resizeFlops],
  ['Upsample', resizeFlops],
  ...sameFor(['LSTM', 'GRU', 'RNN'], recurrentFlops),
]);

function flopsOf(c: BoundCost): number {
  const special = FLOPS_BY_OP.get(c.opType);
  if (special) return special(c);
  const k = ownValue(PER_ELEMENT, c.opType);
  return k === undefined ? 0 : k * out0Of(c);
}

function bytesOf(c: BoundCost): number {
  if (VIEW_OPS.has(c.opType)) return 0;
  const written = sum(c.outputBytes);
  switch (c.opType) {
    // index-driven reads touch only what they copy, not the whole source tensor
    case 'Gather':
    case 'GatherElements':
    case 'GatherND':
    case 'Slice':
      return 2 * written + (c.inputBytes[1] ?? 0) * (c.opType === 'Slice' ? 0 : 1);
    case 'ConstantOfShape':
    case 'Range':
      return written;
    default:
      return sum(c.inputBytes) + written;
  }
}

export function opCost(input: CostInput): OpCost {
  const c: BoundCost = { ...input, inputs: input.inputs.map((s) => (s === undefined ? undefined : boundShape(s))), outputs: input.outputs.map(boundShape) };
  const flops = flopsOf(c);
  const bytes = bytesOf(c);
  return { flops: Number.isFinite(flops) && flops > 0 ? flops : 0, memoryAccessBytes: Number.isFinite(bytes) && bytes > 0 ? bytes : 0 };
}
