// End-to-end: the built extension in a real VS Code (code-server 4.100.3) driven through Chromium.
// Needs `npm run build` and scripts/install-code-server.sh; fails (never skips) without them.
// Screenshots go to test-artifacts/e2e/ (CI keeps them).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { REPO, dataPath } from '../helpers/paths';
import { ALGORITHMS } from '../../algorithms/options';
import { parseMemoryLimits } from '../../algorithms/units';
import { paneLayoutProblems } from '../browser/harness';
import {
  Session,
  closeAllEditors,
  explorerMenu,
  runCommand,
  saveLogAndClose,
  screenshot,
  screenshotIfFailed,
  startSession,
  waitFor,
  waitForNotification,
  webviewFrame,
} from './harness';

const MODEL = 'light_squeezenet.onnx';
const OPGRAPH = 'two-branch.opgraph.json';
/** A dnn-partitioning graph and a JSON file that is no model: the menu entry shows on the first only. */
const DNN_JSON = 'resnet50_inference.json';
const PLAIN_JSON = 'build-config.json';
const MiB = 2 ** 20;

/** What the viewer shows: device of every drawn op, and each memory bar's peak and limit. */
interface ViewerSnapshot {
  /** Every op drawn (data-node-id), placed or not. */
  drawn: string[];
  deviceOf: Record<string, number>;
  bars: { device: number; peak: number; limit: number }[];
}

async function snapshot(frame: Frame): Promise<ViewerSnapshot> {
  return frame.evaluate(() => {
    const deviceOf: Record<string, number> = {};
    const drawn = Array.from(document.querySelectorAll('[data-node-id]')).map((el) => el.getAttribute('data-node-id')!);
    for (const el of Array.from(document.querySelectorAll('[data-node-id]'))) {
      const m = /(?:^|\s)device-(\d+)(?:\s|$)/.exec(el.getAttribute('class') ?? '');
      if (m) deviceOf[el.getAttribute('data-node-id')!] = Number(m[1]);
    }
    const bars = Array.from(document.querySelectorAll('#memory .mem-bar')).map((b) => ({
      device: Number(b.getAttribute('data-device')),
      peak: Number(b.getAttribute('data-peak-bytes')),
      limit: Number(b.getAttribute('data-limit-bytes')),
    }));
    return { drawn, deviceOf, bars };
  });
}

/** The placement viewer once it has drawn a plan (ops coloured by device). */
async function placedViewer(page: Page, fileName?: string): Promise<Frame> {
  const frame = await webviewFrame(page, 'body[data-ready="true"] #memory .mem-bar', 90_000, fileName);
  await waitFor(
    'ops coloured by device',
    () => snapshot(frame),
    (s) => Object.keys(s.deviceOf).length > 0,
  );
  return frame;
}

type Transform = { k: number; x: number; y: number };

/** The DAG's zoom/pan transform. */
function dagTransform(frame: Frame): Promise<Transform> {
  return frame.evaluate(() => window.opplaceViewer!.dag.transform());
}

function assertSameTransform(actual: Transform, expected: Transform, what: string): void {
  for (const k of ['k', 'x', 'y'] as const) assert.ok(Math.abs(actual[k] - expected[k]) < 1e-6, `${what}: ${k} ${actual[k]} vs ${expected[k]}`);
}

/** Collapsed group boxes drawn in the DAG. */
function drawnGroups(frame: Frame): Promise<string[]> {
  return frame.$$eval('#dag [data-group-id]', (els) => els.map((e) => e.getAttribute('data-group-id')!).sort());
}

/** Picks a value in one of the viewer's drop-downs (a vscode-single-select) like a user. */
async function choose(frame: Frame, selectId: string, value: string): Promise<void> {
  await frame.locator(`#${selectId}`).click();
  await frame.locator(`#${selectId}`).getByRole('option', { name: value, exact: true }).click();
}

/** Types a size into a viewer memory field (a vscode-textfield) and commits it like a user. */
async function setLimit(frame: Frame, fieldId: string, text: string): Promise<void> {
  const input = frame.locator(`#${fieldId} input`);
  await input.click();
  await input.fill(text);
  await input.press('Enter');
  await input.press('Tab');
}

