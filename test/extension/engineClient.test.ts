// A view's placement engine as the extension runs it (worker_threads), without VS Code: the
// worker is bundled with esbuild exactly like scripts/build.mjs does, into a temp folder with
// highs.wasm. One worker per engine holds the prepared model: the tests observe its prepare count.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { CompareRow, ThroughputRow } from '../../algorithms/compare';
import { compareHtml, compareMarkdown } from '../../extension/compareTable';
import type { PlacementOptions } from '../../algorithms/plan';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { BYTES_NEEDED, contentDigest, EngineClient, JobError, ModelInput, modelKey, runOnce } from '../../extension/engineClient';
import { COMPARE_ALGORITHMS, resolveSettings } from '../../extension/settings';
import { infeasibleText } from '../../extension/userMessages';
import { REPO, dataPath } from '../helpers/paths';
import { planPipeline } from '../../algorithms/pipeline/index';
import { prepareGraph } from '../../algorithms/prepare';
import { pipelineOptionsFrom } from '../../webview/pipelineModel';
import { placeGraph } from '../../algorithms/placement/index';
import { isWirePlan } from '../../webview/protocol';
import { decodePlan, encodePlan, nodeIndexOf } from '../../webview/planWire';
import { transferablesOf, type WorkerReply } from '../../extension/workerProtocol';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';

const SQUEEZENET = dataPath('onnx-light', 'light_squeezenet.onnx');
const TWO_BRANCH = path.join(REPO, 'test', 'e2e', 'fixtures', 'two-branch.opgraph.json');

