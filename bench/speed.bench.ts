// Speed of the scheduling core (issue 15 items 5 and 6), `npx tsx bench/run.ts speed`:
//  1. BERT-L12 training side by side, same process, warm: our m-TOPO / m-ETF / m-SCT against a
//     straightforward port of Baechi's event loop (baechiPort.ts) on the same coarse problem;
//  2. the core alone on the generated DNN-shaped graphs (10k, 100k nodes);
//  3. cold CLI times (a fresh `node dist/cli.js place` per run);
//  4. graph shapes that used to fall off a cliff, generated here (test/helpers/shapes.ts).
// Wall times are best of N: the machine is shared, the minimum is the least disturbed run. The
// bench bundles itself with esbuild and runs in a child process, as the CLI and the extension do:
// under tsx every cross-module call and constant goes through an export getter, which made the
// split core look up to 2× slower than what ships.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { OpGraph } from '../algorithms/graph';
import type { AlgorithmName, PlacementOptions } from '../algorithms/plan';
import { placeGraph, placePrepared, prepareForPlacement } from '../algorithms/placement/index';
import { runPlacer, sctLpInput, topologicalFill } from '../algorithms/placement/placers';
import { buildProblem, problemOptionsOf, Problem } from '../algorithms/placement/problem';
import { favouriteChildren, FavouriteChildren } from '../algorithms/placement/sctLp';
import { prepareGraphFromFile } from '../algorithms/prepare';
import { generateDnnDag } from '../test/helpers/generateDag';
import { REPO } from '../test/helpers/paths';
import { chainDag, fanOut, randomWindowDag } from '../test/helpers/shapes';
import { baechiEventLoop } from './baechiPort';
import { bundleBench } from './bundle';

declare const OPPLACE_BENCH_BUNDLED: boolean | undefined;
declare const OPPLACE_BENCH_REPO: string;
/** The repository (the bundle runs from node_modules/.cache, where test/helpers/paths.ts would be wrong). */
const ROOT = typeof OPPLACE_BENCH_BUNDLED === 'undefined' ? REPO : OPPLACE_BENCH_REPO;
const BERT = path.join(ROOT, 'data', 'dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', 'bert_L-12_training.json');
const PLACERS: AlgorithmName[] = ['m-topo', 'm-etf', 'm-sct'];
const now = () => performance.now();

/** Issue 15's setting: 4 devices, no grouping, ample memory, Baechi's interconnect. */
function options(algorithm: AlgorithmName, devices = 4): PlacementOptions {
  return { algorithm, devices, memoryLimits: Array(devices).fill(2 ** 50), comm: 'baechi', grouping: 'none', fuse: false };
}

function bestOf(runs: number, f: () => unknown): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t = now();
    f();
    best = Math.min(best, now() - t);
  }
  return best;
}

async function bestOfAsync(runs: number, f: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t = now();
    await f();
    best = Math.min(best, now() - t);
  }
  return best;
}

const ms = (t: number) => (t >= 1000 ? `${(t / 1000).toFixed(2)} s` : t >= 10 ? `${t.toFixed(0)} ms` : `${t.toFixed(2)} ms`);

function portOptions(problem: Problem, algorithm: AlgorithmName, limits: number[], fav?: FavouriteChildren) {
  if (algorithm === 'm-topo') {
    const fill = topologicalFill(problem, limits, true);
    if (!('fixed' in fill)) throw new Error('m-TOPO fill failed');
    return { devices: limits.length, fixed: fill.fixed };
  }
  return { devices: limits.length, ...(algorithm === 'm-sct' ? { favChild: fav!.favChild } : {}) };
}

