// Loading HiGHS (WebAssembly) once and solving a plain LP given as CSC arrays.
//
// Node: nothing to do — `highs` finds `highs.wasm` next to its own `build/highs.js`.
// Browser bundle (the viewer runs the engine in-page or in a worker): esbuild bundles
// `node_modules/highs/build/highs.js`, but the loader would then fetch `highs.wasm` relative to the
// page, which usually is not where it is served. Before the first m-SCT run, call either
//   setHighsLoaderOptions({ wasmBinary: bytesOfHighsWasm })      // e.g. fetched or inlined, or
//   setHighsLoaderOptions({ locateFile: () => urlOfHighsWasm })   // e.g. a copy in media/
// highs 1.15.3's build ignores Emscripten's own `wasmBinary`/`wasmModule` options although its
// types list them; we turn `wasmBinary` into an `instantiateWasm` hook, which the build honours.
// `highs.js` has `require("node:fs")` / `require("node:crypto")` in Node-only branches: browser
// builds need `external: ['node:fs', 'node:crypto']` (never executed there).
// test/placement/sctLpBrowser.test.ts bundles it that way and runs it in Chromium.
// `setHighsLoader(fn)` replaces the whole loader (tests, or a pre-instantiated module). The loaded
// instance is cached per process/page.
import type { Highs, InitOptions } from 'highs';
import { OpplaceError } from '../../errors';

type HighsLoader = (options?: InitOptions) => Promise<Highs>;

/** How to find the wasm: bytes (browser bundles) or a URL/path. */
export interface HighsLoaderOptions {
  wasmBinary?: ArrayBuffer | ArrayBufferView;
  locateFile?: (file: string) => string;
}

/** Emscripten's hook for supplying the instance ourselves. */
type InstantiateWasm = (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) => object;

/**
 * Emscripten options for `options`, plus a promise that rejects if instantiating supplied bytes
 * fails (Emscripten would otherwise wait for the `instantiateWasm` callback forever).
 */
function toEmscriptenOptions(options: HighsLoaderOptions): { init: InitOptions; failed: Promise<never> } {
  const init: InitOptions & { instantiateWasm?: InstantiateWasm } = {};
  let fail: (e: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  if (options.locateFile) init.locateFile = options.locateFile;
  const bytes = options.wasmBinary;
  if (bytes) {
    const view = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
    init.instantiateWasm = (imports, done) => {
      WebAssembly.compile(view as BufferSource)
        .then((module) => WebAssembly.instantiate(module, imports))
        .then(done, fail);
      return {};
    };
  }
  return { init, failed };
}

let loaderOverride: HighsLoader | undefined;
let loaderOptions: HighsLoaderOptions = {};
let cached: Promise<Highs> | undefined;

/** Where the HiGHS wasm comes from (`wasmBinary` bytes or `locateFile`); resets the cache. */
export function setHighsLoaderOptions(options: HighsLoaderOptions): void {
  loaderOptions = { ...options };
  cached = undefined;
}

/** Replace the function that loads HiGHS (undefined = the `highs` package); resets the cache. */
export function setHighsLoader(loader: HighsLoader | undefined): void {
  loaderOverride = loader;
  cached = undefined;
}

function defaultLoader(): HighsLoader {
  // require (not import) so the CJS build is picked in Node and esbuild can bundle it as is.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('highs') as HighsLoader | { default: HighsLoader };
  return typeof mod === 'function' ? mod : mod.default;
}

/** The cached HiGHS instance (loaded on first use). */
export function loadHighs(): Promise<Highs> {
  if (!cached) {
    const loader = loaderOverride ?? defaultLoader();
    // a fresh object each time: the Emscripten factory defines properties on the object it gets
    const { init, failed } = toEmscriptenOptions(loaderOptions);
    failed.catch(() => undefined); // only observed through the race below
    cached = Promise.race([loader(init), failed]).catch((e: unknown) => {
      cached = undefined;
      throw new OpplaceError(`could not load the HiGHS LP solver (highs.wasm): ${e instanceof Error ? e.message : String(e)}`);
    });
  }
  return cached;
}

/** min cost·x s.t. rowLower ≤ A x ≤ rowUpper, colLower ≤ x ≤ colUpper; A in CSC form. */
export interface CscLp {
  numCols: number;
  numRows: number;
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  starts: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

export interface LpSolution {
  colValue: Float64Array;
  objective: number;
}

const MODEL_STATUS_OPTIMAL = 7;

/**
 * Option sets tried in turn when HiGHS does not report an optimum (the favourite-child LP is always
 * feasible and bounded, so anything else is numerical trouble): the default dual simplex first,
 * then without presolve, then the primal simplex.
 */
const RETRY_OPTIONS: Record<string, string | number>[] = [{ presolve: 'off' }, { presolve: 'off', simplex_strategy: 4 }];

/** Solve an LP with HiGHS (dual simplex, retried with other settings); OpplaceError unless optimal. */
export function solveCscLp(highs: Highs, lp: CscLp, what: string): LpSolution {
  const model = {
    numCols: lp.numCols,
    numRows: lp.numRows,
    sense: highs.constants.objectiveSense.minimize,
    colCost: lp.colCost,
    colLower: lp.colLower,
    colUpper: lp.colUpper,
    rowLower: lp.rowLower,
    rowUpper: lp.rowUpper,
    matrix: { format: 'csc' as const, numRows: lp.numRows, numCols: lp.numCols, starts: lp.starts, indices: lp.indices, values: lp.values },
  };
  let x: Float64Array | undefined;
  let status = -1;
  const first = highs.raw.lpCall(model);
  if (first.status !== -1) {
    status = first.value.modelStatus;
    if (status === MODEL_STATUS_OPTIMAL) x = first.value.solution.colValue;
  }
  for (const options of RETRY_OPTIONS) {
    if (x) break;
    const m = highs.createModel(model);
    try {
      m.options.set(options);
      status = m.run().modelStatus;
      if (status === MODEL_STATUS_OPTIMAL) x = m.getSolution().colValue;
    } catch {
      status = -1;
    } finally {
      m.dispose();
    }
  }
  if (!x) throw new OpplaceError(`${what}: HiGHS did not find an optimum (model status ${status}, ${lp.numCols} columns, ${lp.numRows} rows)`);
  let objective = 0;
  for (let j = 0; j < lp.numCols; j++) objective += lp.colCost[j] * x[j];
  return { colValue: x, objective };
}
