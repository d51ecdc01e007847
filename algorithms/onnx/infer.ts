// Shape inference and constant folding for one ONNX node: input metas (shape, dtype, small value)
// in → output metas out. Pure; never throws on odd input (a shape that cannot be inferred becomes
// null / null dims). Follows the ONNX operator specs; opset differences (attribute vs input forms
// of axes, split, pads, scales…) are handled by looking at which form the node actually uses.
import { DT, isFloatType } from './dtypes';
import { Attrs, MAX_FOLDED_ELEMENTS, MAX_FOLDED_FLOAT_ELEMENTS, tensorDims, tensorValues } from './tensorData';
import {
  Dim,
  MAX_RANK,
  Shape,
  TensorMeta,
  broadcastAll,
  cleanElement,
  cleanShape,
  elementsOf,
  foldByIndex,
  foldDimsByIndex,
  foldDimsElementwise,
  foldElementwise,
  foldReduce,
  isFullyKnown,
  normAxis,
  numDim,
  numel,
  withElements,
} from './values';
import { dimAdd, dimDiv, dimMul, dimProduct, dimSub } from './symbolic';
import { ownValue } from '../records';

export interface InferContext {
  opType: string;
  attrs: Attrs;
  /** One entry per input slot; undefined for an omitted optional input or an unknown tensor. */
  inputs: (TensorMeta | undefined)[];
  nOutputs: number;
  /** Opset of the default ONNX domain. */
  opset: number;
}

export interface InferResult {
  outputs: TensorMeta[];
  /** False when the op type is not known to the inferencer (outputs are then unknown). */
  known: boolean;
}

type Rule = (c: InferContext) => TensorMeta[];

const unknown = (dtype = 0): TensorMeta => ({ shape: null, dtype });
const inDtype = (c: InferContext, i = 0) => c.inputs[i]?.dtype ?? 0;
const inShape = (c: InferContext, i = 0): Shape => c.inputs[i]?.shape ?? null;
const inValue = (c: InferContext, i: number) => c.inputs[i]?.value;
const present = (c: InferContext, i: number) => c.inputs.length > i && c.inputs[i] !== undefined;

/** The input's value or symbolic elements, for ops that keep the elements (Reshape, Squeeze…). */
function passElements(x: TensorMeta | undefined): { value?: number[]; sym?: Dim[] } {
  return x?.value ? { value: x.value } : x?.sym ? { sym: x.sym } : {};
}

function fillOutputs(c: InferContext, first: TensorMeta[]): TensorMeta[] {
  const out = first.slice(0, Math.max(c.nOutputs, 0));
  while (out.length < c.nOutputs) out.push(unknown());
  return out;
}

// ---------- elementwise ----------

const UNARY_FOLD: Partial<Record<string, (x: number) => number>> = {
  Identity: (x) => x,
  Neg: (x) => -x,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // round half to even
  },
  Sqrt: Math.sqrt,
  Relu: (x) => Math.max(0, x),
  Sign: Math.sign,
  Reciprocal: (x) => 1 / x,
  Exp: Math.exp,
  Log: Math.log,
  Not: (x) => (x ? 0 : 1),
};

const UNARY_SAME = [
  'Relu',
  'Sigmoid',
  'Tanh',
  'Gelu',
  'Erf',
  'LeakyRelu',
  'Clip',
  'Identity',
  'LRN',
  'Elu',
  'Selu',
  'Softplus',
  'Softsign',
  'HardSigmoid',
  'HardSwish',
  'Mish',
  'Celu',
  'ThresholdedRelu',
  'Exp',
  'Log',
  'Sqrt',
  'Reciprocal',
  'Neg',
  'Abs',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Sin',
  'Cos',
  'Tan',
  'Asin',
  'Acos',
  'Atan',
  'Sinh',
  'Cosh',
  'Asinh',
  'Acosh',
  'Atanh',
  'Softmax',
  'LogSoftmax',
  'Hardmax',
  'InstanceNormalization',
  'MeanVarianceNormalization',
  'CumSum',
  'Trilu',
  'Shrink',
  'GroupNormalization',
  'LpNormalization',
  'ReverseSequence',
  'BitwiseNot',
  'EyeLike',
  'ScatterND',
  'ScatterElements',
  'Scatter',
  'Not',
  'Dropout',
  'Bernoulli',
  'RandomNormalLike',
  'RandomUniformLike',
  'FastGelu',
  'QuickGelu',
];

const BINARY_FOLD: Partial<Record<string, (a: number, b: number) => number>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
  Mod: (a, b) => a % b,
  Equal: (a, b) => (a === b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  LessOrEqual: (a, b) => (a <= b ? 1 : 0),
  GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
  And: (a, b) => (a && b ? 1 : 0),
  Or: (a, b) => (a || b ? 1 : 0),
  Xor: (a, b) => (!!a !== !!b ? 1 : 0),
  Max: Math.max,
  Min: Math.min,
  Sum: (a, b) => a + b,
};

/** Shape arithmetic on partly symbolic elements (seq * 2, batch * seq, hidden / heads). */
const DIM_FOLD: Partial<Record<string, (a: Dim, b: Dim) => Dim>> = {
  Add: dimAdd,
  Sub: dimSub,
  Mul: dimMul,
  Div: dimDiv,
  Sum: dimAdd,
  Max: (a, b) => (a === b ? a : typeof a === 'number' && typeof b === 'number' ? Math.max(a, b) : null),
  Min: (a, b) => (a === b ? a : typeof a === 'number' && typeof b === 'number' ? Math.min(a, b) : null),
};

const BOOL_RESULT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);
const BROADCAST_OPS = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Mod',
  'PRelu',
  'BitShift',
  'BitwiseAnd',
  'BitwiseOr',
  'BitwiseXor',
  'And',
  'Or',
  'Xor',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'Sum',
  'Max',
  'Min',
  'Mean',
];

function isIntegerType(t: number): boolean {
  return (
    t === DT.INT64 ||
    t === DT.INT32 ||
    t === DT.INT16 ||
    t === DT.INT8 ||
    t === DT.UINT8 ||
    t === DT.UINT16 ||
    t === DT.UINT32 ||
    t === DT.UINT64 ||
    t === DT.BOOL
  );
}

