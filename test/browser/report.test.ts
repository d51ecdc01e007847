// The standalone report in real Chromium (file://, strict CSP, layout in a blob: worker):
// DAG elements per visible node with the plan's device classes, critical path marked, memory bars
// equal to the plan's peaks, re-placing from the memory-limit controls, no page errors.
import { strict as assert } from 'node:assert';
import type { Browser, Page } from 'playwright-core';
import type { OpGraph } from '../../algorithms/graph';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Plan, PlacementOptions } from '../../algorithms/plan';
import { ALGORITHMS } from '../../algorithms/options';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import { placeGraph } from '../../algorithms/placement/index';
import { generateDnnDag } from '../helpers/generateDag';
import { dataPath, REPO } from '../helpers/paths';
import { ARTIFACTS, collectProblems, ensureBundles, launchChromium, openReport, screenshotPath, writeReport } from './harness';

const GiB = 2 ** 30;

interface Case {
  name: string;
  file: string;
  options: PlacementOptions;
}

const CASES: Case[] = [
  {
    name: 'onnx-resnet50',
    file: dataPath('onnx-light', 'light_resnet50.onnx'),
    options: { algorithm: 'm-etf', devices: 4, memoryLimits: [16 * GiB, 16 * GiB, 16 * GiB, 16 * GiB], comm: 'pcie4', grouping: 'none', fuse: false },
  },
  {
    name: 'dnn-resnet50-training',
    file: dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'resnet50_training.json'),
    options: { algorithm: 'm-topo', devices: 4, memoryLimits: [20 * GiB, 20 * GiB, 20 * GiB, 20 * GiB], comm: 'baechi', grouping: 'none', fuse: false },
  },
];

/** What the page shows, read from the DOM only. */
async function domState(page: Page) {
  return page.evaluate(() => {
    const nodes = [...document.querySelectorAll('#dag [data-node-id]')].map((e) => ({
      id: e.getAttribute('data-node-id')!,
      device: /(?:^| )device-(\d+)(?: |$)/.exec(e.getAttribute('class') ?? '')?.[1] ?? null,
      critical: (e.getAttribute('class') ?? '').split(' ').includes('critical'),
    }));
    const bars = [...document.querySelectorAll('#memory .mem-bar')].map((e) => ({
      device: Number(e.getAttribute('data-device')),
      peak: Number(e.getAttribute('data-peak-bytes')),
      over: (e.getAttribute('class') ?? '').includes(' over'),
    }));
    return { nodes, bars, planVersion: document.body.dataset.planVersion ?? '0' };
  });
}

function deviceOfPlan(plan: Plan): Map<string, number> {
  return new Map(plan.schedule.map((s) => [s.node, s.device]));
}

function assertDomMatchesPlan(dom: Awaited<ReturnType<typeof domState>>, graph: OpGraph, plan: Plan, where: string): void {
  // One element per visible node; these graphs are small enough to open fully expanded.
  assert.equal(dom.nodes.length, graph.nodes.length, `${where}: one DAG element per node`);
  assert.equal(new Set(dom.nodes.map((n) => n.id)).size, dom.nodes.length, `${where}: node ids unique`);
  const dev = deviceOfPlan(plan);
  for (const n of dom.nodes) {
    const expected = dev.get(n.id);
    assert.equal(n.device === null ? undefined : Number(n.device), expected, `${where}: device class of ${n.id}`);
  }
  const crit = new Set(plan.criticalPath);
  const marked = dom.nodes
    .filter((n) => n.critical)
    .map((n) => n.id)
    .sort();
  assert.deepEqual(marked, [...crit].sort(), `${where}: critical-path elements`);
  assert.equal(dom.bars.length, plan.devices.length, `${where}: one memory bar per device`);
  for (const b of dom.bars) {
    const d = plan.devices[b.device];
    assert.equal(b.peak, d.peakBytes, `${where}: memory bar of GPU ${b.device}`);
    assert.equal(b.over, d.peakBytes > d.memoryLimitBytes, `${where}: over-limit marking of GPU ${b.device}`);
  }
}

