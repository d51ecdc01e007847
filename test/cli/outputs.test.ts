// Output paths and option values of the CLI: a model file is never overwritten, a bad --out or
// --report fails at once in one line (before any placing), and negative numbers given to options
// reach the option's own check instead of node's three-line "ambiguous" message.
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { joinNegativeValues } from '../../cli/args';
import { dataPath, REPO } from '../helpers/paths';

const squeezenet = path.join(REPO, 'test', 'fixtures', 'onnx', 'squeezenet1_0.onnx');

async function cli(...argv: string[]) {
  const io = memoryIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

/** One line on stderr, no stack trace, exit code 2. */
function assertOneLineError(r: { code: number; out: string; err: string }, re: RegExp) {
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
  assert.doesNotMatch(r.err, /internal error|\n\s+at /);
  assert.match(r.err, re);
}

describe('cli: output paths and option values', function () {
  this.timeout(60000);
  let dir: string;
  let model: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'opplace-out-'));
    model = path.join(dir, 'model.onnx');
    copyFileSync(squeezenet, model);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const flag of ['--out', '--report']) {
    it(`place ${flag} naming the model refuses and leaves the model untouched`, async () => {
      const before = readFileSync(model);
      for (const name of [model, path.join(dir, '.', 'model.onnx')]) {
        const r = await cli('place', model, '--devices', '2', flag, name);
        assertOneLineError(r, /is an input file; opplace never overwrites its inputs/);
        assert.equal(r.out, '', 'nothing is placed before the output path is checked');
      }
      assert.deepEqual(readFileSync(model), before);
    });
  }

  it('place --out in a missing folder, under a file, or naming a folder: one line, nothing placed', async () => {
    writeFileSync(path.join(dir, 'plain'), 'x');
    mkdirSync(path.join(dir, 'sub'));
    const cases: [string, RegExp][] = [
      [path.join(dir, 'missing', 'plan.json'), /--out: the folder .*missing does not exist/],
      [path.join(dir, 'plain', 'plan.json'), /--out: the folder .*plain does not exist/],
      [path.join(dir, 'sub'), /--out .*sub is a directory; give a file name/],
    ];
    for (const [out, re] of cases) {
      const r = await cli('place', model, '--out', out);
      assertOneLineError(r, re);
      assert.equal(r.out, '');
    }
  });

  it('place --out and --report naming the same file is refused', async () => {
    const same = path.join(dir, 'p.json');
    assertOneLineError(await cli('place', model, '--out', same, '--report', same), /--out and --report name the same file/);
    assert.equal(existsSync(same), false);
  });

  it('place --out to a good path still writes the plan', async () => {
    const out = path.join(dir, 'plan.json');
    const r = await cli('place', model, '--devices', '2', '--out', out);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).file, model);
  });

  it('export --out in a missing folder fails before placing; diffusion graph too', async () => {
    assertOneLineError(await cli('export', model, '--to', 'csv', '--out', path.join(dir, 'no', 'p.csv')), /--out: the folder .* does not exist/);
    assertOneLineError(await cli('export', model, '--to', 'onnx', '--out', model), /is an input file/);
    const g = await cli(
      'diffusion',
      'graph',
      '--steps',
      '2',
      '--midpoints',
      '2',
      '--rounds',
      '1',
      '--score-time-us',
      '1',
      '--score-bytes',
      '8',
      '--out',
      path.join(dir, 'no', 'g.opgraph.json'),
    );
    assertOneLineError(g, /--out: the folder .* does not exist/);
  });

  it('a negative number after an option is its value, checked by the option (one line)', async () => {
    assertOneLineError(await cli('place', model, '--memory', '-1'), /invalid memory limit "-1"/);
    assertOneLineError(await cli('place', model, '--devices', '-2'), /--devices must be an integer ≥ 1, got "-2"/);
    assertOneLineError(await cli('place', model, '--batch', '-1'), /--batch must be an integer ≥ 1, got "-1"/);
    assertOneLineError(await cli('fit', model, '--theta', '-0.5'), /--theta must be a number in \(0, 1\], got "-0.5"/);
  });

  it('place, fit and compare print the loader warnings (an ignored --batch) on stderr, one line each', async () => {
    // resnet18.onnx was exported with a fixed batch of 1
    const NOTE = 'opplace \\w+: .*resnet18\\.onnx: note: replicated 4 shared constants \\(3\\.75 KiB\\) to each of their 20 consumers [^\\n]*\\n';
    const resnet = path.join(REPO, 'test', 'fixtures', 'onnx', 'resnet18.onnx');
    for (const command of ['place', 'fit', 'compare']) {
      const r = await cli(command, resnet, '--batch', '32', '--devices', '2', ...(command === 'compare' ? ['--only', 'm-etf'] : []));
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.err,
        new RegExp(
          `^opplace ${command}: .*resnet18\\.onnx: warning: --batch 32 has no effect: every graph input has a fixed leading dim \\(1\\)[^\\n]*\\n${NOTE}$`,
        ),
      );
    }
    // no warning: only the note on the shared constants replicated instead of colocated
    const plain = await cli('place', resnet, '--devices', '2');
    assert.match(plain.err, new RegExp(`^${NOTE}$`));
  });

  it('--training on a graph that is already a training step is refused (one line, the count of backward ops)', async () => {
    const layerTraining = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'resnet50_training.json');
    const operatorTraining = dataPath('dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', 'resnet50_training.json');
    for (const file of [layerTraining, operatorTraining]) {
      for (const command of ['place', 'fit', 'compare']) {
        assertOneLineError(
          await cli(command, file, '--training', 'adam'),
          /resnet50_training\.json: the graph is already a training step \(\d+ backward ops\); --training adam would add a second backward pass/,
        );
      }
    }
    // the same graphs without --training, and inference graphs with it, still place
    assert.equal((await cli('place', layerTraining, '--devices', '2', '--memory', '24GiB')).code, 0);
    const inference = await cli(
      'place',
      dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'resnet50_inference.json'),
      '--devices',
      '2',
      '--memory',
      '64GiB',
      '--training',
      'sgd',
    );
    assert.equal(inference.code, 0, inference.err);
  });

  it('joinNegativeValues joins only numbers after value-taking options', () => {
    const spec = { memory: { type: 'string' }, fuse: { type: 'boolean' }, out: { type: 'string', short: 'o' } } as const;
    assert.deepEqual(joinNegativeValues(['m.onnx', '--memory', '-1', '--fuse', '-o', '-2'], spec), ['m.onnx', '--memory=-1', '--fuse', '-o-2']);
    // a boolean flag, an option already given with "=", a non-number, and everything after "--" stay as they are
    assert.deepEqual(joinNegativeValues(['--fuse', '-1'], spec), ['--fuse', '-1']);
    assert.deepEqual(joinNegativeValues(['--memory=1', '-1'], spec), ['--memory=1', '-1']);
    assert.deepEqual(joinNegativeValues(['--memory', '--fuse'], spec), ['--memory', '--fuse']);
    assert.deepEqual(joinNegativeValues(['--', '--memory', '-1'], spec), ['--', '--memory', '-1']);
  });
});
