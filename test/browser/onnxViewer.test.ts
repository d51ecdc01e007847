// Real-export features of the VS Code viewer (issue 11) in Chromium, with the tests as the host:
// the model's free symbolic dims listed with the loader's warning and set from the viewer (the host
// re-loads with them), the shape plumbing folded into an op shown in its details and found by search.
// Screenshots in the dark and light themes (the --vscode-* variables a VS Code theme defines).
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { OpGraph } from '../../algorithms/graph';
import { parseModelDims } from '../../algorithms/options';
import { placeGraph } from '../../algorithms/placement/index';
import type { PlacementOptions } from '../../algorithms/plan';
import { prepareGraph } from '../../algorithms/prepare';
import { readModelBytes } from '../../algorithms/loaders/readFile';
import type { WebviewToHostMessage } from '../../webview/protocol';
import { REPORT_THEME_CSS } from '../../webview/styles';
import { REPO } from '../helpers/paths';
import { initWebview, openFakeWebview, paneLayoutProblems, postToWebview, screenshotPath, useWebviewPage, waitFor, type FakeWebview } from './harness';

const GPT = path.join(REPO, 'test', 'fixtures', 'onnx-decoder', 'tiny_gpt_op17.onnx');
const GiB = 2 ** 30;
const OPTIONS: PlacementOptions = { algorithm: 'm-etf', devices: 2, memoryLimits: [GiB, GiB], comm: 'pcie4', grouping: 'none', fuse: false };

type Replace = Extract<WebviewToHostMessage, { type: 'replace' }>;

/** The --vscode-* values of a light or dark theme (those the standalone report defines), set on the page's root. */
async function applyTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  const [light, dark] = REPORT_THEME_CSS.split('@media (prefers-color-scheme: dark)');
  const vars = (css: string) => Object.fromEntries([...css.matchAll(/(--vscode-[\w-]+):\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]));
  const values = { ...vars(light), ...(theme === 'dark' ? vars(dark.split('@media')[0]) : {}) };
  await page.evaluate(
    ({ values, theme }) => {
      for (const [k, v] of Object.entries(values)) document.documentElement.style.setProperty(k, v);
      document.body.classList.remove('vscode-light', 'vscode-dark');
      document.body.classList.add(`vscode-${theme}`);
    },
    { values, theme },
  );
}

/** The host's answer to a replace: the model loaded again with the dims it carries, placed with its options. */
async function answer(page: Page, bytes: Uint8Array, req: Replace): Promise<OpGraph> {
  const graph = prepareGraph(bytes, GPT, { batch: 1, ...parseModelDims({ dims: req.dims }, { dims: 'dims', inputShapes: 'input shapes' }) });
  await postToWebview(page, { type: 'plan', requestId: req.requestId, plan: await placeGraph(graph, req.options), options: req.options, graph });
  return graph;
}