const unary: Rule = (c) => {
  const x = c.inputs[0];
  const dtype = BOOL_RESULT.has(c.opType) ? DT.BOOL : inDtype(c);
  const fold = ownValue(UNARY_FOLD, c.opType);
  const value = fold && x?.value && x.value.length <= MAX_FOLDED_ELEMENTS ? x.value.map(fold) : undefined;
  const sym = c.opType === 'Identity' && x?.sym ? { sym: x.sym } : {};
  const first: TensorMeta = { shape: inShape(c), dtype, ...(value ? { value } : sym) };
  // Dropout-like second output (mask) and the like
  return fillOutputs(c, [first, { shape: inShape(c), dtype: DT.BOOL }]);
};

const broadcast: Rule = (c) => {
  const ins = c.inputs.filter((t) => t !== undefined);
  if (ins.length === 0) return fillOutputs(c, [unknown()]);
  const shape = broadcastAll(ins.map((t) => t.shape));
  const dtype = BOOL_RESULT.has(c.opType) ? DT.BOOL : ins[0].dtype;
  let fn: ((a: number, b: number) => number) | undefined = ownValue(BINARY_FOLD, c.opType);
  if (c.opType === 'Div' && isIntegerType(ins[0].dtype)) fn = (a, b) => Math.trunc(a / b);
  let value: number[] | undefined;
  if (fn && ins.length >= 1) value = foldElementwise(ins, shape, (...xs) => xs.reduce((acc, v) => fn(acc, v)));
  const dimFn = ownValue(DIM_FOLD, c.opType);
  const sym = !value && dimFn && ins.some((t) => t?.sym) ? foldDimsElementwise(ins, shape, (...xs) => xs.reduce((acc, v) => dimFn(acc, v))) : undefined;
  return fillOutputs(c, [{ shape, dtype, ...(value ? { value } : withElements(sym)) }]);
};

const where: Rule = (c) => {
  const shape = broadcastAll([inShape(c, 0), inShape(c, 1), inShape(c, 2)]);
  const value = foldElementwise([c.inputs[0], c.inputs[1], c.inputs[2]], shape, (cond, a, b) => (cond ? a : b));
  return fillOutputs(c, [{ shape, dtype: inDtype(c, 1) || inDtype(c, 2), ...(value ? { value } : {}) }]);
};

function castValue(v: number, to: number): number {
  if (to === DT.BOOL) return v ? 1 : 0;
  if (isIntegerType(to)) return Math.trunc(v);
  return v;
}

const cast: Rule = (c) => {
  const to = c.attrs.int('to', 0);
  const x = c.inputs[0];
  const value = x?.value?.map((v) => castValue(v, to));
  // dims stay the same dims through a cast to another integer type
  const sym = x?.sym && isIntegerType(to) && to !== DT.BOOL ? { sym: x.sym } : {};
  return fillOutputs(c, [{ shape: inShape(c), dtype: to, ...(value ? { value } : sym) }]);
};

// ---------- convolution and pooling ----------

