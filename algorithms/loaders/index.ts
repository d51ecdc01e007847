// Chooses a loader by file name or an explicit --format, and turns bytes into a validated OpGraph.
// One file per format (Netron style); each exports `parse<Format>(bytes, fileName, options)`.
// Pure: works on bytes so the same code runs in Node, a worker and the browser report.
import { OpplaceError } from '../errors';
import { OpGraph, validateGraph } from '../graph';

export type ModelFormat = 'onnx' | 'opgraph' | 'dnn-partitioning' | 'stg';
export const MODEL_FORMATS: ModelFormat[] = ['onnx', 'opgraph', 'dnn-partitioning', 'stg'];

export type Dtype = 'fp32' | 'fp16' | 'bf16';

export interface LoadOptions {
  format?: ModelFormat;
  /** Value for symbolic or missing batch dims (default 1). */
  batch?: number;
  /** Element type activations and weights are costed in (default: as stored, fp32 for ONNX float). */
  dtype?: Dtype;
}

/** Guesses the format from a file name (and for `.json`, from the first bytes). */
export function detectFormat(fileName: string, bytes?: Uint8Array): ModelFormat {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.onnx')) return 'onnx';
  if (lower.endsWith('.opgraph.json')) return 'opgraph';
  if (lower.endsWith('.stg')) return 'stg';
  if (lower.endsWith('.json')) {
    if (bytes) {
      const head = new TextDecoder().decode(bytes.subarray(0, 4096));
      if (/"format"\s*:\s*"opgraph"/.test(head)) return 'opgraph';
    }
    return 'dnn-partitioning';
  }
  throw new OpplaceError('unknown model format (expected .onnx, .opgraph.json, .stg or a dnn-partitioning .json; or pass --format)', { file: fileName });
}

export function parseModel(bytes: Uint8Array, fileName: string, options: LoadOptions = {}): OpGraph {
  if (bytes.length === 0) throw new OpplaceError('the file is empty', { file: fileName });
  const format = options.format ?? detectFormat(fileName, bytes);
  let graph: OpGraph;
  switch (format) {
    case 'onnx':
      graph = require('./onnx').parseOnnx(bytes, fileName, options);
      break;
    case 'opgraph':
      graph = require('./opgraph').parseOpgraph(bytes, fileName, options);
      break;
    case 'dnn-partitioning':
      graph = require('./dnnPartitioning').parseDnnPartitioning(bytes, fileName, options);
      break;
    case 'stg':
      graph = require('./stg').parseStg(bytes, fileName, options);
      break;
    default:
      throw new OpplaceError(`unknown format "${String(format)}" (expected one of ${MODEL_FORMATS.join(', ')})`, { file: fileName });
  }
  graph.source = { ...(graph.source ?? {}), file: fileName, format };
  validateGraph(graph);
  return graph;
}
