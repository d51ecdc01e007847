// Exports the extension writes, on a real model placed by the real engine (no VS Code needed).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareGraph } from '../../algorithms/prepare';
import { placeGraph } from '../../algorithms/placement/index';
import { parseModel } from '../../algorithms/loaders/index';
import { availableExportFormats, renderExport } from '../../extension/exports';
import { resolveSettings } from '../../extension/settings';
import { dataPath } from '../helpers/paths';
import { decodeOnnxModel } from '../../algorithms/onnx/proto';
import { modelBytes, node, valueInfo } from '../onnx/build';

describe('extension exports of a placed onnx-light model', () => {
  const file = dataPath('onnx-light', 'light_squeezenet.onnx');
  const bytes = new Uint8Array(fs.readFileSync(file));
  const { load, placement } = resolveSettings({ devices: 2, memoryLimits: '8MiB' });
  const graph = prepareGraph(bytes, file, load);
  let plan: Awaited<ReturnType<typeof placeGraph>>;
  before(async () => {
    plan = await placeGraph(graph, placement);
    assert.ok(plan.feasible);
  });
  const text = (b: Uint8Array) => new TextDecoder().decode(b);

  it('plan JSON is the plan itself', async () => {
    const out = await renderExport('plan-json', { graph, plan });
    assert.deepEqual(JSON.parse(text(out.bytes)), JSON.parse(JSON.stringify(plan)));
  });

  it('CSV has one row per op with the plan device', async () => {
    const out = await renderExport('csv', { graph, plan });
    const rows = text(out.bytes).trim().split('\r\n');
    assert.equal(rows.length, graph.nodes.length + 1);
    const device = new Map(plan.schedule.map((s) => [s.node, s.device]));
    for (const row of rows.slice(1)) {
      const [node, , dev] = row.split(',');
      assert.equal(Number(dev), device.get(node), row);
    }
    assert.equal(out.extension, '.plan.csv');
  });

  it('the ONNX copy is a loadable model with the same ops, and never the original bytes', async () => {
    assert.ok(availableExportFormats(file).includes('onnx'));
    const out = await renderExport('onnx', { graph, plan, modelBytes: bytes, modelFile: file });
    assert.notDeepEqual(out.bytes, bytes);
    assert.equal(out.extension, '.placed.onnx');
    const again = parseModel(out.bytes, 'copy.onnx', {});
    assert.equal(again.nodes.length, parseModel(bytes, file, {}).nodes.length);
    assert.ok(
      out.notes.some((n) => /annotated/.test(n)),
      out.notes.join('\n'),
    );
  });

  it('a format the model cannot give fails with one clear OpplaceError (shown as the notification)', async () => {
    await assert.rejects(renderExport('accelerate', { graph, plan }), (e: Error) => e.name === 'OpplaceError' && /module path/.test(e.message));
    await assert.rejects(renderExport('onnx', { graph, plan }), (e: Error) => e.name === 'OpplaceError' && /needs the original \.onnx model/.test(e.message));
  });

  it("an ONNX copy saved in another folder points at the model's external data from there, or is refused", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opplace-ext-export-'));
    try {
      const modelDir = path.join(dir, 'models');
      fs.mkdirSync(modelDir);
      const model = path.join(modelDir, 'ext.onnx');
      fs.writeFileSync(path.join(modelDir, 'w.bin'), new Uint8Array(64));
      const extBytes = modelBytes({
        inputs: [valueInfo('x', [1, 4])],
        outputs: [valueInfo('z', [1, 4])],
        initializers: [{ name: 'W', dims: [4, 4], data_type: 1, data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }] }],
        nodes: [node('MatMul', ['x', 'W'], ['y'], {}, 'mm'), node('Relu', ['y'], ['z'], {}, 'act')],
      });
      const extGraph = prepareGraph(extBytes, model, load);
      const extPlan = await placeGraph(extGraph, placement);
      const source = { graph: extGraph, plan: extPlan, modelBytes: extBytes, modelFile: model };
      const location = (b: Uint8Array) => decodeOnnxModel(b, 'copy.onnx').graph!.initializer![0].external_data!.find((e) => e.key === 'location')!.value;
      // the dialog's default, beside the model: the location stays as it was
      assert.equal(location((await renderExport('onnx', source)).bytes), 'w.bin');
      const up = await renderExport('onnx', { ...source, outFile: path.join(dir, 'placed.onnx') });
      assert.equal(location(up.bytes), 'models/w.bin');
      await assert.rejects(
        renderExport('onnx', { ...source, outFile: path.join(os.tmpdir(), 'elsewhere', 'placed.onnx') }),
        (e: Error) => e.name === 'OpplaceError' && /external data file "w\.bin" of tensor "W" .* is outside the folder/.test(e.message),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
