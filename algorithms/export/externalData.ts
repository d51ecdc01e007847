// Where the ONNX copy's external-data locations point (exportOnnx's RelocateExternalData), for
// every front end that writes the copy somewhere else than the model's folder: `opplace export
// --to onnx --out …` and the extension's "ONNX with devices". Path arithmetic only (node:path,
// which does no I/O): whether a data file is there is asked of the caller's `exists`, so the CLI
// passes fs.existsSync and a front end on another file system its own check.
import * as path from 'node:path';
import { OpplaceError } from '../errors';
import { quoteInput } from '../text';
import type { RelocateExternalData } from './onnx';

/**
 * External-data locations for a copy written to `out`: the same file seen from the copy's folder
 * (`--out DIR/placed.onnx` of a model with `location=w.bin` kept `w.bin`, and the copy could not be
 * loaded). ONNX readers only look inside the model's folder (onnx 1.12's load strips a leading
 * `../` and `/`), so a data file outside the copy's folder, or missing, is refused: the copy would
 * point at nothing.
 */
export function externalDataFor(modelFile: string, out: string, exists: (file: string) => boolean): RelocateExternalData {
  const from = path.dirname(path.resolve(modelFile));
  const to = path.dirname(path.resolve(out));
  return (location, tensor) => {
    const file = path.resolve(from, location);
    const what = `the external data file "${quoteInput(location)}" of tensor "${quoteInput(tensor)}"`;
    if (!exists(file)) {
      throw new OpplaceError(
        `${what} is not at ${quoteInput(file)}: the exported copy would point at a missing file (put the data file next to the model, then export again)`,
        { file: modelFile },
      );
    }
    const rel = path.relative(to, file);
    if (rel === '' || path.isAbsolute(rel) || rel.split(path.sep)[0] === '..') {
      throw new OpplaceError(
        `${what} (${quoteInput(file)}) is outside the folder of --out ${quoteInput(out)}, and ONNX readers look for external data only inside the model's folder: write the copy into ${quoteInput(from)} or a folder above it`,
        { file: modelFile },
      );
    }
    return rel.split(path.sep).join('/');
  };
}

/** The ONNX copy's default name: `<model name>.placed.onnx` (the CLI writes it in the working directory). */
export function placedOnnxName(modelFile: string): string {
  return path.basename(modelFile).replace(/\.onnx$/i, '') + '.placed.onnx';
}