function spatialOut(dim: Dim, k: number, s: number, d: number, pb: number, pe: number, autoPad: string, ceil: boolean): Dim {
  const inDim = numDim(dim);
  const dk = (k - 1) * d + 1;
  if (typeof dim === 'string' && s > 0)
    return symbolicSpatialOut(dim, dk, s, autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' ? null : autoPad === 'VALID' ? 0 : pb + pe);
  if (inDim === null || !(s > 0)) return null;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(inDim / s);
  if (autoPad === 'VALID') return Math.floor((inDim - dk) / s) + 1;
  const span = (inDim + pb + pe - dk) / s;
  let out = (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
  // ceil_mode: the last window must start inside the input or the left padding (PyTorch and current ONNX rule)
  if (ceil && (out - 1) * s >= inDim + pb) out -= 1;
  return out;
}

/** A symbolic spatial dim: exact when the stride divides it (`pads` null: SAME, ceil(in / s)), else unknown. */
function symbolicSpatialOut(dim: string, dk: number, s: number, pads: number | null): Dim {
  if (pads === null) return dimDiv(dim, s);
  const span = dimAdd(dim, pads - dk);
  return dimAdd(s === 1 ? span : dimDiv(span, s), 1);
}

function windowed(c: InferContext, x: Shape, kernel: number[] | null, outChannels: Dim, ceil: boolean): Shape {
  if (!x || x.length < 3 || !kernel) return x ? [x[0] ?? null, outChannels, ...x.slice(2).map(() => null)] : null;
  const n = x.length - 2;
  const strides = c.attrs.ints('strides') ?? [];
  const dil = c.attrs.ints('dilations') ?? [];
  const pads = c.attrs.ints('pads') ?? [];
  const autoPad = c.attrs.string('auto_pad', 'NOTSET');
  const out: Dim[] = [x[0], outChannels];
  for (let i = 0; i < n; i++) {
    out.push(spatialOut(x[2 + i], kernel[i] ?? 1, strides[i] ?? 1, dil[i] ?? 1, pads[i] ?? 0, pads[i + n] ?? 0, autoPad, ceil));
  }
  return out;
}

/** Input slots of the activation and weight, and the output dtype, of the conv-like ops. */
const CONV_FORMS: Record<string, { w: number; dtype: (c: InferContext) => number }> = {
  Conv: { w: 1, dtype: (c) => inDtype(c) },
  ConvInteger: { w: 1, dtype: () => DT.INT32 },
  // QLinearConv(x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B): y has y_zero_point's type
  QLinearConv: { w: 3, dtype: (c) => inDtype(c, 7) || inDtype(c) },
};

const conv: Rule = (c) => {
  const form = ownValue(CONV_FORMS, c.opType) ?? CONV_FORMS.Conv;
  const x = inShape(c, 0);
  const w = inShape(c, form.w);
  const kernel = c.attrs.ints('kernel_shape') ?? (w && w.length > 2 && isFullyKnown(w.slice(2)) ? (w.slice(2) as number[]) : null);
  const shape = windowed(c, x, kernel, w ? w[0] : null, false);
  return fillOutputs(c, [{ shape, dtype: form.dtype(c) }]);
};

const convTranspose: Rule = (c) => {
  const x = inShape(c, 0);
  const w = inShape(c, 1);
  const group = c.attrs.int('group', 1);
  const cout = dimMul(w ? (w[1] ?? null) : null, group);
  if (!x || x.length < 3) return fillOutputs(c, [{ shape: null, dtype: inDtype(c) }]);
  const n = x.length - 2;
  const explicit = c.attrs.ints('output_shape');
  if (explicit && explicit.length >= n) {
    return fillOutputs(c, [{ shape: [x[0], cout, ...explicit.slice(explicit.length - n)], dtype: inDtype(c) }]);
  }
  const kernel = c.attrs.ints('kernel_shape') ?? (w && w.length > 2 ? w.slice(2) : []);
  const strides = c.attrs.ints('strides') ?? [];
  const dil = c.attrs.ints('dilations') ?? [];
  const pads = c.attrs.ints('pads') ?? [];
  const outPad = c.attrs.ints('output_padding') ?? [];
  const autoPad = c.attrs.string('auto_pad', 'NOTSET');
  const shape: Dim[] = [x[0], cout];
  for (let i = 0; i < n; i++) {
    const xin = x[2 + i];
    const k = numDim(kernel[i]);
    const s = strides[i] ?? 1;
    if (xin === null || k === null || k === undefined) {
      shape.push(null);
    } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      shape.push(dimMul(xin, s));
    } else {
      shape.push(dimAdd(dimMul(s, dimSub(xin, 1)), (outPad[i] ?? 0) + ((k - 1) * (dil[i] ?? 1) + 1) - (pads[i] ?? 0) - (pads[i + n] ?? 0)));
    }
  }
  return fillOutputs(c, [{ shape, dtype: inDtype(c) }]);
};

const pool: Rule = (c) => {
  const x = inShape(c, 0);
  const kernel = c.attrs.ints('kernel_shape') ?? null;
  const shape = windowed(c, x, kernel, x ? x[1] : null, c.attrs.int('ceil_mode', 0) === 1);
  return fillOutputs(c, [
    { shape, dtype: inDtype(c) },
    { shape, dtype: DT.INT64 },
  ]);
};

const globalPool: Rule = (c) => {
  const x = inShape(c, 0);
  const shape = x ? x.map((d, i) => (i < 2 ? d : 1)) : null;
  return fillOutputs(c, [{ shape, dtype: inDtype(c) }]);
};

// ---------- linear algebra ----------

const gemm: Rule = (c) => {
  const a = inShape(c, 0);
  const b = inShape(c, 1);
  const m = a && a.length === 2 ? (c.attrs.int('transA', 0) ? a[1] : a[0]) : null;
  const n = b && b.length === 2 ? (c.attrs.int('transB', 0) ? b[0] : b[1]) : null;
  return fillOutputs(c, [{ shape: [m, n], dtype: inDtype(c) }]);
};

export function matmulShape(a: Shape, b: Shape): Shape {
  if (!a || !b || a.length === 0 || b.length === 0) return null;
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastAll([a2.slice(0, -2), b2.slice(0, -2)]);
  if (!batch) return null;
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

const matmul: Rule = (c) => fillOutputs(c, [{ shape: matmulShape(inShape(c, 0), inShape(c, 1)), dtype: c.opType === 'MatMulInteger' ? DT.INT32 : inDtype(c) }]);
// QLinearMatMul(a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point): y has y_zero_point's type
const qlinearMatmul: Rule = (c) => fillOutputs(c, [{ shape: matmulShape(inShape(c, 0), inShape(c, 3)), dtype: inDtype(c, 7) || inDtype(c) }]);

// ---------- normalisation ----------

const batchNorm: Rule = (c) => {
  const x = inShape(c, 0);
  const ch: Shape = x && x.length > 1 ? [x[1]] : null;
  return fillOutputs(c, [{ shape: x, dtype: inDtype(c) }, ...new Array(4).fill(0).map(() => ({ shape: ch, dtype: inDtype(c) }))]);
};

const layerNorm: Rule = (c) => {
  const x = inShape(c, 0);
  const axis = x ? normAxis(c.attrs.int('axis', -1), x.length) : null;
  const stat: Shape = x && axis !== null ? x.map((d, i) => (i < axis ? d : 1)) : null;
  return fillOutputs(c, [
    { shape: x, dtype: inDtype(c) },
    { shape: stat, dtype: DT.FLOAT },
    { shape: stat, dtype: DT.FLOAT },
  ]);
};

// ---------- shape manipulation ----------

const shapeOp: Rule = (c) => {
  const x = inShape(c, 0);
  if (!x) return fillOutputs(c, [{ shape: [null], dtype: DT.INT64 }]);
  const r = x.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(c.attrs.int('start', 0));
  const end = c.attrs.has('end') ? clamp(c.attrs.int('end', r)) : r;
  const dims = x.slice(start, Math.max(start, end));
  return fillOutputs(c, [{ shape: [dims.length], dtype: DT.INT64, ...withElements(dims) }]);
};

const sizeOp: Rule = (c) => {
  const s = inShape(c, 0);
  return fillOutputs(c, [{ shape: [], dtype: DT.INT64, ...withElements(s ? [dimProduct(s)] : undefined) }]);
};

function constantMeta(c: InferContext): TensorMeta {
  const a = c.attrs;
  const t = a.tensor('value');
  if (t) {
    const dims = tensorDims(t);
    const value = tensorValues(t);
    return { shape: dims, dtype: t.data_type ?? 0, ...(value ? { value } : {}) };
  }
  if (a.has('value_float')) return { shape: [], dtype: DT.FLOAT, value: [a.float('value_float', 0)] };
  if (a.has('value_floats')) {
    const v = a.floats('value_floats')!;
    return { shape: [v.length], dtype: DT.FLOAT, value: v.slice(0, MAX_FOLDED_ELEMENTS) };
  }
  if (a.has('value_int')) return { shape: [], dtype: DT.INT64, value: [a.int('value_int', 0)] };
  if (a.has('value_ints')) {
    const v = a.ints('value_ints')!;
    return { shape: [v.length], dtype: DT.INT64, value: v.slice(0, MAX_FOLDED_ELEMENTS) };
  }
  if (a.has('value_string')) return { shape: [], dtype: DT.STRING };
  if (a.has('value_strings')) return { shape: [a.get('value_strings')!.strings?.length ?? 0], dtype: DT.STRING };
  return unknown();
}

const constant: Rule = (c) => {
  const m = constantMeta(c);
  if (m.value && m.shape && numel(m.shape) !== m.value.length) delete m.value;
  return fillOutputs(c, [m]);
};

const constantOfShape: Rule = (c) => {
  const t = c.attrs.tensor('value');
  const dtype = t?.data_type ?? DT.FLOAT;
  const fillValue = t ? (tensorValues(t)?.[0] ?? 0) : 0;
  const dims = elementsOf(c.inputs[0]);
  const inS = inShape(c, 0);
  const rank = inS && inS.length === 1 ? numDim(inS[0]) : null;
  const shape: Shape = dims ? dims.slice() : rank !== null && rank <= MAX_RANK ? new Array(rank).fill(null) : null;
  const clean = cleanShape(shape);
  const n = numel(clean);
  const limit = isFloatType(dtype) ? MAX_FOLDED_FLOAT_ELEMENTS : MAX_FOLDED_ELEMENTS; // weights are not materialised
  const value = n !== null && n <= limit ? new Array(n).fill(fillValue) : undefined;
  return fillOutputs(c, [{ shape: clean, dtype, ...(value ? { value } : {}) }]);
};

const reshape: Rule = (c) => {
  const x = c.inputs[0];
  const target: Dim[] | undefined = present(c, 1) ? elementsOf(c.inputs[1]) : c.attrs.ints('shape');
  const dtype = inDtype(c);
  const passValue = passElements(x);
  if (!target) {
    const ts = inShape(c, 1);
    const rank = ts && ts.length === 1 ? numDim(ts[0]) : null;
    return fillOutputs(c, [{ shape: rank !== null && rank <= MAX_RANK ? new Array(rank).fill(null) : null, dtype, ...passValue }]);
  }
  const xs = x?.shape ?? null;
  const allowZero = c.attrs.int('allowzero', 0) === 1;
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (xs && i < xs.length ? xs[i] : null) : d === -1 ? null : d));
  const minus = target.findIndex((d) => d === -1);
  if (minus >= 0) {
    // -1 takes what is left: the element count over the other dims (exact, symbolic or not)
    const total = xs ? dimProduct(xs) : null;
    const rest = dimProduct(out.filter((_, i) => i !== minus));
    const left = rest === 0 ? null : dimDiv(total, rest);
    out[minus] = typeof left === 'number' && typeof total === 'number' && typeof rest === 'number' && total % rest !== 0 ? null : left;
  }
  return fillOutputs(c, [{ shape: out, dtype, ...passValue }]);
};

