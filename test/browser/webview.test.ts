// The VS Code webview bundle (media/webview.js) in Chromium, outside VS Code: the page from
// buildWebviewHtml with its strict CSP (nonce scripts, worker-src blob:, connect-src = cspSource),
// served over http like a webview resource, with a stand-in for acquireVsCodeApi that records
// messages. Checks the protocol round trip: ready → init → replace → plan, and error display.
import { strict as assert } from 'node:assert';
import type { Browser } from 'playwright-core';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import { placeGraph } from '../../algorithms/placement/index';
import type { PlacementOptions } from '../../algorithms/plan';
import { buildWebviewHtml, makeNonce } from '../../webview/html';
import { PROTOCOL_VERSION, type InitMessage, type WebviewToHostMessage } from '../../webview/protocol';
import { encodePlan } from '../../webview/planWire';
import { dataPath } from '../helpers/paths';
import { ensureBundles, launchChromium, openFakeWebview, paneLayoutProblems, postToWebview, screenshotPath, serveWebviewPage, waitFor } from './harness';

describe('viewer webview bundle (VS Code protocol) in Chromium', function () {
  this.timeout(120_000);
  let browser: Browser;
  let closeServer: (() => void) | undefined;
  let origin = '';
  let html = '';

  before(async () => {
    await ensureBundles();
    browser = await launchChromium();
    const served = await serveWebviewPage(() => html);
    origin = served.origin;
    closeServer = served.close;
  });
  after(async () => {
    await browser?.close();
    closeServer?.();
  });

  it('ready → init draws the plan; control change → replace; plan and error replies are shown', async () => {
    const graph = prepareGraphFromFile(dataPath('onnx-light', 'light_squeezenet.onnx'));
    const options: PlacementOptions = {
      algorithm: 'm-etf',
      devices: 2,
      memoryLimits: [8 * 2 ** 30, 8 * 2 ** 30],
      comm: 'pcie4',
      grouping: 'none',
      fuse: false,
    };
    const plan = await placeGraph(graph, options);
    const nonce = makeNonce();
    html = buildWebviewHtml({ cspSource: origin, nonce, scriptUri: `${origin}/webview.js`, workerUri: `${origin}/layout-worker.js`, title: 'squeezenet' });

    const { page, problems, received: fromWebview, invalid } = await openFakeWebview(browser, `${origin}/index.html`);
    const ready = fromWebview.find((m) => m.type === 'ready')!;
    assert.equal((ready as { protocolVersion: number }).protocolVersion, PROTOCOL_VERSION);

    const init: InitMessage = {
      type: 'init',
      protocolVersion: PROTOCOL_VERSION,
      graph,
      plan,
      options,
      presets: ['pcie4', 'nvlink4'],
      file: 'squeezenet.onnx',
      capabilities: { saveLimits: true, export: ['plan-json', 'csv'], openInBrowser: true },
    };
    await postToWebview(page, init);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    assert.equal(await page.locator('#dag [data-node-id]').count(), graph.nodes.length);
    assert.equal(await page.evaluate(() => window.opplaceViewer!.state().layoutMode), 'worker', 'blob: worker allowed by the CSP');
    assert.deepEqual(await paneLayoutProblems(page), [], 'the panes do not overlap');

    // Change the algorithm: the webview asks the host, which answers with a plan.
    await page.locator('#mem-all input').fill('1GiB');
    await page.locator('#mem-all input').press('Enter');
    await waitFor(() => fromWebview.some((m) => m.type === 'replace'));
    const req = fromWebview.find((m) => m.type === 'replace') as Extract<WebviewToHostMessage, { type: 'replace' }>;
    assert.deepEqual(req.options.memoryLimits, [2 ** 30, 2 ** 30]);
    const newPlan = await placeGraph(graph, req.options);
    await postToWebview(page, { type: 'plan', requestId: req.requestId, plan: encodePlan(newPlan, graph), options: req.options });
    await page.waitForFunction(() => document.body.dataset.planVersion === '1');
    const peaks = await page.$$eval('#memory .mem-bar', (els) => els.map((e) => Number(e.getAttribute('data-peak-bytes'))));
    assert.deepEqual(
      peaks,
      newPlan.devices.map((d) => d.peakBytes),
    );

    // An error reply is shown in the status line.
    await page.locator('#mem-0 input').fill('2GiB');
    await page.locator('#mem-0 input').press('Enter');
    await waitFor(() => fromWebview.filter((m) => m.type === 'replace').length === 2);
    const req2 = fromWebview.filter((m) => m.type === 'replace')[1];
    await postToWebview(page, { type: 'error', requestId: req2.requestId, message: 'squeezenet.onnx: node "conv1": does not fit' });
    await page.waitForFunction(() => document.getElementById('status')!.textContent.includes('does not fit'));

    // The host's busy line: a busy spell shorter than 150 ms (a fast re-place) never reaches the
    // status line; a longer one does, and idle clears it.
    await page.evaluate(() => {
      const el = document.getElementById('status')!;
      const seen: string[] = ((window as unknown as { statusSeen: string[] }).statusSeen = []);
      new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
    });
    const statusSeen = () => page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen);
    await postToWebview(page, { type: 'busy', busy: true, message: 'placing quickly…' });
    await postToWebview(page, { type: 'busy', busy: false });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!(await statusSeen()).some((t) => t.includes('placing quickly')), 'a short busy spell is never shown');
    await postToWebview(page, { type: 'busy', busy: true, message: 'placing slowly…' });
    await page.waitForFunction(() => document.getElementById('status')!.textContent.includes('placing slowly'));
    await postToWebview(page, { type: 'busy', busy: false });
    await page.waitForFunction(() => !document.getElementById('status')!.textContent.includes('placing slowly'));

    // Buttons map to their messages.
    await page.locator('#ctl-save-limits').click();
    await page.locator('#ctl-open-browser').click();
    await page.locator('#dag [data-node-id]').first().click();
    await waitFor(() => ['saveLimits', 'openInBrowser', 'select'].every((t) => fromWebview.some((m) => m.type === t)));
    const save = fromWebview.find((m) => m.type === 'saveLimits') as Extract<WebviewToHostMessage, { type: 'saveLimits' }>;
    assert.deepEqual(save.memoryLimits, [2 * 2 ** 30, 2 ** 30]);
    await page.screenshot({ path: screenshotPath('webview-squeezenet') });
    assert.deepEqual(invalid, [], 'every webview message passes isWebviewToHostMessage');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
