// Shapes and small constant values: the data that shape inference and constant folding pass along.
// A shape is null when even the rank is unknown; a dim is null when unknown. `value` holds the
// row-major contents of a tensor small enough to fold (shape vectors, axes, scales…).
import { MAX_FOLDED_ELEMENTS } from './tensorData';
import { ownValue } from '../records';

export type Dim = number | null;
export type Shape = Dim[] | null;

export interface TensorMeta {
  shape: Shape;
  /** ONNX element type; 0 when unknown. */
  dtype: number;
  value?: number[];
}

export const MAX_RANK = 64;

/** A dim that is a non-negative safe integer, else null (guards against corrupt or absurd input). */
export function cleanDim(d: unknown): Dim {
  return typeof d === 'number' && Number.isSafeInteger(d) && d >= 0 ? d : null;
}

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
    if (d === null) return null;
    n *= d;
  }
  return n;
}

export function isFullyKnown(s: Shape | undefined): s is number[] {
  return !!s && s.every((d) => d !== null);
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

/**
 * Elementwise fold with numpy broadcasting: `fn` gets one value per input. Undefined when any
 * input value or shape is unknown or the result would be too big to fold.
 */
export function foldElementwise(inputs: (TensorMeta | undefined)[], out: Shape, fn: (...xs: number[]) => number): number[] | undefined {
  if (!isFullyKnown(out)) return undefined;
  const n = numel(out)!;
  if (n > MAX_FOLDED_ELEMENTS) return undefined;
  const parts: { v: number[]; st: number[] }[] = [];
  for (const t of inputs) {
    if (!t || !t.value || !isFullyKnown(t.shape) || t.value.length !== numel(t.shape)) return undefined;
    const aligned = [...new Array(out.length - t.shape.length).fill(1), ...t.shape];
    parts.push({ v: t.value, st: stridesOf(aligned) });
  }
  const res: number[] = new Array(n);
  const idx = new Array(out.length).fill(0);
  const args = new Array(parts.length);
  for (let k = 0; k < n; k++) {
    for (let p = 0; p < parts.length; p++) {
      let off = 0;
      for (let d = 0; d < out.length; d++) off += idx[d] * parts[p].st[d];
      args[p] = parts[p].v[off];
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
 * Fold of an op that moves elements (Transpose, Slice, Pad, Tile): each output element is the input
 * element at `source(outIndex)`, or `fill` where that is null (padding). Undefined when the input
 * value or either shape is unknown or the result would be too big to fold.
 */
export function foldByIndex(x: TensorMeta | undefined, out: Shape, source: (outIndex: readonly number[]) => number[] | null, fill = 0): number[] | undefined {
  if (!x?.value || !isFullyKnown(x.shape) || !isFullyKnown(out) || x.value.length !== numel(x.shape)) return undefined;
  const n = numel(out)!;
  if (n > MAX_FOLDED_ELEMENTS) return undefined;
  const st = new Array(x.shape.length).fill(0);
  for (let d = x.shape.length - 1, acc = 1; d >= 0; d--) {
    st[d] = acc;
    acc *= x.shape[d];
  }
  const res: number[] = new Array(n);
  const idx = new Array(out.length).fill(0);
  for (let k = 0; k < n; k++) {
    const src = source(idx);
    if (src === null) res[k] = fill;
    else {
      let off = 0;
      for (let d = 0; d < src.length; d++) {
        if (!(src[d] >= 0 && src[d] < x.shape[d])) return undefined;
        off += src[d] * st[d];
      }
      res[k] = x.value[off];
    }
    for (let d = out.length - 1; d >= 0; d--) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return res;
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