const flatten: Rule = (c) => {
  const x = inShape(c, 0);
  if (!x) return fillOutputs(c, [{ shape: [null, null], dtype: inDtype(c) }]);
  let axis = c.attrs.int('axis', 1);
  if (axis < 0) axis += x.length;
  const a = dimProduct(x.slice(0, axis));
  const b = dimProduct(x.slice(axis));
  return fillOutputs(c, [{ shape: [a, b], dtype: inDtype(c), ...passElements(c.inputs[0]) }]);
};

const transpose: Rule = (c) => {
  const x = inShape(c, 0);
  if (!x) return fillOutputs(c, [{ shape: null, dtype: inDtype(c) }]);
  const perm = c.attrs.ints('perm') ?? x.map((_, i) => x.length - 1 - i);
  const shape = perm.length === x.length ? perm.map((p) => (p >= 0 && p < x.length ? x[p] : null)) : null;
  const value = shape
    ? foldByIndex(c.inputs[0], shape, (o) => {
        const src = new Array(o.length);
        perm.forEach((p, i) => (src[p] = o[i]));
        return src;
      })
    : undefined;
  return fillOutputs(c, [{ shape, dtype: inDtype(c), ...(value ? { value } : {}) }]);
};

/** Concat of known elements (numbers or partly symbolic: [batch] ++ [seq] ++ [2, 16]). */
function foldConcat(inputs: TensorMeta[], axis: number, out: Shape): Dim[] | undefined {
  if (!isFullyKnown(out) || numel(out)! > MAX_FOLDED_ELEMENTS) return undefined;
  const parts = inputs.map(elementsOf);
  for (let i = 0; i < inputs.length; i++) if (!parts[i] || !isFullyKnown(inputs[i].shape) || parts[i]!.length !== numel(inputs[i].shape)) return undefined;
  const outer = numel(out.slice(0, axis))!;
  const res: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    inputs.forEach((t, i) => {
      const chunk = numel((t.shape as number[]).slice(axis))!;
      for (let j = 0; j < chunk; j++) res.push(parts[i]![o * chunk + j]);
    });
  }
  return res;
}

const concat: Rule = (c) => {
  const ins = c.inputs.filter((t): t is TensorMeta => t !== undefined);
  const ranked = ins.find((t) => t.shape);
  const dtype = ins[0]?.dtype ?? 0;
  if (!ranked || ins.length !== c.inputs.length) return fillOutputs(c, [{ shape: ranked ? ranked.shape!.map(() => null) : null, dtype }]);
  const rank = ranked.shape!.length;
  const axis = normAxis(c.attrs.int('axis', 0), rank);
  if (axis === null) return fillOutputs(c, [{ shape: null, dtype }]);
  const out: Dim[] = new Array(rank).fill(null);
  let sum: Dim = 0;
  for (let i = 0; i < rank; i++) {
    if (i === axis) continue;
    for (const t of ins) if (t.shape && t.shape[i] !== null) out[i] = t.shape[i];
  }
  for (const t of ins) {
    const d = t.shape ? t.shape[axis] : null;
    sum = d === undefined ? null : dimAdd(sum, d);
  }
  out[axis] = sum;
  return fillOutputs(c, [{ shape: out, dtype, ...withElements(foldConcat(ins, axis, out)) }]);
};

/** Gather of known elements by constant indices (Gather(Shape(x), 1) is x's dim 1, symbolic or not). */
function foldGather(data: TensorMeta, idx: TensorMeta, axis: number, out: Shape): Dim[] | undefined {
  const els = elementsOf(data);
  if (!els || !idx.value || !isFullyKnown(data.shape) || !isFullyKnown(out) || numel(out)! > MAX_FOLDED_ELEMENTS) return undefined;
  if (els.length !== numel(data.shape)) return undefined;
  const ds = data.shape;
  const outer = numel(ds.slice(0, axis))!;
  const inner = numel(ds.slice(axis + 1))!;
  const len = ds[axis];
  const res: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of idx.value) {
      const i = raw < 0 ? raw + len : raw;
      if (!(i >= 0 && i < len)) return undefined;
      for (let j = 0; j < inner; j++) res.push(els[(o * len + i) * inner + j]);
    }
  }
  return res;
}

