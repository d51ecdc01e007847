// The placement worker as the extension runs it (worker_threads), without VS Code: the worker is
// bundled with esbuild exactly like scripts/build.mjs does, into a temp folder with highs.wasm.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { JobError, runJob } from '../../extension/placeRunner';
import { infeasibleText } from '../../extension/userMessages';
import { COMPARE_ALGORITHMS, resolveSettings } from '../../extension/settings';
import type { PlaceJob, WorkerJob } from '../../extension/workerProtocol';
import { REPO, dataPath } from '../helpers/paths';
import type { CompareRow, ThroughputRow } from '../../algorithms/compare';
import { compareHtml, compareMarkdown } from '../../extension/compareTable';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { planPipeline } from '../../algorithms/pipeline/index';
import { prepareGraph } from '../../algorithms/prepare';
import { pipelineOptionsFrom } from '../../webview/pipelineModel';

const SQUEEZENET = dataPath('onnx-light', 'light_squeezenet.onnx');
const TWO_BRANCH = path.join(REPO, 'test', 'e2e', 'fixtures', 'two-branch.opgraph.json');

describe('extension placement worker (worker_threads)', function () {
  this.timeout(60_000);
  let dir: string;
  let worker: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opplace-worker-'));
    worker = path.join(dir, 'placeWorker.js');
    await build({ entryPoints: [path.join(REPO, 'extension', 'placeWorker.ts')], outfile: worker, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
    fs.copyFileSync(path.join(REPO, 'node_modules', 'highs', 'build', 'highs.wasm'), path.join(dir, 'highs.wasm'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const job = (file: string, over: Partial<PlaceJob> = {}): PlaceJob => {
    const { load, placement } = resolveSettings({ devices: 2, memoryLimits: '1GiB' });
    return { kind: 'place', bytes: new Uint8Array(fs.readFileSync(file)), fileName: file, load, options: placement, ...over };
  };

  it('places an onnx-light model: every node scheduled once, on the requested devices, with progress reports', async () => {
    const progress: string[] = [];
    const r = await runJob(worker, job(SQUEEZENET), (m) => progress.push(m)).result;
    assert.equal(r.kind, 'placed');
    if (r.kind !== 'placed') return;
    assert.ok(r.plan.feasible);
    assert.equal(r.plan.devices.length, 2);
    const scheduled = r.plan.schedule.map((s) => s.node).sort();
    assert.deepEqual(scheduled, r.graph.nodes.map((n) => n.id).sort());
    assert.ok(r.plan.schedule.every((s) => s.device === 0 || s.device === 1));
    assert.ok(progress.some((m) => /loading light_squeezenet\.onnx/.test(m)), progress.join('|'));
  });

  it('is deterministic: the same job twice gives the same plan apart from the timing', async () => {
    const a = await runJob(worker, job(SQUEEZENET)).result;
    const b = await runJob(worker, job(SQUEEZENET)).result;
    const strip = (r: typeof a) => (r.kind === 'placed' ? { ...r.plan, placeMs: 0 } : r);
    assert.deepEqual(strip(a), strip(b));
  });

  it('Compare Algorithms with the throughput section: its rows are those of `opplace compare --json` (bar wall times), and the table shows them', async () => {
    const file = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'bert24_training.json');
    const { load, placement } = resolveSettings({ devices: 4, memoryLimits: '16GiB', grouping: 'colocation', fusion: false });
    const options = { ...placement, comm: 'pcie4' };
    const pipeline = { split: 'contiguous' as const, microbatches: 4, schedule: 'gpipe' as const };
    const r = await runJob(worker, { kind: 'compare', bytes: new Uint8Array(fs.readFileSync(file)), fileName: file, load, options, algorithms: ['m-etf'], pipeline }).result;
    if (r.kind !== 'compared') throw new Error(r.kind);
    const io = memoryIO();
    const argv = ['compare', file, '--only', 'm-etf', '--devices', '4', '--memory', '16GiB', '--comm', 'pcie4', '--grouping', 'colocation', '--microbatches', '4', '--schedule', 'gpipe', '--json'];
    assert.equal(await main(argv, io), 0, io.stderr);
    const cli = JSON.parse(io.stdout.trim()) as { throughput: ThroughputRow[] };
    const timeless = (rows: ThroughputRow[]) => rows.map((row) => ({ ...row, placeMs: 0 }));
    assert.equal(r.comparison.throughput?.length, 3, 'one row per split');
    assert.deepEqual(timeless(r.comparison.throughput!), timeless(cli.throughput));
    const section = { rows: r.comparison.throughput!, microbatches: 4, schedule: 'gpipe' };
    const html = compareHtml('t', 's', r.comparison.rows, 'N', section);
    assert.equal((html.match(/<tr data-split=/g) ?? []).length, 3);
    assert.match(html, /a pipeline of 4 microbatches \(gpipe\)/);
    assert.match(compareMarkdown('t', r.comparison.rows, section), /## Throughput: a pipeline of 4 microbatches \(gpipe\)[\s\S]*\| contiguous \| feasible \| [0-9.]+ (µs|ms|s) \|/);
  });

  it('throughput objective: plans the pipeline in the worker exactly as planPipeline does in Node', async () => {
    const file = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'bert24_training.json');
    const { load, placement, pipeline: controls } = resolveSettings({ devices: 4, memoryLimits: '16GiB', objective: 'throughput', microbatches: 4 });
    const options = pipelineOptionsFrom(placement, controls);
    const r = await runJob(worker, { kind: 'pipeline', bytes: new Uint8Array(fs.readFileSync(file)), fileName: file, load, options }).result;
    if (r.kind !== 'pipelined') throw new Error(r.kind);
    const expected = await planPipeline(prepareGraph(new Uint8Array(fs.readFileSync(file)), file, load), options, file);
    assert.deepEqual({ ...r.pipeline, placeMs: 0 }, { ...expected, placeMs: 0 });
    assert.equal(r.pipeline.microbatches, 4);
    assert.ok(r.pipeline.tasks.length > 0);
  });

  it('compares all five algorithms, m-SCT included (highs.wasm found next to the bundle)', async () => {
    const base = job(TWO_BRANCH);
    const r = await runJob(worker, { ...base, kind: 'compare', algorithms: COMPARE_ALGORITHMS } as WorkerJob).result;
    assert.equal(r.kind, 'compared');
    if (r.kind !== 'compared') return;
    const rows = r.comparison.rows;
    assert.deepEqual(rows.map((x) => x.algorithm), COMPARE_ALGORITHMS);
    for (const row of rows) {
      assert.equal(row.error, undefined, `${row.algorithm}: ${row.error}`);
      assert.ok(row.feasible, row.algorithm);
    }
  });

  it('Compare Algorithms rows are the rows of `opplace compare --json`, bar the wall time', async () => {
    const base = job(TWO_BRANCH);
    const options = { ...base.options, budgetMs: 100 };
    const r = await runJob(worker, { ...base, options, kind: 'compare', algorithms: [...COMPARE_ALGORITHMS] } as WorkerJob).result;
    if (r.kind !== 'compared') throw new Error(r.kind);
    const io = memoryIO();
    const argv = ['compare', TWO_BRANCH, '--devices', '2', '--memory', '1GiB', '--comm', options.comm, '--grouping', options.grouping, '--budget-ms', '100', '--json'];
    if (options.fuse) argv.push('--fuse');
    assert.equal(await main(argv, io), 0, io.stderr);
    const cli = JSON.parse(io.stdout.trim()) as { results: CompareRow[]; lowerBoundUs: number };
    const timeless = (rows: CompareRow[]) => rows.map((row) => ({ ...row, placeMs: 0 }));
    assert.deepEqual(timeless(r.comparison.rows), timeless(cli.results));
    assert.equal(r.comparison.lowerBoundUs, cli.lowerBoundUs);
    assert.ok(r.comparison.rows.some((row) => row.algorithm === 'm-sct' && row.feasible));
  });

  it('a too-small limit gives an infeasible plan whose message names the op and the minimum memory', async () => {
    const base = job(TWO_BRANCH);
    if (base.kind !== 'place') throw new Error('unreachable');
    const r = await runJob(worker, { ...base, options: { ...base.options, memoryLimits: [8 * 2 ** 20, 8 * 2 ** 20] } }).result;
    assert.equal(r.kind, 'placed');
    if (r.kind !== 'placed') return;
    assert.equal(r.plan.feasible, false);
    const text = infeasibleText(r.plan) ?? '';
    assert.match(text, /op "[^"]+"/);
    assert.match(text, /smallest uniform memory per device that works: [0-9.]+ MiB/);
    assert.ok(r.plan.minimumMemoryBytes !== undefined && r.plan.minimumMemoryBytes > 8 * 2 ** 20);
  });

  it('a broken model fails with the OpplaceError text naming the file', async () => {
    const bad = job(SQUEEZENET, { bytes: new TextEncoder().encode('not a protobuf at all'), fileName: '/ws/broken.onnx' });
    await assert.rejects(runJob(worker, bad).result, (e: unknown) => {
      assert.ok(e instanceof JobError);
      assert.equal(e.failure.userError, true);
      assert.match(e.failure.message, /^\/ws\/broken\.onnx: /);
      return true;
    });
  });

  it('bad options fail with one clear message, not a crash', async () => {
    const base = job(SQUEEZENET);
    if (base.kind !== 'place') throw new Error('unreachable');
    await assert.rejects(runJob(worker, { ...base, options: { ...base.options, comm: 'carrier-pigeon' } }).result, (e: unknown) => e instanceof JobError && e.failure.userError && /unknown interconnect "carrier-pigeon"/.test(e.message));
  });

  it('cancel terminates the worker at once and rejects as cancelled', async () => {
    const densenet = job(dataPath('onnx-light', 'light_densenet121.onnx'));
    const running = runJob(worker, { ...densenet, kind: 'compare', algorithms: COMPARE_ALGORITHMS } as WorkerJob);
    const t0 = Date.now();
    setTimeout(() => running.cancel(), 50);
    await assert.rejects(running.result, (e: unknown) => e instanceof JobError && e.cancelled);
    assert.ok(Date.now() - t0 < 2000, `cancel took ${Date.now() - t0} ms`);
    running.cancel(); // idempotent
  });
});
