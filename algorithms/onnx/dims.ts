// The symbolic dims of an ONNX model's graph inputs that a user may set (issue 11 §1): every named
// dim but the batch (a leading one, set by the batch size), with the value the load options give
// it or null while it is free. The viewer lists these with a field each; the loader's warning names
// the free ones. Inputs whose whole shape was given (--input-shape) set none of their dims.
import type { SymbolicDim } from '../graph';
import type { LoadOptions } from '../loaders/types';
import { OnnxValueInfo, hasField } from './proto';

const own = (o: object | undefined, k: string): boolean => !!o && Object.prototype.hasOwnProperty.call(o, k);

export function symbolicDimsOf(inputs: readonly OnnxValueInfo[], batchParams: ReadonlySet<string>, options: LoadOptions): SymbolicDim[] {
  const found = new Map<string, SymbolicDim>();
  for (const vi of inputs) {
    if (!vi.name || own(options.inputShapes, vi.name)) continue;
    for (const d of vi.type?.tensor_type?.shape?.dim ?? []) {
      const name = d.dim_param;
      if (!name || hasField(d, 'dim_value')) continue;
      const given = own(options.dims, name);
      if (batchParams.has(name) && !given) continue;
      let dim = found.get(name);
      if (!dim) found.set(name, (dim = { name, inputs: [], value: given ? options.dims![name] : null }));
      if (!dim.inputs.includes(vi.name)) dim.inputs.push(vi.name);
    }
  }
  return [...found.values()];
}
