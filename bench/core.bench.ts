// The scheduling core alone, this tree against another: `npx tsx bench/run.ts core` (about 2
// minutes), with OPPLACE_BENCH_BEFORE=/path/to/a/clone for the comparison (engines.ts; the clone may
// link this tree's node_modules). Each tree's placers are bundled on their own with esbuild (what ships is
// bundled), and fresh node processes of the two trees alternate (A B B A A B …), so a change in
// the machine's load falls on both alike; each process builds the problems and the LP once and
// times batches of core runs after a warm-up. The table shows the median over processes of each
// one's median batch (ms per run) and the best batch. Both trees must give the same plans
// (checked here on every graph and placer too). OPPLACE_CORE_NODE_ARGS passes node flags
// (e.g. --cpu-prof).
import { execFileSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { AlgorithmName } from '../algorithms/plan';
import type { CoreOutcome } from '../algorithms/placement/placers';
import { REPO } from '../test/helpers/paths';
import { bundleBench } from './bundle';
import { benchEngines } from './engines';

declare const OPPLACE_CORE_BUNDLED: boolean | undefined;
declare const OPPLACE_CORE_REPO: string;

const PLACERS: AlgorithmName[] = ['m-topo', 'm-etf', 'm-sct'];
/** Fresh processes per tree, batches per process and graph, runs per batch (≥ 20 ms a batch). */
const PROCESSES = Number(process.env.OPPLACE_CORE_PROCESSES ?? 8);
const BATCHES = Number(process.env.OPPLACE_CORE_BATCHES ?? 15);
const BATCH = Number(process.env.OPPLACE_CORE_BATCH ?? 20);
const NODE_ARGS = (process.env.OPPLACE_CORE_NODE_ARGS ?? '').split(' ').filter(Boolean);
/**
 * Against a tree from before a change of the model (e.g. f0a9075, where issue 15 began, before the
 * dnn-partitioning memory rule moved m-TOPO's fill), plans may differ: the table then says which.
 */
const PLANS_MAY_DIFFER = process.env.OPPLACE_CORE_PLANS_MAY_DIFFER === '1';

/** What one tree's bundle exports (made from the entry below). */
interface TreeBundle {
  setup(graph: string, devices: number): Promise<(algorithm: AlgorithmName) => CoreOutcome>;
}

/** The entry bundled per tree: the graph's problem and LP built once, then the core per call. */
function entryOf(tree: string): string {
  const at = (p: string) => JSON.stringify(path.join(tree, p));
  return `
import { buildProblem, problemOptionsOf } from ${at('algorithms/placement/problem')};
import { runPlacer, sctLpInput } from ${at('algorithms/placement/placers')};
import { favouriteChildren } from ${at('algorithms/placement/sctLp')};
import { prepareGraphFromFile } from ${at('algorithms/prepare')};
import { generateDnnDag } from ${at('test/helpers/generateDag')};
export async function setup(graph, devices) {
  const options = { devices, memoryLimits: Array(devices).fill(2 ** 50), comm: 'baechi', grouping: 'none', fuse: false };
  const g = graph.startsWith('generated:') ? generateDnnDag({ nodes: Number(graph.slice(10)), seed: 1 }) : prepareGraphFromFile(graph);
  const problem = buildProblem(g, problemOptionsOf(options));
  const fav = await favouriteChildren(sctLpInput(problem), 0.5);
  return (algorithm) => runPlacer(problem, algorithm, options.memoryLimits, fav);
}`;
}

/** A plan's fingerprint: every op's device and start (both trees must agree). */
function fingerprint(out: CoreOutcome): string {
  if (!('start' in out)) return `infeasible: ${out.reason}`;
  let h = 0;
  for (let v = 0; v < out.device.length; v++) h = (Math.imul(h, 31) + out.device[v] * 7919 + Math.round(out.start[v] * 1000)) | 0;
  return `${out.transfers.length}:${h}`;
}

function batchMs(run: () => unknown): number {
  const t = performance.now();
  for (let i = 0; i < BATCH; i++) run();
  return (performance.now() - t) / BATCH;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t: number) => (t >= 10 ? t.toFixed(1) : t.toFixed(3));

/** The graphs (OPPLACE_CORE_GRAPHS=bert picks BERT-L12 alone, for quick comparisons). */
const GRAPHS: [string, string][] = [
  ['BERT-L12 training', 'bert'],
  ['generated 10k', 'generated:10000'],
].filter(([, g]) => !process.env.OPPLACE_CORE_GRAPHS || process.env.OPPLACE_CORE_GRAPHS.split(',').some((x) => g.startsWith(x))) as [string, string][];

/** Bundled mode: one tree's samples, ms per run of each batch, per graph and placer (JSON). */
async function measure(bundle: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tree = require(bundle) as TreeBundle;
  const bert = path.join(OPPLACE_CORE_REPO, 'data', 'dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', 'bert_L-12_training.json');
  const out: { prints: string[]; samples: number[][] }[] = [];
  for (const [, graph] of GRAPHS) {
    const run = await tree.setup(graph === 'bert' ? bert : graph, 4);
    const prints = PLACERS.map((a) => fingerprint(run(a)));
    for (let w = 0; w < 5; w++) for (const a of PLACERS) batchMs(() => run(a)); // tier-up first
    const samples = PLACERS.map((): number[] => []);
    for (let r = 0; r < BATCHES; r++) PLACERS.forEach((a, i) => samples[i].push(batchMs(() => run(a))));
    out.push({ prints, samples });
  }
  return JSON.stringify(out);
}

/**
 * Alternates fresh processes of each tree (in one process the bundle loaded second ran 20 %
 * slower on BERT-L12 with both bundles of one tree) and reports, per graph and placer, the
 * median over processes of each process's median batch (and the best batch).
 */
function compare(trees: string[], bundles: string[], outfile: string): string {
  const runs = bundles.map((): ReturnType<typeof parseRun>[] => []);
  for (let round = 0; round < PROCESSES; round++) {
    for (let j = 0; j < bundles.length; j++) {
      const t = round % 2 ? bundles.length - 1 - j : j;
      const env = { ...process.env, OPPLACE_CORE_BUNDLE: bundles[t] };
      runs[t].push(parseRun(execFileSync(process.execPath, [...NODE_ARGS, outfile], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] })));
    }
  }
  const names = trees.length > 1 ? ['before', 'after'] : ['this tree'];
  const differ: string[] = [];
  const lines = [
    `Core alone, 4 devices, ample memory, comm baechi, grouping none: ms per run, median over ${PROCESSES} processes per tree (alternated) of each one's median of ${BATCHES} batches of ${BATCH} runs (best batch)`,
    '',
    `| graph | placer | ${names.join(' | ')} |${names.length > 1 ? ' before / after |' : ''}`,
    `|---|---|${names.map(() => '---|').join('')}${names.length > 1 ? '---|' : ''}`,
  ];
  GRAPHS.forEach(([label], g) => {
    PLACERS.forEach((a, i) => {
      const prints = runs.map((r) => r[0][g].prints[i]);
      if (prints.some((p) => p !== prints[0])) {
        const what = `${label} ${a}: the trees' plans differ (${prints.join(' vs ')})`;
        if (!PLANS_MAY_DIFFER) throw new Error(what);
        differ.push(what);
      }
      const medians = runs.map((r) => median(r.map((p) => median(p[g].samples[i]))));
      const bests = runs.map((r) => Math.min(...r.map((p) => Math.min(...p[g].samples[i]))));
      const ratio = medians.length > 1 ? ` ${(medians[0] / medians[1]).toFixed(2)}× |` : '';
      lines.push(`| ${label} | ${a} | ${medians.map((m, t) => `${ms(m)} (${ms(bests[t])})`).join(' | ')} |${ratio}`);
    });
  });
  if (differ.length) lines.push('', ...differ.map((d) => `- ${d}`));
  return lines.join('\n');
}

const parseRun = (text: string) => JSON.parse(text) as { prints: string[]; samples: number[][] }[];

function bundleTree(tree: string, outfile: string): void {
  buildSync({
    stdin: { contents: entryOf(tree), resolveDir: tree, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile,
    external: ['highs', 'esbuild'],
    nodePaths: [path.join(REPO, 'node_modules')],
    logLevel: 'warning',
  });
}

export async function bench(): Promise<string> {
  if (typeof OPPLACE_CORE_BUNDLED !== 'undefined') return measure(process.env.OPPLACE_CORE_BUNDLE!);
  const dir = path.join(REPO, 'node_modules', '.cache', 'opplace-bench');
  mkdirSync(dir, { recursive: true });
  const trees = benchEngines().map((e) => e.root);
  const bundles = trees.map((t, i) => path.join(dir, `core-tree-${i}.js`));
  trees.forEach((t, i) => bundleTree(t, bundles[i]));
  const outfile = path.join(dir, 'core.js');
  bundleBench(__filename, outfile, { OPPLACE_CORE_BUNDLED: 'true', OPPLACE_CORE_REPO: JSON.stringify(REPO) });
  return compare(trees, bundles, outfile);
}
