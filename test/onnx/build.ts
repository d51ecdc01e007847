// Tiny ONNX model builder for tests: plain objects in, encoded ModelProto bytes out.
import { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo, encodeOnnxModel } from '../../algorithms/onnx/proto';

export const FLOAT = 1;
export const INT64 = 7;

export function valueInfo(name: string, dims: (number | string)[] | null, elemType = FLOAT): OnnxValueInfo {
  const shape = dims === null ? undefined : { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) };
  return { name, type: { tensor_type: { elem_type: elemType, ...(shape ? { shape } : {}) } } };
}

export function intTensor(name: string, values: number[], dims: number[] = [values.length]): OnnxTensor {
  return { name, dims, data_type: INT64, int64_data: values };
}

export function floatTensor(name: string, dims: number[], values?: number[]): OnnxTensor {
  return { name, dims, data_type: FLOAT, ...(values ? { float_data: values } : {}) };
}

/** A float weight whose data lives in a file that does not exist (only dims are known). */
export function externalTensor(name: string, dims: number[]): OnnxTensor {
  return { name, dims, data_type: FLOAT, data_location: 1, external_data: [{ key: 'location', value: 'missing.bin' }] };
}

type AttrValue = number | number[] | string | OnnxTensor | OnnxGraph | { floats: number[] } | { float: number };

export function attr(name: string, v: AttrValue): OnnxAttribute {
  if (typeof v === 'number') return { name, type: 2, i: v };
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  if ('float' in v) return { name, type: 1, f: v.float };
  if ('node' in v) return { name, type: 5, g: v };
  return { name, type: 4, t: v };
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name?: string, domain?: string): OnnxNode {
  return {
    op_type: opType,
    input: inputs,
    output: outputs,
    attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
    ...(name !== undefined ? { name } : {}),
    ...(domain !== undefined ? { domain } : {}),
  };
}

export interface ModelSpec {
  nodes: OnnxNode[];
  inputs?: OnnxValueInfo[];
  outputs?: OnnxValueInfo[];
  initializers?: OnnxTensor[];
  opset?: number;
  valueInfo?: OnnxValueInfo[];
}

export function modelBytes(spec: ModelSpec): Uint8Array {
  return encodeOnnxModel({
    ir_version: 8,
    producer_name: 'opplace-test',
    opset_import: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test',
      node: spec.nodes,
      input: spec.inputs ?? [],
      output: spec.outputs ?? [],
      initializer: spec.initializers ?? [],
      value_info: spec.valueInfo ?? [],
    },
  });
}
