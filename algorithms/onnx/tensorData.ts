// Reading TensorProto contents and node attributes. Only small tensors are read (shape vectors,
// axes, scales…): weights are never materialised, and external data is never opened.
import { DT, isFloatType } from './dtypes';
import { OnnxAttribute, OnnxNode, OnnxTensor, hasField, int64ToNumber } from './proto';

/** Tensors up to this many elements are read for constant folding; larger ones keep dims only. */
export const MAX_FOLDED_ELEMENTS = 4096;
/**
 * Floating-point data matters to shapes only as small vectors (Resize/Upsample scales), so float
 * tensors are folded up to this size only: weights (BatchNorm scales…) are not copied into JS arrays.
 */
export const MAX_FOLDED_FLOAT_ELEMENTS = 64;

/** Dims of a TensorProto; null when a dim is negative or not an exact integer (corrupt file). */
export function tensorDims(t: OnnxTensor): number[] | null {
  const dims = (t.dims ?? []).map(int64ToNumber);
  for (const d of dims) if (!Number.isSafeInteger(d) || d < 0) return null;
  return dims;
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function isExternal(t: OnnxTensor): boolean {
  return t.data_location === 1 || (t.external_data?.length ?? 0) > 0;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function readRaw(raw: Uint8Array, dtype: number, n: number): number[] | undefined {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = new Array(n);
  const need = (size: number) => raw.byteLength >= n * size;
  switch (dtype) {
    case DT.FLOAT:
      if (!need(4)) return undefined;
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case DT.DOUBLE:
      if (!need(8)) return undefined;
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    case DT.INT64:
      if (!need(8)) return undefined;
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(8 * i, true));
      return out;
    case DT.UINT64:
      if (!need(8)) return undefined;
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigUint64(8 * i, true));
      return out;
    case DT.INT32:
      if (!need(4)) return undefined;
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    case DT.UINT32:
      if (!need(4)) return undefined;
      for (let i = 0; i < n; i++) out[i] = view.getUint32(4 * i, true);
      return out;
    case DT.INT16:
      if (!need(2)) return undefined;
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      return out;
    case DT.UINT16:
      if (!need(2)) return undefined;
      for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true);
      return out;
    case DT.FLOAT16:
      if (!need(2)) return undefined;
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    case DT.INT8:
      if (!need(1)) return undefined;
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return out;
    case DT.UINT8:
    case DT.BOOL:
      if (!need(1)) return undefined;
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      return out;
    default:
      return undefined;
  }
}

/**
 * The numeric contents of a small tensor, row-major, or undefined when it is large, external,
 * of a type we do not fold (strings, complex…) or its data is missing. A tensor whose single value
 * is given for many elements is not expanded here.
 */
export function tensorValues(t: OnnxTensor, maxElements = MAX_FOLDED_ELEMENTS): number[] | undefined {
  const dims = tensorDims(t);
  if (!dims || isExternal(t)) return undefined;
  const n = elementCount(dims);
  const dtype = t.data_type ?? 0;
  if (n > (isFloatType(dtype) ? Math.min(maxElements, MAX_FOLDED_FLOAT_ELEMENTS) : maxElements)) return undefined;
  if (t.raw_data && t.raw_data.length > 0) return readRaw(t.raw_data, dtype, n);
  let src: number[] | undefined;
  switch (dtype) {
    case DT.FLOAT:
    case DT.COMPLEX64:
      src = t.float_data;
      break;
    case DT.DOUBLE:
      src = t.double_data;
      break;
    case DT.INT64:
      src = t.int64_data?.map(int64ToNumber);
      break;
    case DT.UINT64:
    case DT.UINT32:
      src = t.uint64_data?.map(int64ToNumber);
      break;
    case DT.INT32:
    case DT.INT16:
    case DT.INT8:
    case DT.UINT16:
    case DT.UINT8:
    case DT.BOOL:
      src = t.int32_data;
      break;
    case DT.FLOAT16:
    case DT.BFLOAT16:
      src = t.int32_data?.map((h) => (dtype === DT.FLOAT16 ? halfToFloat(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0]));
      break;
    default:
      return undefined;
  }
  if (!src || src.length < n) return n === 0 ? [] : undefined;
  return src.slice(0, n);
}

/** Node attributes by name, with typed getters that fall back to a default. */
export class Attrs {
  private readonly byName = new Map<string, OnnxAttribute>();

  constructor(node: OnnxNode) {
    for (const a of node.attribute ?? []) if (a.name) this.byName.set(a.name, a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): OnnxAttribute | undefined {
    return this.byName.get(name);
  }

  int(name: string, fallback: number): number {
    const a = this.byName.get(name);
    if (!a) return fallback;
    if (hasField(a, 'i') || a.type === 2) return int64ToNumber(a.i);
    if (hasField(a, 'f')) return Math.trunc(a.f ?? fallback);
    return fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.byName.get(name);
    if (!a) return fallback;
    if (hasField(a, 'f') || a.type === 1) return a.f ?? fallback;
    if (hasField(a, 'i')) return int64ToNumber(a.i);
    return fallback;
  }

  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    return (a.ints ?? []).map(int64ToNumber);
  }

  floats(name: string): number[] | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    return a.floats ?? [];
  }

  string(name: string, fallback: string): string {
    const a = this.byName.get(name);
    if (!a || !a.s) return fallback;
    return new TextDecoder().decode(a.s);
  }

  tensor(name: string): OnnxTensor | undefined {
    return this.byName.get(name)?.t;
  }
}