describe('extension placement engine (a worker per view)', function () {
  this.timeout(60_000);
  let dir: string;
  let worker: string;
  const engines: EngineClient[] = [];
  const engine = () => {
    const e = new EngineClient(worker);
    engines.push(e);
    return e;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opplace-worker-'));
    worker = path.join(dir, 'placeWorker.js');
    await build({
      entryPoints: [path.join(REPO, 'extension', 'placeWorker.ts')],
      outfile: worker,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'error',
    });
    fs.copyFileSync(path.join(REPO, 'node_modules', 'highs', 'build', 'highs.wasm'), path.join(dir, 'highs.wasm'));
  });
  after(() => {
    for (const e of engines) e.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const settings = resolveSettings({ devices: 2, memoryLimits: '1GiB' });
  const input = (file: string, over: Partial<ModelInput> = {}): ModelInput => ({
    bytes: new Uint8Array(fs.readFileSync(file)),
    fileName: file,
    load: settings.load,
    ...over,
  });
  const options = (over: Partial<PlacementOptions> = {}): PlacementOptions => ({ ...settings.placement, ...over });
  /** An engine (150 ms cancel grace) whose worker is running a job that will not stop in time. */
  const stuckJob = async () => {
    const e = new EngineClient(worker, 150);
    engines.push(e);
    await e.place(input(SQUEEZENET), options()).result;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const long = e.place(input(SQUEEZENET), options({ algorithm: 'refine', budgetMs: 60_000 }), (m) => /^placing/.test(m) && started());
    await running;
    return { e, long };
  };

  it('places an onnx-light model: every node scheduled once, on the requested devices, with progress reports', async () => {
    const progress: string[] = [];
    const r = await engine().place(input(SQUEEZENET), options(), (m) => progress.push(m)).result;
    assert.ok(r.plan().feasible);
    assert.equal(r.plan().devices.length, 2);
    assert.deepEqual(
      r
        .plan()
        .schedule.map((s) => s.node)
        .sort(),
      r.graph.nodes.map((n) => n.id).sort(),
    );
    assert.ok(r.plan().schedule.every((s) => s.device === 0 || s.device === 1));
    assert.ok(
      progress.some((m) => /loading light_squeezenet\.onnx/.test(m)),
      progress.join('|'),
    );
  });

  it("the worker answers in planWire's columns, which decode to the plan placeGraph makes in Node, JSON for JSON (feasible and not)", async () => {
    const e = engine();
    const cases: [string, Partial<PlacementOptions>][] = [
      [SQUEEZENET, {}],
      [SQUEEZENET, { algorithm: 'm-sct', devices: 3, memoryLimits: Array(3).fill(2 ** 30) }],
      [TWO_BRANCH, { memoryLimits: [8 * 2 ** 20, 8 * 2 ** 20] }],
    ];
    for (const [file, over] of cases) {
      const r = await e.place(input(file), options(over)).result;
      assert.ok(isWirePlan(r.wire), 'what the webview validates');
      const graph = prepareGraph(new Uint8Array(fs.readFileSync(file)), file, settings.load);
      const expected = await placeGraph(graph, options(over), file);
      const timeless = (plan: object) => JSON.stringify({ ...plan, placeMs: 0 });
      // The plan-json export writes JSON.stringify of the decoded plan: byte for byte the engine's.
      assert.equal(timeless(r.plan()), timeless(expected), `${path.basename(file)} ${JSON.stringify(over)}`);
      assert.equal(r.plan(), r.plan(), 'decoded once');
      assert.equal(r.wire.summary.feasible, expected.feasible);
    }
  });

  it("a placed reply hands over every column buffer: after posting, the worker's copies are detached and the host's decode", async () => {
    const graph = prepareGraph(new Uint8Array(fs.readFileSync(SQUEEZENET)), SQUEEZENET, settings.load);
    const plan = await placeGraph(graph, options({ memoryLimits: [2 ** 30, 2 ** 30] }), SQUEEZENET);
    assert.ok(plan.criticalTransfers, 'a plan with every column');
    const reply: WorkerReply = { kind: 'placed', jobId: 1, key: 'k', plan: encodePlan(plan, graph), engineMs: 0 };
    const sent = reply.plan;
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(reply, transferablesOf(reply));
    const got = receiveMessageOnPort(port2)!.message as typeof reply;
    port1.close();
    for (const column of [...Object.values(sent.schedule), ...Object.values(sent.transfers), sent.criticalPath, sent.criticalTransfers])
      if (ArrayBuffer.isView(column)) assert.equal(column.buffer.byteLength, 0, 'transferred, not copied');
    const decoded = decodePlan(got.plan, graph, nodeIndexOf(graph));
    assert.ok('plan' in decoded);
    assert.deepEqual(decoded.plan, plan);
  });

  it("the model's bytes move to an idle worker (their buffer is detached at submit), are copied while a job runs ahead, and are not sent for a held key", async () => {
    const e = engine();
    const first = input(SQUEEZENET);
    const size = first.bytes!.byteLength;
    const placing = e.place(first, options());
    assert.equal(first.bytes!.byteLength, 0, 'transferred at submit');
    assert.ok((await placing.result).plan().feasible);
    // A slice of a bigger buffer (a pooled Buffer) cannot move without moving the rest: copied.
    const padded = new Uint8Array(size + 16);
    padded.set(fs.readFileSync(SQUEEZENET), 8);
    const slice = input(SQUEEZENET, { bytes: padded.subarray(8, 8 + size), load: { ...settings.load, batch: 2 } });
    assert.ok((await e.place(slice, options()).result).plan().feasible);
    assert.equal(slice.bytes!.byteLength, size, 'a slice is copied');
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const slow = e.place(input(SQUEEZENET), options({ algorithm: 'refine', budgetMs: 300 }), (m) => /^placing/.test(m) && started());
    await running;
    const behind = input(TWO_BRANCH);
    const next = e.place(behind, options());
    assert.equal(behind.bytes!.byteLength, fs.statSync(TWO_BRANCH).size, 'kept while a job runs ahead (a restart would re-send them)');
    await slow.result;
    assert.ok((await next.result).plan().feasible);
    assert.equal(e.prepares, 4);
    const held = input(TWO_BRANCH);
    await e.place(held, options({ algorithm: 'm-topo' })).result;
    assert.equal(held.bytes!.byteLength, fs.statSync(TWO_BRANCH).size, 'a held key sends no bytes');
    assert.equal(e.prepares, 4);
  });

  it('prepares a model once: re-places with other placement options reuse it, new bytes or load options prepare again', async () => {
    const e = engine();
    const first = await e.place(input(SQUEEZENET), options()).result;
    assert.equal(e.prepares, 1);
    for (const over of [
      { algorithm: 'm-sct' as const },
      { devices: 3, memoryLimits: Array(3).fill(2 ** 30) },
      { grouping: 'none' as const, fuse: false },
      { algorithm: 'refine' as const, budgetMs: 50 },
    ]) {
      const again = await e.place(input(SQUEEZENET), options(over)).result;
      assert.equal(again.key, first.key);
      assert.equal(again.graph, first.graph, 'the host keeps the graph; the worker sends it once');
    }
    assert.equal(e.prepares, 1, 'placement options alone never re-prepare');
    const same = await e.place(input(SQUEEZENET), options()).result;
    assert.deepEqual({ ...same.plan(), placeMs: 0 }, { ...first.plan(), placeMs: 0 }, 'deterministic on the prepared model');
    const batch4 = await e.place(input(SQUEEZENET, { load: { ...settings.load, batch: 4 } }), options()).result;
    assert.notEqual(batch4.key, first.key);
    assert.equal(e.prepares, 2);
    await e.place(input(TWO_BRANCH), options()).result;
    assert.equal(e.prepares, 3);
    assert.equal(e.workersStarted, 1);
    assert.notEqual(modelKey(input(SQUEEZENET)), modelKey(input(SQUEEZENET, { bytes: new Uint8Array([1, 2, 3]) })));
    // Nested load options count too: other symbolic dims are another model (issue 11 §1).
    const dims = (d: Record<string, number>) => modelKey(input(SQUEEZENET, { load: { ...settings.load, dims: d } }));
    assert.notEqual(dims({ seq: 128 }), dims({ seq: 64 }));
    assert.equal(dims({ a: 1, b: 2 }), dims({ b: 2, a: 1 }), 'key order does not matter');
  });

  it('stale jobs are dropped: of three quick re-places behind a running one only the newest runs', async () => {
    const e = engine();
    await e.place(input(SQUEEZENET), options()).result;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const slow = e.place(input(SQUEEZENET), options({ algorithm: 'refine', budgetMs: 400 }), (m) => /^placing/.test(m) && started());
    await running;
    const stale = [
      e.place(input(SQUEEZENET), options({ devices: 3, memoryLimits: Array(3).fill(2 ** 30) })),
      e.place(input(SQUEEZENET), options({ devices: 4, memoryLimits: Array(4).fill(2 ** 30) })),
    ];
    const newest = e.place(input(SQUEEZENET), options({ algorithm: 'm-topo' }));
    await slow.result;
    for (const s of stale) await assert.rejects(s.result, (err: unknown) => err instanceof JobError && err.cancelled && /superseded/.test(err.message));
    const r = await newest.result;
    assert.equal(r.plan().algorithm, 'm-topo');
    assert.equal(e.prepares, 1);
  });

  it('cancel abandons the job at once; the worker and its model stay for the next job', async () => {
    const e = engine();
    await e.place(input(SQUEEZENET), options()).result;
    const running = e.place(input(SQUEEZENET), options({ algorithm: 'refine', budgetMs: 300 }));
    const t0 = Date.now();
    running.cancel();
    await assert.rejects(running.result, (err: unknown) => err instanceof JobError && err.cancelled);
    assert.ok(Date.now() - t0 < 100, `cancel took ${Date.now() - t0} ms`);
    running.cancel(); // idempotent
    const next = await e.place(input(SQUEEZENET), options({ algorithm: 'm-etf' })).result;
    assert.ok(next.plan().feasible);
    assert.equal(e.workersStarted, 1);
    assert.equal(e.prepares, 1);
  });

  it('an abandoned job that does not stop in time is stopped with its worker; jobs sent after it still run', async () => {
    const { e, long } = await stuckJob();
    const next = e.place(input(SQUEEZENET), options({ algorithm: 'm-topo' }));
    long.cancel();
    await assert.rejects(long.result, (err: unknown) => err instanceof JobError && err.cancelled);
    const r = await next.result;
    assert.equal(r.plan().algorithm, 'm-topo');
    assert.equal(e.workersStarted, 2, 'the stuck worker was replaced');
    assert.equal(e.prepares, 1, 'the new worker prepared the model from the bytes the job kept');
  });

  it('a re-place of a model the worker prepared may leave the bytes out (its digest names it); one it does not hold is sent back for them', async () => {
    const e = engine();
    const digest = contentDigest(fs.readFileSync(SQUEEZENET));
    const unread = (over: Partial<ModelInput> = {}): ModelInput => ({ digest, fileName: SQUEEZENET, load: settings.load, ...over });
    assert.equal(modelKey(unread()), modelKey(input(SQUEEZENET)), 'the digest gives the key the bytes give');
    assert.equal(e.holds(unread()), false, 'no worker yet');
    const first = e.place(input(SQUEEZENET), options());
    assert.equal(e.holds(unread()), false, 'not prepared yet: the queued job may still fail to load it');
    const placed = await first.result;
    assert.equal(e.holds(unread()), true);
    const again = await e.place(unread(), options({ algorithm: 'm-topo' })).result;
    assert.equal(again.key, placed.key);
    assert.equal(again.plan().algorithm, 'm-topo');
    assert.equal(e.prepares, 1);
    const batch2 = unread({ load: { ...settings.load, batch: 2 } });
    assert.equal(e.holds(batch2), false, 'other load options are another model');
    await assert.rejects(e.place(batch2, options()).result, (err: unknown) => err instanceof JobError && err.failure.message === BYTES_NEEDED);
    await e.place(input(TWO_BRANCH), options()).result;
    assert.equal(e.holds(unread()), false, 'the worker holds another model now');
    await assert.rejects(e.place(unread(), options()).result, (err: unknown) => err instanceof JobError && err.failure.message === BYTES_NEEDED);
    assert.equal(e.prepares, 2);
  });

  it('a job without bytes that waited behind a stuck one goes back for its bytes when the worker is replaced', async () => {
    const { e, long } = await stuckJob();
    const unread = { digest: contentDigest(fs.readFileSync(SQUEEZENET)), fileName: SQUEEZENET, load: settings.load };
    assert.ok(e.holds(unread));
    const next = e.place(unread, options({ algorithm: 'm-topo' }));
    long.cancel();
    await assert.rejects(long.result, (err: unknown) => err instanceof JobError && err.cancelled);
    await assert.rejects(next.result, (err: unknown) => err instanceof JobError && err.failure.message === BYTES_NEEDED && !err.cancelled);
    assert.equal(e.workersStarted, 2, 'the stuck worker was replaced');
    const r = await e.place(input(SQUEEZENET), options({ algorithm: 'm-topo' })).result;
    assert.equal(r.plan().algorithm, 'm-topo');
  });

  it('throughput objective: plans the pipeline on the prepared model exactly as planPipeline does in Node', async () => {
    const file = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'bert24_training.json');
    const { load, placement, pipeline: controls } = resolveSettings({ devices: 4, memoryLimits: '16GiB', objective: 'throughput', microbatches: 4 });
    const pipelineOptions = pipelineOptionsFrom(placement, controls);
    const e = engine();
    const r = await e.pipeline(input(file, { load }), pipelineOptions).result;
    const expected = await planPipeline(prepareGraph(new Uint8Array(fs.readFileSync(file)), file, load), pipelineOptions, file);
    assert.deepEqual({ ...r.pipeline, placeMs: 0 }, { ...expected, placeMs: 0 });
    assert.equal(r.pipeline.microbatches, 4);
    assert.ok(r.pipeline.tasks.length > 0);
    await e.place(input(file, { load }), placement).result;
    assert.equal(e.prepares, 1, 'the latency placement reuses the model the pipeline job prepared');
  });

  it('compares every placer on the prepared model, m-SCT included (highs.wasm found next to the bundle)', async () => {
    const e = engine();
    await e.place(input(TWO_BRANCH), options()).result;
    const r = await e.compare(input(TWO_BRANCH), options(), [...COMPARE_ALGORITHMS]).result;
    assert.deepEqual(
      r.comparison.rows.map((x) => x.algorithm),
      COMPARE_ALGORITHMS,
    );
    for (const row of r.comparison.rows) {
      assert.equal(row.error, undefined, `${row.algorithm}: ${row.error}`);
      assert.ok(row.feasible, row.algorithm);
    }
    assert.equal(e.prepares, 1);
  });

  it('Compare Algorithms rows are the rows of `opplace compare --json`, bar the wall time', async () => {
    const o = options({ budgetMs: 100 });
    const r = await runOnce(worker, (e) => e.compare(input(TWO_BRANCH), o, [...COMPARE_ALGORITHMS])).result;
    const io = memoryIO();
    const argv = ['compare', TWO_BRANCH, '--devices', '2', '--memory', '1GiB', '--comm', o.comm, '--grouping', o.grouping, '--budget-ms', '100', '--json'];
    if (o.fuse) argv.push('--fuse');
    assert.equal(await main(argv, io), 0, io.stderr);
    const cli = JSON.parse(io.stdout.trim()) as { results: CompareRow[]; lowerBoundUs: number };
    const timeless = (rows: CompareRow[]) => rows.map((row) => ({ ...row, placeMs: 0 }));
    assert.deepEqual(timeless(r.comparison.rows), timeless(cli.results));
    assert.equal(r.comparison.lowerBoundUs, cli.lowerBoundUs);
    assert.ok(r.comparison.rows.some((row) => row.algorithm === 'm-sct' && row.feasible));
  });

  it('Compare Algorithms with the throughput section: its rows are those of `opplace compare --json` (bar wall times), and the table shows them', async () => {
    const file = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'bert24_training.json');
    const { load, placement } = resolveSettings({ devices: 4, memoryLimits: '16GiB', grouping: 'colocation', fusion: false });
    const o = { ...placement, comm: 'pcie4' };
    const pipeline = { split: 'contiguous' as const, microbatches: 4, schedule: 'gpipe' as const };
    const r = await runOnce(worker, (e) => e.compare(input(file, { load }), o, ['m-etf'], undefined, pipeline)).result;
    const io = memoryIO();
    const argv = [
      'compare',
      file,
      '--only',
      'm-etf',
      '--devices',
      '4',
      '--memory',
      '16GiB',
      '--comm',
      'pcie4',
      '--grouping',
      'colocation',
      '--microbatches',
      '4',
      '--schedule',
      'gpipe',
      '--json',
    ];
    assert.equal(await main(argv, io), 0, io.stderr);
    const cli = JSON.parse(io.stdout.trim()) as { throughput: ThroughputRow[] };
    const timeless = (rows: ThroughputRow[]) => rows.map((row) => ({ ...row, placeMs: 0 }));
    assert.equal(r.comparison.throughput?.length, 3, 'one row per split');
    assert.deepEqual(timeless(r.comparison.throughput), timeless(cli.throughput));
    const section = { rows: r.comparison.throughput, microbatches: 4, schedule: 'gpipe' };
    const html = compareHtml('t', 's', r.comparison.rows, 'N', section);
    assert.equal((html.match(/<tr data-split=/g) ?? []).length, 3);
    assert.match(html, /a pipeline of 4 microbatches \(gpipe\)/);
    assert.match(
      compareMarkdown('t', r.comparison.rows, section),
      /## Throughput: a pipeline of 4 microbatches \(gpipe\)[\s\S]*\| contiguous \| feasible \| [0-9.]+ (µs|ms|s) \|/,
    );
  });

  it('a too-small limit gives an infeasible plan whose message names the op and the minimum memory', async () => {
    const r = await engine().place(input(TWO_BRANCH), options({ memoryLimits: [8 * 2 ** 20, 8 * 2 ** 20] })).result;
    assert.equal(r.plan().feasible, false);
    const text = infeasibleText(r.plan()) ?? '';
    assert.match(text, /op "[^"]+"/);
    assert.match(text, /smallest uniform memory per device that works: [0-9.]+ MiB/);
    const { minimumMemoryBytes } = r.plan();
    assert.ok(minimumMemoryBytes !== undefined && minimumMemoryBytes > 8 * 2 ** 20);
  });

  it('a broken model fails with the OpplaceError text naming the file, again on a re-place of the same bytes; the next good model loads', async () => {
    const e = engine();
    const broken = () => input(SQUEEZENET, { bytes: new TextEncoder().encode('not a protobuf at all'), fileName: '/ws/broken.onnx' });
    // the second time, the worker has no model for the key it was sent last: the bytes go again
    for (let i = 0; i < 2; i++) {
      await assert.rejects(e.place(broken(), options()).result, (err: unknown) => {
        assert.ok(err instanceof JobError);
        assert.equal(err.failure.userError, true);
        assert.match(err.failure.message, /^\/ws\/broken\.onnx: not a valid ONNX file/, `attempt ${i + 1}`);
        return true;
      });
    }
    assert.ok((await e.place(input(SQUEEZENET), options()).result).plan().feasible);
  });

  it('bad options fail with one clear message, not a crash', async () => {
    await assert.rejects(
      engine().place(input(SQUEEZENET), options({ comm: 'carrier-pigeon' })).result,
      (e: unknown) => e instanceof JobError && e.failure.userError && /unknown interconnect "carrier-pigeon"/.test(e.message),
    );
  });
});
