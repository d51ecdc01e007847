import * as path from 'node:path';
import { existsSync } from 'node:fs';

/** Repository root. */
export const REPO = path.resolve(__dirname, '..', '..');

/** `../shared/data` next to the clone (CI puts shared/ beside the clone). */
export const SHARED_DATA = (() => {
  const candidates = [path.resolve(REPO, '..', 'shared', 'data'), path.resolve(REPO, '..', '..', 'shared', 'data')];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`shared data not found; looked in ${candidates.join(', ')}`);
})();

export const dataPath = (...parts: string[]) => path.join(SHARED_DATA, ...parts);
