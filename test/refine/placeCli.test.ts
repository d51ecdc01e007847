// `opplace place` with the issue-6 flags: --algorithm refine, --refine, --budget-ms, --seed,
// --training (the place command itself is tested in test/placement/cli.test.ts).
import assert from 'node:assert/strict';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { dataPath } from '../helpers/paths';

const layer = (f: string) => dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', f);

async function cli(...argv: string[]) {
  const io = memoryIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('cli: opplace place with refinement and training', function () {
  this.timeout(60000);

  it('--algorithm refine reports its gain; the same command twice prints the same plan', async () => {
    const argv = [
      'place',
      layer('resnet50_training.json'),
      '--devices',
      '4',
      '--memory',
      '12GiB',
      '--algorithm',
      'refine',
      '--budget-ms',
      '150',
      '--seed',
      '3',
      '--json',
    ];
    const a = await cli(...argv);
    const b = await cli(...argv);
    assert.equal(a.code, 0, a.err);
    const strip = (s: string) => s.replace(/"placeMs":[\d.]+/, '');
    assert.equal(strip(a.out), strip(b.out));
    const rec = JSON.parse(a.out);
    assert.equal(rec.algorithm, 'refine');
    assert.ok(['m-etf', 'm-sct'].includes(rec.refine.startAlgorithm));
    assert.ok(rec.makespanUs <= rec.refine.startMakespanUs);
    assert.ok(rec.refine.gainPercent >= 0);
  });

  it('--refine on top of m-topo prints the refinement line', async () => {
    const { code, out } = await cli(
      'place',
      layer('gnmt_training.json'),
      '--devices',
      '2',
      '--memory',
      '4GiB',
      '--algorithm',
      'm-topo',
      '--refine',
      '--budget-ms',
      '100',
    );
    assert.equal(code, 0);
    assert.match(out, /\(m-topo, 2 devices/);
    assert.match(out, /refined from m-topo \([\d.]+ ms\): [\d.]+% faster, \d+ ops moved/);
  });

  it('--training adam places the synthesised training graph (forward + backward ops)', async () => {
    const { code, out } = await cli('place', layer('gnmt_inference.json'), '--devices', '2', '--training', 'adam', '--json');
    assert.equal(code, 0);
    const rec = JSON.parse(out);
    assert.equal(rec.schedule.length, 2 * 96);
    assert.ok(rec.schedule.some((s: { node: string }) => s.node.endsWith('/grad')));
  });

  it('bad refinement flags: one clear error', async () => {
    let r = await cli('place', layer('gnmt_inference.json'), '--budget-ms', '-5');
    assert.equal(r.code, 2);
    assert.match(r.err, /--budget-ms/);
    r = await cli('place', layer('gnmt_inference.json'), '--algorithm', 'single', '--refine');
    assert.equal(r.code, 2);
    assert.match(r.err, /single/);
    r = await cli('place', layer('gnmt_inference.json'), '--training', 'lion');
    assert.equal(r.code, 2);
    assert.match(r.err, /--training/);
  });
});