describe('viewer: symbolic dims and absorbed shape plumbing of a real ONNX export (Chromium)', function () {
  this.timeout(120_000);
  const web = useWebviewPage('tiny_gpt_op17');

  async function open(graph: OpGraph, modelDims: boolean): Promise<FakeWebview> {
    const view = await openFakeWebview(web.browser(), web.url());
    const plan = await placeGraph(graph, OPTIONS);
    await initWebview(view.page, {
      graph,
      plan,
      options: OPTIONS,
      presets: ['pcie4'],
      file: 'tiny_gpt_op17.onnx',
      batchSize: 1,
      capabilities: { batchSize: true, modelDims },
    });
    return view;
  }

  it('free seq: a field for it and the loader warning; a value re-loads the model with it (replace.dims), the warning goes', async () => {
    const bytes = readModelBytes(GPT);
    const free = prepareGraph(bytes, GPT, { batch: 1 });
    assert.deepEqual(free.symbolicDims, [{ name: 'seq', inputs: ['input'], value: null }]);
    const view = await open(free, true);
    const { page } = view;
    const field = page.locator('#ctl-dim-0');
    assert.equal(await field.getAttribute('data-dim'), 'seq');
    assert.equal(await page.locator('#model-dims .ctl span').innerText(), 'seq · input');
    assert.equal(await field.evaluate((f) => (f as HTMLElement & { value: string }).value), '', 'free: empty');
    const warning = await page.locator('#dims-warning').innerText();
    assert.match(warning, /symbolic dims left free: "seq" \(input "input"\)/);
    assert.match(warning, /71 of 117 nodes \(61%\) have an output of unknown shape/, 'the share left unknown');
    assert.deepEqual(await paneLayoutProblems(page), [], 'the dims line does not push the panes over each other');
    await applyTheme(page, 'dark');
    await page.screenshot({ path: screenshotPath('onnx-dims-free-dark') });
    await applyTheme(page, 'light');
    await page.screenshot({ path: screenshotPath('onnx-dims-free-light') });

    // Not a size: marked invalid, the CLI's message, nothing sent.
    await page.locator('#ctl-dim-0 input').fill('0');
    await page.locator('#ctl-dim-0 input').press('Enter');
    await page.waitForFunction(() => /seq must be/.test(document.querySelector('#model-dims .invalid-msg')!.textContent ?? ''));
    assert.equal(view.received.filter((m) => m.type === 'replace').length, 0);

    await page.locator('#ctl-dim-0 input').fill('16');
    await page.locator('#ctl-dim-0 input').press('Enter');
    await waitFor(() => view.received.some((m) => m.type === 'replace'), 'the replace with dims');
    const req = view.received.find((m) => m.type === 'replace') as Replace;
    assert.deepEqual(req.dims, ['seq=16']);
    assert.deepEqual(req.options, OPTIONS, 'the placement options are unchanged');
    const graph = await answer(page, bytes, req);
    assert.equal(graph.nodes.length, 67);
    await page.waitForFunction(() => document.body.dataset.planVersion === '1');
    await page.waitForFunction(() => getComputedStyle(document.getElementById('dims-warning')!).display === 'none');
    assert.equal(await page.locator('#ctl-dim-0').evaluate((f) => (f as HTMLElement & { value: string }).value), '16');
    await page.waitForFunction(() => document.querySelectorAll('#dag [data-node-id]').length === 67, undefined, { timeout: 30_000 });

    // A later change of a placement knob keeps sending the dims (the host keys the model by them).
    await page.locator('#mem-all input').fill('2GiB');
    await page.locator('#mem-all input').press('Enter');
    await waitFor(() => view.received.filter((m) => m.type === 'replace').length === 2);
    assert.deepEqual((view.received.filter((m) => m.type === 'replace')[1] as Replace).dims, ['seq=16']);
    assert.deepEqual(view.invalid, []);
    assert.deepEqual(view.problems, []);
    await page.close();
  });

  it('a host that cannot re-load (the report) shows no dims line; a model without symbolic dims neither', async () => {
    const free = prepareGraph(readModelBytes(GPT), GPT, { batch: 1 });
    const view = await open(free, false);
    assert.equal(await view.page.locator('#model-dims').count(), 0);
    await view.page.close();
    const fixed = prepareGraph(readModelBytes(GPT), GPT, { batch: 1, dims: { seq: 8 } });
    const v2 = await open({ ...fixed, symbolicDims: undefined }, true);
    assert.equal(await v2.page.locator('#model-dims').evaluate((e) => getComputedStyle(e).display), 'none');
    await v2.page.close();
  });

  it('shape plumbing folded into an op: "absorbed: …" in its details; search by an absorbed name selects its consumer', async () => {
    const graph = prepareGraph(readModelBytes(GPT), GPT, { batch: 1, dims: { seq: 16 } });
    const view = await open(graph, true);
    const { page } = view;
    await page.locator('#search input').fill('/shape_1');
    await page.locator('#search input').press('Enter');
    await page.waitForSelector('#dag g.item.match-current');
    // Every op that absorbed a node named …/Shape_1… (none of the placed ops has that name itself).
    const hits = graph.nodes.filter((n) => n.foldedNodes?.some((f) => f.toLowerCase().includes('/shape_1')));
    assert.ok(hits.length > 1 && !graph.nodes.some((n) => n.name.toLowerCase().includes('/shape_1')));
    assert.equal(await page.locator('#search-count').innerText(), `1 of ${hits.length}`);
    assert.equal(await page.locator('#dag g.item.match').count(), hits.length);
    assert.equal(await page.locator('#dag g.item.match-current').getAttribute('data-node-id'), hits[0].id);
    await page.locator('#dag g.item.match-current').click();
    await page.waitForFunction(() => /absorbed/.test(document.getElementById('details')!.textContent ?? ''));
    const absorbed = await page.locator('#details span.absorbed').innerText();
    assert.equal(absorbed, hits[0].foldedNodes!.join(', '));
    await page.locator('#details span.absorbed').scrollIntoViewIfNeeded();
    await applyTheme(page, 'dark');
    await page.screenshot({ path: screenshotPath('onnx-absorbed-dark') });
    assert.deepEqual(view.problems, []);
    await page.close();
  });
});
