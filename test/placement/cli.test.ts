// `opplace place` in-process: human table, --json lines, --out, exit codes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { dataPath } from '../helpers/paths';
import { checkSchedule } from '../../algorithms/placement/index';
import { loadModel } from '../../algorithms/loaders/readFile';
import type { Plan } from '../../algorithms/plan';

const STG = dataPath('stg', '50', 'rand0000.stg');
const BERT3 = dataPath('dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', 'bert_l-3_training.json');

describe('opplace place', function () {
  this.timeout(60000);
  const dir = mkdtempSync(path.join(tmpdir(), 'opplace-place-'));

  it('prints a table per device with makespan, lower bound and gap', async () => {
    const io = memoryIO();
    const code = await main(['place', STG, '--devices', '4', '--comm', 'none'], io);
    assert.equal(code, 0, io.stderr);
    assert.match(io.stdout, /rand0000\.stg {2}\(m-etf, 4 devices, comm none/);
    assert.match(io.stdout, /device\s+ops\s+busy\s+busy %\s+peak memory\s+limit\s+use/);
    for (let d = 0; d < 4; d++) assert.match(io.stdout, new RegExp(`\\n  ${d}\\s+\\d+\\s`));
    assert.match(io.stdout, /makespan 72\.0 µs · lower bound 65\.5 µs \(ignores communication\) · gap 9\.9% · placed in/);
  });

  it('--json: one object per file per line with the documented fields; the plan passes the checker', async () => {
    const io = memoryIO();
    const code = await main(['place', STG, BERT3, '--devices', '3', '--memory', '64GiB', '--algorithm', 'm-sct', '--json'], io);
    assert.equal(code, 0, io.stderr);
    const lines = io.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const [k, line] of lines.entries()) {
      const rec = JSON.parse(line);
      assert.deepEqual(Object.keys(rec), [
        'file',
        'algorithm',
        'feasible',
        'makespanUs',
        'lowerBoundUs',
        'placeMs',
        'devices',
        'schedule',
        'transfers',
        'criticalPath',
      ]);
      assert.equal(rec.algorithm, 'm-sct');
      assert.equal(rec.feasible, true);
      assert.deepEqual(Object.keys(rec.devices[0]), ['index', 'memoryLimitBytes', 'peakBytes', 'busyUs']);
      assert.equal(rec.devices[0].memoryLimitBytes, 64 * 2 ** 30);
      const file = [STG, BERT3][k];
      const graph = loadModel(file);
      assert.equal(rec.schedule.length, graph.nodes.length);
      // STG files carry no tensor sizes: their default interconnect is none.
      const comm = file === STG ? 'none' : 'baechi';
      const problems = checkSchedule(graph, { ...rec, devices: rec.devices } as Plan, {
        algorithm: 'm-sct',
        devices: 3,
        memoryLimits: Array(3).fill(64 * 2 ** 30),
        comm,
        grouping: 'colocation',
        fuse: false,
      });
      assert.deepEqual(problems, []);
      assert.ok(rec.criticalPath.length > 0);
    }
  });

  it('infeasible: exit code 3, reason and minimumMemoryBytes in --json', async () => {
    const io = memoryIO();
    const code = await main(['place', BERT3, '--devices', '2', '--memory', '100MiB', '--json'], io);
    assert.equal(code, 3);
    const rec = JSON.parse(io.stdout);
    assert.equal(rec.feasible, false);
    assert.match(rec.reason, /op ".*" .*does not fit/);
    assert.ok(rec.minimumMemoryBytes > 100 * 2 ** 20);
    assert.deepEqual(rec.schedule, []);
    const human = memoryIO();
    assert.equal(await main(['place', BERT3, '--devices', '2', '--memory', '100MiB'], human), 3);
    assert.match(human.stdout, /infeasible: .*\n {2}smallest uniform memory per device that works: /);
  });

  it('--out writes the full plan; per-device limits; grouping and fusion options', async () => {
    const out = path.join(dir, 'plan.json');
    const io = memoryIO();
    const code = await main(
      ['place', BERT3, '--devices', '2', '--memory', '40GiB,20GiB', '--grouping', 'coplace', '--fuse', '--algorithm', 'm-topo', '--out', out],
      io,
    );
    assert.equal(code, 0, io.stderr);
    const plan = JSON.parse(readFileSync(out, 'utf8')) as Plan;
    assert.deepEqual(
      plan.devices.map((d) => d.memoryLimitBytes),
      [40 * 2 ** 30, 20 * 2 ** 30],
    );
    assert.equal(plan.options!.grouping, 'coplace');
    assert.equal(plan.options!.fuse, true);
    assert.ok(Array.isArray(plan.devices[0].memoryTimeline));
    assert.deepEqual(checkSchedule(loadModel(BERT3), plan, plan.options!), []);
  });

  it('bad input: one clear message, exit code 2; other files still run', async () => {
    const cases: [string[], RegExp][] = [
      [['place', STG, '--devices', '0'], /--devices must be an integer ≥ 1/],
      [['place', STG, '--memory', 'lots'], /invalid memory limit "lots"/],
      [['place', STG, '--devices', '2', '--memory', '1GiB,2GiB,3GiB'], /lists 3 limits but --devices is 2/],
      [['place', STG, '--algorithm', 'magic'], /--algorithm must be one of/],
      [['place', STG, '--grouping', 'x'], /--grouping must be one of/],
      [['place', STG, '--comm', 'smoke'], /unknown interconnect "smoke"/],
      [['place', STG, '--theta', '2'], /--theta must be a number in \(0, 1\]/],
      [['place'], /no model file given/],
    ];
    for (const [argv, re] of cases) {
      const io = memoryIO();
      assert.equal(await main(argv, io), 2, argv.join(' '));
      assert.match(io.stderr, re);
      assert.doesNotMatch(io.stderr, /internal error|    at /);
    }
    const broken = path.join(dir, 'broken.stg');
    writeFileSync(broken, 'not a task graph\n');
    const io = memoryIO();
    assert.equal(await main(['place', broken, STG, '--comm', 'none', '--json'], io), 2);
    assert.match(io.stderr, /broken\.stg/);
    assert.equal(io.stdout.trim().split('\n').length, 1);
  });

  it('--report writes a standalone HTML report of the plan (needs the built viewer bundle)', async () => {
    const out = path.join(dir, 'report.html');
    const io = memoryIO();
    const code = await main(['place', STG, '--comm', 'none', '--devices', '2', '--report', out], io);
    assert.equal(code, 0, io.stderr);
    const html = readFileSync(out, 'utf8');
    assert.match(html.slice(0, 200), /<!doctype html>/i);
    assert.ok(html.includes('rand0000.stg'));
    const two = memoryIO();
    assert.equal(await main(['place', STG, STG, '--report', out], two), 2);
    assert.match(two.stderr, /--report takes exactly one model file/);
  });

  it('--help lists the options', async () => {
    const io = memoryIO();
    assert.equal(await main(['place', '--help'], io), 0);
    for (const opt of ['--devices', '--memory', '--algorithm', '--comm', '--grouping', '--fuse', '--theta', '--json', '--out', '--report'])
      assert.ok(io.stdout.includes(opt), opt);
  });
  it('says why when every op stays on one device, and only then', async () => {
    const model = path.join(__dirname, '..', '..', 'examples', 'resnet50.onnx');
    const one = memoryIO();
    assert.equal(await main(['place', model, '--devices', '4', '--memory', '2GiB', '--comm', 'baechi'], one), 0);
    assert.match(one.stdout, /every op stayed on one device: with --comm baechi a transfer costs more/);
    const spread = memoryIO();
    assert.equal(await main(['place', dataPath('stg', '50', 'rand0000.stg'), '--devices', '4', '--comm', 'none'], spread), 0);
    assert.doesNotMatch(spread.stdout, /every op stayed on one device/);
  });
});