/**
 * What is wrong with where the DAG's items are drawn, from the DOM alone (none: an empty list).
 * Items carry absolute coordinates on their children (no `transform` inside the scene: a
 * transformed <g> per item made every zoom frame re-layerize thousands of paint chunks), so a
 * moved item must have moved all its parts: texts and mix-bar segments inside its rect, and no
 * two items' rects overlapping.
 */
async function itemGeometryProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const transformed = document.querySelectorAll('#dag svg.scene [transform]').length;
    if (transformed) problems.push(`${transformed} elements inside the scene have a transform attribute`);
    // No named helper functions in here: tsx would wrap them in a `__name` call the page lacks.
    const rects: { id: string; x: number; y: number; w: number; h: number }[] = [];
    for (const g of document.querySelectorAll('#dag g.item')) {
      const id = g.getAttribute('data-node-id') ?? g.getAttribute('data-group-id')!;
      const r = g.querySelector(':scope > rect')!;
      const box = {
        id,
        x: Number(r.getAttribute('x')),
        y: Number(r.getAttribute('y')),
        w: Number(r.getAttribute('width')),
        h: Number(r.getAttribute('height')),
      };
      rects.push(box);
      for (const part of g.querySelectorAll('text, g.mix rect')) {
        const x = Number(part.getAttribute('x'));
        const y = Number(part.getAttribute('y'));
        if (x < box.x || x > box.x + box.w || y < box.y || y > box.y + box.h)
          problems.push(`${id}: a ${part.tagName} at (${x}, ${y}) outside its box (${box.x}, ${box.y}, ${box.w}×${box.h})`);
      }
    }
    rects.sort((a, b) => a.x - b.x);
    for (let i = 0; i < rects.length; i++) {
      const a = rects[i];
      for (let j = i + 1; j < rects.length && rects[j].x < a.x + a.w; j++) {
        const b = rects[j];
        if (b.y < a.y + a.h && a.y < b.y + b.h) problems.push(`${a.id} and ${b.id} overlap`);
      }
    }
    return problems.slice(0, 10);
  });
}