const gather: Rule = (c) => {
  const data = c.inputs[0];
  const idx = c.inputs[1];
  const ds = data?.shape ?? null;
  const is = idx?.shape ?? null;
  const dtype = data?.dtype ?? 0;
  if (!ds || !is) return fillOutputs(c, [{ shape: null, dtype }]);
  const axis = normAxis(c.attrs.int('axis', 0), ds.length);
  if (axis === null) return fillOutputs(c, [{ shape: null, dtype }]);
  const shape = [...ds.slice(0, axis), ...is, ...ds.slice(axis + 1)];
  const els = data && idx ? foldGather(data, idx, axis, shape) : undefined;
  return fillOutputs(c, [{ shape, dtype, ...withElements(els) }]);
};

const gatherElements: Rule = (c) => fillOutputs(c, [{ shape: inShape(c, 1), dtype: inDtype(c) }]);

const gatherND: Rule = (c) => {
  const ds = inShape(c, 0);
  const is = inShape(c, 1);
  const b = c.attrs.int('batch_dims', 0);
  if (!ds || !is || is.length === 0) return fillOutputs(c, [{ shape: null, dtype: inDtype(c) }]);
  const k = numDim(is[is.length - 1]);
  if (k === null) return fillOutputs(c, [{ shape: null, dtype: inDtype(c) }]);
  return fillOutputs(c, [{ shape: [...is.slice(0, -1), ...ds.slice(b + k)], dtype: inDtype(c) }]);
};

const split: Rule = (c) => {
  const x = inShape(c, 0);
  const dtype = inDtype(c);
  if (!x)
    return fillOutputs(
      c,
      new Array(c.nOutputs).fill(0).map(() => unknown(dtype)),
    );
  const axis = normAxis(c.attrs.int('axis', 0), x.length);
  if (axis === null) return fillOutputs(c, []);
  const sizes = present(c, 1) ? inValue(c, 1) : c.attrs.ints('split');
  const n = c.nOutputs;
  const dim = x[axis];
  const out: TensorMeta[] = [];
  for (let i = 0; i < n; i++) {
    let d: Dim = null;
    if (sizes && sizes.length === n) d = sizes[i];
    else if (!(present(c, 1) && !sizes) && typeof dim === 'number' && n > 0) {
      const chunk = Math.ceil(dim / n);
      d = i < n - 1 ? chunk : dim - chunk * (n - 1);
    } else if (!(present(c, 1) && !sizes) && n > 0) d = dimDiv(dim, n); // a symbolic dim splits evenly or is unknown
    const s = x.slice();
    s[axis] = d;
    out.push({ shape: s, dtype });
  }
  return out;
};

/** Length of one sliced axis following the ONNX Slice clamping rules. */
function sliceLength(dim: number, start: number, end: number, step: number): { len: number; first: number } {
  if (step === 0 || !Number.isFinite(step)) return { len: 0, first: 0 };
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  return { len: Math.max(0, Math.ceil((e - s) / step)), first: s };
}

/** Slice bounds at or past this are "to the end" (exporters write INT64_MAX or INT32_MAX). */
const SLICE_TO_END = 2 ** 31 - 1;

/**
 * Length of a step-1 slice where the dim or a bound is symbolic (bias[:, :, :seq, :seq] of a
 * [1, 1, 64, 64] mask, x[:, -1:] or x[:, 1:] of [1, seq, 32]). A symbolic bound is taken to lie
 * inside the dim: the model only runs for such values (GPT-2's mask slice needs seq ≤ n_ctx). A
 * number bound on a symbolic dim counts only from the end or to the end (x[:, :4] of seq is
 * min(seq, 4), not a polynomial); an unknown dim, another step or an unknown bound give unknown.
 */
function symbolicSliceLength(dim: Dim, start: Dim, end: Dim, step: number): Dim {
  if (step !== 1 || dim === null || start === null || end === null) return null;
  const bound = (b: number | string, isEnd: boolean): Dim => {
    if (typeof b === 'string') return b;
    if (b >= SLICE_TO_END) return dim;
    if (b < 0) return typeof dim === 'number' ? Math.max(dim + b, 0) : dimAdd(dim, b);
    if (typeof dim === 'number') return Math.min(b, dim);
    return isEnd ? null : b; // an end of 4 on seq is min(seq, 4): not a polynomial
  };
  const len = dimSub(bound(end, true), bound(start, false));
  return typeof len === 'number' ? Math.max(len, 0) : len;
}

const slice: Rule = (c) => {
  const x = c.inputs[0];
  const xs = x?.shape ?? null;
  const dtype = inDtype(c);
  if (!xs) return fillOutputs(c, [{ shape: null, dtype }]);
  const byInputs = c.inputs.length > 1;
  const starts: Dim[] | undefined = byInputs ? elementsOf(c.inputs[1]) : c.attrs.ints('starts');
  const ends: Dim[] | undefined = byInputs ? elementsOf(c.inputs[2]) : c.attrs.ints('ends');
  const axesIn = byInputs ? (present(c, 3) ? inValue(c, 3) : undefined) : c.attrs.ints('axes');
  const stepsIn = byInputs && present(c, 4) ? inValue(c, 4) : undefined;
  const axesUnknown = byInputs && present(c, 3) && !axesIn;
  const stepsUnknown = byInputs && present(c, 4) && !stepsIn;
  if (!starts || !ends || axesUnknown || stepsUnknown || starts.length !== ends.length) {
    // which axes change is unknown: keep the rank, forget the dims that might change
    return fillOutputs(c, [
      { shape: axesIn && !axesUnknown ? xs.map((d, i) => (axesIn.some((a) => normAxis(a, xs.length) === i) ? null : d)) : xs.map(() => null), dtype },
    ]);
  }
  const axes = axesIn ?? starts.map((_, i) => i);
  const out: Dim[] = xs.slice();
  // per input dim: the first index taken and the step (untouched dims: 0 and 1)
  const first = xs.map(() => 0);
  const stride = xs.map(() => 1);
  let foldable = true;
  for (let i = 0; i < axes.length; i++) {
    const a = normAxis(axes[i], xs.length);
    if (a === null) return fillOutputs(c, [{ shape: null, dtype }]);
    const dim = xs[a];
    const step = stepsIn?.[i] ?? 1;
    const [start, end] = [starts[i], ends[i]];
    if (typeof dim !== 'number' || typeof start !== 'number' || typeof end !== 'number') {
      out[a] = symbolicSliceLength(dim, start, end, step);
      foldable = false;
      continue;
    }
    const r = sliceLength(dim, start, end, step);
    out[a] = r.len;
    first[a] = r.first;
    stride[a] = step;
  }
  const source = (o: readonly number[]) => o.map((k, d) => first[d] + k * stride[d]);
  const els = foldable ? (foldByIndex(x, out, source) ?? foldDimsByIndex(x, out, source)) : undefined;
  return fillOutputs(c, [{ shape: out, dtype, ...withElements(els) }]);
};

