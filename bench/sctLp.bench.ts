// m-SCT favourite-child LP: the full HiGHS solve (reference) vs the reduced solve (sctLpReduce.ts)
// on DNN-shaped graphs with Baechi's comm costs (134 µs + 0.0001754 µs/byte). Writes its table
// into bench/README.md under "## m-SCT LP". Run alone: `npx tsx bench/run.ts sctLp`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OpGraph } from '../algorithms/graph';
import { loadModel } from '../algorithms/loaders/readFile';
import { generateDnnDag } from '../test/helpers/generateDag';
import { favouriteChildren, SctLpInput } from '../algorithms/placement/sctLp';

const LATENCY_US = 134;
const US_PER_BYTE = 0.0001754;
/** Skip the exact solve above this many edges for training graphs (it takes minutes there). */
const EXACT_EDGE_LIMIT = 130_000;

function lpInput(g: OpGraph): SctLpInput {
  const index = new Map(g.nodes.map((node, i) => [node.id, i] as const));
  return {
    n: g.nodes.length,
    p: Float64Array.from(g.nodes.map((node) => node.computeUs)),
    edges: g.edges.map((e) => ({ from: index.get(e.from)!, to: index.get(e.to)!, c: LATENCY_US + US_PER_BYTE * e.bytes })),
  };
}

async function timed(inp: SctLpInput, method: 'exact' | 'fast') {
  const started = performance.now();
  const r = await favouriteChildren(inp, 0.5, { method });
  return { ms: performance.now() - started, r };
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

interface Case {
  label: string;
  graph: () => OpGraph;
}

function cases(): Case[] {
  const list: Case[] = [];
  const bert = path.resolve(__dirname, '..', 'data', 'dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', 'bert_L-12_training.json');
  if (existsSync(bert)) list.push({ label: 'BERT-L12 training (dnn-partitioning)', graph: () => loadModel(bert) });
  for (const nodes of [2_000, 10_000, 30_000, 100_000]) {
    list.push({ label: `generated inference ${nodes / 1000}k`, graph: () => generateDnnDag({ nodes, seed: 7 }) });
  }
  for (const nodes of [1_000, 4_000, 12_000, 40_000]) {
    list.push({ label: `generated training (fwd ${nodes / 1000}k)`, graph: () => generateDnnDag({ nodes, seed: 7, training: true }) });
  }
  return list;
}

export async function bench(): Promise<string> {
  const loadBefore = os.loadavg()[0];
  // Cold start: loading + compiling the wasm and the first solves run far slower than later ones
  // (V8 tiers the wasm up while it runs), so it is measured once and then both methods are warmed.
  const coldInput = lpInput(generateDnnDag({ nodes: 10_000, seed: 99 }));
  const cold = await timed(coldInput, 'fast');
  for (let k = 0; k < 2; k++) {
    const warm = lpInput(generateDnnDag({ nodes: 3_000, seed: 100 + k, training: k === 1 }));
    await timed(warm, 'exact');
    await timed(warm, 'fast');
  }
  const rows: string[] = [];
  for (const c of cases()) {
    const inp = lpInput(c.graph());
    const fast = await timed(inp, 'fast');
    const again = await timed(inp, 'fast');
    const fastMs = Math.min(fast.ms, again.ms);
    let exactCell = 'skipped (minutes)';
    let speedup = '—';
    let diff = '—';
    if (inp.edges.length <= EXACT_EDGE_LIMIT) {
      const exact = await timed(inp, 'exact');
      exactCell = fmtMs(exact.ms);
      speedup = `${(exact.ms / fastMs).toFixed(1)}×`;
      const rel = Math.abs(exact.r.lpObjective - fast.r.lpObjective) / exact.r.lpObjective;
      diff = rel === 0 ? '0' : rel.toExponential(1);
    }
    const details = fast.r.method.replace(/^reduced: /, '');
    rows.push(
      `| ${c.label} | ${inp.n.toLocaleString('en')} / ${inp.edges.length.toLocaleString('en')} | ${exactCell} | ${fmtMs(fastMs)} | ${speedup} | ${(fast.r.lpObjective / 1000).toFixed(1)} ms | ${diff} | ${details} |`,
    );
    process.stderr.write(`  ${rows[rows.length - 1]}\n`);
  }
  const text = [
    `\`npx tsx bench/run.ts sctLp\` (part of \`npm run bench\`; about a minute). Favourite-child LP of m-SCT on`,
    `DNN-shaped graphs (\`algorithms/placement/generateDag.ts\`, seed 7: ResNet/Inception/Transformer blocks;`,
    `training = mirrored backward pass with forward→backward activation edges and gradient-apply sinks) and`,
    `BERT-L12 training from dnn-partitioning; comm = ${LATENCY_US} µs + ${US_PER_BYTE} µs/byte. "exact" = the whole LP in one`,
    `HiGHS call (dual simplex; degree rows only where the degree is ≥ 2); "fast" = chain contraction + series`,
    `cuts + edge subset with a longest-path certificate (\`sctLpReduce.ts\`), best of 2 warm runs. Both`,
    `after a warm-up; the very first solve in a process (wasm load + tier-up) took ${fmtMs(cold.ms)} for 10k nodes.`,
    `"rel. diff" = |w_fast − w_exact| / w_exact. Measured ${new Date().toISOString().slice(0, 10)} on the shared 2-core machine`,
    `(1-min load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end: other work ran alongside).`,
    '',
    '| graph | nodes / edges | exact HiGHS | fast | speed-up | LP w | rel. diff | fast path (rounds, edges in LP, segments, HiGHS calls) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  writeReadmeSection('## m-SCT LP', text);
  return text;
}

/** Replace (or append) one `## ` section of bench/README.md, leaving the others untouched. */
function writeReadmeSection(heading: string, body: string): void {
  const file = path.join(__dirname, 'README.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const section = `${heading}\n\n${body.trim()}\n`;
  const start = current.indexOf(`${heading}\n`);
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const after = current.indexOf('\n## ', start + heading.length);
    next = current.slice(0, start) + section + (after < 0 ? '' : `\n${current.slice(after + 1)}`);
  }
  writeFileSync(file, next);
}
