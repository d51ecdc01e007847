// Model options a file cannot use are said, not silently dropped: --batch on measured formats,
// --dtype / --device-type when every time is measured, --batch on an ONNX model with a fixed batch.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { prepareGraphFromFile as prepare, PrepareOptions, warnIgnoredModelOptions } from '../../algorithms/prepare';

/** As the CLI loads: prepared, then warned about the options the file cannot use. */
const prepareGraphFromFile = (file: string, options: PrepareOptions) => warnIgnoredModelOptions(prepare(file, options), options);
import { dataPath, REPO } from '../helpers/paths';

const dnn = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'resnet50_inference.json');
const stg = dataPath('stg', '50', 'rand0001.stg');
const mobilenet = path.join(REPO, 'test', 'fixtures', 'onnx', 'mobilenet_v2.onnx'); // symbolic batch

describe('warnIgnoredModelOptions: options a file cannot use', () => {
  it('warns once about --batch, --dtype and --device-type on a dnn-partitioning file, numbers unchanged', () => {
    const plain = prepareGraphFromFile(dnn, { batch: 1 });
    assert.deepEqual(plain.warnings, []);
    const asked = prepareGraphFromFile(dnn, { batch: 32, dtype: 'fp16', device: 't4' });
    assert.equal(asked.warnings.length, 1);
    assert.match(
      asked.warnings[0],
      /^--batch 32, --dtype fp16, --device-type t4 have no effect on this dnn-partitioning file: its times and sizes are measured/,
    );
    assert.deepEqual(
      asked.nodes.map((n) => n.computeUs),
      plain.nodes.map((n) => n.computeUs),
    );
  });

  it('one option: singular wording; STG too', () => {
    const g = prepareGraphFromFile(stg, { dtype: 'bf16' });
    assert.deepEqual(g.warnings, ['--dtype bf16 has no effect on this stg file: its times and sizes are measured and used as they are']);
  });

  it('prepareGraph itself stays quiet (the extension always passes its device preset)', () => {
    assert.deepEqual(prepare(dnn, { batch: 32, dtype: 'fp16', device: 't4' }).warnings, []);
  });

  it('says nothing for an ONNX model that uses them', () => {
    const g = prepareGraphFromFile(mobilenet, { batch: 32, dtype: 'fp16', device: 't4' });
    assert.deepEqual(g.warnings, []);
    const flops = (x: typeof g) => x.nodes.reduce((a, n) => a + (n.flops ?? 0), 0);
    const ratio = flops(g) / flops(prepareGraphFromFile(mobilenet, { batch: 1 }));
    assert.ok(Math.abs(ratio - 32) < 0.5, `batch 32 should scale FLOPs by 32, got ${ratio}`);
  });
});
