// The webview keeps its state with VS Code's setState/getState: the model's URI, the options chosen
// in the controls and the view (zoom/pan, expanded groups, critical-path toggle, selection, the
// timeline's height). Here acquireVsCodeApi is a stand-in whose state lives in the test, so a
// "reload" is a new page seeded with what the previous one saved. Also: a plan that carries a new
// graph (the file changed on disk) is laid out in the page, keeping zoom and expanded groups.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { OpGraph } from '../../algorithms/graph';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import { placeGraph } from '../../algorithms/placement/index';
import type { PlacementOptions } from '../../algorithms/plan';
import { buildWebviewHtml, makeNonce } from '../../webview/html';
import { PROTOCOL_VERSION, type InitMessage, type WebviewToHostMessage } from '../../webview/protocol';
import { encodePlan } from '../../webview/planWire';
import { parseViewerState, type PersistedViewerState } from '../../webview/viewState';
import { REPO_ROOT } from './bundles';
import {
  ensureBundles,
  launchChromium,
  openFakeWebview,
  paneLayoutProblems,
  postToWebview,
  screenshotPath,
  serveWebviewPage,
  waitFor,
  type FakeWebview,
} from './harness';

const FIXTURE = path.join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'two-branch.opgraph.json');
const URI = 'file:///workspace/two-branch.opgraph.json';
const GiB = 2 ** 30;

type Replace = Extract<WebviewToHostMessage, { type: 'replace' }>;

