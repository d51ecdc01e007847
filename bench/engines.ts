// The engines a before/after bench compares: this tree ("after") and, when OPPLACE_BENCH_BEFORE names
// the root of another clone (dependencies installed, `npm run build` done), that one ("before").
// E.g. `git clone hub /tmp/before && cd /tmp/before && git checkout c6d2a3d && npm ci && npm run build`.
import * as path from 'node:path';
import { REPO } from '../test/helpers/paths';

export interface Engine {
  label: 'before' | 'after';
  /** Repository root of the engine's tree. */
  root: string;
}

export function benchEngines(): Engine[] {
  const after: Engine = { label: 'after', root: REPO };
  const before = process.env.OPPLACE_BENCH_BEFORE;
  return before ? [{ label: 'before', root: path.resolve(before) }, after] : [after];
}

/** "a → b" for a before/after pair, "b" when only one engine ran or both agree. */
export function beforeAfter(values: string[]): string {
  return values.length === 2 && values[0] !== values[1] ? `${values[0]} → ${values[1]}` : values[values.length - 1];
}
