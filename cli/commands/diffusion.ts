// `opplace diffusion bench|graph`: the randomized-midpoint diffusion samplers' numerical benchmark
// (pathwise error, exact TV of the output law, evaluations needed for a TV target as d grows) and
// the parallel sampler's computation DAG written as an .opgraph.json that opplace can place.
import { OpplaceError } from '../../algorithms/errors';
import { SAMPLER_NAMES, type SamplerName } from '../../algorithms/diffusion/samplers';
import { formatBenchMarkdown, runDiffusionBench } from '../../algorithms/diffusion/experiments';
import { parallelSamplerGraph } from '../../algorithms/diffusion/graph';
import { samplerSpeedups } from '../../algorithms/diffusion/speedup';
import { serializeOpgraph } from '../../algorithms/loaders/opgraph';
import { parseLink } from '../../algorithms/options';
import { formatUs, parseSize } from '../../algorithms/units';
import { intOption, parseCommandArgs } from '../args';
import { checkOutputPath, writeOutputFile } from '../outputPath';
import type { CliIO } from '../io';

const HELP = `usage: opplace diffusion bench [options]
       opplace diffusion graph --steps N --midpoints R --rounds K --score-time-us T --score-bytes B --out FILE

bench: randomized-midpoint diffusion samplers on the isotropic Gaussian target N(1, 0.25 I_d):
  TV of the output law (exact, no sampling noise) and pathwise RMS error per sampler, dimension
  and evaluation budget, fitted orders, and the evaluations each sampler needs for TV ≤ 0.05.
  Samplers: ei (exponential integrator), rm (randomized midpoint), mid (α = ½), sde (DDPM-style),
  rm+corrector (RM + underdamped Langevin corrector), prm (parallel RM, R midpoints, K rounds).
  --dims LIST        dimensions (default 10,100,1000,10000)
  --budgets LIST     score-evaluation budgets (default 32,64,128,256,512)
  --samplers LIST    subset of ${SAMPLER_NAMES.join(',')} (default all)
  --midpoints R      parallel RM midpoints (default 4)
  --rounds K         parallel RM Picard rounds (default 2)
  --draws M          midpoint draws for the exact-law TV (default 1000)
  --seed S           random seed (default 1)
  --json             one JSON line per (sampler, dim, evals):
                     {"sampler","dim","evals","tv","pathwiseError"}; no budget search

graph: the parallel sampler's DAG (one node per score evaluation, 1 + (K+1)·R per step, depth N·(K+2))
  --steps N  --midpoints R  --rounds K   sampler shape (required)
  --score-time-us T  time of one score evaluation in µs (required)
  --score-bytes B    bytes of one score vector, e.g. 4MiB (required)
  --weight-bytes B   score-network weights held by every evaluation (default 0)
  --out FILE         where to write the .opgraph.json (required; an existing file only with --force)
  --force            replace an existing --out file
  --speedup LIST     also place it with m-ETF (no communication cost) on these device counts
                     and print the speed-up over one device, e.g. 1,2,4,8
  --comm C           interconnect for --speedup (default none; presets as in \`opplace place\`)
  -h, --help         this help
`;

const SPEC = {
  dims: { type: 'string' },
  budgets: { type: 'string' },
  samplers: { type: 'string' },
  midpoints: { type: 'string' },
  rounds: { type: 'string' },
  draws: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  steps: { type: 'string' },
  'score-time-us': { type: 'string' },
  'score-bytes': { type: 'string' },
  'weight-bytes': { type: 'string' },
  out: { type: 'string' },
  speedup: { type: 'string' },
  comm: { type: 'string' },
  name: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** "10,100,1000" → [10, 100, 1000], each an integer in [min, max]. */
export function parseIntList(text: string | undefined, option: string, dflt: number[], min = 1, max = 1_000_000): number[] {
  if (text === undefined) return dflt;
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) throw new OpplaceError(`--${option} must be a comma-separated list of integers, got "${text}"`);
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < min || n > max) throw new OpplaceError(`--${option}: "${p}" must be an integer in ${min}…${max}`);
    return n;
  });
}

function parseSamplers(text: string | undefined): SamplerName[] {
  if (text === undefined) return SAMPLER_NAMES;
  return text.split(',').map((s) => {
    const name = s.trim();
    if (!(SAMPLER_NAMES as string[]).includes(name)) throw new OpplaceError(`--samplers: unknown sampler "${name}" (expected ${SAMPLER_NAMES.join(', ')})`);
    return name as SamplerName;
  });
}

