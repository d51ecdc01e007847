// Shapes and small constant values: the data that shape inference and constant folding pass along.
// A shape is null when even the rank is unknown; a dim is null when unknown, and a string when it
// is a symbolic expression of free input dims (./symbolic.ts: "seq", "2*seq"). `value` holds the
// row-major contents of a tensor small enough to fold (shape vectors, axes, scales…); `sym` those
// of a small integer tensor whose elements are partly symbolic (the value of Shape(x) with x
// [1, seq, 32] is [1, "seq", 32]), as onnx's data propagation keeps them.
import { MAX_FOLDED_ELEMENTS } from './tensorData';
import { ownValue } from '../records';
import { evalDim } from './symbolic';

export type Dim = number | string | null;
export type Shape = Dim[] | null;

export interface TensorMeta {
  shape: Shape;
  /** ONNX element type; 0 when unknown. */
  dtype: number;
  value?: number[];
  /** Elements of a shape-like tensor (≤ MAX_SYMBOLIC_ELEMENTS) when some are symbolic or unknown (null); never with `value`. */
  sym?: Dim[];
}

/** A shape of numbers (null: unknown), what costs and byte counts work on. */
export type NumShape = (number | null)[] | null;

/**
 * Where a number is needed (FLOPs, bytes), a free symbolic dim counts as this: the costs of a model
 * with a free `seq` are those at seq = 1, a lower bound that grows with it (the loader's warning
 * says how much of them depends on the free dims).
 */
export const FREE_DIM_VALUE = 1;

/** The shape with every free dim at FREE_DIM_VALUE (a dim that would be negative there is unknown). */
export function boundShape(s: Shape | undefined): NumShape {
  if (!s) return null;
  return s.map((d) => (typeof d === 'string' ? cleanNumber(evalDim(d, () => FREE_DIM_VALUE)) : d));
}

function cleanNumber(d: number | null): number | null {
  return d !== null && Number.isSafeInteger(d) && d >= 0 ? d : null;
}

/** Largest shape-like tensor whose symbolic elements are tracked (a shape vector has ≤ MAX_RANK). */
export const MAX_SYMBOLIC_ELEMENTS = 64;

/** The elements of a small tensor when inference knows them: numbers, or partly symbolic. */
export function elementsOf(t: TensorMeta | undefined): Dim[] | undefined {
  return t?.value ?? t?.sym;
}

/** `{ value }` when every element is a number, `{ sym }` when some are symbolic, else nothing. */
export function withElements(els: Dim[] | undefined): { value?: number[]; sym?: Dim[] } {
  if (!els) return {};
  if (els.every((d) => typeof d === 'number')) return { value: els };
  return els.length <= MAX_SYMBOLIC_ELEMENTS && els.some((d) => d !== null) ? { sym: els } : {};
}

export const MAX_RANK = 64;

/** A dim that is a non-negative safe integer or a symbolic dim, else null (guards against corrupt or absurd input). */
export function cleanDim(d: unknown): Dim {
  if (typeof d === 'string') return d.length > 0 && d.length <= MAX_SYMBOL_TEXT ? d : null;
  return typeof d === 'number' && Number.isSafeInteger(d) && d >= 0 ? d : null;
}

/** An element of a shape-like value: any safe integer (-1 and 0 mean something in a Reshape target) or a symbolic dim. */
export function cleanElement(d: unknown): Dim {
  if (typeof d === 'number') return Number.isSafeInteger(d) ? d : null;
  return cleanDim(d);
}

/** Longest symbolic dim text kept (a runaway product of symbols becomes unknown instead). */
const MAX_SYMBOL_TEXT = 200;

export function cleanShape(s: Shape | undefined): Shape {
  if (!s || s.length > MAX_RANK) return null;
  return s.map(cleanDim);
}

/**
 * Number of elements, or null when any dim is unknown. A 0 dim makes it 0 whatever the others are
 * (multiplying in order gave (2^53−1)^40 · 0 = Infinity · 0 = NaN); a product past 2^53 is
 * Infinity-bound and the graph's size limits reject it at load.
 */