function axesOf(c: InferContext, inputIndex: number): number[] | undefined | 'unknown' {
  if (present(c, inputIndex)) return inValue(c, inputIndex) ?? 'unknown';
  return c.attrs.ints('axes');
}

const squeeze: Rule = (c) => {
  const x = c.inputs[0];
  const xs = x?.shape ?? null;
  const axes = axesOf(c, 1);
  const dtype = inDtype(c);
  const passValue = passElements(x);
  if (!xs || axes === 'unknown') return fillOutputs(c, [{ shape: null, dtype, ...passValue }]);
  if (!axes || axes.length === 0) {
    if (!isFullyKnown(xs)) return fillOutputs(c, [{ shape: null, dtype, ...passValue }]);
    return fillOutputs(c, [{ shape: xs.filter((d) => d !== 1), dtype, ...passValue }]);
  }
  const drop = new Set(axes.map((a) => normAxis(a, xs.length)));
  return fillOutputs(c, [{ shape: xs.filter((_, i) => !drop.has(i)), dtype, ...passValue }]);
};

const unsqueeze: Rule = (c) => {
  const x = c.inputs[0];
  const xs = x?.shape ?? null;
  const axes = axesOf(c, 1);
  const dtype = inDtype(c);
  const passValue = passElements(x);
  if (!xs || axes === 'unknown' || !axes) return fillOutputs(c, [{ shape: null, dtype, ...passValue }]);
  const rank = xs.length + axes.length;
  const at = new Set(axes.map((a) => normAxis(a, rank)));
  if (at.has(null) || at.size !== axes.length) return fillOutputs(c, [{ shape: null, dtype }]);
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : xs[j++]);
  return fillOutputs(c, [{ shape: out, dtype, ...passValue }]);
};

const expand: Rule = (c) => {
  const target = elementsOf(c.inputs[1]);
  const dtype = inDtype(c);
  if (!target) {
    const ts = inShape(c, 1);
    const xs = inShape(c, 0);
    const n = ts && ts.length === 1 ? numDim(ts[0]) : null;
    const rank = n !== null && xs ? Math.max(n, xs.length) : null;
    return fillOutputs(c, [{ shape: rank !== null && rank <= MAX_RANK ? new Array(rank).fill(null) : null, dtype }]);
  }
  const shape = broadcastAll([inShape(c, 0), target]);
  const els = foldDimsElementwise([c.inputs[0]], shape, (v) => v) ?? foldElementwise([c.inputs[0]], shape, (v) => v);
  return fillOutputs(c, [{ shape, dtype, ...withElements(els) }]);
};

const tile: Rule = (c) => {
  const xs = inShape(c, 0);
  const reps = inValue(c, 1);
  if (!xs) return fillOutputs(c, [{ shape: null, dtype: inDtype(c) }]);
  const shape = reps && reps.length === xs.length ? xs.map((d, i) => dimMul(d, reps[i])) : xs.map(() => null);
  const value = foldByIndex(c.inputs[0], shape, (o) => o.map((k, d) => k % (xs[d] as number)));
  return fillOutputs(c, [{ shape, dtype: inDtype(c), ...(value ? { value } : {}) }]);
};

const pad: Rule = (c) => {
  const xs = inShape(c, 0);
  const dtype = inDtype(c);
  if (!xs) return fillOutputs(c, [{ shape: null, dtype }]);
  const pads = present(c, 1) ? inValue(c, 1) : (c.attrs.ints('pads') ?? c.attrs.ints('paddings'));
  if (!pads) return fillOutputs(c, [{ shape: xs.map(() => null), dtype }]);
  const axesIn = present(c, 3) ? inValue(c, 3) : undefined;
  if (present(c, 3) && !axesIn) return fillOutputs(c, [{ shape: xs.map(() => null), dtype }]);
  const axes = axesIn ? axesIn.map((a) => normAxis(a, xs.length)) : xs.map((_, i) => i);
  if (pads.length !== 2 * axes.length) return fillOutputs(c, [{ shape: xs.map(() => null), dtype }]);
  const out = xs.slice();
  const before = xs.map(() => 0);
  axes.forEach((a, i) => {
    if (a === null) return;
    const d = out[a];
    out[a] = dimAdd(d, pads[i] + pads[i + axes.length]);
    before[a] = pads[i];
  });
  // constant mode folds (reflect/edge would need the mirrored index): padding reads constant_value
  const mode = c.attrs.string('mode', 'constant');
  const fill = present(c, 2) ? inValue(c, 2)?.[0] : c.attrs.float('value', 0);
  const value =
    mode === 'constant' && fill !== undefined
      ? foldByIndex(
          c.inputs[0],
          out,
          (o) => {
            const src = o.map((k, d) => k - before[d]);
            return src.every((k, d) => k >= 0 && k < (xs[d] as number)) ? src : null;
          },
          fill,
        )
      : undefined;
  return fillOutputs(c, [{ shape: out, dtype, ...(value ? { value } : {}) }]);
};

const resize: Rule = (c) => {
  const xs = inShape(c, 0);
  const dtype = inDtype(c);
  if (!xs) return fillOutputs(c, [{ shape: null, dtype }]);
  let sizes: number[] | undefined;
  let scales: number[] | undefined;
  if (c.opType === 'Upsample') {
    scales = present(c, 1) ? inValue(c, 1) : c.attrs.floats('scales');
  } else if (c.opset < 11 && c.inputs.length <= 2) {
    scales = inValue(c, 1);
  } else {
    const s = inValue(c, 3);
    if (present(c, 3) && s && s.length > 0) sizes = s;
    else {
      const sc = inValue(c, 2);
      if (sc && sc.length > 0) scales = sc;
    }
  }
  let out: Dim[];
  if (sizes && sizes.length === xs.length) out = sizes.slice();
  else if (scales && scales.length === xs.length) out = xs.map((d, i) => (scales[i] === 1 ? d : typeof d === 'number' ? Math.floor(d * scales[i]) : null));
  else out = xs.map(() => null);
  return fillOutputs(c, [{ shape: out, dtype }]);
};

// ---------- reductions ----------