async function sideBySide(): Promise<string> {
  const graph = prepareGraphFromFile(BERT);
  const problem = buildProblem(graph, problemOptionsOf(options('m-etf')));
  const limits = options('m-etf').memoryLimits;
  const fav = await favouriteChildren(sctLpInput(problem), 0.5);
  const lines = [
    '| placer | placeGraph warm (placeMs) | placeGraph warm, whole call | prepared graph: placeMs (LP reused) | core only | Baechi port (same problem) | port / core | makespan ours / port |',
    '|---|---|---|---|---|---|---|---|',
  ];
  // the extension's engine: one prepared graph, each job other limits (so nothing is memoised but the problem and the LP)
  const prepared = prepareForPlacement(graph);
  for (const algorithm of PLACERS) {
    const opts = options(algorithm);
    let placeMs = Infinity;
    const whole = await bestOfAsync(20, async () => {
      const plan = await placeGraph(graph, opts);
      placeMs = Math.min(placeMs, plan.placeMs);
    });
    let preparedMs = Infinity;
    for (let r = 0; r < 20; r++) {
      const plan = await placePrepared(prepared, { ...opts, memoryLimits: opts.memoryLimits.map((l) => l - r) });
      preparedMs = Math.min(preparedMs, plan.placeMs);
    }
    const plan = await placeGraph(graph, opts);
    const core = bestOf(50, () => runPlacer(problem, algorithm, limits, fav));
    const po = portOptions(problem, algorithm, limits, fav);
    let port = baechiEventLoop(problem, po);
    const portMs = bestOf(5, () => (port = baechiEventLoop(problem, po)));
    lines.push(
      `| ${algorithm} | ${ms(placeMs)} | ${ms(whole)} | ${ms(preparedMs)} | ${ms(core)} | ${ms(portMs)} | ${(portMs / core).toFixed(0)}× | ${(plan.makespanUs / 1000).toFixed(1)} / ${(port.makespanUs / 1000).toFixed(1)} ms |`,
    );
  }
  const lp = await bestOfAsync(20, () => favouriteChildren(sctLpInput(problem), 0.5));
  let thetaMs = Infinity;
  for (let r = 0; r < 20; r++) {
    const plan = await placePrepared(prepared, { ...options('m-sct'), theta: 0.3 + r / 100 });
    thetaMs = Math.min(thetaMs, plan.placeMs);
  }
  lines.push(
    '',
    `m-SCT's LP alone (reduced, warm): ${ms(lp)}; ${fav.method}. Prepared graph, only θ changed (the LP reused, rounded again): placeMs ${ms(thetaMs)}; LPs solved for the ${PLACERS.length * 20 + 20} prepared jobs: ${prepared.counts.lps}.`,
  );
  return lines.join('\n');
}

async function coreOnGenerated(): Promise<string> {
  const lines = ['| graph | nodes / edges | m-TOPO core | m-ETF core | m-SCT core | m-SCT LP |', '|---|---|---|---|---|---|'];
  for (const nodes of [10_000, 100_000]) {
    const graph = generateDnnDag({ nodes, seed: 1 });
    const problem = buildProblem(graph, problemOptionsOf(options('m-etf')));
    const limits = options('m-etf').memoryLimits;
    const runs = nodes > 50_000 ? 3 : 10;
    let fav!: FavouriteChildren;
    const lp = await bestOfAsync(runs, async () => (fav = await favouriteChildren(sctLpInput(problem), 0.5)));
    const cells = PLACERS.map((a) => ms(bestOf(runs, () => runPlacer(problem, a, limits, fav))));
    lines.push(`| generated ${nodes / 1000}k | ${graph.nodes.length} / ${graph.edges.length} | ${cells.join(' | ')} | ${ms(lp)} |`);
  }
  return lines.join('\n');
}