export function numel(s: Shape | undefined): number | null {
  if (!s) return null;
  if (s.includes(0)) return 0;
  let n = 1;
  for (const d of s) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

/** Every dim a number. */
export function isFullyKnown(s: Shape | undefined): s is number[] {
  return !!s && s.every((d) => typeof d === 'number');
}

/** Every dim a number or symbolic (rank and dims known as expressions of the free dims). */
export function isSymbolicallyKnown(s: Shape | undefined): s is (number | string)[] {
  return !!s && s.every((d) => d !== null);
}

/** A number dim, or null for a symbolic or unknown one (for arithmetic that needs a number). */
export function numDim(d: Dim | undefined): number | null {
  return typeof d === 'number' ? d : null;
}

/** Normalises a possibly negative axis for a given rank; null when out of range. */
export function normAxis(axis: number, rank: number): number | null {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : null;
}

/** Numpy broadcasting of two shapes; null when the rank is unknown or the dims cannot broadcast. */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  if (!a || !b) return null;
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = new Array(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === 1) out[i] = db;
    else if (db === 1) out[i] = da;
    else if (da === null) out[i] = db;
    else if (db === null) out[i] = da;
    else if (da === db) out[i] = da;
    // a symbolic dim against a number: the model only runs when they are equal (onnx keeps the number)
    else if (typeof da === 'string' && typeof db === 'number') out[i] = db;
    else if (typeof db === 'string' && typeof da === 'number') out[i] = da;
    else if (typeof da === 'string' && typeof db === 'string') out[i] = null;
    else return null;
  }
  return out;
}

export function broadcastAll(shapes: Shape[]): Shape {
  if (shapes.length === 0) return null;
  let s: Shape = shapes[0];
  for (let i = 1; i < shapes.length; i++) s = broadcastShapes(s, shapes[i]);
  return s;
}

function stridesOf(shape: readonly number[]): number[] {
  const st = new Array(shape.length).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = shape[i] === 1 ? 0 : acc; // broadcast dims read the same element
    acc *= shape[i];
  }
  return st;
}

/** Row-major elements of a tensor of known shape: its value, or its partly symbolic elements with `symbolic`. */
function elementsWithShape(t: TensorMeta | undefined, symbolic: boolean): { v: Dim[]; shape: number[] } | undefined {
  const v = symbolic ? elementsOf(t) : t?.value;
  if (!t || !v || !isFullyKnown(t.shape) || v.length !== numel(t.shape)) return undefined;
  return { v, shape: t.shape };
}

