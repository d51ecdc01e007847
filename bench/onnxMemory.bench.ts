// Peak RSS of `opplace inspect` and `opplace place` on a large single-file ONNX model (issue 11 §7:
// a 1.6 GB file took 3.2 GB to inspect; target ≤ 1.2× the file). The model (a MatMul chain on
// 2048 × 2048 fp32 weights, ~1.5 GiB) is streamed into the temp folder and removed afterwards.
// Each engine of bench/engines.ts runs its built dist/cli.js; best wall time of RUNS runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeLargeOnnx } from '../test/helpers/largeOnnx';
import { Engine, beforeAfter, benchEngines } from './engines';

const TARGET_BYTES = 1.5 * 2 ** 30;
const RUNS = 2;
const COMMANDS: Record<string, string[]> = {
  inspect: ['inspect'],
  place: ['place', '--devices', '4', '--memory', '2GiB'],
};

interface Run {
  maxRss: number;
  ms: number;
}

function runCli(engine: Engine, args: string[]): Run {
  const cli = path.join(engine.root, 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build in ${engine.root}`);
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--require', path.join(__dirname, 'reportMaxRss.cjs'), cli, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const ms = performance.now() - t;
  const rss = /opplace-bench-maxrss (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !rss) throw new Error(`${engine.label}: opplace ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(0, 500)}`);
  return { maxRss: Number(rss[1]), ms };
}

function best(engine: Engine, args: string[]): Run {
  const runs = Array.from({ length: RUNS }, () => runCli(engine, args));
  return { maxRss: Math.max(...runs.map((r) => r.maxRss)), ms: Math.min(...runs.map((r) => r.ms)) };
}

export function bench(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'opplace-bench-large-'));
  try {
    const model = writeLargeOnnx(path.join(dir, 'large.onnx'), TARGET_BYTES);
    const engines = benchEngines();
    const gb = (b: number) => (b / 1e9).toFixed(2);
    const rows = [
      `${model.layers} MatMuls on ${model.d} × ${model.d} fp32 weights in one ${gb(model.bytes)} GB file; ${engines.map((e) => `${e.label} = ${e.root}`).join(', ')}.`,
      '',
      '| command | peak RSS GB | RSS / file | wall s |',
      '|---|---:|---:|---:|',
    ];
    for (const [name, args] of Object.entries(COMMANDS)) {
      const runs = engines.map((e) => best(e, [...args, model.file]));
      rows.push(
        `| ${name} | ${beforeAfter(runs.map((r) => gb(r.maxRss)))} | ${beforeAfter(runs.map((r) => (r.maxRss / model.bytes).toFixed(2)))} | ${beforeAfter(runs.map((r) => (r.ms / 1000).toFixed(1)))} |`,
      );
    }
    rows.push('', `Peak RSS is the largest of ${RUNS} runs, wall time the smallest (node startup included). Target: RSS ≤ 1.2× the file.`);
    return Promise.resolve(rows.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
