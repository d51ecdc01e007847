import * as path from 'node:path';

/** Repository root. */
export const REPO = path.resolve(__dirname, '..', '..');

/** Reference data the tests and benchmarks read, carried in the repository (data/README.md). */
export const DATA = path.join(REPO, 'data');

export const dataPath = (...parts: string[]) => path.join(DATA, ...parts);