function coldCli(): string {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  const lines = ['| placer | cold CLI, best of 3 | its placeMs |', '|---|---|---|'];
  for (const algorithm of PLACERS) {
    let best = Infinity;
    let placeMs = 0;
    for (let r = 0; r < 3; r++) {
      const t = now();
      const out = execFileSync(
        process.execPath,
        [cli, 'place', BERT, '--devices', '4', '--memory', '1000GiB', '--comm', 'baechi', '--grouping', 'none', '--algorithm', algorithm, '--json'],
        { encoding: 'utf8' },
      );
      const wall = now() - t;
      if (wall < best) {
        best = wall;
        placeMs = JSON.parse(out.trim().split('\n').pop()!).placeMs;
      }
    }
    lines.push(`| ${algorithm} | ${ms(best)} | ${ms(placeMs)} |`);
  }
  return lines.join('\n');
}

interface Shape {
  name: string;
  make: () => OpGraph;
  placers: AlgorithmName[];
}

const SHAPES: Shape[] = [
  ...[5_000, 10_000, 100_000].map((n): Shape => ({
    name: `random DAG, 1–4 inputs from the previous 1,000, ${n / 1000}k ops`,
    make: () => randomWindowDag(n),
    placers: n > 10_000 ? PLACERS : [...PLACERS, 'refine'],
  })),
  ...[12_500, 25_000, 50_000, 100_000].map((c) => ({ name: `one tensor, ${c / 1000}k consumers`, make: () => fanOut(c), placers: PLACERS })),
  { name: 'chain, 100k ops', make: () => chainDag(100_000), placers: PLACERS },
  { name: '50k ops, 1M edges (20 inputs from the previous 1,000)', make: () => randomWindowDag(50_000, { minInputs: 20, maxInputs: 20 }), placers: PLACERS },
  { name: 'chain, 200k ops', make: () => chainDag(200_000), placers: ['refine'] },
];

async function shapes(): Promise<string> {
  const cols: AlgorithmName[] = [...PLACERS, 'refine'];
  const lines = [`| shape | ops / edges | ${cols.join(' | ')} | m-SCT LP method |`, `|---|---|${cols.map(() => '---|').join('')}---|`];
  for (const shape of SHAPES) {
    const graph = shape.make();
    const cells: string[] = [];
    let method = '';
    for (const algorithm of cols) {
      if (!shape.placers.includes(algorithm)) {
        cells.push('');
        continue;
      }
      // default options (colocation, fusion; nothing to group here), 4 devices, ample memory
      const plan = await placeGraph(graph, { ...options(algorithm), grouping: 'colocation', fuse: true });
      if (algorithm === 'm-sct') method = plan.lp?.method.replace(/:.*/, '') ?? '';
      cells.push(plan.feasible ? ms(plan.placeMs) : 'infeasible');
    }
    lines.push(`| ${shape.name} | ${graph.nodes.length} / ${graph.edges.length} | ${cells.join(' | ')} | ${method} |`);
  }
  return lines.join('\n');
}

/** This file bundled (what ships is bundled) and run in a fresh node; returns its markdown. */
async function runBundled(): Promise<string> {
  const outfile = path.join(REPO, 'node_modules', '.cache', 'opplace-bench', 'speed.js');
  bundleBench(__filename, outfile, { OPPLACE_BENCH_BUNDLED: 'true', OPPLACE_BENCH_REPO: JSON.stringify(REPO) });
  return execFileSync(process.execPath, [outfile], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
}

export async function bench(): Promise<string> {
  if (typeof OPPLACE_BENCH_BUNDLED === 'undefined') return runBundled();
  const parts = [
    '### BERT-L12 training, 4 devices, grouping none, ample memory, comm baechi (warm, best of 20 / 50 / 5)',
    '',
    await sideBySide(),
    '',
    '### Core alone on generated DNN-shaped graphs (same setting; best of 10, 3 at 100k)',
    '',
    await coreOnGenerated(),
    '',
    '### Cold CLI on BERT-L12 training (`node dist/cli.js place … --json`; needs `npm run build`)',
    '',
    coldCli(),
    '',
    '### Shapes without cliffs (placeMs, one run each; 4 devices, ample memory, comm baechi, default grouping and fusion)',
    '',
    await shapes(),
  ];
  return parts.join('\n');
}
