// `opplace compare` through the CLI entry point: every placer in one table with the same devices
// and limits; the numbers agree with placing each separately; errors are clear.
import { strict as assert } from 'node:assert';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { dataPath } from '../helpers/paths';
import { loadModel } from '../../algorithms/loaders/readFile';
import { placeGraph } from '../../algorithms/placement/index';
import { planPipeline } from '../../algorithms/pipeline/index';
import { assertPlanChecked } from '../pipeline/scheduleHelpers';

const layer = (f: string) => dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', f);

async function cli(...argv: string[]) {
  const io = memoryIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('cli: opplace compare', function () {
  this.timeout(120000);

  it('throughput section: each split on the same devices, as `opplace pipeline` plans it', async () => {
    const file = layer('bert24_inference.json');
    const { code, out, err } = await cli(
      'compare',
      file,
      '--devices',
      '4',
      '--memory',
      '16GiB',
      '--only',
      'm-etf',
      '--microbatches',
      '8',
      '--schedule',
      'gpipe',
      '--budget-ms',
      '200',
      '--json',
    );
    assert.equal(code, 0, err);
    const r = JSON.parse(out.trim());
    assert.equal(r.microbatches, 8);
    assert.equal(r.schedule, 'gpipe');
    assert.deepEqual(
      r.throughput.map((x: { split: string }) => x.split),
      ['sequential', 'contiguous', 'any'],
    );
    const graph = loadModel(file);
    for (const row of r.throughput) {
      const plan = await planPipeline(
        graph,
        {
          devices: 4,
          memoryLimits: Array(4).fill(16 * 2 ** 30),
          comm: 'baechi',
          grouping: 'colocation',
          split: row.split,
          microbatches: 8,
          schedule: 'gpipe',
          budgetMs: 200,
        },
        file,
      );
      assertPlanChecked(graph, plan);
      assert.equal(row.feasible, plan.feasible);
      assert.equal(row.timePerSampleUs, plan.timePerSampleUs, row.split);
      assert.equal(row.stepUs, plan.stepUs, row.split);
      assert.equal(row.bubble, plan.bubble, row.split);
      assert.ok(Math.abs(row.throughputSpeedup - plan.singleDeviceUs / plan.timePerSampleUs) < 1e-9);
    }
    const text = await cli('compare', file, '--devices', '4', '--only', 'm-etf', '--microbatches', '8', '--budget-ms', '200');
    assert.match(text.out, /^ {2}throughput \(a pipeline of microbatches/m);
    for (const row of r.throughput) assert.match(text.out, new RegExp(`^ {4}${row.split} +yes +[\\d.]+ m?s +${row.throughputSpeedup.toFixed(2)}× `, 'm'));
    assert.match(text.out, /^ {2}highest throughput that fits: \w+ split/m);
    const off = await cli('compare', file, '--devices', '4', '--only', 'm-etf', '--no-pipeline', '--json');
    assert.equal(JSON.parse(off.out).throughput, undefined);
    const bad = await cli('compare', file, '--microbatches', '0');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--microbatches must be an integer ≥ 1/);
  });

  it('--json: all six placers, gaps and transfers consistent with separate placements', async () => {
    const file = layer('resnet50_training.json');
    const { code, out, err } = await cli('compare', file, '--devices', '4', '--memory', '12GiB', '--budget-ms', '200', '--json');
    assert.equal(code, 0, err);
    const r = JSON.parse(out.trim());
    assert.deepEqual(
      r.results.map((x: { algorithm: string }) => x.algorithm),
      ['m-topo', 'm-etf', 'm-sct', 'refine', 'single', 'sequential'],
    );
    const graph = loadModel(file);
    const etf = await placeGraph(graph, {
      algorithm: 'm-etf',
      devices: 4,
      memoryLimits: Array(4).fill(12 * 2 ** 30),
      comm: 'baechi',
      grouping: 'colocation',
      fuse: false,
    });
    assert.equal(r.lowerBoundUs, etf.lowerBoundUs);
    const byName = new Map(r.results.map((x: { algorithm: string }) => [x.algorithm, x]));
    const e = byName.get('m-etf') as {
      makespanUs: number;
      transfers: number;
      transferBytes: number;
      gapPercent: number;
      peakBytes: number[];
      feasible: boolean;
    };
    assert.equal(e.makespanUs, etf.makespanUs);
    assert.equal(e.transfers, etf.transfers.length);
    assert.equal(
      e.transferBytes,
      etf.transfers.reduce((s, t) => s + t.bytes, 0),
    );
    assert.ok(Math.abs(e.gapPercent - (etf.makespanUs / etf.lowerBoundUs - 1) * 100) < 0.01);
    assert.equal(e.peakBytes.length, 4);
    // refine is never worse than the feasible m-ETF / m-SCT; single overflows 12 GiB
    const refine = byName.get('refine') as { makespanUs: number; feasible: boolean; refineGainPercent: number };
    const sct = byName.get('m-sct') as { makespanUs: number; feasible: boolean };
    assert.ok(refine.feasible);
    for (const x of [e, sct]) if (x.feasible) assert.ok(refine.makespanUs <= x.makespanUs + 1e-6);
    assert.ok(refine.refineGainPercent >= 0);
    const single = byName.get('single') as { feasible: boolean; peakBytes: number[]; transfers: number };
    assert.equal(single.feasible, false);
    assert.equal(single.transfers, 0);
    assert.ok(single.peakBytes[0] > 12 * 2 ** 30);
  });

  it('table: one row per placer, the fastest plan that fits, reasons for the ones that do not', async () => {
    const { code, out } = await cli(
      'compare',
      layer('gnmt_training.json'),
      '--devices',
      '2',
      '--memory',
      '3GiB',
      '--only',
      'm-etf,refine,single',
      '--budget-ms',
      '100',
    );
    assert.equal(code, 0);
    const lines = out.split('\n');
    assert.match(lines[0], /gnmt_training\.json\s+\(2 devices, limits 3\.00 GiB, comm baechi/);
    assert.match(lines[1], /placer\s+fits\s+makespan\s+gap\s+peak memory per device\s+transfers\s+bytes moved\s+time/);
    assert.ok(lines.some((l) => /^\s+m-etf\s+yes/.test(l)));
    assert.ok(lines.some((l) => /^\s+refine\s+yes/.test(l)));
    assert.ok(lines.some((l) => /^\s+single\s+no/.test(l)));
    assert.match(out, /fastest plan that fits: (refine|m-etf)/);
    assert.match(out, /single: everything on device 0 needs/);
  });

  it('table: per-device limits named in device order, peaks separated so "0 B" values read apart', async () => {
    const { code, out, err } = await cli('compare', layer('gnmt_inference.json'), '--devices', '4', '--memory', '16GiB,16GiB,8GiB,8GiB', '--only', 'm-etf');
    assert.equal(code, 0, err);
    const lines = out.split('\n');
    assert.match(lines[0], /\(4 devices, limits 16\.0 GiB, 16\.0 GiB, 8\.00 GiB, 8\.00 GiB, comm baechi/);
    const row = lines.find((l) => /^\s+m-etf\s+yes/.test(l))!;
    assert.equal(row.split(' | ').length, 4, row);
  });

  it('exit code 3 when no placer fits; several files each get a table', async () => {
    const files = [layer('gnmt_inference.json'), dataPath('stg', '50', 'rand0001.stg')];
    const { code, out } = await cli('compare', ...files, '--devices', '2', '--memory', '1KiB', '--only', 'm-etf,m-topo', '--json');
    assert.equal(code, 3);
    const records = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(records.length, 2);
    const gnmt = records[0];
    assert.ok(gnmt.results.every((x: { feasible: boolean; minimumMemoryBytes: number }) => !x.feasible && x.minimumMemoryBytes > 1024));
  });

  it('--training sgd compares the training graph (twice the ops)', async () => {
    const file = layer('gnmt_inference.json');
    const fwd = JSON.parse((await cli('compare', file, '--devices', '2', '--only', 'm-etf', '--json')).out);
    const train = JSON.parse((await cli('compare', file, '--devices', '2', '--only', 'm-etf', '--training', 'sgd', '--json')).out);
    assert.ok(train.lowerBoundUs > 2.5 * fwd.lowerBoundUs, `${train.lowerBoundUs} vs ${fwd.lowerBoundUs}`);
  });

  it('bad input: one clear error and exit code 2', async () => {
    let r = await cli('compare', layer('gnmt_inference.json'), '--algorithm', 'm-etf');
    assert.equal(r.code, 2);
    assert.match(r.err, /--only/);
    r = await cli('compare', layer('gnmt_inference.json'), '--only', 'm-etf,greedy');
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown placer "greedy"/);
    r = await cli('compare', layer('gnmt_inference.json'), '--seed', '-3');
    assert.equal(r.code, 2);
    assert.match(r.err, /--seed/);
    r = await cli('compare', '/nonexistent/x.json');
    assert.equal(r.code, 2);
    assert.match(r.err, /x\.json/);
    r = await cli('compare', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /m-topo, m-etf, m-sct, refine, single, sequential/);
  });
});
