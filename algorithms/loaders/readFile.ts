// Node-only helper: reads a model file with clear errors (missing, directory, unreadable).
import { readFileSync, statSync } from 'node:fs';
import { OpplaceError } from '../errors';
import { OpGraph } from '../graph';
import { LoadOptions, parseModel } from './index';

export function readModelBytes(file: string): Uint8Array {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new OpplaceError('no such file', { file });
  }
  if (st.isDirectory()) throw new OpplaceError('is a directory, not a model file', { file });
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new OpplaceError(`cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
}

export function loadModel(file: string, options: LoadOptions = {}): OpGraph {
  return parseModel(readModelBytes(file), file, options);
}
