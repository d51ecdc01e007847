// The extension's side of throughput mode (issue 14 item 6): the opplace.objective setting and the
// pipeline knobs, the objective kept across a window reload, and the report it writes from a view
// in throughput mode (which opens in throughput mode).
import { strict as assert } from 'node:assert';
import type { PlacementOptions } from '../../algorithms/plan';
import { renderExport } from '../../extension/exports';
import { parsePipelineInput } from '../../algorithms/options';
import { resolveSettings } from '../../extension/settings';
import { savedStateFromWebview } from '../../extension/viewRestore';
import { isHostToWebviewMessage } from '../../webview/protocol';
import { initialView } from '../../webview/viewReducer';
import { parseViewerState, VIEWER_STATE_VERSION } from '../../webview/viewState';
import { ensureBundles } from '../browser/harness';
import { toyPlan, trainingGraph } from '../helpers/pipelineFixtures';

const GiB = 2 ** 30;
const OPTIONS: PlacementOptions = { algorithm: 'm-etf', devices: 2, memoryLimits: [GiB, 2 * GiB], comm: 'pcie4', grouping: 'coplace', fuse: true };

describe('extension in throughput mode: settings, restore, report', () => {
  const controls = { split: 'contiguous', microbatches: 8, schedule: '1f1b' };
  it('settings: opplace.objective and the pipeline knobs, defaults and one error naming the bad setting', () => {
    const d = resolveSettings({});
    assert.equal(d.objective, 'latency');
    // one set of defaults: the extension's (2 devices) are the CLI's at 2 devices
    assert.deepEqual(d.pipeline, parsePipelineInput({}, 2));
    assert.deepEqual(d.pipeline, { split: 'sequential', microbatches: 8, schedule: '1f1b' });
    const t = resolveSettings({ objective: 'throughput', pipelineSplit: 'any', microbatches: 16, pipelineSchedule: 'gpipe' });
    assert.equal(t.objective, 'throughput');
    assert.deepEqual(t.pipeline, { split: 'any', microbatches: 16, schedule: 'gpipe' });
    assert.throws(() => resolveSettings({ objective: 'fast' }), /setting opplace\.objective must be one of latency, throughput, got "fast"/);
    assert.throws(() => resolveSettings({ microbatches: 0 }), /setting opplace\.microbatches/);
    assert.throws(() => resolveSettings({ pipelineSplit: 'diagonal' }), /setting opplace\.pipelineSplit/);
  });

  it('the viewer state keeps the objective across reloads; the host restores it', () => {
    const saved = { v: VIEWER_STATE_VERSION, hostUri: 'file:///m.onnx', options: OPTIONS, objective: 'throughput', pipelineControls: controls };
    const parsed = parseViewerState(saved)!;
    assert.equal(parsed.objective, 'throughput');
    assert.deepEqual(parsed.pipelineControls, controls);
    assert.equal(parseViewerState({ ...saved, objective: 'x', pipelineControls: { split: 'x' } })!.objective, undefined, 'bad fields dropped');
    assert.deepEqual(savedStateFromWebview(saved)!.viewerChoice, { objective: 'throughput', pipelineControls: controls });
  });

  it('a report exported in throughput mode opens with the pipeline plan (and the latency plan, if any, beside it)', async function () {
    this.timeout(60_000);
    await ensureBundles();
    const g = trainingGraph();
    const out = await renderExport('html', { graph: g, plan: toyPlan(), latencyPlan: null, options: OPTIONS });
    const html = new TextDecoder().decode(out.bytes);
    const json = /<script type="application\/json" id="opplace-init">([\s\S]*?)<\/script>/.exec(html)![1];
    const init = JSON.parse(json);
    assert.ok(isHostToWebviewMessage(init) && init.type === 'init');
    assert.equal(init.plan, null);
    assert.deepEqual(init.pipelinePlan, toyPlan());
    assert.deepEqual(init.options, OPTIONS);
    const view = initialView({ graph: g, plan: init.plan, options: init.options, pipeline: init.pipelinePlan });
    assert.equal(view.objective, 'throughput', 'the viewer opens it in throughput mode');
  });
});
