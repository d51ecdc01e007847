// ONNX protobuf access: decode a ModelProto from bytes and encode it back, with protobufjs and the
// schema in ./schema.ts. Decoded messages keep every field the schema knows (proto2 presence
// semantics: a field is encoded again only if it was present), so decode → edit → encode is a
// faithful round trip — used to write an annotated copy of a model (e.g. NodeProto.metadata_props).
// int64 fields come back as Long objects (protobufjs + long); use `int64ToNumber` to read them.
import * as protobuf from 'protobufjs/light';
import { OpplaceError } from '../errors';
import { ONNX_SCHEMA } from './schema';
import { rejectGitLfsPointer } from '../lfsPointer';

/** An int64 as protobufjs gives it: a Long when the `long` package is present, else a number. */
export type Int64 = number | { toNumber(): number; low: number; high: number; unsigned?: boolean };

export interface OnnxStringEntry {
  key?: string;
  value?: string;
}

export interface OnnxTensor {
  name?: string;
  dims?: Int64[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: Int64[];
  double_data?: number[];
  uint64_data?: Int64[];
  string_data?: Uint8Array[];
  external_data?: OnnxStringEntry[];
  /** 1 = EXTERNAL */
  data_location?: number;
  doc_string?: string;
  metadata_props?: OnnxStringEntry[];
}

export interface OnnxDimension {
  dim_value?: Int64;
  dim_param?: string;
  denotation?: string;
}

export interface OnnxTypeProto {
  tensor_type?: { elem_type?: number; shape?: { dim?: OnnxDimension[] } };
  sparse_tensor_type?: { elem_type?: number; shape?: { dim?: OnnxDimension[] } };
  sequence_type?: { elem_type?: OnnxTypeProto };
  optional_type?: { elem_type?: OnnxTypeProto };
  map_type?: { key_type?: number; value_type?: OnnxTypeProto };
  denotation?: string;
}

export interface OnnxValueInfo {
  name?: string;
  type?: OnnxTypeProto;
  doc_string?: string;
  metadata_props?: OnnxStringEntry[];
}

export interface OnnxAttribute {
  name?: string;
  ref_attr_name?: string;
  doc_string?: string;
  /** AttributeProto.AttributeType: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 5 GRAPH, 6 FLOATS, 7 INTS, 8 STRINGS, 9 TENSORS, 10 GRAPHS … */
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: OnnxTensor;
  g?: OnnxGraph;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: OnnxTensor[];
  graphs?: OnnxGraph[];
}

export interface OnnxNode {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  overload?: string;
  attribute?: OnnxAttribute[];
  doc_string?: string;
  metadata_props?: OnnxStringEntry[];
}

export interface OnnxGraph {
  node?: OnnxNode[];
  name?: string;
  initializer?: OnnxTensor[];
  sparse_initializer?: unknown[];
  doc_string?: string;
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
  value_info?: OnnxValueInfo[];
  quantization_annotation?: unknown[];
  metadata_props?: OnnxStringEntry[];
}

export interface OnnxOperatorSetId {
  domain?: string;
  version?: Int64;
}

export interface OnnxModel {
  ir_version?: Int64;
  opset_import?: OnnxOperatorSetId[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: Int64;
  doc_string?: string;
  graph?: OnnxGraph;
  metadata_props?: OnnxStringEntry[];
  training_info?: unknown[];
  functions?: unknown[];
}

let modelType: protobuf.Type | undefined;

/** The protobufjs Type for onnx.ModelProto (built once from the JSON schema). */
export function onnxModelType(): protobuf.Type {
  if (!modelType) modelType = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

/** Any protobufjs Type of the ONNX schema, e.g. 'onnx.NodeProto' or 'onnx.StringStringEntryProto'. */
export function onnxType(name: string): protobuf.Type {
  return onnxModelType().root.lookupType(name);
}

/**
 * Decodes an ONNX ModelProto. Any wire-format problem (truncation, bad lengths, wrong wire types,
 * runaway nesting) becomes one OpplaceError naming the file.
 */
export function decodeOnnxModel(bytes: Uint8Array, fileName = 'model.onnx'): OnnxModel {
  if (bytes.length === 0) throw new OpplaceError('the file is empty', { file: fileName });
  rejectGitLfsPointer(bytes, fileName);
  try {
    return onnxModelType().decode(bytes) as unknown as OnnxModel;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (why === 'max depth exceeded')
      throw new OpplaceError(
        `not a readable ONNX file: messages are nested more than ${protobuf.util.recursionLimit} levels deep (subgraphs inside subgraphs)`,
        { file: fileName },
      );
    throw new OpplaceError(`not a valid ONNX file: the protobuf data is truncated or corrupt (${why})`, { file: fileName });
  }
}

/** Encodes a ModelProto (as decoded, possibly edited, or a plain object of the same shape). */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const type = onnxModelType();
  const message = model instanceof protobuf.Message ? model : type.fromObject(model);
  return type.encode(message).finish();
}

/** Reads an int64 field (Long or number) as a JS number (exact up to 2^53). */
export function int64ToNumber(v: Int64 | undefined | null): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  return v.toNumber();
}

/** True when a (proto2) optional field was present in the decoded bytes or set on a plain object. */
export function hasField(message: object | undefined, field: string): boolean {
  return !!message && Object.prototype.hasOwnProperty.call(message, field);
}
