// The issue 11 table: models exported with torch 1.13 / onnx 1.12 by tools/make_bench_models.py
// (GPT-2-like decoders with a free `seq`, detectors, quantized models, If/Loop), loaded the way
// `opplace inspect` loads them (prepareGraphFromFile: loader + cost model) by each engine of
// bench/engines.ts. The models go to .cache/bench-models/ (git-ignored), made on first use when
// /usr/bin/python3 has torch, torchvision and onnx.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { formatFlops } from '../algorithms/units';
import { Engine, beforeAfter, benchEngines } from './engines';

import { REPO } from '../test/helpers/paths';
const CACHE = path.join(REPO, '.cache', 'bench-models');
const PYTHON = '/usr/bin/python3';
const RUNS = 5;

interface BenchModel {
  name: string;
  file: string;
  what: string;
  /** --dim values for the model's free symbolic dims (empty: none). */
  dims: Record<string, number>;
}

interface Measured {
  parameters: number | null;
  flops: number | null;
  /** Tensors with an unknown dim (or unknown rank). */
  unknown: number;
  /** Best wall-clock and best CPU time of one load (CPU: the machine is shared, 2 cores). */
  ms: number;
  cpuMs: number;
}

/** Makes the models unless they are cached; a message instead when Python cannot. */
function ensureModels(): BenchModel[] | string {
  const index = path.join(CACHE, 'index.json');
  if (!existsSync(index)) {
    const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' });
    if (probe.status !== 0)
      return `skipped: ${PYTHON} cannot import torch, torchvision and onnx (${(probe.stderr || String(probe.error)).trim().split('\n').pop()})`;
    process.stderr.write(`exporting the models into ${CACHE} (a few minutes) …\n`);
    const made = spawnSync(PYTHON, [path.join(REPO, 'tools', 'make_bench_models.py'), CACHE], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (made.status !== 0) throw new Error(`tools/make_bench_models.py failed (${made.status})`);
  }
  return JSON.parse(readFileSync(index, 'utf8')) as BenchModel[];
}

// Runs in a child process per engine and model, so each engine's own modules are loaded.
const MEASURE = `
const [root, file, optionsJson, runs] = process.argv.slice(1);
const { prepareGraphFromFile, summarizeGraph } = require(root + '/algorithms/prepare.ts');
let ms = Infinity, cpuMs = Infinity, graph;
for (let i = 0; i < Number(runs); i++) {
  const t = performance.now();
  const c = process.cpuUsage();
  graph = prepareGraphFromFile(file, JSON.parse(optionsJson));
  const d = process.cpuUsage(c);
  ms = Math.min(ms, performance.now() - t);
  cpuMs = Math.min(cpuMs, (d.user + d.system) / 1000);
}
const s = summarizeGraph(graph);
const shapes = Object.values(graph.tensors ?? {});
const unknown = shapes.filter((d) => d === null || d.some((x) => x === null)).length;
console.log(JSON.stringify({ parameters: s.parameterCount, flops: s.flops, unknown, ms, cpuMs }));`;

function measure(engine: Engine, file: string, dims: Record<string, number>, runs: number): Measured {
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', MEASURE, engine.root, file, JSON.stringify({ dims }), String(runs)], {
    cwd: engine.root,
    encoding: 'utf8',
    maxBuffer: 16 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`${engine.label} on ${file}: ${r.stderr.slice(0, 800)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
}

/** Whether an engine knows --dim (issue 11 §1); before it, a bound dim reads as free. */
function knowsDims(engine: Engine): boolean {
  return readFileSync(path.join(engine.root, 'algorithms', 'loaders', 'types.ts'), 'utf8').includes('dims?:');
}

const count = (n: number | null) => (n === null ? '—' : n.toLocaleString('en-US'));
const flops = (n: number | null) => (n === null ? '—' : formatFlops(n));

function row(m: BenchModel, engines: Engine[]): string {
  const file = path.join(CACHE, m.file);
  const free = engines.map((e) => measure(e, file, {}, RUNS));
  const bound = Object.keys(m.dims).length > 0 ? engines.map((e) => (knowsDims(e) ? measure(e, file, m.dims, 1) : undefined)) : undefined;
  const dimText = Object.entries(m.dims)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const boundText = bound ? `${beforeAfter(bound.map((b) => (b ? flops(b.flops) : 'no --dim')))} (${dimText})` : 'no free dims';
  return [
    `| ${m.name} (${(readFileSync(file).length / 1024).toFixed(0)} KB)`,
    beforeAfter(free.map((f) => count(f.parameters))),
    beforeAfter(free.map((f) => flops(f.flops))),
    boundText,
    beforeAfter(free.map((f) => String(f.unknown))) + (bound?.[bound.length - 1] ? ` (bound: ${bound[bound.length - 1]!.unknown})` : ''),
    beforeAfter(free.map((f) => f.ms.toFixed(0))),
    `${beforeAfter(free.map((f) => f.cpuMs.toFixed(0)))} |`,
  ].join(' | ');
}

export function bench(): Promise<string> {
  const models = ensureModels();
  if (typeof models === 'string') return Promise.resolve(models);
  const engines = benchEngines();
  const rows = [
    `Engines: ${engines.map((e) => `${e.label} = ${e.root}`).join(', ')}. Load = prepareGraphFromFile (what \`inspect\` does), best of ${RUNS} (wall and CPU separately).`,
    '',
    '| model | parameters | FLOPs, free dims | FLOPs, --dim | unknown tensors | load ms | load CPU ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...models.map((m) => row(m, engines)),
    '',
    ...models.map((m) => `- ${m.name}: ${m.what}`),
  ];
  return Promise.resolve(rows.join('\n'));
}
