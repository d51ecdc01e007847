// Chooses a loader by file name or an explicit --format, and turns bytes into a validated OpGraph.
// One file per format (Netron style); each exports `parse<Format>(bytes, fileName, options)`.
// Pure: works on bytes so the same code runs in Node, a worker and the browser report.
// The dispatch is a static table: every bundle that parses models has every loader, and the
// loaders import only ./types, never this file.
import { OpplaceError } from '../errors';
import { OpGraph, validateGraph } from '../graph';
import { rejectGitLfsPointer } from '../lfsPointer';
import { MODEL_FORMATS, ModelFormat } from '../options';
import type { LoadOptions } from './types';
import { parseDnnPartitioning } from './dnnPartitioning';
import { parseOnnx } from './onnx';
import { parseOpgraph } from './opgraph';
import { parseStg } from './stg';

export { MODEL_FORMATS };
export type { Dtype, LoadOptions, ModelFormat } from './types';

type Loader = (bytes: Uint8Array, fileName: string, options: LoadOptions) => OpGraph;

const LOADERS: Record<ModelFormat, Loader> = {
  onnx: parseOnnx,
  opgraph: parseOpgraph,
  'dnn-partitioning': parseDnnPartitioning,
  stg: parseStg,
};

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

/** Bytes of a .json file the menus read to tell a model from any other JSON. */
export const SNIFF_BYTES = 4096;

/**
 * Whether the first bytes of a .json file look like a graph opplace loads: an opgraph file names
 * its format; a dnn-partitioning graph has "nodes" and its own fields (maxSizePerFPGA, cpuLatency,
 * fpgaLatency, supportedOnFpga) near the start. Cheap (no parse): the editor menus ask it for every
 * .json file that is opened or listed, so "Place on Devices…" shows only on models.
 */
export function looksLikeGraphJson(head: Uint8Array | string): boolean {
  const text = typeof head === 'string' ? head.slice(0, SNIFF_BYTES) : new TextDecoder().decode(head.subarray(0, SNIFF_BYTES));
  if (/"format"\s*:\s*"opgraph"/.test(text)) return true;
  return /"nodes"\s*:/.test(text) && /"(maxSizePerFPGA|cpuLatency|fpgaLatency|supportedOnFpga)"\s*:/.test(text);
}

export function parseModel(bytes: Uint8Array, fileName: string, options: LoadOptions = {}): OpGraph {
  if (bytes.length === 0) throw new OpplaceError('the file is empty', { file: fileName });
  rejectGitLfsPointer(bytes, fileName);
  const format = options.format ?? detectFormat(fileName, bytes);
  if (!Object.hasOwn(LOADERS, format)) {
    throw new OpplaceError(`unknown format "${String(format)}" (expected one of ${MODEL_FORMATS.join(', ')})`, { file: fileName });
  }
  const graph = LOADERS[format](bytes, fileName, options);
  graph.source = { ...(graph.source ?? {}), file: fileName, format };
  validateGraph(graph);
  return graph;
}