describe('opplace in VS Code (code-server + Chromium)', function () {
  this.timeout(120_000);
  let session: Session;
  let page: Page;

  before(async () => {
    fs.rmSync(path.join(REPO, 'test-artifacts', 'e2e'), { recursive: true, force: true });
    session = await startSession({
      files: {
        [MODEL]: dataPath('onnx-light', MODEL),
        [OPGRAPH]: path.join(REPO, 'test', 'e2e', 'fixtures', OPGRAPH),
        [DNN_JSON]: dataPath('dnn-partitioning', 'latency-inputs', 'LayerGraphs', 'resnet50_inference.json'),
        [PLAIN_JSON]: path.join(REPO, 'tsconfig.json'),
      },
      workspaceSettings: { 'opplace.devices': 2, 'opplace.devicePreset': 'h100-sxm', 'opplace.algorithm': 'm-etf' },
    });
    page = session.page;
  });

  after(() => saveLogAndClose(session, 'code-server.log'));

  afterEach(function () {
    return screenshotIfFailed(this.currentTest, page, '', 60);
  });

  it('right-click an onnx-light model → "Place on Devices…" → the DAG coloured by device and one memory bar per device', async () => {
    await explorerMenu(page, MODEL, 'Place on Devices…');
    const frame = await placedViewer(page);
    const s = await snapshot(frame);
    const used = new Set(Object.values(s.deviceOf));
    assert.deepEqual([...used].sort(), [0, 1], 'm-ETF spreads SqueezeNet over both devices');
    assert.deepEqual(
      s.bars.map((b) => b.device),
      [0, 1],
      'one memory bar per device',
    );
    assert.ok(
      s.bars.every((b) => b.peak > 0 && b.limit === 80e9),
      JSON.stringify(s.bars),
    );
    // The two devices are drawn in different colours.
    const fills = await frame.evaluate(() => [0, 1].map((d) => getComputedStyle(document.querySelector(`[data-node-id].device-${d} rect`)!).fill));
    assert.notEqual(fills[0], fills[1]);
    // At 1500×950 the panes share the space: the timeline covers neither the DAG nor its legend.
    assert.deepEqual(await paneLayoutProblems(frame), []);
    const tab = page.locator('.tab', { hasText: `Placement: ${MODEL}` });
    assert.equal(await tab.count(), 1);
    await screenshot(page, '1-place-squeezenet');
    // The viewer's editor-title "Re-place" action places again (the viewer receives a new plan).
    const version = async () => Number(await frame.evaluate(() => document.body.dataset.planVersion ?? '0'));
    const before = await version();
    await page.locator('.editor-actions .action-label[aria-label*="Re-place"]').first().click();
    await waitFor('a new plan after Re-place', version, (v) => v > before);
  });

  it('the viewer re-places with every algorithm (the LP placers m-SCT and refine included)', async () => {
    const frame = await placedViewer(page);
    const state = () =>
      frame.evaluate(() => ({
        algorithm: window.opplaceViewer!.state().plan?.algorithm,
        error: window.opplaceViewer!.state().error,
        version: document.body.dataset.planVersion ?? '0',
      }));
    // Every algorithm, the workspace's m-etf last so the tests after this one start from it.
    const order = [...ALGORITHMS.filter((a) => a !== 'm-etf'), 'm-etf'];
    for (const algorithm of order) {
      const before = await state();
      await choose(frame, 'ctl-algorithm', algorithm);
      const after = await waitFor(`a ${algorithm} plan`, state, (s) => s.version !== before.version || s.error !== null, 60_000);
      assert.equal(after.error, null, `${algorithm}: ${after.error}`);
      assert.equal(after.algorithm, algorithm);
      assert.match(await frame.locator('#header').innerText(), new RegExp(`algorithm\\s*${algorithm}`));
    }
  });

  it('"Place on Devices…" is in the context menu of a graph .json and not of any other .json', async () => {
    // The graph's entry shows once the start-up scan has sniffed the file (explorerMenu retries).
    const menuOf = async (file: string): Promise<string[]> => {
      await page.locator('.explorer-item', { hasText: file }).first().click({ button: 'right' });
      await page.locator('.context-view .action-label, .monaco-menu .action-label').first().waitFor({ state: 'visible' });
      const labels = await page.locator('.context-view .action-label, .monaco-menu .action-label').allInnerTexts();
      await page.keyboard.press('Escape');
      return labels;
    };
    const graphMenu = await waitFor(
      `"Place on Devices…" on ${DNN_JSON}`,
      () => menuOf(DNN_JSON),
      (l) => l.includes('Place on Devices…'),
    );
    assert.ok(graphMenu.includes('Place on Devices…'));
    const plainMenu = await menuOf(PLAIN_JSON);
    assert.ok(plainMenu.length > 3, `a real context menu: ${plainMenu.join(' | ')}`);
    assert.ok(!plainMenu.includes('Place on Devices…'), `${PLAIN_JSON}: ${plainMenu.join(' | ')}`);
  });

  it('changing a memory limit in the viewer re-places (bars and colours update) and "Save limits" writes the workspace settings', async () => {
    const frame = await placedViewer(page);
    const before = await snapshot(frame);
    const limit = Math.floor(before.bars[0].peak * 0.6);
    const limitText = `${Math.floor(limit / 1024)}KiB`;
    const newLimit = Math.floor(limit / 1024) * 1024;
    await setLimit(frame, 'mem-0', limitText);
    const after = await waitFor(
      'the re-placed plan',
      () => snapshot(frame),
      (s) => s.bars[0]?.limit === newLimit,
    );
    assert.ok(after.bars[0].peak <= newLimit, `GPU 0 peak ${after.bars[0].peak} fits its new limit ${newLimit}`);
    assert.notEqual(after.bars[0].peak, before.bars[0].peak);
    const moved = Object.keys(after.deviceOf).filter((id) => after.deviceOf[id] !== before.deviceOf[id]);
    assert.ok(moved.length > 0, 'some ops changed device');
    assert.ok(moved.every((id) => after.deviceOf[id] === 1 || before.deviceOf[id] === 1));
    await screenshot(page, '2-limit-changed');

    await frame.locator('#ctl-save-limits').click();
    const settingsFile = path.join(session.workspace, '.vscode', 'settings.json');
    const saved = await waitFor(
      'saved limits',
      async () => JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>,
      (j) => typeof j['opplace.memoryLimits'] === 'string',
    );
    assert.deepEqual(parseMemoryLimits(String(saved['opplace.memoryLimits']), 2), [newLimit, 80e9]);
    assert.equal(saved['opplace.devices'], 2);
    await waitForNotification(page, /saved memory limits/);
  });

  it('Compare Algorithms (palette) → a table with one row per algorithm', async () => {
    await runCommand(page, 'opplace: Compare Algorithms');
    const frame = await webviewFrame(page, '#compare-table tbody tr', 60_000);
    const rows = await frame
      .locator('#compare-table tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => ({ algorithm: tr.getAttribute('data-algorithm'), cells: Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '') })),
      );
    assert.deepEqual(
      rows.map((r) => r.algorithm),
      ['m-topo', 'm-etf', 'm-sct', 'refine', 'single', 'sequential'],
    );
    for (const r of rows.slice(0, 4)) assert.equal(r.cells[1], 'feasible', `${r.algorithm}: ${r.cells.join(' | ')}`);
    assert.match(rows[1].cells[2], /^[0-9.]+ (µs|ms|s)$/);
    await screenshot(page, '3-compare');
    await runCommand(page, 'View: Close Editor');
  });

  it("Export Plan… (palette) writes CSV next to the model; the viewer's export control writes the plan JSON", async () => {
    await placedViewer(page);
    await runCommand(page, 'opplace: Export Plan…');
    const csvChoice = page.locator('.quick-input-list .monaco-list-row', { hasText: 'CSV' }).first();
    await csvChoice.waitFor({ state: 'visible', timeout: 15_000 });
    await csvChoice.click();
    // code-server's save dialog is a quick input holding the proposed path; accept it.
    const pathInput = page.locator('.quick-input-widget input');
    await waitFor(
      'the save dialog',
      () => pathInput.inputValue(),
      (v) => v.endsWith('light_squeezenet.plan.csv'),
      15_000,
    );
    await screenshot(page, '3b-export-dialog');
    await pathInput.press('Enter');
    const out = path.join(session.workspace, 'light_squeezenet.plan.csv');
    const csv = await waitFor(
      'the exported CSV',
      async () => fs.readFileSync(out, 'utf8'),
      (t) => t.length > 0,
    );
    const rows = csv.trim().split('\r\n');
    assert.equal(rows[0], 'node,op,device,start_us,end_us,memory_bytes');
    assert.equal(rows.length, 67, 'a header and one row per op of SqueezeNet');
    assert.deepEqual(new Set(rows.slice(1).map((r) => r.split(',')[2])), new Set(['0', '1']));
    await waitForNotification(page, /exported CSV to light_squeezenet\.plan\.csv/);

    // The same from the viewer's export control: the plan as JSON.
    const frame = await placedViewer(page, MODEL);
    await frame.locator('#ctl-export').click();
    await frame.locator('#ctl-export').getByRole('option', { name: 'plan-json', exact: true }).click();
    await waitFor(
      'the save dialog',
      () => pathInput.inputValue(),
      (v) => v.endsWith('light_squeezenet.plan.json'),
      15_000,
    );
    await pathInput.press('Enter');
    const planFile = path.join(session.workspace, 'light_squeezenet.plan.json');
    const plan = await waitFor(
      'the exported plan',
      async () => JSON.parse(fs.readFileSync(planFile, 'utf8')),
      (p) => p.feasible === true,
    );
    assert.equal(plan.schedule.length, 66);
    assert.equal(plan.file, path.join(session.workspace, MODEL));
  });

  it('Open Report in Browser writes the standalone HTML report (browser-hosted VS Code: offers a copy)', async () => {
    await runCommand(page, 'opplace: Open Report in Browser');
    const text = await waitForNotification(page, /report written to \S+\.html/);
    const file = /report written to (\S+\.html)/.exec(text)![1];
    const html = fs.readFileSync(file, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;|default-src 'none'/);
    const init = JSON.parse(/<script type="application\/json" id="opplace-init">([\s\S]*?)<\/script>/.exec(html)![1]);
    assert.equal(init.plan.file, path.join(session.workspace, MODEL));
    assert.equal(init.graph.nodes.length, 66);
    assert.ok(init.plan.feasible);
  });

  it('a too-small limit → a notification naming the op and the minimum memory', async () => {
    const frame = await placedViewer(page);
    await setLimit(frame, 'mem-all', '64KiB');
    const text = await waitForNotification(page, /infeasible: .*op "[^"]+".*smallest uniform memory per device that works: [0-9.]+ [KMG]iB/);
    assert.match(text, new RegExp(`^${MODEL.replace('.', '\\.')} \\(m-etf\\)`));
    await screenshot(page, '4-infeasible');
  });

  it('changing the workspace settings re-places the open viewer', async () => {
    // The viewer still shows the infeasible plan of the previous test.
    const frame = await webviewFrame(page, 'body[data-ready="true"] #memory .mem-bar', 30_000);
    const settingsFile = path.join(session.workspace, '.vscode', 'settings.json');
    const base = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    fs.writeFileSync(settingsFile, JSON.stringify({ ...base, 'opplace.devices': 3, 'opplace.memoryLimits': '1GiB', 'opplace.algorithm': 'm-sct' }, null, 2));
    const three = await waitFor(
      'the plan for 3 devices',
      () => snapshot(frame),
      (x) => x.bars.length === 3 && x.bars.every((b) => b.limit === 2 ** 30),
    );
    assert.ok(Object.keys(three.deviceOf).length > 0);
    assert.match(await frame.locator('#header').innerText(), /algorithm\s*m-sct/);
    assert.equal(await frame.locator('#ctl-devices input').inputValue(), '3');
    await screenshot(page, '4b-settings-changed');
    fs.writeFileSync(settingsFile, JSON.stringify({ ...base, 'opplace.memoryLimits': '1GiB' }, null, 2));
    await waitFor(
      'the plan for 2 devices',
      () => snapshot(frame),
      (x) => x.bars.length === 2 && x.bars.every((b) => b.limit === 2 ** 30),
    );
    assert.match(await frame.locator('#header').innerText(), /algorithm\s*m-etf/);
  });

  it('Open With… → Placement View on a .opgraph.json; after a window reload it and a "Place on Devices…" panel come back with their state', async () => {
    await closeAllEditors(page);
    await explorerMenu(page, OPGRAPH, 'Open With...');
    const choice = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Placement View' }).first();
    await choice.waitFor({ state: 'visible', timeout: 15_000 });
    await choice.click();
    let frame = await placedViewer(page, OPGRAPH);
    const first = await snapshot(frame);
    assert.equal(Object.keys(first.deviceOf).length, 9, 'all 9 ops of the graph are drawn');
    await setLimit(frame, 'mem-0', '200MiB');
    await waitFor(
      'GPU 0 at 200 MiB',
      () => snapshot(frame),
      (s) => s.bars[0]?.limit === 200 * MiB,
    );
    await setLimit(frame, 'mem-1', '100MiB');
    const changed = await waitFor(
      'the plan with GPU 1 at 100 MiB',
      () => snapshot(frame),
      (s) => s.bars[1]?.limit === 100 * MiB && s.bars[0]?.limit === 200 * MiB,
    );
    assert.deepEqual(new Set(Object.values(changed.deviceOf)), new Set([0, 1]), 'both branches run in parallel');
    // The view itself: collapse everything, open the "left" box, zoom and pan.
    await frame.locator('#collapse-all').click();
    await waitFor(
      'the collapsed graph',
      () => drawnGroups(frame),
      (g) => g.length === 2,
    );
    await frame.locator('#dag [data-group-id="group:left"]').click();
    await waitFor(
      'the "left" box expanded',
      () => drawnGroups(frame),
      (g) => g.join() === 'group:right',
    );
    await frame.evaluate(() => window.opplaceViewer!.dag.zoomBy(1.6, 40, -25));
    const opgraphView = await dagTransform(frame);
    assert.ok(Math.abs(opgraphView.k - 1) > 0.05, `zoomed (${opgraphView.k})`);
    await screenshot(page, '5a-opgraph-before-reload');
    // A command-opened panel (restored by the WebviewPanelSerializer) next to it, with its own choices.
    await explorerMenu(page, MODEL, 'Place on Devices…');
    let panel = await placedViewer(page, MODEL);
    await setLimit(panel, 'mem-1', '3GiB');
    await waitFor(
      'the panel plan with GPU 1 at 3 GiB',
      () => snapshot(panel),
      (s) => s.bars[1]?.limit === 3 * 2 ** 30,
    );
    await choose(panel, 'ctl-algorithm', 'm-topo');
    const panelBefore = await waitFor(
      'the panel plan with GPU 1 at 3 GiB by m-TOPO',
      async () => ({ s: await snapshot(panel), header: await panel.locator('#header').innerText() }),
      (x) => x.s.bars[1]?.limit === 3 * 2 ** 30 && /algorithm\s*m-topo/.test(x.header),
    ).then((x) => x.s);
    await panel.evaluate(() => window.opplaceViewer!.dag.zoomBy(0.7, -30, 15));
    const panelView = await dagTransform(panel);
    // The webview saves its state (setState) once changes pause; let that happen before reloading.
    await page.waitForTimeout(1_000);

    const reloaded = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 30_000 });
    await runCommand(page, 'Developer: Reload Window');
    await reloaded;
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    panel = await placedViewer(page, MODEL);
    const panelAfter = await waitFor(
      'the restored panel plan',
      () => snapshot(panel),
      (s) => s.bars.length === 2,
    );
    assert.equal(panelAfter.bars[1].limit, 3 * 2 ** 30, 'the panel kept the limit chosen in it');
    assert.match(await panel.locator('#header').innerText(), /algorithm\s*m-topo/, 'the panel kept the algorithm chosen in it');
    assert.match(await panel.locator('#mem-1 input').inputValue(), /^3(\.0+)? GiB$/);
    assert.deepEqual(panelAfter.deviceOf, panelBefore.deviceOf);
    assertSameTransform(await dagTransform(panel), panelView, "the panel's zoom/pan");
    // The serializer got the webview's own state (setState) and re-opened the file it names.
    await waitFor(
      'the restore in the output channel',
      async () => outputChannelText(session.root),
      (t) => new RegExp(`restoring the viewer of \\S*${MODEL.replace('.', '\\.')} with the options chosen in it \\(from the webview state\\)`).test(t),
      15_000,
    );
    assert.equal(await page.locator('.tab', { hasText: `Placement: ${MODEL}` }).count(), 1);
    await screenshot(page, '5b-panel-after-reload');

    await page.locator('.tab', { hasText: OPGRAPH }).first().click();
    frame = await placedViewer(page, OPGRAPH);
    const restored = await waitFor(
      'the restored plan',
      () => snapshot(frame),
      (s) => s.bars.length === 2,
    );
    assert.equal(restored.bars[1].limit, 100 * MiB, 'the limit chosen in the viewer survived the reload');
    assert.equal(await frame.locator('#mem-1 input').inputValue(), '100 MiB');
    // Same view: the "left" box open, "right" collapsed, the same zoom/pan.
    assert.deepEqual(await drawnGroups(frame), ['group:right'], 'the expanded group survived the reload');
    assert.deepEqual(restored.drawn.sort(), ['concat', 'head', 'input', 'left_fc1', 'left_fc2', 'left_fc3']);
    for (const id of restored.drawn) assert.equal(restored.deviceOf[id], changed.deviceOf[id], `same plan as before the reload (${id})`);
    assertSameTransform(await dagTransform(frame), opgraphView, "the custom editor's zoom/pan");
    await screenshot(page, '5c-opgraph-after-reload');
  });

  it('a model that changes on disk is re-loaded and re-placed, keeping the zoom and the expanded groups', async () => {
    let frame = await placedViewer(page, OPGRAPH);
    assert.ok((await snapshot(frame)).drawn.includes('head'));
    const viewBefore = await dagTransform(frame);
    assert.deepEqual(await drawnGroups(frame), ['group:right']);
    const file = path.join(session.workspace, OPGRAPH);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    // Drop the last op (the head) and its input edge: the viewer must show the new graph.
    doc.nodes = doc.nodes.filter((n: { id: string }) => n.id !== 'head');
    doc.edges = doc.edges.filter((e: { to: string }) => e.to !== 'head');
    fs.writeFileSync(file, JSON.stringify(doc, null, 1));
    const s = await waitFor(
      'the re-loaded graph',
      async () => {
        frame = await webviewFrame(page, 'body[data-ready="true"] #memory .mem-bar', 5_000, OPGRAPH);
        return snapshot(frame);
      },
      (x) => x.drawn.length === 5 && !x.drawn.includes('head') && Object.keys(x.deviceOf).length === 5,
    );
    assert.equal(s.bars.length, 2);
    assert.equal(s.bars[1].limit, 100 * MiB, "the viewer's choices survive the re-load");
    assert.deepEqual(await drawnGroups(frame), ['group:right'], 'the "right" box is still collapsed, "left" still open');
    assertSameTransform(await dagTransform(frame), viewBefore, 'zoom/pan after the re-load');
    await frame.locator('#dag [data-group-id="group:right"]').click();
    const all = await waitFor(
      'the whole new graph',
      () => snapshot(frame),
      (x) => x.drawn.length === 8,
    );
    assert.equal(Object.keys(all.deviceOf).length, 8);
    await screenshot(page, '6-reloaded-from-disk');
  });

  it("a model that does not load → the CLI's error text as a notification and in the panel; fixing the file shows the viewer", async () => {
    await closeAllEditors(page);
    const broken = path.join(session.workspace, 'broken.onnx');
    fs.writeFileSync(broken, 'this is not an onnx model\n');
    // The CLI's words for the same file: `opplace place FILE` prints "opplace place: <message>".
    const cli = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'place', broken], { encoding: 'utf8' });
    assert.equal(cli.status, 2);
    const cliMessage = cli.stderr.trim().replace(/^opplace place: /, '');
    assert.match(cliMessage, /broken\.onnx: /);
    await explorerMenu(page, 'broken.onnx', 'Place on Devices…');
    const shown = await waitForNotification(page, /broken\.onnx: /);
    assert.equal(shown, cliMessage);
    const frame = await webviewFrame(page, '#load-error', 30_000);
    assert.equal(await frame.locator('#load-error').innerText(), cliMessage);
    await screenshot(page, '7a-load-error');
    fs.copyFileSync(dataPath('onnx-light', MODEL), broken);
    const viewer = await placedViewer(page, 'broken.onnx');
    assert.equal((await snapshot(viewer)).drawn.length, 66, 'the repaired file is re-loaded and placed');
    await screenshot(page, '7b-load-error-fixed');
  });

  it('a long job shows a progress notification whose Cancel stops it (Compare Algorithms on a 6,000-op graph)', async () => {
    await closeAllEditors(page);
    fs.writeFileSync(path.join(session.workspace, 'big.opgraph.json'), JSON.stringify(layeredDag(20, 300)));
    await runCommand(page, 'opplace: Compare Algorithms');
    // No viewer is open: the command asks which model.
    const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'big.opgraph.json' }).first();
    await pick.waitFor({ state: 'visible', timeout: 15_000 });
    await pick.click();
    const toast = page.locator('.notification-list-item', { hasText: 'comparing 6 algorithms on big.opgraph.json' }).first();
    await toast.waitFor({ state: 'visible', timeout: 15_000 });
    await screenshot(page, '7-progress');
    const started = Date.now();
    await toast.hover();
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await toast.waitFor({ state: 'hidden', timeout: 5_000 });
    // The uncancelled comparison takes several seconds; after that long no table may appear.
    await page.waitForTimeout(Math.max(0, 6_000 - (Date.now() - started)));
    assert.equal(await page.locator('.tab', { hasText: 'Compare: big.opgraph.json' }).count(), 0, 'the cancelled comparison never shows a table');
    const log = await waitFor(
      'the "opplace" output channel',
      async () => outputChannelText(session.root),
      (t) => /comparing algorithms on big\.opgraph\.json cancelled/.test(t),
      15_000,
    );
    assert.ok(!/Compare algorithms — big\.opgraph\.json/.test(log), 'no comparison finished');
  });
});

/** The "opplace" output channel as VS Code logs it under the session's user-data dir. */
function outputChannelText(root: string): string {
  const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => /opplace\.log$/.test(f));
  return files.map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('\n');
}

/** A deterministic layered DAG (width × depth ops, two inputs each) in the opgraph format. */
function layeredDag(width: number, depth: number): unknown {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const nodes: unknown[] = [];
  const edges: unknown[] = [];
  for (let l = 0; l < depth; l++) {
    for (let w = 0; w < width; w++) {
      const id = `l${l}_${w}`;
      nodes.push({
        id,
        opType: 'Op',
        computeUs: 10 + Math.floor(rnd() * 90),
        persistentBytes: MiB,
        outputs: [{ name: `${id}:0`, bytes: MiB / 4, shape: null }],
      });
      if (l === 0) continue;
      for (const k of new Set([Math.floor(rnd() * width), Math.floor(rnd() * width)]))
        edges.push({ from: `l${l - 1}_${k}`, to: id, tensor: `l${l - 1}_${k}:0`, bytes: MiB / 4 });
    }
  }
  return { format: 'opgraph', version: 1, name: 'layered', nodes, edges };
}