const reduce: Rule = (c) => {
  const xs = inShape(c, 0);
  const dtype = c.opType === 'ArgMax' || c.opType === 'ArgMin' ? DT.INT64 : inDtype(c);
  if (!xs) return fillOutputs(c, [{ shape: null, dtype }]);
  const keep = c.attrs.int('keepdims', 1) === 1;
  let axes: number[] | undefined;
  if (c.opType === 'ArgMax' || c.opType === 'ArgMin') axes = [c.attrs.int('axis', 0)];
  else {
    const a = axesOf(c, 1);
    if (a === 'unknown') return fillOutputs(c, [{ shape: keep ? xs.map(() => null) : null, dtype }]);
    axes = a;
  }
  if (!axes || axes.length === 0) {
    if (c.attrs.int('noop_with_empty_axes', 0) === 1) return fillOutputs(c, [{ shape: xs, dtype }]);
    axes = xs.map((_, i) => i);
  }
  const set = new Set(axes.map((a) => normAxis(a, xs.length)));
  const out: Dim[] = [];
  xs.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  const value = set.has(null) ? undefined : foldReduce(c.opType, c.inputs[0], set as Set<number>);
  return fillOutputs(c, [{ shape: out, dtype, ...(value ? { value } : {}) }]);
};

// ---------- recurrent ----------

const recurrent: Rule = (c) => {
  const xs = inShape(c, 0);
  const w = inShape(c, 1);
  const gates = c.opType === 'LSTM' ? 4 : c.opType === 'GRU' ? 3 : 1;
  const dirs = c.attrs.string('direction', 'forward') === 'bidirectional' ? 2 : 1;
  const hidden = c.attrs.has('hidden_size') ? c.attrs.int('hidden_size', 0) : dimDiv(w ? (w[1] ?? null) : null, gates);
  const layout = c.attrs.int('layout', 0);
  const dtype = inDtype(c);
  const seq = xs && xs.length === 3 ? (layout ? xs[1] : xs[0]) : null;
  const batch = xs && xs.length === 3 ? (layout ? xs[0] : xs[1]) : null;
  const y: Shape = layout ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden];
  const state: Shape = layout ? [batch, dirs, hidden] : [dirs, batch, hidden];
  return fillOutputs(c, [
    { shape: y, dtype },
    { shape: state, dtype },
    { shape: state, dtype },
  ]);
};

// ---------- generators and misc ----------

const range: Rule = (c) => {
  const [s, l, d] = [elementsOf(c.inputs[0])?.[0], elementsOf(c.inputs[1])?.[0], inValue(c, 2)?.[0]];
  const dtype = inDtype(c);
  if (s === undefined || l === undefined || s === null || l === null || d === undefined || d === 0) return fillOutputs(c, [{ shape: [null], dtype }]);
  // arange(0, seq): seq elements; a symbolic count is exact or unknown, never folded
  if (typeof s !== 'number' || typeof l !== 'number') return fillOutputs(c, [{ shape: [d > 0 ? dimDiv(dimSub(l, s), d) : null], dtype }]);
  const n = Math.max(Math.ceil((l - s) / d), 0);
  const value = n <= MAX_FOLDED_ELEMENTS ? Array.from({ length: n }, (_, i) => s + i * d) : undefined;
  return fillOutputs(c, [{ shape: [n], dtype, ...(value ? { value } : {}) }]);
};

const topk: Rule = (c) => {
  const xs = inShape(c, 0);
  if (!xs) return fillOutputs(c, [unknown(inDtype(c)), unknown(DT.INT64)]);
  const k = present(c, 1) ? (inValue(c, 1)?.[0] ?? null) : c.attrs.int('k', -1);
  const axis = normAxis(c.attrs.int('axis', -1), xs.length);
  const shape = xs.map((d, i) => (i === axis ? (k !== null && k >= 0 ? k : null) : d));
  return fillOutputs(c, [
    { shape, dtype: inDtype(c) },
    { shape, dtype: DT.INT64 },
  ]);
};

const oneHot: Rule = (c) => {
  const is = inShape(c, 0);
  const depth = inValue(c, 1)?.[0];
  const dtype = inDtype(c, 2);
  if (!is) return fillOutputs(c, [{ shape: null, dtype }]);
  const rank = is.length + 1;
  const axis = normAxis(c.attrs.int('axis', -1), rank);
  if (axis === null) return fillOutputs(c, [{ shape: null, dtype }]);
  const out: Dim[] = is.slice();
  out.splice(axis, 0, depth !== undefined ? Math.trunc(depth) : null);
  return fillOutputs(c, [{ shape: out, dtype }]);
};

const depthToSpace: Rule = (c) => {
  const xs = inShape(c, 0);
  const b = c.attrs.int('blocksize', 1);
  if (!xs || xs.length !== 4) return fillOutputs(c, [{ shape: null, dtype: inDtype(c) }]);
  const [n, ch, h, w] = xs;
  const up = c.opType === 'DepthToSpace';
  const shape: Shape = up ? [n, dimDiv(ch, b * b), dimMul(h, b), dimMul(w, b)] : [n, dimMul(ch, b * b), dimDiv(h, b), dimDiv(w, b)];
  return fillOutputs(c, [{ shape, dtype: inDtype(c) }]);
};

// RoiAlign(X [N, C, H, W], rois [R, 4], batch_indices [R]) → [R, C, output_height, output_width];
// MaxRoiPool(X, rois [R, 5]) → [R, C, pooled_shape...].
const roiPool: Rule = (c) => {
  const xs = inShape(c, 0);
  const rois = inShape(c, 1);
  const hw = c.opType === 'MaxRoiPool' ? (c.attrs.ints('pooled_shape') ?? [null, null]) : [c.attrs.int('output_height', 1), c.attrs.int('output_width', 1)];
  return fillOutputs(c, [{ shape: [rois ? rois[0] : null, xs && xs.length === 4 ? xs[1] : null, ...hw], dtype: inDtype(c) }]);
};

const nonZero: Rule = (c) => {
  const xs = inShape(c, 0);
  return fillOutputs(c, [{ shape: [xs ? xs.length : null, null], dtype: DT.INT64 }]);
};

