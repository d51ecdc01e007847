import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run } from '../../cli/commands/diffusion';
import { memoryIO, type CliIO } from '../../cli/io';
import { parseModel } from '../../algorithms/loaders/index';
import { isOpplaceError } from '../../algorithms/errors';

/**
 * Runs `opplace diffusion …` in-process the way cli/main.ts does (its dynamic import of the command
 * needs the ESM loader, which mocha's tsx/cjs hook does not provide): OpplaceError → stderr, its exit code.
 */
async function main(argv: string[], io: CliIO): Promise<number> {
  assert.equal(argv[0], 'diffusion');
  try {
    return await run(argv.slice(1), io);
  } catch (e) {
    if (!isOpplaceError(e)) throw e;
    io.err(`opplace diffusion: ${(e as Error).message}\n`);
    return e.exitCode;
  }
}

describe('opplace diffusion (CLI)', () => {
  it('bench --json prints one line per (sampler, dim, evals) with exactly the documented fields', async () => {
    const io = memoryIO();
    const code = await main(['diffusion', 'bench', '--dims', '10,100', '--budgets', '32,64', '--draws', '100', '--json'], io);
    assert.equal(code, 0, io.stderr);
    const lines = io.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 6 * 2 * 2);
    const names = new Set(lines.map((l) => l.sampler));
    assert.deepEqual([...names].sort(), ['ei', 'mid', 'prm', 'rm', 'rm+corrector', 'sde']);
    for (const l of lines) {
      assert.deepEqual(Object.keys(l), ['sampler', 'dim', 'evals', 'tv', 'pathwiseError']);
      assert.ok(l.evals <= 64 && l.evals >= 1 && l.tv >= 0 && l.tv <= 1 && l.pathwiseError > 0);
    }
    const ei = lines.find((l) => l.sampler === 'ei' && l.dim === 100 && l.evals === 64);
    const rm = lines.find((l) => l.sampler === 'rm' && l.dim === 100 && l.evals === 64);
    assert.ok(rm.tv < ei.tv, 'RM beats EI at the same budget');
    assert.equal(io.stderr, '', 'no progress bar when stderr is not a terminal');
  });

  it('bench prints tables, fitted orders and the evaluations needed for TV ≤ 0.05; progress goes to stderr on a TTY', async () => {
    const io = memoryIO();
    io.isTTY = true;
    const code = await main(['diffusion', 'bench', '--dims', '10,100', '--budgets', '32,64,128', '--samplers', 'ei,rm', '--draws', '200'], io);
    assert.equal(code, 0, io.stderr);
    assert.match(io.stdout, /### d = 10: TV of the output law/);
    const eiRow = /\| ei \|.* \| ([0-9.]+) \| ([0-9.]+) \|\n/.exec(io.stdout);
    assert.ok(eiRow && Math.abs(Number(eiRow[1]) - 1) < 0.1, `EI pathwise order ≈ 1: ${eiRow?.[0]}`);
    assert.match(io.stdout, /### Evaluations needed for TV ≤ 0\.05/);
    assert.match(io.stdout, /\| rm \| \d+ \| \d+ \| [0-9.]+ \|/);
    assert.match(io.stderr, /\r\[#+\.*\] \d+\/\d+/);
    assert.doesNotMatch(io.stdout, /\r/);
  });

  it('graph writes an opgraph that opplace loads, with the stated node count, and prints speed-ups', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'opplace-diffusion-'));
    const out = path.join(dir, 'sampler.opgraph.json');
    const io = memoryIO();
    const code = await main(
      [
        'diffusion',
        'graph',
        '--steps',
        '3',
        '--midpoints',
        '8',
        '--rounds',
        '2',
        '--score-time-us',
        '500',
        '--score-bytes',
        '4MiB',
        '--out',
        out,
        '--speedup',
        '1,4',
      ],
      io,
    );
    assert.equal(code, 0, io.stderr);
    const g = parseModel(readFileSync(out), out);
    assert.equal(g.nodes.length, 3 * (1 + 3 * 8));
    assert.equal(g.nodes[0].outputs[0].bytes, 4 * 2 ** 20);
    assert.match(io.stdout, /wrote .*: 75 nodes/);
    const four = /\| 4 \| [^|]+ \| ([0-9.]+)× \|/.exec(io.stdout);
    assert.ok(four && Number(four[1]) >= 3, io.stdout);
    // same options → same bytes
    const again = path.join(dir, 'again.opgraph.json');
    await main(
      ['diffusion', 'graph', '--steps', '3', '--midpoints', '8', '--rounds', '2', '--score-time-us', '500', '--score-bytes', '4MiB', '--out', again],
      memoryIO(),
    );
    assert.equal(readFileSync(again, 'utf8'), readFileSync(out, 'utf8'));
  });

  it('bad input gives one clear message and exit code 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'opplace-diffusion-'));
    const cases: [string[], RegExp][] = [
      [['diffusion', 'bench', '--dims', '10,x'], /--dims: "x" must be an integer/],
      [['diffusion', 'bench', '--budgets', ''], /--budgets must be a comma-separated list/],
      [['diffusion', 'bench', '--samplers', 'ei,foo'], /unknown sampler "foo"/],
      [['diffusion', 'bench', '--bogus'], /Unknown option '--bogus'/],
      [['diffusion', 'wat'], /unknown subcommand "wat"/],
      [
        [
          'diffusion',
          'graph',
          '--steps',
          '2',
          '--midpoints',
          '2',
          '--rounds',
          '1',
          '--score-time-us',
          '1',
          '--score-bytes',
          '1',
          '--out',
          path.join(dir, 'c.json'),
          '--comm',
          'pcie4',
        ],
        /--comm only applies with --speedup/,
      ],
      [
        [
          'diffusion',
          'graph',
          '--steps',
          '2',
          '--midpoints',
          '2',
          '--rounds',
          '1',
          '--score-time-us',
          '1',
          '--score-bytes',
          '1',
          '--out',
          path.join(dir, 'c.json'),
          '--speedup',
          '2',
          '--comm',
          'carrier-pigeon',
        ],
        /unknown interconnect "carrier-pigeon"/,
      ],
      [['diffusion', 'graph', '--steps', '2', '--midpoints', '2', '--rounds', '1', '--score-bytes', '1'], /--out is required/],
      [
        [
          'diffusion',
          'graph',
          '--steps',
          '2',
          '--midpoints',
          '2',
          '--rounds',
          '1',
          '--score-time-us',
          'fast',
          '--score-bytes',
          '1',
          '--out',
          path.join(dir, 'a.json'),
        ],
        /--score-time-us must be a number ≥ 0, got "fast"/,
      ],
      [
        [
          'diffusion',
          'graph',
          '--steps',
          '2',
          '--midpoints',
          '2',
          '--rounds',
          '1',
          '--score-time-us',
          '1',
          '--score-bytes',
          'lots',
          '--out',
          path.join(dir, 'b.json'),
        ],
        /invalid --score-bytes "lots"/,
      ],
      [
        [
          'diffusion',
          'graph',
          '--steps',
          '2',
          '--midpoints',
          '2',
          '--rounds',
          '1',
          '--score-time-us',
          '1',
          '--score-bytes',
          '1',
          '--out',
          path.join(dir, 'no', 'such', 'dir.json'),
        ],
        /--out: the folder .*such does not exist/,
      ],
    ];
    for (const [argv, re] of cases) {
      const io = memoryIO();
      const code = await main(argv, io);
      assert.equal(code, 2, `${argv.join(' ')}: ${io.stderr}`);
      assert.match(io.stderr, re);
      assert.equal(io.stderr.trim().split('\n').length, 1, 'one line');
    }
    for (const f of ['a.json', 'b.json', 'c.json']) assert.ok(!existsSync(path.join(dir, f)), `${f} not written`);
  });
});