describe('viewer state in the webview (setState/getState) in Chromium', function () {
  this.timeout(120_000);
  let browser: Browser;
  let closeServer: (() => void) | undefined;
  let origin = '';
  let html = '';
  let graph: OpGraph;
  const defaults: PlacementOptions = { algorithm: 'm-etf', devices: 2, memoryLimits: [8 * GiB, 8 * GiB], comm: 'pcie4', grouping: 'none', fuse: false };

  before(async () => {
    await ensureBundles();
    browser = await launchChromium();
    const served = await serveWebviewPage(() => html);
    origin = served.origin;
    closeServer = served.close;
    html = buildWebviewHtml({
      cspSource: origin,
      nonce: makeNonce(),
      scriptUri: `${origin}/webview.js`,
      workerUri: `${origin}/layout-worker.js`,
      title: 'two-branch',
    });
    graph = prepareGraphFromFile(FIXTURE);
  });
  after(async () => {
    await browser?.close();
    closeServer?.();
  });

  /** A webview page whose acquireVsCodeApi().getState() starts as `state` (what VS Code restores). */
  const openWebview = (state: unknown): Promise<FakeWebview> => openFakeWebview(browser, `${origin}/index.html`, state);

  async function sendInit(w: FakeWebview, options: PlacementOptions, hostUri = URI): Promise<void> {
    const plan = await placeGraph(graph, options);
    const init: InitMessage = {
      type: 'init',
      protocolVersion: PROTOCOL_VERSION,
      graph,
      plan,
      options,
      presets: ['pcie4', 'nvlink4'],
      file: 'two-branch.opgraph.json',
      hostUri,
      capabilities: { saveLimits: true },
    };
    await postToWebview(w.page, init);
    await w.page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  }

  /** Answers the webview's latest replace like the host does. */
  async function answerReplace(w: FakeWebview, g: OpGraph = graph, withGraph = false): Promise<Replace> {
    const req = [...w.received].reverse().find((m) => m.type === 'replace') as Replace;
    const plan = await placeGraph(g, req.options);
    const version = await w.page.evaluate(() => Number(document.body.dataset.planVersion ?? '0'));
    await postToWebview(w.page, {
      type: 'plan',
      requestId: req.requestId,
      plan: encodePlan(plan, g),
      options: req.options,
      ...(withGraph ? { graph: g } : {}),
    });
    await w.page.waitForFunction((v) => Number(document.body.dataset.planVersion ?? '0') > v, version);
    return req;
  }

  const drawnNodes = (p: Page) => p.$$eval('#dag [data-node-id]', (els) => els.map((e) => e.getAttribute('data-node-id')!).sort());
  const drawnGroups = (p: Page) => p.$$eval('#dag [data-group-id]', (els) => els.map((e) => e.getAttribute('data-group-id')!).sort());
  const transform = (p: Page) => p.evaluate(() => window.opplaceViewer!.dag.transform());
  const timelineHeight = (p: Page) => p.evaluate(() => document.getElementById('timeline-wrap')!.getBoundingClientRect().height);
  const lastSaved = (w: FakeWebview): PersistedViewerState => parseViewerState(w.saves[w.saves.length - 1])!;

  it("saves the file, the chosen options and the view; a reloaded page restores them (the user's options win over the host's)", async () => {
    const first = await openWebview(undefined);
    await sendInit(first, defaults);
    assert.deepEqual(await drawnGroups(first.page), [], 'a small graph opens fully expanded');

    // The user: 3 GiB for every device, collapse all, open the "left" box, hide the critical
    // path, zoom and pan, select an op.
    await first.page.locator('#mem-all input').fill('3GiB');
    await first.page.locator('#mem-all input').press('Enter');
    await waitFor(() => first.received.some((m) => m.type === 'replace'));
    const chosen = (await answerReplace(first)).options;
    assert.deepEqual(chosen.memoryLimits, [3 * GiB, 3 * GiB]);
    await first.page.locator('#collapse-all').click();
    await first.page.waitForFunction(() => document.querySelectorAll('#dag [data-group-id]').length === 2);
    await first.page.locator('#dag [data-group-id="group:left"]').click();
    await first.page.waitForSelector('#dag [data-node-id="left_fc2"]');
    assert.deepEqual(await drawnGroups(first.page), ['group:right']);
    await first.page.locator('#toggle-critical').click();
    await first.page.evaluate(() => window.opplaceViewer!.dag.zoomBy(1.7, 35, -20));
    await first.page.locator('#dag [data-node-id="left_fc2"]').click();
    const view = await transform(first.page);
    // Drag the splitter 120 px up: the timeline grows, the DAG pane shrinks, nothing overlaps.
    assert.deepEqual(await paneLayoutProblems(first.page), []);
    const timelineBefore = await timelineHeight(first.page);
    const bar = (await first.page.locator('#split').boundingBox())!;
    await first.page.mouse.move(bar.x + 200, bar.y + 2);
    await first.page.mouse.down();
    await first.page.mouse.move(bar.x + 200, bar.y - 60, { steps: 4 });
    await first.page.mouse.move(bar.x + 200, bar.y - 118, { steps: 4 });
    await first.page.mouse.up();
    const timelineAfter = await timelineHeight(first.page);
    assert.ok(Math.abs(timelineAfter - timelineBefore - 120) <= 4, `timeline ${timelineBefore} → ${timelineAfter} px`);
    assert.deepEqual(await paneLayoutProblems(first.page), []);
    assert.deepEqual(await transform(first.page), view, 'resizing the pane does not move the graph');
    await waitFor(() => {
      const s = first.saves.length ? parseViewerState(first.saves[first.saves.length - 1]) : null;
      return (
        !!s &&
        s.view?.selected === 'left_fc2' &&
        Math.abs((s.view.transform?.k ?? 0) - view.k) < 1e-9 &&
        s.view.showCritical === false &&
        s.view.timelineHeight === Math.round(timelineAfter)
      );
    });
    const saved = lastSaved(first);
    assert.equal(saved.hostUri, URI);
    assert.equal(saved.file, 'two-branch.opgraph.json');
    assert.deepEqual(saved.options?.memoryLimits, [3 * GiB, 3 * GiB]);
    assert.deepEqual(saved.view?.expanded?.sort(), ['group:', 'group:left']);
    assert.deepEqual(saved.view?.transform, view);
    assert.equal(saved.view?.timelineHeight, Math.round(timelineAfter));
    assert.ok(first.saves.length < 40, `saving is debounced (${first.saves.length} writes)`);
    assert.deepEqual(await first.page.evaluate(() => window.opplaceViewer!.persistedState()), first.saves[first.saves.length - 1]);
    await first.page.screenshot({ path: screenshotPath('webview-state-before-reload') });
    assert.deepEqual(first.problems, []);
    await first.page.close();

    // The reload: VS Code hands the saved state back; the host placed with its defaults.
    const second = await openWebview(first.saves[first.saves.length - 1]);
    await sendInit(second, defaults);
    await waitFor(() => second.received.some((m) => m.type === 'replace'));
    const again = await answerReplace(second);
    assert.deepEqual(again.options.memoryLimits, [3 * GiB, 3 * GiB], 'the options chosen before the reload are asked for again');
    assert.match(await second.page.locator('#mem-0 input').inputValue(), /^3(\.0+)? GiB$/);
    assert.deepEqual(await drawnGroups(second.page), ['group:right'], 'the expanded group is expanded again');
    assert.ok((await drawnNodes(second.page)).includes('left_fc2'));
    const restored = await transform(second.page);
    for (const k of ['k', 'x', 'y'] as const) assert.ok(Math.abs(restored[k] - view[k]) < 1e-6, `zoom/pan ${k}: ${restored[k]} vs ${view[k]}`);
    assert.equal(await second.page.locator('#dag').evaluate((e) => e.classList.contains('show-critical')), false, 'critical path still hidden');
    assert.equal(await second.page.locator('#toggle-critical').evaluate((e) => (e as HTMLElement & { checked: boolean }).checked), false);
    assert.match((await second.page.locator('#dag [data-node-id="left_fc2"]').getAttribute('class')) ?? '', /\bselected\b/);
    assert.match(await second.page.locator('#details').innerText(), /left_fc2/);
    assert.equal(Math.round(await timelineHeight(second.page)), Math.round(timelineAfter), 'the timeline keeps the height it was dragged to');
    assert.deepEqual(await paneLayoutProblems(second.page), []);
    await second.page.screenshot({ path: screenshotPath('webview-state-after-reload') });

    // The file changed on disk: the host sends the new graph with the plan; the viewer lays it out
    // in place, keeping the zoom and the expanded "left" box.
    const smaller = structuredClone(graph);
    smaller.nodes = smaller.nodes.filter((n) => n.id !== 'right_fc3');
    smaller.edges = smaller.edges.filter((e) => e.from !== 'right_fc3' && e.to !== 'right_fc3');
    const plan = await placeGraph(smaller, again.options);
    const version = await second.page.evaluate(() => Number(document.body.dataset.planVersion));
    const layouts = await second.page.evaluate(() => window.opplaceViewer!.state().layouts);
    await postToWebview(second.page, { type: 'plan', plan: encodePlan(plan, smaller), options: again.options, graph: smaller });
    await second.page.waitForFunction(
      ([v, l]) => Number(document.body.dataset.planVersion) > v && window.opplaceViewer!.state().layouts > l,
      [version, layouts],
    );
    await second.page.locator('#dag [data-group-id="group:right"]').click();
    await second.page.waitForSelector('#dag [data-node-id="right_fc2"]');
    assert.deepEqual(await drawnNodes(second.page), smaller.nodes.map((n) => n.id).sort(), 'the new graph is drawn');
    assert.equal(await second.page.evaluate(() => window.opplaceViewer!.state().error), null);
    assert.match((await second.page.locator('#dag [data-node-id="left_fc2"]').getAttribute('class')) ?? '', /\bselected\b/, 'the selection survives');
    assert.deepEqual(second.invalid, []);
    assert.deepEqual(second.problems, []);
    await second.page.close();
  });

  it("ignores state saved for another model and state that is not the viewer's", async () => {
    for (const state of [
      {
        v: 1,
        hostUri: 'file:///workspace/other.onnx',
        options: { ...defaults, memoryLimits: [GiB, GiB] },
        view: { expanded: ['group:'], transform: { k: 3, x: 1, y: 2 } },
      },
      { hello: 'world' },
      'junk',
    ]) {
      const w = await openWebview(state);
      await sendInit(w, defaults);
      await w.page.waitForTimeout(300);
      assert.equal(w.received.filter((m) => m.type === 'replace').length, 0, `no re-place for ${JSON.stringify(state)}`);
      assert.deepEqual(await drawnGroups(w.page), [], 'default expansion');
      assert.notEqual((await transform(w.page)).k, 3);
      await waitFor(() => w.saves.length > 0);
      assert.equal(lastSaved(w).hostUri, URI, 'the page then saves its own state');
      assert.deepEqual(lastSaved(w).options?.memoryLimits, defaults.memoryLimits);
      assert.deepEqual(w.problems, []);
      await w.page.close();
    }
  });
});