function broadcastElements<T>(parts: { v: T[]; shape: number[] }[], out: number[], fn: (...xs: T[]) => T): T[] | undefined {
  const n = numel(out)!;
  if (n > MAX_FOLDED_ELEMENTS) return undefined;
  const strided = parts.map((p) => ({ v: p.v, st: stridesOf([...new Array(out.length - p.shape.length).fill(1), ...p.shape]) }));
  const res: T[] = new Array(n);
  const idx = new Array(out.length).fill(0);
  const args: T[] = new Array(parts.length);
  for (let k = 0; k < n; k++) {
    for (let p = 0; p < strided.length; p++) {
      let off = 0;
      for (let d = 0; d < out.length; d++) off += idx[d] * strided[p].st[d];
      args[p] = strided[p].v[off];
    }
    res[k] = fn(...args);
    for (let d = out.length - 1; d >= 0; d--) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return res;
}

/**
 * Elementwise fold with numpy broadcasting: `fn` gets one value per input. Undefined when any
 * input value or shape is unknown or the result would be too big to fold.
 */
export function foldElementwise(inputs: (TensorMeta | undefined)[], out: Shape, fn: (...xs: number[]) => number): number[] | undefined {
  if (!isFullyKnown(out)) return undefined;
  const parts = inputs.map((t) => elementsWithShape(t, false));
  if (parts.some((p) => !p)) return undefined;
  return broadcastElements(parts as { v: number[]; shape: number[] }[], out, fn);
}

/** foldElementwise over partly symbolic elements (shape arithmetic: Mul, Add… of dims). */
export function foldDimsElementwise(inputs: (TensorMeta | undefined)[], out: Shape, fn: (...xs: Dim[]) => Dim): Dim[] | undefined {
  if (!isFullyKnown(out) || numel(out)! > MAX_SYMBOLIC_ELEMENTS) return undefined;
  const parts = inputs.map((t) => elementsWithShape(t, true));
  if (parts.some((p) => !p)) return undefined;
  return broadcastElements(parts as { v: Dim[]; shape: number[] }[], out, fn);
}

function moveElements<T>(v: T[], xs: number[], out: number[], source: (outIndex: readonly number[]) => number[] | null, fill: T): T[] | undefined {
  const n = numel(out)!;
  if (n > MAX_FOLDED_ELEMENTS) return undefined;
  const st = new Array(xs.length).fill(0);
  for (let d = xs.length - 1, acc = 1; d >= 0; d--) {
    st[d] = acc;
    acc *= xs[d];
  }
  const res: T[] = new Array(n);
  const idx = new Array(out.length).fill(0);
  for (let k = 0; k < n; k++) {
    const src = source(idx);
    if (src === null) res[k] = fill;
    else {
      let off = 0;
      for (let d = 0; d < src.length; d++) {
        if (!(src[d] >= 0 && src[d] < xs[d])) return undefined;
        off += src[d] * st[d];
      }
      res[k] = v[off];
    }
    for (let d = out.length - 1; d >= 0; d--) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return res;
}

/**
 * Fold of an op that moves elements (Transpose, Slice, Pad, Tile): each output element is the input
 * element at `source(outIndex)`, or `fill` where that is null (padding). Undefined when the input
 * value or either shape is unknown or the result would be too big to fold.
 */
export function foldByIndex(x: TensorMeta | undefined, out: Shape, source: (outIndex: readonly number[]) => number[] | null, fill = 0): number[] | undefined {
  const p = elementsWithShape(x, false);
  if (!p || !isFullyKnown(out)) return undefined;
  return moveElements(p.v as number[], p.shape, out, source, fill);
}

/** foldByIndex that also moves partly symbolic elements (Slice of Shape(x), Expand of a dim). */
export function foldDimsByIndex(
  x: TensorMeta | undefined,
  out: Shape,
  source: (outIndex: readonly number[]) => number[] | null,
  fill: Dim = 0,
): Dim[] | undefined {
  const p = elementsWithShape(x, true);
  if (!p || !isFullyKnown(out) || numel(out)! > MAX_SYMBOLIC_ELEMENTS) return undefined;
  return moveElements(p.v, p.shape, out, source, fill);
}

const REDUCERS: Partial<Record<string, { init: number; step: (acc: number, v: number) => number; finish?: (acc: number, n: number) => number }>> = {
  ReduceMin: { init: Infinity, step: Math.min },
  ReduceMax: { init: -Infinity, step: Math.max },
  ReduceSum: { init: 0, step: (a, v) => a + v },
  ReduceProd: { init: 1, step: (a, v) => a * v },
  ReduceMean: { init: 0, step: (a, v) => a + v, finish: (a, n) => a / n },
  ReduceSumSquare: { init: 0, step: (a, v) => a + v * v },
  ReduceL1: { init: 0, step: (a, v) => a + Math.abs(v) },
  ReduceL2: { init: 0, step: (a, v) => a + v * v, finish: (a) => Math.sqrt(a) },
};

/**
 * Fold of a reduction over `axes` (normalised, distinct) of a small constant: Faster R-CNN's
 * transform takes ReduceMin/ReduceMax of a constant [320, 320] to size its Resize. Undefined for
 * other ops, unknown values, or an empty reduction of Min/Max (no identity element).
 */
export function foldReduce(op: string, x: TensorMeta | undefined, axes: ReadonlySet<number>): number[] | undefined {
  const r = ownValue(REDUCERS, op);
  if (!r || !x?.value || !isFullyKnown(x.shape) || x.value.length !== numel(x.shape)) return undefined;
  const shape = x.shape;
  const kept = shape.map((d, i) => (axes.has(i) ? 1 : d));
  const n = numel(kept)!;
  const count = x.value.length / Math.max(n, 1);
  if (count === 0 && (op === 'ReduceMin' || op === 'ReduceMax')) return undefined;
  const acc = new Array(n).fill(r.init);
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < x.value.length; k++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) o = o * kept[d] + (axes.has(d) ? 0 : idx[d]);
    acc[o] = r.step(acc[o], x.value[k]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return r.finish ? acc.map((a) => r.finish!(a, count)) : acc;
}