describe('viewer report in Chromium', function () {
  this.timeout(120_000);
  let browser: Browser;

  before(async () => {
    await ensureBundles();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  for (const c of CASES) {
    it(`${c.name}: DAG, critical path, memory bars and re-placing from the controls`, async () => {
      const graph = prepareGraphFromFile(c.file);
      const plan = await placeGraph(graph, c.options);
      assert.ok(plan.feasible, 'the starting plan is feasible');
      assert.ok(plan.criticalPath.length > 0);
      const report = writeReport(c.name, graph, plan, c.options);

      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const problems = collectProblems(page);
      await openReport(page, report);
      // The header names the model as the page title does, by its base name; the path is the tooltip.
      const modelFile = graph.source!.file!;
      assert.ok(path.isAbsolute(modelFile), 'the fixture names its model by an absolute path');
      const h1 = await page.locator('#header h1').evaluate((e) => ({ text: e.textContent, tooltip: e.getAttribute('title') }));
      assert.deepEqual(h1, { text: path.basename(modelFile), tooltip: modelFile });
      assert.equal(await page.title(), `opplace — ${path.basename(modelFile)}`);
      // Every op is either drawn or inside a collapsed box; then open everything for the checks.
      const covered = await page.evaluate(
        () =>
          document.querySelectorAll('#dag [data-node-id]').length +
          [...document.querySelectorAll('#dag g.item.group')].reduce((s, g) => s + Number(g.getAttribute('data-members')), 0),
      );
      assert.equal(covered, graph.nodes.length, 'drawn ops + ops in boxes = all ops');
      await page.evaluate(() => window.opplaceViewer!.expandAll());
      const before = await domState(page);
      assertDomMatchesPlan(before, graph, plan, 'initial');
      const edgesDrawn = await page.evaluate(
        () =>
          (document.querySelector('#dag path.edges.same')?.getAttribute('d') ?? '').length +
          (document.querySelector('#dag path.edges.cross')?.getAttribute('d') ?? '').length,
      );
      assert.ok(edgesDrawn > 0, 'edges are drawn');
      assert.equal(await page.evaluate(() => window.opplaceViewer!.state().layoutMode), 'worker', 'layout ran in the blob: worker');
      await page.screenshot({ path: screenshotPath(`${c.name}-initial`) });

      // Timeline → DAG: hovering an op's bar in GPU 0's compute lane highlights that op in the DAG.
      const op = [...plan.schedule].filter((s) => s.device === 0).sort((a, b) => b.endUs - b.startUs - (a.endUs - a.startUs))[0];
      const box = (await page.locator('#timeline').boundingBox())!;
      const x = box.x + 70 + ((op.startUs + op.endUs) / 2 / plan.makespanUs) * (box.width - 70 - 8);
      await page.mouse.move(x, box.y + 6 + 8);
      await page.waitForSelector('#dag g.item.hover');
      assert.equal(await page.locator('#dag g.item.hover').getAttribute('data-node-id'), op.node, 'timeline hover highlights the op in the DAG');
      await page.mouse.move(5, 5);

      // Critical-path toggle: the marking is visual (CSS), the class stays for the data.
      await page.locator('#toggle-critical').click();
      assert.equal(await page.locator('#dag path.edges.critical').getAttribute('d'), '', 'critical edges hidden when toggled off');
      await page.locator('#toggle-critical').click();
      assert.notEqual(await page.locator('#dag path.edges.critical').getAttribute('d'), '', 'critical edges back');

      // Tighten GPU 0 to half its peak: the page re-places with the engine and recolours.
      const newLimit = Math.floor(plan.devices[0].peakBytes / 2);
      const field = page.locator('#mem-0 input');
      await field.fill(String(newLimit));
      await field.press('Enter');
      await page.waitForFunction((v) => (document.body.dataset.planVersion ?? '0') !== v, before.planVersion, { timeout: 60_000 });
      const after = await domState(page);
      const expected = await placeGraph(graph, { ...c.options, memoryLimits: [newLimit, ...c.options.memoryLimits.slice(1)] });
      const pagePlan = (await page.evaluate(() => window.opplaceViewer!.state().plan)) as Plan;
      assert.deepEqual(pagePlan.schedule, expected.schedule, 'the page placed exactly as the engine does in Node');
      assert.equal(pagePlan.options?.memoryLimits[0], newLimit);
      if (expected.feasible) {
        assertDomMatchesPlan(after, graph, expected, 'after re-place');
        assert.ok(expected.devices[0].peakBytes <= newLimit, 'GPU 0 respects its new limit');
        const onGpu0 = (dom: typeof before) => dom.nodes.filter((n) => n.device === '0').length;
        assert.notEqual(onGpu0(after), onGpu0(before), 'colours changed: GPU 0 holds a different number of ops');
        assert.notEqual(after.bars[0].peak, before.bars[0].peak, 'GPU 0 bar changed');
      } else {
        // Infeasible: only what the placer had placed before it stopped is coloured.
        const placed = new Map((expected.placedBeforeFailure ?? []).map((p) => [p.node, p.device]));
        assert.ok(
          after.nodes.every((n) => (n.device === null ? !placed.has(n.id) : placed.get(n.id) === Number(n.device))),
          'infeasible: the ops placed before the failure, on their devices',
        );
        assert.match(await page.locator('#header').innerText(), /infeasible/);
      }
      const layoutsBefore = 2; // the first layout and expandAll
      assert.equal(await page.evaluate(() => window.opplaceViewer!.state().layouts), layoutsBefore, 're-placing did not re-run layout');
      await page.screenshot({ path: screenshotPath(`${c.name}-replaced`) });
      // Dark and forced-colours (high contrast) themes: screenshots to look at.
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.screenshot({ path: screenshotPath(`${c.name}-dark`) });
      await page.emulateMedia({ colorScheme: 'dark', forcedColors: 'active' });
      await page.screenshot({ path: screenshotPath(`${c.name}-forced-colors`) });
      await page.emulateMedia({ colorScheme: 'light', forcedColors: 'none' });

      // m-SCT in the page: HiGHS (inlined wasm) solves the LP under the report's strict CSP.
      if (c.name.startsWith('onnx')) {
        const v = await page.evaluate(() => document.body.dataset.planVersion ?? '0');
        await page.locator('#ctl-algorithm').click();
        await page.locator('#ctl-algorithm li', { hasText: 'm-sct' }).click();
        await page.waitForFunction((x) => (document.body.dataset.planVersion ?? '0') !== x, v, { timeout: 60_000 });
        const sct = (await page.evaluate(() => window.opplaceViewer!.state().plan)) as Plan;
        assert.equal(sct.algorithm, 'm-sct');
        const sctNode = await placeGraph(graph, { ...c.options, algorithm: 'm-sct', memoryLimits: [newLimit, ...c.options.memoryLimits.slice(1)] });
        assert.deepEqual(sct.schedule, sctNode.schedule, 'm-SCT in the page equals m-SCT in Node');
        assert.match(await page.locator('#header').innerText(), /m-sct/);
      }

      // Search by op type: matches are marked and counted.
      const query = graph.nodes[Math.floor(graph.nodes.length / 2)].opType.toLowerCase();
      await page.locator('#search input').fill(query);
      await page.locator('#search input').press('Enter');
      await page.waitForSelector('#dag g.item.match');
      const hits = graph.nodes.filter((n) => [n.opType, n.name, n.id].some((t) => t.toLowerCase().includes(query))).length;
      assert.equal(await page.locator('#dag g.item.match').count(), Math.min(hits, 200), `search "${query}"`);

      // Hover: tooltip with the op's details; the timeline lane highlights it.
      // The search centred the view on its first hit (in graph order).
      const firstHit = graph.nodes.find((n) => [n.opType, n.name, n.id].some((t) => t.toLowerCase().includes(query)))!;
      const first = page.locator(`#dag [data-node-id="${firstHit.id}"]`);
      await first.hover();
      await page.waitForSelector('#tooltip', { state: 'visible' });
      assert.match(await page.locator('#tooltip').innerText(), /op\s/);

      // Group by colocation group instead of namespace: a new layout, still covering every op.
      const layoutsNow = await page.evaluate(() => window.opplaceViewer!.state().layouts);
      await page.locator('#group-by').click();
      await page.locator('#group-by li', { hasText: 'colocation' }).click();
      await page.waitForFunction((n) => window.opplaceViewer!.state().layouts > n, layoutsNow);
      const coveredAfter = await page.evaluate(
        () =>
          document.querySelectorAll('#dag [data-node-id]').length +
          [...document.querySelectorAll('#dag g.item.group')].reduce((s, g) => s + Number(g.getAttribute('data-members')), 0),
      );
      assert.equal(coveredAfter, graph.nodes.length, 'colocation grouping covers every op');
      await page.screenshot({ path: screenshotPath(`${c.name}-by-colocation`) });
      await page.close();
      assert.deepEqual(problems, [], 'no console errors or page errors');
    });
  }

  it("the README's report (--algorithm refine) re-places offline with every algorithm; the header follows", async function () {
    this.timeout(240_000);
    // Made exactly as the README's first line makes it (the CLI, from the bundled example).
    const example = path.join(REPO, 'examples', 'inceptionv3_training.json');
    mkdirSync(ARTIFACTS, { recursive: true });
    const report = path.join(ARTIFACTS, 'readme-refine.html');
    execFileSync(
      process.execPath,
      [path.join(REPO, 'dist', 'cli.js'), 'place', example, '--devices', '4', '--memory', '16GiB', '--algorithm', 'refine', '--report', report],
      { stdio: 'pipe' },
    );
    const graph = prepareGraphFromFile(example);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems = collectProblems(page);
    await openReport(page, report);
    const start = await page.evaluate(() => window.opplaceViewer!.state().options);
    assert.equal(start.algorithm, 'refine');
    const header = () => page.locator('#header').innerText();
    // A new plan, or an error (then the assertions below say which).
    const replaced = async (v: string) =>
      page.waitForFunction((x) => (document.body.dataset.planVersion ?? '0') !== x || window.opplaceViewer!.state().error !== null, v, { timeout: 120_000 });
    const version = () => page.evaluate(() => document.body.dataset.planVersion ?? '0');
    // First another control with refine still chosen (the LP is needed before any m-SCT run):
    // two devices instead of four, and the header says so (it stayed at 4 when re-placing failed).
    const v0 = await version();
    await page.locator('#ctl-devices input').fill('2');
    await page.locator('#ctl-devices input').press('Enter');
    await replaced(v0);
    const two = await page.evaluate(() => window.opplaceViewer!.state());
    assert.equal(two.error, null, `refine on 2 devices: no error (${two.error})`);
    assert.equal(two.plan!.devices.length, 2);
    assert.equal(two.plan!.algorithm, 'refine');
    assert.match(await header(), /devices\s+2/);
    // Then every algorithm, the report's own last (choosing the current value is no change).
    const order = [...ALGORITHMS.filter((a) => a !== start.algorithm), start.algorithm];
    for (const algorithm of order) {
      const v = await version();
      await page.locator('#ctl-algorithm').click();
      await page.locator('#ctl-algorithm li', { hasText: new RegExp(`^\\s*${algorithm}\\s*$`) }).click();
      await replaced(v);
      const state = await page.evaluate(() => window.opplaceViewer!.state());
      assert.equal(state.error, null, `${algorithm}: no error (${state.error})`);
      const plan = state.plan as Plan;
      assert.equal(plan.algorithm, algorithm);
      const node = await placeGraph(graph, { ...start, devices: 2, memoryLimits: start.memoryLimits.slice(0, 2), algorithm });
      // refine stops on an evaluation budget, not the clock, unless the safety cap hit.
      if (algorithm !== 'refine') assert.deepEqual(plan.schedule, node.schedule, `${algorithm}: the page placed as the engine does in Node`);
      else {
        // refine's plan differed once between the page and Node here under load (load average 17;
        // equal in the other run): what must hold is a plan within the limits, no slower than its start.
        assert.ok(plan.feasible && plan.refine, 'refine placed');
        assert.ok(plan.makespanUs <= plan.refine.startMakespanUs + 1e-6, `refine ${plan.makespanUs} vs its start ${plan.refine.startMakespanUs}`);
        assert.ok(plan.devices.every((d) => d.peakBytes <= d.memoryLimitBytes));
      }
      assert.match(await header(), new RegExp(`algorithm\\s+${algorithm}`), `${algorithm}: header names it`);
    }
    await page.close();
    assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
  });

  it('the 652-op example: Fit shows the whole graph (collapsed into named stages), the overview marks the view, search moves to each match', async function () {
    this.timeout(180_000);
    const graph = prepareGraphFromFile(path.join(REPO, 'examples', 'inceptionv3_training.json'));
    const options: PlacementOptions = {
      algorithm: 'm-etf',
      devices: 4,
      memoryLimits: Array(4).fill(16 * GiB),
      comm: 'baechi',
      grouping: 'colocation',
      fuse: false,
    };
    const report = writeReport('inception-652', graph, await placeGraph(graph, options), options);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems = collectProblems(page);
    await openReport(page, report);
    /** Drawn items whose box is not inside the DAG pane, and how many ops the drawn items cover. */
    const inPane = () =>
      page.evaluate(() => {
        const pane = document.getElementById('dag')!.getBoundingClientRect();
        const outside: string[] = [];
        let covered = 0;
        for (const g of document.querySelectorAll('#dag g.item')) {
          const r = g.querySelector(':scope > rect')!.getBoundingClientRect();
          if (r.left < pane.left - 1 || r.right > pane.right + 1 || r.top < pane.top - 1 || r.bottom > pane.bottom + 1)
            outside.push(g.getAttribute('data-node-id') ?? g.getAttribute('data-group-id')!);
          covered += g.classList.contains('group') ? Number(g.getAttribute('data-members')) : 1;
        }
        return {
          outside,
          covered,
          labels: [...document.querySelectorAll('#dag g.item.group text.label, #dag g.item.group text:first-of-type')].map((e) => e.textContent ?? ''),
        };
      });
    const layouts = await page.evaluate(() => window.opplaceViewer!.state().layouts);
    await page.locator('#fit').click();
    await page.waitForFunction((n) => window.opplaceViewer!.state().layouts > n, layouts, { timeout: 60_000 });
    await page.waitForTimeout(300);
    const fitted = await inPane();
    assert.deepEqual(fitted.outside, [], 'after Fit every drawn item is inside the pane');
    assert.equal(fitted.covered, graph.nodes.length, 'and together they hold every op');
    const k = await page.evaluate(() => window.opplaceViewer!.dag.transform().k);
    assert.ok(k >= 0.3, `readable: scale ${k}`);
    assert.ok(fitted.labels.length > 1 && fitted.labels.every((l) => / … /.test(l) && !/^.?\s*ops \d/.test(l)), fitted.labels.join(' | '));
    // The overview: a canvas whose view rectangle lies inside it.
    const view = (await page.locator('#minimap').getAttribute('data-view'))!.split(',').map(Number);
    assert.equal(view.length, 4);
    await page.screenshot({ path: screenshotPath('inception-652-fit') });

    // Search: the first match is shown and marked; Enter moves to the next one, in the pane.
    const query = 'node15';
    const hits = graph.nodes.filter((n) => [n.opType, n.name, n.id].some((s) => s.toLowerCase().includes(query)));
    assert.ok(hits.length >= 3);
    await page.locator('#search input').fill(query);
    await page.locator('#search input').press('Enter');
    const current = async () => {
      await page.waitForSelector('#dag g.item.match-current');
      await page.waitForTimeout(200);
      return page.evaluate(() => {
        const el = document.querySelector('#dag g.item.match-current')!;
        const r = el.querySelector(':scope > rect')!.getBoundingClientRect();
        const pane = document.getElementById('dag')!.getBoundingClientRect();
        return {
          id: el.getAttribute('data-node-id'),
          inside: r.left >= pane.left && r.right <= pane.right && r.top >= pane.top && r.bottom <= pane.bottom,
          count: document.getElementById('search-count')!.textContent,
        };
      });
    };
    const first = await current();
    assert.equal(first.id, hits[0].id, 'the first match (graph order) is shown');
    assert.ok(first.inside, 'and it is in the pane');
    assert.equal(first.count, `1 of ${hits.length}`);
    await page.locator('#search input').press('Enter');
    await page.waitForFunction((id) => document.querySelector('#dag g.item.match-current')?.getAttribute('data-node-id') !== id, first.id);
    const second = await current();
    assert.equal(second.id, hits[1].id, 'Enter: the next match');
    assert.ok(second.inside);
    assert.equal(second.count, `2 of ${hits.length}`);
    await page.screenshot({ path: screenshotPath('inception-652-search') });
    await page.close();
    assert.deepEqual(problems, []);
  });

  it('an infeasible plan shows the ops placed before the placer stopped and marks the op that did not fit, with the message', async function () {
    this.timeout(120_000);
    const graph = prepareGraphFromFile(path.join(REPO, 'examples', 'inceptionv3_training.json'));
    const options: PlacementOptions = {
      algorithm: 'm-etf',
      devices: 4,
      memoryLimits: Array(4).fill(6 * GiB),
      comm: 'baechi',
      grouping: 'colocation',
      fuse: false,
    };
    const plan = await placeGraph(graph, options);
    assert.equal(plan.feasible, false);
    assert.ok(plan.placedBeforeFailure!.length > 0 && plan.failedNodes!.length > 0, 'the engine says what it placed and what failed');
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems = collectProblems(page);
    await openReport(page, writeReport('inception-infeasible', graph, plan, options));
    await page.evaluate(() => window.opplaceViewer!.expandAll());
    const dom = await domState(page);
    const placed = new Map(plan.placedBeforeFailure!.map((p) => [p.node, p.device]));
    assert.equal(dom.nodes.filter((n) => n.device !== null).length, placed.size, 'every op placed before the failure is coloured, no other');
    for (const n of dom.nodes) if (n.device !== null) assert.equal(Number(n.device), placed.get(n.id), n.id);
    // The memory bars show what was placed: at least the weights of each device's placed ops
    // (summed here from the graph), within the limit the placer kept.
    const persistent = Array<number>(options.devices).fill(0);
    for (const n of graph.nodes) if (placed.has(n.id)) persistent[placed.get(n.id)!] += n.persistentBytes;
    assert.ok(
      persistent.some((b) => b > 0),
      'the fixture places ops with weights',
    );
    assert.equal(dom.bars.length, options.devices);
    for (const bar of dom.bars) {
      assert.ok(bar.peak >= persistent[bar.device] && bar.peak <= options.memoryLimits[bar.device], `GPU ${bar.device}: ${bar.peak} B`);
      assert.equal(bar.peak > 0, persistent[bar.device] > 0 || [...placed.values()].includes(bar.device), `GPU ${bar.device}: memory iff ops placed`);
      assert.equal(bar.peak, plan.devices[bar.device].peakBytes);
    }
    const failed = await page.evaluate(() => [...document.querySelectorAll('#dag g.item.failed')].map((e) => e.getAttribute('data-node-id')));
    assert.deepEqual(failed.sort(), [...plan.failedNodes!].sort());
    assert.ok((await page.locator('#header').innerText()).includes(plan.reason!.slice(0, 40)), 'the message is in the header');
    await page.evaluate((id) => window.opplaceViewer!.dag.centerOn(id), plan.failedNodes![0]);
    await page.locator(`#dag [data-node-id="${plan.failedNodes![0]}"]`).hover();
    await page.waitForSelector('#tooltip', { state: 'visible' });
    assert.match(await page.locator('#tooltip').innerText(), /did not fit:/);
    await page.screenshot({ path: screenshotPath('inception-infeasible') });
    await page.close();
    assert.deepEqual(problems, []);
  });

  it('falls back to layout in the page (nonce-injected script) when workers are unavailable', async () => {
    const graph = prepareGraphFromFile(dataPath('onnx-light', 'light_squeezenet.onnx'));
    const options: PlacementOptions = { algorithm: 'm-topo', devices: 2, memoryLimits: [GiB, GiB], comm: 'pcie4', grouping: 'none', fuse: false };
    const plan = await placeGraph(graph, options);
    const report = writeReport('squeezenet-no-worker', graph, plan, options);
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const problems = collectProblems(page);
    await openReport(page, report, '?noWorker');
    assert.equal(await page.evaluate(() => window.opplaceViewer!.state().layoutMode), 'page');
    assertDomMatchesPlan(await domState(page), graph, plan, 'in-page layout');
    await page.close();
    assert.deepEqual(problems, [], 'the injected layout script passes the CSP');
  });

  it('groups a 3k-node generated graph into boxes and expands one on click', async () => {
    const graph = generateDnnDag({ nodes: 1500, seed: 7, training: true });
    assert.ok(graph.nodes.length > 2500);
    const options: PlacementOptions = { algorithm: 'm-etf', devices: 2, memoryLimits: [64 * GiB, 64 * GiB], comm: 'nvlink4', grouping: 'none', fuse: false };
    const plan = await placeGraph(graph, options);
    const report = writeReport('generated-3k', graph, plan, options);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems = collectProblems(page);
    await openReport(page, report);
    await page.screenshot({ path: screenshotPath('generated-3k-initial') });
    const boxes = page.locator('#dag g.item.group');
    const nBoxes = await boxes.count();
    assert.ok(nBoxes > 0, 'big graph opens with collapsed boxes');
    const visible = await page.evaluate(() => window.opplaceViewer!.state().visibleItems);
    assert.ok(visible <= 400, `at most the initial budget of items (${visible})`);
    // Every box shows its members' device mix: segment counts add up to the box's members.
    assert.deepEqual(await itemGeometryProblems(page), [], 'at first paint');
    const box = boxes.first();
    const members = Number(await box.getAttribute('data-members'));
    const groupId = (await box.getAttribute('data-group-id'))!;
    const nodesBefore = await page.locator('#dag [data-node-id]').count();
    await page.evaluate((gid) => window.opplaceViewer!.dag.centerOn(gid), groupId);
    await page.screenshot({ path: screenshotPath('generated-3k-collapsed') });
    await box.click();
    await page.waitForFunction((gid) => !document.querySelector(`#dag g.item.group[data-group-id="${CSS.escape(gid)}"]`), groupId);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#dag [data-node-id]').length > n || document.querySelectorAll('#dag g.item.group').length > 0,
      nodesBefore,
    );
    const framed = await page.locator(`#dag g.scope-frame[data-scope-id="${groupId}"]`).count();
    assert.equal(framed, 1, 'the expanded group is drawn as a frame');
    assert.deepEqual(await itemGeometryProblems(page), [], 'after the expand moved the items');
    assert.ok(members > 1);
    await page.screenshot({ path: screenshotPath('generated-3k-expanded') });
    await page.close();
    assert.deepEqual(problems, []);
  });
});
