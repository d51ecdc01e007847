// Node-only helper: reads a model file with clear errors (missing, directory, unreadable).
// The bytes are read once and never copied: the decoded ONNX model's tensors (raw_data) are
// views into this one buffer (protobufjs decodes `bytes` fields with subarray). Wrapping the
// Buffer in `new Uint8Array(buffer)` copied it, and a 1.58 GB single-file model took 3.13 GB of
// RSS to inspect (issue 11 §7); with the view, 1.0× the file plus the graph (bench/README.md).
import { readFileSync, statSync } from 'node:fs';
import { OpplaceError } from '../errors';
import { OpGraph } from '../graph';
import { LoadOptions, parseModel } from './index';
import { formatBytes } from '../units';

/**
 * Largest file read whole: Node's readFile limit (2 GiB − 1). A single ONNX file cannot be larger
 * anyway (protobuf messages are limited to 2 GB); bigger models keep their weights as external
 * data, whose files the loader never opens.
 */
export const MAX_MODEL_FILE_BYTES = 2 ** 31 - 1;

export function readModelBytes(file: string): Uint8Array {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new OpplaceError('no such file', { file });
  }
  if (st.isDirectory()) throw new OpplaceError('is a directory, not a model file', { file });
  if (st.size > MAX_MODEL_FILE_BYTES)
    throw new OpplaceError(
      `is ${formatBytes(st.size)}, more than the 2 GiB a model file can be (protobuf's limit for one ONNX file): save the weights as external data (onnx.save(model, path, save_as_external_data=True)); opplace reads only their dims`,
      { file },
    );
  try {
    const buffer = readFileSync(file);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (e) {
    throw new OpplaceError(`cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
}

export function loadModel(file: string, options: LoadOptions = {}): OpGraph {
  return parseModel(readModelBytes(file), file, options);
}