function progressBar(io: CliIO): ((done: number, total: number, label: string) => void) | undefined {
  if (!io.isTTY) return undefined;
  return (done, total, label) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label.padEnd(40).slice(0, 40)}`);
    if (done === total) io.err('\r' + ' '.repeat(width + 60) + '\r');
  };
}

type Values = ReturnType<typeof parseCommandArgs<typeof SPEC>>['values'];

function runBench(v: Values, io: CliIO): number {
  const dims = parseIntList(v.dims, 'dims', [10, 100, 1000, 10000]);
  const budgets = parseIntList(v.budgets, 'budgets', [32, 64, 128, 256, 512]);
  const config = { midpoints: intOption(v.midpoints, 'midpoints', 4, 1, 1024), rounds: intOption(v.rounds, 'rounds', 2, 0, 64) };
  const result = runDiffusionBench({
    dims,
    budgets,
    samplers: parseSamplers(v.samplers),
    config,
    draws: intOption(v.draws, 'draws', 1000, 1, 1_000_000),
    seed: intOption(v.seed, 'seed', 1, 0, 0xffffffff),
    skipBudgets: Boolean(v.json),
    onProgress: progressBar(io),
  });
  if (v.json) {
    for (const r of result.rows) {
      io.out(JSON.stringify({ sampler: r.sampler, dim: r.dim, evals: r.evals, tv: r.tv, pathwiseError: r.pathwiseError }) + '\n');
    }
  } else {
    io.out(formatBenchMarkdown(result) + '\n');
    io.out('Cells: TV / pathwise RMS error (evaluations used). Order = −slope of log error against log evaluations.\n');
    io.out('Pathwise error of sde and rm+corrector is not a discretisation error (they are stochastic); judge them by TV.\n');
  }
  return 0;
}

function required(v: string | undefined, name: string): string {
  if (v === undefined) throw new OpplaceError(`--${name} is required (see \`opplace diffusion --help\`)`);
  return v;
}

async function runGraph(v: Values, io: CliIO): Promise<number> {
  const out = required(v.out, 'out');
  // --out may name any file (an ONNX model included): an existing one only with --force
  checkOutputPath(out, [], 'out', { refuseExisting: true, force: Boolean(v.force) });
  if (v.comm !== undefined && v.speedup === undefined) throw new OpplaceError('--comm only applies with --speedup');
  if (v.comm !== undefined) parseLink(v.comm, '--comm');
  const timeText = required(v['score-time-us'], 'score-time-us');
  const scoreTimeUs = Number(timeText);
  if (timeText.trim() === '' || !Number.isFinite(scoreTimeUs) || scoreTimeUs < 0)
    throw new OpplaceError(`--score-time-us must be a number ≥ 0, got "${timeText}"`);
  const graph = parallelSamplerGraph({
    steps: intOption(required(v.steps, 'steps'), 'steps', 1),
    midpoints: intOption(required(v.midpoints, 'midpoints'), 'midpoints', 1),
    rounds: intOption(required(v.rounds, 'rounds'), 'rounds', 0, 0),
    scoreTimeUs,
    scoreBytes: parseSize(required(v['score-bytes'], 'score-bytes'), '--score-bytes'),
    weightBytes: v['weight-bytes'] === undefined ? 0 : parseSize(v['weight-bytes'], '--weight-bytes'),
    ...(v.name !== undefined ? { name: v.name } : {}),
  });
  writeOutputFile(out, serializeOpgraph(graph), 'the graph');
  io.out(`wrote ${out}: ${graph.nodes.length} nodes, ${graph.edges.length} edges\n`);
  if (v.speedup !== undefined) {
    const counts = parseIntList(v.speedup, 'speedup', [], 1, 1024);
    const rows = await samplerSpeedups(graph, counts, v.comm ?? 'none');
    io.out('\n| devices | makespan | speed-up |\n|---|---|---|\n');
    for (const r of rows) io.out(`| ${r.devices} | ${formatUs(r.makespanUs)} | ${r.speedup.toFixed(2)}× |\n`);
  }
  return 0;
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPEC, 'diffusion');
  if (values.help || positionals.length === 0) {
    io.out(HELP);
    return values.help ? 0 : 2;
  }
  const [sub, ...extra] = positionals;
  if (extra.length) throw new OpplaceError(`unexpected argument "${extra[0]}" (see \`opplace diffusion --help\`)`);
  if (sub === 'bench') return runBench(values, io);
  if (sub === 'graph') return runGraph(values, io);
  throw new OpplaceError(`unknown subcommand "${sub}" (expected bench or graph)`);
}
