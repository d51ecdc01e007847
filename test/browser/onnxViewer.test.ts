// Real-export features of the VS Code viewer (issue 11) in Chromium, with the tests as the host:
// the model's free symbolic dims listed with the loader's warning and set from the viewer (the host
// re-loads with them), the shape plumbing folded into an op shown in its details and found by search,
// an If/Loop op expanded in place to show its bodies' ops (read-only: the op is placed as one).
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
import { encodePlan } from '../../webview/planWire';
import { REPORT_THEME_CSS } from '../../webview/styles';
import { REPO } from '../helpers/paths';
import { floatTensor, intTensor, modelBytes, node, valueInfo } from '../onnx/build';
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
  await postToWebview(page, {
    type: 'plan',
    requestId: req.requestId,
    plan: encodePlan(await placeGraph(graph, req.options), graph),
    options: req.options,
    graph,
  });
  return graph;
}

describe('viewer: symbolic dims and absorbed shape plumbing of a real ONNX export (Chromium)', function () {
  this.timeout(120_000);
  const web = useWebviewPage('tiny_gpt_op17');

  async function open(graph: OpGraph, modelDims: boolean, file = 'tiny_gpt_op17.onnx'): Promise<FakeWebview> {
    const view = await openFakeWebview(web.browser(), web.url());
    const plan = await placeGraph(graph, OPTIONS);
    await initWebview(view.page, {
      graph,
      plan,
      options: OPTIONS,
      presets: ['pcie4'],
      file,
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
    assert.match(
      warning,
      /counted at seq = 1 \(70\.40 kFLOP, .*\); 100% of those FLOPs and 100% of those bytes grow with them/,
      'the cost at seq = 1 and the share that grows',
    );
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
    // Persisted with the view (setState), so a restored view re-loads with them.
    await waitFor(() => JSON.stringify((view.saves.at(-1) as { dims?: string[] } | undefined)?.dims) === '["seq=16"]', 'the dims in the saved state');
    assert.equal(graph.nodes.length, 67);
    await page.waitForFunction(() => document.body.dataset.planVersion === '1');
    await page.waitForFunction(() => getComputedStyle(document.getElementById('dims-warning')!).display === 'none');
    assert.equal(await page.locator('#ctl-dim-0').evaluate((f) => (f as HTMLElement & { value: string }).value), '16');
    await page.waitForFunction(() => document.querySelectorAll('#dag [data-node-id]').length === 67, undefined, { timeout: 30_000 });

    // A later change of a placement knob keeps sending the dims (the host keys the model by them).
    await page.locator('#mem-all input').fill('2GiB');
    await page.locator('#mem-all input').press('Enter');
    await waitFor(() => view.received.filter((m) => m.type === 'replace').length === 2);
    assert.deepEqual(view.received.filter((m) => m.type === 'replace')[1].dims, ['seq=16']);
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

  it('If and Loop ops: "▸ body" expands the op in place into its branches\' ops, in the op\'s colour; a body op selects the op; search finds body ops', async () => {
    const BOOL = 9;
    const then = {
      name: 'then',
      node: [node('MatMul', ['x', 'w1'], ['t1'], {}, 'then_mm'), node('Relu', ['t1'], ['t'], {}, 'then_relu')],
      output: [valueInfo('t', null)],
    };
    const otherwise = { name: 'else', node: [node('MatMul', ['x', 'w1'], ['e'], {}, 'else_mm')], output: [valueInfo('e', null)] };
    const body = {
      name: 'body',
      input: [valueInfo('iter', [], 7), valueInfo('c', [], BOOL), valueInfo('h', null)],
      node: [node('Identity', ['c'], ['c2'], {}, 'keep'), node('MatMul', ['h', 'w2'], ['h2'], {}, 'step_mm'), node('Tanh', ['h2'], ['h3'], {}, 'step_tanh')],
      output: [valueInfo('c2', [], BOOL), valueInfo('h3', null)],
    };
    const bytes = modelBytes({
      inputs: [valueInfo('x', [1, 8]), valueInfo('cond', [], BOOL)],
      initializers: [
        floatTensor('w1', [8, 8]),
        floatTensor('w2', [8, 8]),
        intTensor('four', [4], []),
        { name: 'yes', dims: [], data_type: BOOL, int32_data: [1] },
      ],
      nodes: [
        node('Relu', ['x'], ['x0'], {}, 'pre'),
        node('If', ['cond'], ['y'], { then_branch: then, else_branch: otherwise }, 'gate'),
        node('Loop', ['four', 'yes', 'y'], ['z'], { body }, 'rnn'),
        node('Softmax', ['z'], ['out'], {}, 'post'),
      ],
    });
    const graph = prepareGraph(bytes, 'flow.onnx', {});
    const gate = graph.nodes.find((n) => n.id === 'gate')!;
    assert.equal(gate.body!.countedBranch, 0, 'then (MatMul + Relu) is the larger branch');
    const view = await open(graph, true, 'flow.onnx');
    const { page } = view;
    const plan = (await page.evaluate(() => window.opplaceViewer!.state().plan))!;
    const deviceOf = (id: string) => plan.schedule.find((x) => x.node === id)!.device;
    assert.equal(await page.locator('#dag g[data-node-id="gate"] text.body-toggle').textContent(), '▸ body (3)');
    assert.equal(await page.locator('#dag g[data-node-id="rnn"] text.body-toggle').textContent(), '▸ body (3)');
    assert.equal(await page.locator('#dag g[data-node-id="pre"] text.body-toggle').count(), 0);

    // Search finds a body op by name: the If op that holds it is the match.
    await page.locator('#search input').fill('else_mm');
    await page.locator('#search input').press('Enter');
    await page.waitForSelector('#dag g.item.match-current[data-node-id="gate"]');
    await applyTheme(page, 'dark');
    await page.screenshot({ path: screenshotPath('onnx-bodies-collapsed-dark') });

    // Expand the If: a frame per branch, the counted one named, ops in the If's colour; nothing new is placed.
    const layouts = await page.evaluate(() => window.opplaceViewer!.state().layouts);
    await page.locator('#dag g[data-node-id="gate"] text.body-toggle').click();
    await page.waitForFunction((n) => window.opplaceViewer!.state().layouts > n, layouts);
    assert.equal(await page.locator('#dag g[data-node-id="gate"]').count(), 0, 'the op is drawn as its frame now');
    assert.deepEqual(await page.locator('#dag .scope-frame.body-frame text').allTextContents(), ['▾ If gate', '▾ then_branch (counted)', '▾ else_branch']);
    const ops = await page.$$eval('#dag g[data-body-op]', (els) => els.map((e) => [e.querySelector('text.name')!.textContent, e.getAttribute('class')]));
    assert.deepEqual(
      ops.map(([name]) => name),
      ['then_mm', 'then_relu', 'else_mm'],
    );
    for (const [, cls] of ops) assert.match(cls!, new RegExp(`\\bdevice-${deviceOf('gate')}\\b`), "the body runs on the If op's device");
    assert.equal(await page.locator('#dag [data-node-id]').count(), graph.nodes.length - 1, 'every other op still drawn');
    assert.equal(await page.evaluate(() => window.opplaceViewer!.state().plan!.schedule.length), graph.nodes.length, 'still one placed op');
    // The edges into and out of the If now meet its frame.
    const edges = await page.locator('#dag path.edges').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? '').join(''));
    assert.ok(edges.length > 0);

    // Hover a body op: what it is and where it runs; click: the If op is selected, its details list the bodies.
    await page.locator('#dag g[data-body-op]').nth(2).hover();
    await page.waitForFunction(() => /not placed on its own/.test(document.getElementById('tooltip')!.textContent ?? ''));
    assert.match(await page.locator('#tooltip').innerText(), /else_mm[\s\S]*128 FLOP per run[\s\S]*If gate · else_branch/);
    await page.locator('#dag g[data-body-op]').nth(2).click();
    await waitFor(() => view.received.some((m) => m.type === 'select' && m.nodeId === 'gate'), 'select of the If op');
    const details = await page.locator('#details').innerText();
    assert.match(details, /then_branch \(counted\): 2 ops, 136 FLOP/); // MatMul 2·8·8 + Relu 8
    assert.match(details, /else_branch: 1 op, 128 FLOP/);

    // The Loop too: its body ops in its frame, with the trip count.
    await page.locator('#dag g[data-node-id="rnn"] text.body-toggle').click();
    await page.waitForSelector('#dag .scope-frame.body-frame[data-scope-id="body:rnn"]');
    assert.equal(await page.locator('#dag .scope-frame[data-scope-id="body:rnn"] text').textContent(), '▾ Loop rnn · × 4 trips');
    assert.equal(await page.locator('#dag g[data-body-op^="body:rnn/"]').count(), 3);
    await page.locator('#dag g[data-body-op]').first().scrollIntoViewIfNeeded();
    await page.evaluate(() => window.opplaceViewer!.dag.fitWhole());
    await applyTheme(page, 'dark');
    await page.screenshot({ path: screenshotPath('onnx-bodies-dark') });
    await applyTheme(page, 'light');
    await page.screenshot({ path: screenshotPath('onnx-bodies-light') });

    // The frame's title collapses the body again.
    await page.locator('#dag .scope-frame[data-scope-id="body:gate"] text').click();
    await page.waitForSelector('#dag g[data-node-id="gate"]');
    assert.equal(await page.locator('#dag g[data-body-op^="body:gate"]').count(), 0);
    assert.deepEqual(view.problems, []);
    await page.close();
  });
});
