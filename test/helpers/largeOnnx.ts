// Writes a large single-file ONNX model (a chain of MatMuls on d × d fp32 weights, all zeros) for
// memory tests and the RSS bench. The weights are streamed to the file: protobufjs encodes each
// message without its raw_data, and the raw_data field (tag + length + zeros) is appended by hand,
// so writing a 1.5 GB model needs one 16 MiB buffer (encoding it whole with protobufjs took minutes
// and 3.7 GB: its writer grows one buffer and shifts nested messages to prefix their lengths).
import { closeSync, openSync, writeSync } from 'node:fs';
import { OnnxNode, OnnxTensor, OnnxValueInfo, encodeOnnxModel, onnxType } from '../../algorithms/onnx/proto';

/** Wire-format tags (field << 3 | 2, length-delimited): ModelProto.graph, GraphProto.initializer, TensorProto.raw_data. */
const MODEL_GRAPH = (7 << 3) | 2;
const GRAPH_INITIALIZER = (5 << 3) | 2;
const TENSOR_RAW_DATA = (9 << 3) | 2;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function field(tag: number, length: number): Uint8Array {
  return Uint8Array.from([tag, ...varint(length)]);
}

function encode(type: string, message: object): Uint8Array {
  const t = onnxType(type);
  return t.encode(t.fromObject(message)).finish();
}

export interface LargeOnnx {
  file: string;
  bytes: number;
  layers: number;
  /** Width of each square weight. */
  d: number;
}

/** Writes `file` with as many d × d fp32 MatMul weights as fit in about `targetBytes`. */
export function writeLargeOnnx(file: string, targetBytes: number, d = 2048): LargeOnnx {
  const weightBytes = d * d * 4;
  const layers = Math.max(1, Math.round(targetBytes / weightBytes));
  const shape = (name: string): OnnxValueInfo => ({ name, type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'seq' }, { dim_value: d }] } } } });
  const nodes: OnnxNode[] = [];
  const heads: Uint8Array[] = [];
  for (let i = 0; i < layers; i++) {
    nodes.push({ op_type: 'MatMul', name: `mm${i}`, input: [i === 0 ? 'x' : `h${i - 1}`, `w${i}`], output: [`h${i}`] });
    const tensor: OnnxTensor = { name: `w${i}`, dims: [d, d], data_type: 1 };
    heads.push(encode('onnx.TensorProto', tensor));
  }
  const rawField = field(TENSOR_RAW_DATA, weightBytes);
  const tensorLength = (head: Uint8Array) => head.length + rawField.length + weightBytes;
  const graphHead = encode('onnx.GraphProto', { name: 'large', node: nodes, input: [shape('x')], output: [shape(`h${layers - 1}`)] });
  let graphLength = graphHead.length;
  for (const h of heads) graphLength += field(GRAPH_INITIALIZER, tensorLength(h)).length + tensorLength(h);
  const modelHead = encodeOnnxModel({ ir_version: 8, producer_name: 'opplace-test', opset_import: [{ domain: '', version: 17 }] });
  const zeros = new Uint8Array(weightBytes);
  const fd = openSync(file, 'w');
  let written = 0;
  const put = (b: Uint8Array) => {
    for (let at = 0; at < b.length;) at += writeSync(fd, b, at);
    written += b.length;
  };
  try {
    put(modelHead);
    put(field(MODEL_GRAPH, graphLength));
    put(graphHead);
    for (const h of heads) {
      put(field(GRAPH_INITIALIZER, tensorLength(h)));
      put(h);
      put(rawField);
      put(zeros);
    }
  } finally {
    closeSync(fd);
  }
  return { file, bytes: written, layers, d };
}
