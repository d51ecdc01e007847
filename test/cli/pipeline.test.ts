// `opplace pipeline` end to end through the built bin (bin/opplace.js → dist/cli.js; run
// `npm run build` first): the human table, the --json fields and node ids, exit codes 2 and 3
// with their messages, --out and --report. The plans come from the real planner: the checks are
// the ones any correct plan passes (every node once, loads and time per sample consistent,
// sequential stages in pipeline order, memory within the limits), not numbers copied from a run.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PipelinePlan } from '../../algorithms/pipeline/types';
import { checkPipelinePlan } from '../../algorithms/pipeline/checker';
import { planRuns } from '../../algorithms/pipeline/schedule';
import { loadModel } from '../../algorithms/loaders/readFile';
import { dataPath, REPO } from '../helpers/paths';

const BIN = path.join(REPO, 'bin', 'opplace.js');
const RESNET = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'resnet50_inference.json');
const GiB = 2 ** 30;

function opplace(...argv: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf-8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface StageRecord {
  index: number;
  device: number;
  nodes: string[];
  loadUs: number;
  computeUs: number;
  commUs: number;
  memoryBytes: number;
  peakBytes: number;
  memoryLimitBytes: number;
}
interface PipelineRecord {
  file: string;
  feasible: boolean;
  timePerSampleUs: number;
  singleDeviceUs: number;
  throughputSpeedup: number;
  stepUs: number;
  bubble: number;
  microbatches: number;
  devices: number;
  comm: string;
  stages: StageRecord[];
  reason?: string;
  minimumMemoryBytes?: number;
}

/** A 6-op chain whose ops hold 1 GiB of weights each ("big" holds 3 GiB), 100–600 µs apiece. */
function chainGraph(dir: string): string {
  const ids = ['embed', 'l1', 'l2', 'big', 'l3', 'head'];
  const nodes = ids.map((id, i) => ({
    id,
    name: id,
    opType: 'Linear',
    namespace: [id],
    modulePath: id,
    computeUs: 100 * (i + 1),
    persistentBytes: (id === 'big' ? 3 : 1) * GiB,
    temporaryBytes: 0,
    outputs: [{ name: id, bytes: 1 << 20, shape: [256, 1024] }],
  }));
  const edges = ids.slice(1).map((id, i) => ({ from: ids[i], to: id, tensor: ids[i], bytes: 1 << 20 }));
  const file = path.join(dir, 'chain.opgraph.json');
  writeFileSync(file, JSON.stringify({ format: 'opgraph', version: 1, name: 'chain', nodes, edges }));
  return file;
}

/** The invariants of a feasible plan record of `file`. */
function assertConsistent(r: PipelineRecord, fileIds: string[], edges: [string, string][]): void {
  assert.equal(r.feasible, true, r.reason);
  const placed = r.stages.flatMap((s) => s.nodes);
  assert.deepEqual([...placed].sort(), [...fileIds].sort(), 'every node of the file exactly once, by its id in the file');
  assert.equal(new Set(r.stages.map((s) => s.device)).size, r.stages.length, 'one stage per device');
  for (const s of r.stages) {
    assert.ok(Math.abs(s.loadUs - (s.computeUs + s.commUs)) < 1e-6, `stage ${s.index}: load = compute + comm`);
    assert.ok(s.memoryBytes <= s.memoryLimitBytes && s.peakBytes <= s.memoryLimitBytes, `stage ${s.index} within its limit`);
  }
  assert.equal(r.timePerSampleUs, Math.max(...r.stages.map((s) => s.loadUs)), 'time per sample = the largest load');
  assert.ok(Math.abs(r.throughputSpeedup - r.singleDeviceUs / r.timePerSampleUs) < 1e-9);
  assert.ok(r.bubble >= 0 && r.bubble < 1);
  // M microbatches take at least M × the slowest stage's compute, and the pipeline never idles more than it runs
  const slowest = Math.max(...r.stages.map((s) => s.computeUs));
  assert.ok(r.stepUs >= r.microbatches * slowest - 1e-6, `step ${r.stepUs} ≥ ${r.microbatches} × ${slowest}`);
  const stageOf = new Map(r.stages.flatMap((s) => s.nodes.map((n) => [n, s.index] as const)));
  for (const [from, to] of edges) assert.ok(stageOf.get(from)! <= stageOf.get(to)!, `edge ${from} → ${to} goes forward in the pipeline`);
}

function fileGraph(file: string): { ids: string[]; edges: [string, string][] } {
  const doc = JSON.parse(readFileSync(file, 'utf-8'));
  if (doc.format === 'opgraph')
    return { ids: doc.nodes.map((n: { id: string }) => n.id), edges: doc.edges.map((e: { from: string; to: string }) => [e.from, e.to]) };
  return {
    ids: doc.nodes.map((n: { id: number }) => String(n.id)),
    edges: doc.edges.map((e: { sourceId: number; destId: number }) => [String(e.sourceId), String(e.destId)]),
  };
}

describe('cli: opplace pipeline (built bin)', function () {
  this.timeout(120_000);
  let dir: string;
  let chain: string;
  before(() => {
    assert.ok(existsSync(path.join(REPO, 'dist', 'cli.js')), 'run `npm run build` first');
    dir = mkdtempSync(path.join(os.tmpdir(), 'opplace-pipeline-'));
    chain = chainGraph(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists every option, and `opplace --help` the command', async () => {
    const r = opplace('pipeline', '--help');
    assert.equal(r.code, 0);
    const { SPEC } = await import('../../cli/commands/pipeline');
    for (const name of Object.keys(SPEC)) assert.match(r.out, new RegExp(`^  (-\\w, )?--${name}\\b`, 'm'), `--${name} in the help`);
    assert.match(opplace('--help').out, /^ {2}pipeline +plan a model for throughput/m);
  });

  it('prints per stage its ops, load and memory, then time per sample, speed-up, step and bubble (file defaults)', () => {
    const r = opplace('pipeline', RESNET);
    assert.equal(r.code, 0, r.err);
    // dnn-partitioning: the file's 6 devices of maxSizePerFPGA, its own edge costs
    assert.match(r.out, /^\S*resnet50_inference\.json {2}\(pipeline, sequential split, 6 devices, comm file, 1f1b, 24 microbatches; 177 ops\)$/m);
    const rows = r.out.split('\n').filter((l) => /^ +\d+ +\d+ +\d+ /.test(l));
    assert.ok(rows.length >= 2 && rows.length <= 6, r.out);
    assert.equal(
      rows.reduce((s, l) => s + Number(l.trim().split(/\s+/)[2]), 0),
      177,
      'the ops of all stages add up to the graph',
    );
    for (const l of rows) assert.match(l, /node\d+ … node\d+ .* ms .* GiB +16\.0 GiB +\d+\.\d%/, 'first and last op by name');
    assert.match(r.out, /^ {2}time per sample \d+\.\d+ ms · throughput \d+\.\d\d× one device \(201\.45 ms\)$/m);
    assert.match(r.out, /^ {2}step of 24 microbatches \(1f1b\) \d.* · bubble \d+\.\d% · planned in /m);
    const json = JSON.parse(opplace('pipeline', RESNET, '--json').out) as PipelineRecord;
    assert.match(r.out, new RegExp(`time per sample ${(json.timePerSampleUs / 1000).toFixed(2)} ms · throughput ${json.throughputSpeedup.toFixed(2)}×`));
  });

  it('--json: one object per file with the plan fields and node ids as in the file; consistent plans', () => {
    const r = opplace('pipeline', RESNET, chain, '--json', '--devices', '3', '--memory', '7GiB', '--microbatches', '6', '--comm', 'none');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 2);
    const [resnet, small] = lines.map((l) => JSON.parse(l) as PipelineRecord);
    for (const [rec, file] of [
      [resnet, RESNET],
      [small, chain],
    ] as const) {
      assert.equal(rec.file, file);
      for (const f of ['timePerSampleUs', 'stepUs', 'bubble', 'singleDeviceUs', 'throughputSpeedup'])
        assert.equal(typeof (rec as unknown as Record<string, unknown>)[f], 'number', f);
      for (const s of rec.stages)
        for (const f of ['device', 'loadUs', 'computeUs', 'commUs', 'memoryBytes', 'peakBytes'])
          assert.equal(typeof (s as unknown as Record<string, unknown>)[f], 'number', f);
      assert.equal(rec.devices, 3);
      assert.equal(rec.microbatches, 6);
      const { ids, edges } = fileGraph(file);
      assertConsistent(rec, ids, edges);
    }
    for (const rec of [resnet, small]) {
      assert.deepEqual(
        rec.stages.map((s) => s.memoryLimitBytes),
        [7 * GiB, 7 * GiB, 7 * GiB],
        '--memory overrides the file default',
      );
      assert.ok(
        rec.stages.every((s) => s.commUs === 0),
        '--comm none: no communication',
      );
    }
  });

  it('--out writes the full plan (tasks, assignment) and --report a standalone report that embeds it', () => {
    const out = path.join(dir, 'plan.json');
    const report = path.join(dir, 'report.html');
    const r = opplace('pipeline', chain, '--devices', '3', '--memory', '4GiB', '--schedule', 'gpipe', '--microbatches', '4', '--out', out, '--report', report);
    assert.equal(r.code, 0, r.err);
    const plan = JSON.parse(readFileSync(out, 'utf-8')) as PipelinePlan;
    assert.equal(plan.objective, 'throughput');
    assert.equal(plan.schedule, 'gpipe');
    assert.deepEqual(Object.keys(plan.assignment).sort(), fileGraph(chain).ids.sort());
    for (const s of plan.stages) for (const n of s.nodes) assert.equal(plan.assignment[n], s.device, n);
    assert.ok(plan.tasks.length > 0, 'the simulated step');
    // the written plan passes the independent schedule checker on a re-simulation of its step
    const graph = loadModel(chain);
    assert.deepEqual(checkPipelinePlan(graph, plan, planRuns(graph, plan)), []);
    const html = readFileSync(report, 'utf-8');
    const init = JSON.parse(/<script type="application\/json" id="opplace-init">([\s\S]*?)<\/script>/.exec(html)![1]);
    assert.equal(init.type, 'init');
    assert.equal(init.graph.nodes.length, 6);
    const { placeMs: _a, ...embedded } = init.pipelinePlan as PipelinePlan;
    const { placeMs: _b, ...written } = plan;
    assert.deepEqual(embedded, written, 'the report embeds the same plan --out writes');
    assert.deepEqual(init.options.memoryLimits, [4 * GiB, 4 * GiB, 4 * GiB]);
  });

  it('infeasible: exit 3, names the op that does not fit and the smallest memory that would', () => {
    const r = opplace('pipeline', chain, '--devices', '6', '--memory', '2GiB');
    assert.equal(r.code, 3, r.out + r.err);
    assert.match(r.out, /infeasible: .*"?big"?/, r.out);
    const m = /smallest uniform memory per device that works: ([\d.]+ [KMG]iB)/.exec(r.out);
    assert.ok(m, r.out);
    const json = JSON.parse(opplace('pipeline', chain, '--devices', '6', '--memory', '2GiB', '--json').out) as PipelineRecord;
    assert.equal(json.feasible, false);
    assert.match(json.reason!, /big/);
    assert.ok(json.minimumMemoryBytes! >= 3 * GiB, `${json.minimumMemoryBytes} holds big's 3 GiB`);
    // and it is true: with that much memory per device the plan fits
    const ok = JSON.parse(opplace('pipeline', chain, '--devices', '6', '--memory', String(json.minimumMemoryBytes), '--json').out) as PipelineRecord;
    assertConsistent(ok, fileGraph(chain).ids, fileGraph(chain).edges);
  });

  it('a cyclic `any` split that stalls the step: one warning on stderr and in --json; the plan stays the same', () => {
    const inception = path.join(REPO, 'examples', 'inceptionv3_training.json');
    const args = [inception, '--devices', '4', '--memory', '64GiB', '--microbatches', '16'];
    const any = opplace('pipeline', ...args, '--split', 'any', '--json');
    assert.equal(any.code, 0, any.err);
    const rec = JSON.parse(any.out) as PipelineRecord & { warnings?: string[] };
    assert.equal(rec.warnings?.length, 1);
    const w = rec.warnings[0];
    // the search still returns its best time per sample (178 ms), the warning says what it costs
    assert.ok(rec.timePerSampleUs < 180_000, String(rec.timePerSampleUs));
    assert.match(w, /^the stage graph of the forward pass has a cycle \(stages (\d → )+\d on devices (\d → )+\d\)/);
    const perSample = rec.stepUs / 16 / 1000;
    assert.ok(perSample > 1.1 * (rec.timePerSampleUs / 1000));
    assert.ok(w.includes(`${perSample.toFixed(2)} ms per sample`), w);
    assert.ok(w.includes(`steady-state time per sample of ${(rec.timePerSampleUs / 1000).toFixed(2)} ms`), w);
    assert.match(
      w,
      /--split contiguous keeps the stage graph acyclic \(the contiguous split this search started from simulates a [\d.]+ s step, [\d.]+ (s|ms) or \d+ % shorter\), and gpipe may do better than 1f1b here\.$/,
    );
    assert.equal(any.err, `opplace pipeline: ${inception}: warning: ${w}\n`);
    // the human output warns on stderr too, not in the table on stdout
    const human = opplace('pipeline', ...args, '--split', 'any');
    assert.equal(human.err, any.err);
    assert.doesNotMatch(human.out, /warning/);
    // contiguous: acyclic, no warning, its step shorter than `any`'s (what the warning claims)
    const contiguous = opplace('pipeline', ...args, '--split', 'contiguous', '--json');
    const c = JSON.parse(contiguous.out) as PipelineRecord & { warnings?: string[] };
    assert.equal(c.warnings, undefined);
    assert.equal(contiguous.err, '');
    assert.ok(c.stepUs < rec.stepUs);
  });

  it('bad input: exit 2 with one line naming the file or option; the other files still run', () => {
    const cases: [string[], RegExp][] = [
      [[path.join(dir, 'nope.json')], /^opplace pipeline: .*nope\.json: no such file/],
      [[chain, '--split', 'diagonal'], /^opplace pipeline: --split must be one of sequential, contiguous, any, got "diagonal"/],
      [[chain, '--schedule', 'zb'], /^opplace pipeline: --schedule must be one of gpipe, 1f1b, got "zb"/],
      [[chain, '--microbatches', '0'], /^opplace pipeline: --microbatches must be an integer ≥ 1, got "0"/],
      [[chain, '--memory', '16GiB,8GiB', '--devices', '3'], /^opplace pipeline: --memory lists 2 limits but --devices is 3/],
      [[chain, '--comm', 'carrier-pigeon'], /^opplace pipeline: .*carrier-pigeon/],
      [[chain, '--comm', 'file'], /^opplace pipeline: .*chain\.opgraph\.json: --comm file uses the transfer cost of each edge from the file/],
      [[chain, '--report', path.join(dir, 'r.html'), RESNET], /^opplace pipeline: --report takes exactly one model file/],
      [[chain, '--out', chain], /--out .*chain\.opgraph\.json is an input file/],
      [[], /^opplace pipeline: no model file given/],
    ];
    for (const [argv, re] of cases) {
      const r = opplace('pipeline', ...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.doesNotMatch(r.err, /internal error|\n\s+at /);
      assert.match(r.err, re);
    }
    const mixed = opplace('pipeline', path.join(dir, 'nope.json'), chain, '--json', '--devices', '3', '--memory', '4GiB');
    assert.equal(mixed.code, 2);
    assert.equal(JSON.parse(mixed.out).file, chain, 'the readable file is still planned');
  });
});
