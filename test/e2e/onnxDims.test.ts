// End-to-end, symbolic ONNX dims (issue 11 §1): the built extension in code-server places a GPT-2-like
// export whose `seq` is symbolic. The workspace setting `opplace.dims` reaches the load and so the
// placement (the plan has the folded graph's 67 ops, not the 117 of a free seq), the viewer lists the
// dim with its value; without the setting the dim is free, the viewer shows the loader's warning,
// and typing a value in the viewer's field re-loads the model in the view's engine with it (Compare
// Algorithms then compares that model), also after a window reload.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { REPO } from '../helpers/paths';
import { Session, explorerMenu, runCommand, saveLogAndClose, screenshot, screenshotIfFailed, startSession, waitFor, webviewFrame } from './harness';

const MODEL = 'tiny_gpt_op17.onnx';

interface DimsSnapshot {
  placedOps: number;
  field: string | undefined;
  warning: string;
}

function dimsSnapshot(frame: Frame): Promise<DimsSnapshot> {
  return frame.evaluate(() => ({
    placedOps: window.opplaceViewer!.state().plan?.schedule.length ?? 0,
    field: (document.getElementById('ctl-dim-0') as (HTMLElement & { value: string }) | null)?.value,
    warning: getComputedStyle(document.getElementById('dims-warning')!).display === 'none' ? '' : document.getElementById('dims-warning')!.innerText,
  }));
}

describe('opplace in VS Code: symbolic ONNX dims (code-server + Chromium)', function () {
  this.timeout(150_000);
  let session: Session;
  let page: Page;

  before(async () => {
    session = await startSession({
      files: { [MODEL]: path.join(REPO, 'test', 'fixtures', 'onnx-decoder', MODEL) },
      workspaceSettings: { 'opplace.devices': 2, 'opplace.devicePreset': 'h100-sxm', 'opplace.algorithm': 'm-etf', 'opplace.dims': ['seq=16'] },
    });
    page = session.page;
  });

  after(() => saveLogAndClose(session, 'code-server-dims.log'));

  afterEach(function () {
    return screenshotIfFailed(this.currentTest, page, 'dims-', 50);
  });

  it('opplace.dims reaches the placement; without it seq is free (the warning); the viewer field re-loads with a value, kept over a window reload', async () => {
    await explorerMenu(page, MODEL, 'Place on Devices…');
    const frame = await webviewFrame(page, 'body[data-ready="true"] #memory .mem-bar', 90_000);
    const set = await waitFor(
      'the plan of the model loaded with seq=16',
      () => dimsSnapshot(frame),
      (x) => x.placedOps > 0,
    );
    assert.deepEqual(set, { placedOps: 67, field: '16', warning: '' }, 'seq=16 folds the shape plumbing: 67 ops placed');
    await screenshot(page, 'dims-1-setting');

    // The setting removed: seq is free again, the model is re-loaded (71 ops: shape chains known in seq
    // fold away too, but the seq-sized work stays), the viewer says so.
    const settingsFile = path.join(session.workspace, '.vscode', 'settings.json');
    const base = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    delete base['opplace.dims'];
    fs.writeFileSync(settingsFile, JSON.stringify(base, null, 2));
    const free = await waitFor(
      'the plan of the model with seq free',
      () => dimsSnapshot(frame),
      (x) => x.placedOps === 71,
    );
    assert.equal(free.field, '', 'the field is empty while seq is free');
    assert.match(free.warning, /symbolic dims left free: "seq" \(input "input"\)/);
    assert.match(free.warning, /counted at seq = 1 \(.*\); [0-9]+% of those FLOPs and [0-9]+% of those bytes grow with them/);
    await screenshot(page, 'dims-2-free');

    // A value typed in the viewer: the host re-loads the model with it (a new key for the view's engine).
    const input = frame.locator('#ctl-dim-0 input');
    await input.click();
    await input.fill('16');
    await input.press('Enter');
    const viewer = await waitFor(
      'the plan re-loaded with the viewer’s seq',
      () => dimsSnapshot(frame),
      (x) => x.placedOps === 67,
    );
    assert.deepEqual(viewer, { placedOps: 67, field: '16', warning: '' });
    await screenshot(page, 'dims-3-viewer');

    // Compare Algorithms on the open view compares the model as the viewer loaded it (seq = 16:
    // 67 ops), not as the settings alone would (seq free: 71 ops).
    await runCommand(page, 'opplace: Compare Algorithms');
    const table = await webviewFrame(page, '#compare-table tbody tr', 60_000);
    assert.match(await table.locator('.subtitle').innerText(), /^67 ops · 2 devices/);
    await runCommand(page, 'View: Close Editor');

    // After a window reload the view comes back with the viewer's seq (its saved state), not the free one.
    await page.waitForTimeout(1_000); // the webview saves its state once changes pause
    const reloaded = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 30_000 });
    await runCommand(page, 'Developer: Reload Window');
    await reloaded;
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    const again = await webviewFrame(page, 'body[data-ready="true"] #memory .mem-bar', 90_000, MODEL);
    const restored = await waitFor(
      'the restored plan',
      () => dimsSnapshot(again),
      (x) => x.placedOps > 0,
    );
    assert.deepEqual(restored, { placedOps: 67, field: '16', warning: '' });
  });
});
