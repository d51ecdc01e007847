// End-to-end, throughput mode (issue 14 item 6): the built extension in code-server, a training
// graph placed from the explorer, the viewer switched to throughput — the extension plans the
// pipeline in its worker and the viewer shows the pipeline summary, one memory bar per stage and
// the microbatch × stage schedule — the `opplace.objective` setting switching it back and forth, and
// the viewer's own choice of throughput surviving a window reload.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { dataPath } from '../helpers/paths';
import { Session, explorerMenu, runCommand, saveLogAndClose, screenshot, screenshotIfFailed, startSession, waitFor, webviewFrame } from './harness';

const MODEL = 'bert24_training.json';

interface PipelineSnapshot {
  objective: string | undefined;
  header: string;
  stageBars: number;
  forward: number;
  backward: number;
  stagedOps: number;
  /** The microbatch × stage schedule is shown (not the op timeline). */
  scheduleShown: boolean;
}

function pipelineSnapshot(frame: Frame): Promise<PipelineSnapshot> {
  return frame.evaluate(() => ({
    objective: document.body.dataset.objective,
    header: document.getElementById('header')!.innerText,
    stageBars: document.querySelectorAll('#memory .mem-bar[data-stage]').length,
    forward: document.querySelectorAll('#pipeline-timeline rect.task.forward').length,
    backward: document.querySelectorAll('#pipeline-timeline rect.task.backward').length,
    stagedOps: document.querySelectorAll('#dag g.item.node[class*="stage-"]').length,
    scheduleShown: getComputedStyle(document.getElementById('pipeline-timeline')!).display !== 'none',
  }));
}

describe('opplace in VS Code: throughput mode (code-server + Chromium)', function () {
  this.timeout(150_000);
  let session: Session;
  let page: Page;

  before(async () => {
    session = await startSession({
      files: { [MODEL]: dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', MODEL) },
      workspaceSettings: { 'opplace.devices': 4, 'opplace.memoryLimits': '16GiB', 'opplace.algorithm': 'm-etf', 'opplace.interconnect': 'pcie4' },
    });
    page = session.page;
  });

  after(() => saveLogAndClose(session, 'code-server-throughput.log'));

  afterEach(function () {
    return screenshotIfFailed(this.currentTest, page, 'throughput-', 50);
  });

  it('switching a view to throughput plans the pipeline in the extension and shows its summary and schedule', async () => {
    await explorerMenu(page, MODEL, 'Place on Devices…');
    const frame = await webviewFrame(page, 'body[data-ready="true"] #memory .mem-bar', 90_000);
    assert.equal(await frame.evaluate(() => document.body.dataset.objective), 'latency', 'the setting’s default objective');
    await frame.locator('#ctl-objective').click();
    await frame.locator('#ctl-objective').getByRole('option', { name: 'throughput', exact: true }).click();
    const t = await waitFor(
      'the pipeline plan drawn',
      () => pipelineSnapshot(frame),
      (x) => x.objective === 'throughput' && x.forward > 0,
    );
    assert.match(t.header, /time per sample\s+[0-9.]+\s*(µs|ms|s)/);
    assert.match(t.header, /throughput over 1 GPU\s+[0-9.]+×/);
    assert.match(t.header, /bubble\s+[0-9.]+ %/);
    const stages = t.stageBars;
    assert.ok(stages >= 2 && stages <= 4, `${stages} stages on 4 devices`);
    assert.equal(t.forward, 8 * stages, 'M = 8 (the default) forward bars per stage');
    assert.equal(t.backward, 8 * stages, 'a training graph: as many backward bars');
    assert.ok(t.stagedOps > 0 && t.scheduleShown, 'ops coloured by stage, the schedule shown');
    await screenshot(page, 'throughput-1-switched');

    // Fewer microbatches from the viewer: planned again in the extension.
    const input = frame.locator('#ctl-microbatches input');
    await input.fill('3');
    await input.press('Enter');
    const m3 = await waitFor(
      '3 microbatches',
      () => pipelineSnapshot(frame),
      (x) => x.forward === 3 * x.stageBars && x.forward > 0,
    );
    assert.equal(m3.backward, 3 * m3.stageBars);
  });

  it('the opplace.objective setting wins over the viewer: throughput with its knobs, then latency', async () => {
    const frame = await webviewFrame(page, 'body[data-ready="true"] #memory .mem-bar', 30_000);
    const settingsFile = path.join(session.workspace, '.vscode', 'settings.json');
    const base = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    fs.writeFileSync(
      settingsFile,
      JSON.stringify({ ...base, 'opplace.objective': 'throughput', 'opplace.microbatches': 2, 'opplace.pipelineSchedule': 'gpipe' }, null, 2),
    );
    const t = await waitFor(
      'throughput from the settings',
      () => pipelineSnapshot(frame),
      (x) => x.objective === 'throughput' && x.forward === 2 * x.stageBars && x.forward > 0,
    );
    assert.match(t.header, /gpipe × 2 microbatches/);
    assert.equal(await frame.locator('#ctl-microbatches input').inputValue(), '2', 'the controls show the settings’ knobs');
    await screenshot(page, 'throughput-2-settings');
    fs.writeFileSync(settingsFile, JSON.stringify({ ...base, 'opplace.objective': 'latency' }, null, 2));
    const latency = await waitFor(
      'latency mode',
      () => pipelineSnapshot(frame),
      (x) => x.objective === 'latency',
    );
    assert.match(latency.header, /makespan/);
    assert.equal(latency.scheduleShown, false, 'the op timeline is back');
    assert.equal(latency.stagedOps, 0, 'ops coloured by device again');
  });

  it('a view switched to throughput in the viewer comes back in throughput, with its knobs, after a window reload', async () => {
    let frame = await webviewFrame(page, 'body[data-ready="true"] #memory .mem-bar', 30_000);
    await frame.locator('#ctl-objective').click();
    await frame.locator('#ctl-objective').getByRole('option', { name: 'throughput', exact: true }).click();
    await waitFor(
      'throughput',
      () => pipelineSnapshot(frame),
      (x) => x.objective === 'throughput' && x.forward > 0,
    );
    const input = frame.locator('#ctl-microbatches input');
    await input.fill('5');
    await input.press('Enter');
    await waitFor(
      '5 microbatches',
      () => pipelineSnapshot(frame),
      (x) => x.forward === 5 * x.stageBars && x.forward > 0,
    );
    // The webview saves its state (setState) once changes pause; let that happen before reloading.
    await page.waitForTimeout(1_000);
    const reloaded = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 30_000 });
    await runCommand(page, 'Developer: Reload Window');
    await reloaded;
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    frame = await webviewFrame(page, 'body[data-ready="true"] #memory .mem-bar', 90_000, MODEL);
    const back = await waitFor(
      'throughput after the reload',
      () => pipelineSnapshot(frame),
      (x) => x.objective === 'throughput' && x.forward === 5 * x.stageBars && x.forward > 0,
    );
    assert.ok(back.scheduleShown);
    assert.equal(await frame.locator('#ctl-microbatches input').inputValue(), '5');
    await screenshot(page, 'throughput-3-after-reload');
  });
});
