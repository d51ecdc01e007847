// Exports the extension writes, on a real model placed by the real engine (no VS Code needed).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { prepareGraph } from '../../algorithms/prepare';
import { placeGraph } from '../../algorithms/placement/index';
import { parseModel } from '../../algorithms/loaders/index';
import { availableExportFormats, renderExport } from '../../extension/exports';
import { resolveSettings } from '../../extension/settings';
import { dataPath } from '../helpers/paths';

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
});