/** Letter → dim and the broadcast '...' dims of an Einsum; null when the equation does not fit the inputs. */
export function einsumDims(equation: string, shapes: Shape[]): { dims: Map<string, Dim>; ellipsis: Dim[]; output: string } | null {
  const eq = equation.replace(/\s/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) return null;
  const dims = new Map<string, Dim>();
  let ellipsis: Shape = [];
  const counts = new Map<string, number>();
  for (let k = 0; k < terms.length; k++) {
    const s = shapes[k];
    if (!s) return null;
    const [before, after] = terms[k].includes('...') ? terms[k].split('...') : [terms[k], undefined];
    const letters = before + (after ?? '');
    const ell = after === undefined ? 0 : s.length - letters.length;
    if (ell < 0 || (after === undefined && letters.length !== s.length)) return null;
    const dimsHere = [...before].map((_, i) => s[i]);
    const tail = after === undefined ? [] : [...after].map((_, i) => s[before.length + ell + i]);
    [...before, ...(after ?? '')].forEach((ch, i) => {
      const d = i < before.length ? dimsHere[i] : tail[i - before.length];
      const prev = dims.get(ch);
      dims.set(ch, prev === undefined || prev === null || prev === 1 ? d : prev);
      counts.set(ch, (counts.get(ch) ?? 0) + 1);
    });
    if (after !== undefined) ellipsis = broadcastAll([ellipsis, s.slice(before.length, before.length + ell)]);
  }
  if (!ellipsis) return null;
  const output =
    rhs ??
    (lhs.includes('...') ? '...' : '') +
      [...counts]
        .filter(([, n]) => n === 1)
        .map(([ch]) => ch)
        .sort()
        .join('');
  return { dims, ellipsis, output };
}

const einsum: Rule = (c) => {
  const parsed = einsumDims(
    c.attrs.string('equation', ''),
    c.inputs.map((t) => t?.shape ?? null),
  );
  if (!parsed) return fillOutputs(c, [{ shape: null, dtype: inDtype(c) }]);
  const out: Dim[] = [];
  const [before, after] = parsed.output.includes('...') ? parsed.output.split('...') : [parsed.output, undefined];
  for (const ch of before) out.push(parsed.dims.get(ch) ?? null);
  if (after !== undefined) {
    out.push(...parsed.ellipsis);
    for (const ch of after) out.push(parsed.dims.get(ch) ?? null);
  }
  return fillOutputs(c, [{ shape: out, dtype: inDtype(c) }]);
};

// QuantizeLinear: y has y_zero_point's type, else output_dtype (opset 21), else uint8.
const quantize: Rule = (c) => fillOutputs(c, [{ shape: inShape(c, 0), dtype: inDtype(c, 2) || c.attrs.int('output_dtype', 0) || DT.UINT8 }]);
// DequantizeLinear: y has x_scale's type (float, or float16/bfloat16 since opset 19).
const dequantize: Rule = (c) => fillOutputs(c, [{ shape: inShape(c, 0), dtype: inDtype(c, 1) || DT.FLOAT }]);
// DynamicQuantizeLinear(x) → y (uint8, x's shape), y_scale (float scalar), y_zero_point (uint8 scalar).
const dynamicQuantize: Rule = (c) =>
  fillOutputs(c, [
    { shape: inShape(c, 0), dtype: DT.UINT8 },
    { shape: [], dtype: DT.FLOAT },
    { shape: [], dtype: DT.UINT8 },
  ]);
const castLike: Rule = (c) => fillOutputs(c, [{ shape: inShape(c, 0), dtype: inDtype(c, 1) }]);
const nms: Rule = (c) => fillOutputs(c, [{ shape: [null, 3], dtype: DT.INT64 }]);
const isNanInf: Rule = (c) => fillOutputs(c, [{ shape: inShape(c, 0), dtype: DT.BOOL }]);

const RULES = new Map<string, Rule>();
for (const op of UNARY_SAME) RULES.set(op, unary);
for (const op of BROADCAST_OPS) RULES.set(op, broadcast);
const SPECIFIC: Record<string, Rule> = {
  Where: where,
  Cast: cast,
  CastLike: castLike,
  IsNaN: isNanInf,
  IsInf: isNanInf,
  Conv: conv,
  ConvInteger: conv,
  QLinearConv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  Gemm: gemm,
  MatMul: matmul,
  MatMulInteger: matmul,
  QLinearMatMul: qlinearMatmul,
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  Shape: shapeOp,
  Size: sizeOp,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Concat: concat,
  Gather: gather,
  GatherElements: gatherElements,
  GatherND: gatherND,
  Split: split,
  Slice: slice,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Expand: expand,
  Tile: tile,
  Pad: pad,
  Resize: resize,
  Upsample: resize,
  ReduceMean: reduce,
  ReduceSum: reduce,
  ReduceMax: reduce,
  ReduceMin: reduce,
  ReduceProd: reduce,
  ReduceL1: reduce,
  ReduceL2: reduce,
  ReduceLogSum: reduce,
  ReduceLogSumExp: reduce,
  ReduceSumSquare: reduce,
  ArgMax: reduce,
  ArgMin: reduce,
  LSTM: recurrent,
  GRU: recurrent,
  RNN: recurrent,
  Range: range,
  TopK: topk,
  OneHot: oneHot,
  DepthToSpace: depthToSpace,
  SpaceToDepth: depthToSpace,
  NonZero: nonZero,
  Einsum: einsum,
  QuantizeLinear: quantize,
  DequantizeLinear: dequantize,
  DynamicQuantizeLinear: dynamicQuantize,
  RoiAlign: roiPool,
  MaxRoiPool: roiPool,
  NonMaxSuppression: nms,
};
for (const [op, rule] of Object.entries(SPECIFIC)) RULES.set(op, rule);

/** Infers the output metas of one node. Unknown op types give unknown outputs and `known: false`. */
export function inferNode(c: InferContext): InferResult {
  const rule = RULES.get(c.opType);
  if (!rule) return { outputs: fillOutputs(c, []), known: false };
  let outputs: TensorMeta[];
  try {
    outputs = rule(c);
  } catch {
    // A rule should not throw, but a corrupt model must never crash loading: forget the shapes.
    outputs = fillOutputs(c, []);
  }
  return {
    known: true,
    outputs: outputs.map((m) => {
      const shape = cleanShape(m.shape);
      const value = m.value && shape && numel(shape) === m.value.length && m.value.every((v) => typeof v === 'number') ? m.value : undefined;
      const sym = !value && m.sym && shape && numel(shape) === m.sym.length && isIntegerType(m.dtype) ? m.sym.map(cleanElement) : undefined;
      return { shape, dtype: m.dtype, ...(value ? { value } : withElements(sym)) };
    }),
  };
}
