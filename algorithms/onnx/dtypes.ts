// ONNX element types (TensorProto.DataType): names, sizes, and which are floating point.
import type { Dtype } from '../loaders/types';

export const DT = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;

const NAMES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
};

// Bytes per element as stored. Sub-byte types are rounded up to one byte per element, strings are
// costed as a pointer: neither matters for placement-scale memory.
const SIZES: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  8: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  14: 8,
  15: 16,
  16: 2,
  17: 1,
  18: 1,
  19: 1,
  20: 1,
  21: 1,
  22: 1,
  23: 1,
};

const FLOATING = new Set<number>([1, 10, 11, 16, 17, 18, 19, 20, 23]);

export function dtypeName(t: number): string | undefined {
  return NAMES[t];
}

/** Floating-point element type. */
export function isFloatType(t: number): boolean {
  return FLOATING.has(t);
}

// Element types of shape vectors, indices, masks and text: such weights are data about the
// computation, not learned values. Every other weight type is a parameter: float weights, and the
// int8/uint8/int4 weights and int32 biases of quantized models (QDQ, QLinearConv, MatMulInteger).
const NOT_PARAMETERS = new Set<number>([0, 7, 8, 9, 13]); // undefined, int64, string, bool, uint64

/** Whether the elements of a weight of this type count as parameters. */
export function holdsParameters(t: number): boolean {
  return !NOT_PARAMETERS.has(t);
}

/**
 * Bytes per element used for memory and traffic. With a cost dtype (fp16/bf16/fp32) every
 * floating tensor is costed at that width; integer/bool tensors keep their stored size. An
 * unknown type (0) is treated as floating, which is what an unknown activation almost always is.
 */
export function bytesPerElement(t: number, costDtype?: Dtype): number {
  const floating = t === 0 || FLOATING.has(t);
  if (floating && costDtype) return costDtype === 'fp32' ? 4 : 2;
  return SIZES[t] ?? 4;
}
