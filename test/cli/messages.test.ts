// Messages that used to mislead (issue 13 item 4): each says what is true, once, in the user's units.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { oneDeviceHints, refineLine } from '../../cli/commands/place';
import type { PlacementOptions } from '../../algorithms/plan';
import { plural, sizeUnitNote } from '../../algorithms/units';
import { dataPath, REPO } from '../helpers/paths';

async function cli(...argv: string[]) {
  const io = memoryIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

const GiB = 2 ** 30;
const BASE: PlacementOptions = { algorithm: 'm-etf', devices: 4, memoryLimits: Array(4).fill(16 * GiB), comm: 'baechi', grouping: 'colocation', fuse: false };
const stg = dataPath('stg', '50', 'rand0000.stg');
const resnet = dataPath('onnx-light', 'light_resnet50.onnx');
const layer = (f: string) => dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', f);

describe('cli: messages say what is true', function () {
  this.timeout(120_000);

  it('refine that started from its own split says so, not "refined from refine"', () => {
    const r = { startAlgorithm: 'refine' as const, startMakespanUs: 2_651_000, gainPercent: 3, movedOps: 1, devicesChanged: [0, 1] };
    assert.match(refineLine(r), /^refined from its own contiguous split \(no placer fit the limits\) \(2\.651 s\): 3\.0% faster, 1 op moved/);
    assert.match(refineLine({ ...r, startAlgorithm: 'm-sct', movedOps: 2 }), /^refined from m-sct .* 2 ops moved/);
  });

  it('the one-device hint leaves out what the user already chose', () => {
    assert.deepEqual(oneDeviceHints(BASE), ['a faster link (e.g. --comm nvlink4)', 'a larger batch', '--algorithm refine']);
    assert.deepEqual(oneDeviceHints({ ...BASE, comm: 'nvlink4', algorithm: 'refine' }), ['a larger batch']);
    assert.deepEqual(oneDeviceHints({ ...BASE, comm: 'none' }), ['a larger batch', '--algorithm refine']);
    assert.ok(
      oneDeviceHints({ ...BASE, comm: '5:1000' }).every((h) => !h.includes('faster link')),
      'a custom link faster than nvlink4',
    );
  });

  it('m-SCT prints the LP value as a relaxation objective, and the lower bound says it ignores communication', async () => {
    const { code, out } = await cli('place', layer('resnet50_inference.json'), '--algorithm', 'm-sct');
    assert.equal(code, 0);
    assert.match(out, /m-SCT LP: .*; relaxation objective [\d.]+ [mµ]?s \(the LP's own model, not a bound on this plan\)/);
    assert.doesNotMatch(out, /optimum/);
    assert.match(out, /lower bound [\d.]+ [mµ]?s \(ignores communication\) · gap/);
  });

  it('STG files (no tensor sizes) default to interconnect none; --comm still wins', async () => {
    const dflt = await cli('place', stg, '--json');
    const plain = await cli('place', stg);
    assert.equal(dflt.code, 0);
    assert.match(plain.out, /comm none/);
    const given = await cli('place', stg, '--comm', 'pcie4');
    assert.match(given.out, /comm pcie4/);
    // A dnn-partitioning file keeps Baechi's link.
    assert.match((await cli('place', layer('resnet50_inference.json'))).out, /comm baechi/);
  });

  it('GB is decimal and GiB binary in any case; a decimal or one-letter size is printed back in GiB', async () => {
    const lower = await cli('place', stg, '--memory', '16gb');
    const upper = await cli('place', stg, '--memory', '16GB');
    assert.match(lower.err, /--memory 16gb = 16 GB \(decimal\) = 14\.9 GiB; write 16GiB for binary/);
    assert.match(upper.err, /--memory 16GB = 16 GB \(decimal\) = 14\.9 GiB/);
    assert.match(lower.out, /14\.9 GiB/);
    const binary = await cli('place', stg, '--memory', '16gib');
    assert.doesNotMatch(binary.err, /--memory/);
    assert.match(binary.out, /16\.0 GiB/);
    assert.equal(sizeUnitNote('16G'), '16G = 16.0 GiB (binary; write 16GB for decimal)');
    assert.equal(sizeUnitNote('512MiB'), null);
  });

  it('--dtype help says the default is the stored type', async () => {
    for (const command of ['place', 'inspect']) {
      const { out } = await cli(command, '--help');
      assert.match(out, /--dtype D .*\n?.*default as stored in the model/, command);
      assert.doesNotMatch(out, /default fp32\)/, command);
    }
  });

  it('compare shows "–" for the transfers of a plan that does not fit', async () => {
    const { out } = await cli('compare', layer('resnet50_inference.json'), '--memory', '64MiB', '--only', 'm-etf,m-topo');
    const rows = out.split('\n').filter((l) => /^\s*(m-etf|m-topo)\s/.test(l));
    assert.equal(rows.length, 2, out);
    for (const row of rows) {
      assert.match(row, /\sno\s/, row);
      assert.doesNotMatch(row, /\b0 B\b/, row);
      assert.ok((row.match(/–/g) ?? []).length >= 4, row);
    }
  });

  it('plurals, and opplace --version', async () => {
    assert.equal(plural(1, 'segment'), '1 segment');
    assert.equal(plural(2, 'segment'), '2 segments');
    assert.equal(plural(0, 'placer run'), '0 placer runs');
    const { code, out } = await cli('--version');
    assert.equal(code, 0);
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.equal(out, `opplace ${pkg.version}\n`);
  });

  it('--force-batch rewrites a fixed batch dim (onnx-light models have batch 1), with a warning', async () => {
    const inspect = async (...extra: string[]) => {
      const { code, out, err } = await cli('inspect', resnet, '--json', ...extra);
      assert.equal(code, 0, err);
      return JSON.parse(out.trim());
    };
    const one = await inspect();
    const ignored = await inspect('--batch', '8');
    const forced = await inspect('--batch', '8', '--force-batch');
    assert.equal(ignored.activationBytes, one.activationBytes, 'without the override --batch has no effect');
    assert.ok(
      ignored.warnings.some((w: string) => /--batch 8 has no effect.*--force-batch/.test(w)),
      ignored.warnings.join('\n'),
    );
    assert.ok(forced.activationBytes > 7 * one.activationBytes, `${forced.activationBytes} vs ${one.activationBytes}`);
    assert.ok(
      forced.warnings.some((w: string) => /--force-batch: the fixed leading dim \(1\) of every graph input was rewritten to 8/.test(w)),
      forced.warnings.join('\n'),
    );
  });
});
