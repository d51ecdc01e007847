// Throughput mode of the standalone report in real Chromium (issue 14 item 6): a report carrying a
// pipeline plan opens in throughput mode — ops coloured by stage, one memory bar per stage equal to
// the plan's memory, the microbatch × stage schedule with M × S forward and backward bars — and
// re-plans in the page (the engine runs there) when the microbatches or the objective change.
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { PlacementOptions, Plan } from '../../algorithms/plan';
import type { PipelinePlan } from '../../algorithms/pipeline/types';
import { planPipeline } from '../../algorithms/pipeline/index';
import { placeGraph } from '../../algorithms/placement/index';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import { buildReportHtml } from '../../report/standalone';
import { pipelineOptionsFrom } from '../../webview/pipelineModel';
import type { PipelineControls } from '../../webview/protocol';
import { dataPath } from '../helpers/paths';
import { ARTIFACTS, collectProblems, openReport, paneLayoutProblems, screenshotPath, useChromium } from './harness';

const GiB = 2 ** 30;
const FILE = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'resnet50_training.json');
const OPTIONS: PlacementOptions = {
  algorithm: 'm-etf',
  devices: 4,
  memoryLimits: [24 * GiB, 24 * GiB, 24 * GiB, 24 * GiB],
  comm: 'pcie4',
  grouping: 'colocation',
  fuse: false,
};
const CONTROLS: PipelineControls = { split: 'contiguous', microbatches: 4, schedule: '1f1b' };

/** The plan without its wall time (the only field allowed to differ between two runs). */
function comparable(p: PipelinePlan): Omit<PipelinePlan, 'placeMs'> {
  const { placeMs: _ms, ...rest } = p;
  return rest;
}

/** What the page shows in throughput mode, read from the DOM only. */
function pipelineDom(page: Page) {
  return page.evaluate(() => {
    return {
      objective: document.body.dataset.objective,
      planVersion: document.body.dataset.planVersion ?? '0',
      nodes: [...document.querySelectorAll('#dag g.item.node')].map((e) => ({
        id: e.getAttribute('data-node-id')!,
        stage: /(?:^| )stage-(\d+)(?: |$)/.exec(e.getAttribute('class') ?? '')?.[1] ?? null,
        device: /(?:^| )device-(\d+)(?: |$)/.exec(e.getAttribute('class') ?? '')?.[1] ?? null,
      })),
      bars: [...document.querySelectorAll('#memory g.mem-bar')].map((e) => ({
        stage: e.getAttribute('data-stage'),
        total: Number(e.getAttribute('data-peak-bytes')),
        limit: Number(e.getAttribute('data-limit-bytes')),
        persistent: Number(e.querySelector('rect.seg-persistent')?.getAttribute('data-bytes') ?? 0),
        stashed: Number(e.querySelector('rect.seg-stashed')?.getAttribute('data-bytes') ?? 0),
      })),
      forward: document.querySelectorAll('#pipeline-timeline rect.task.forward').length,
      backward: document.querySelectorAll('#pipeline-timeline rect.task.backward').length,
      idleUs: [...document.querySelectorAll('#pipeline-timeline rect.idle')].reduce((s, e) => s + Number(e.getAttribute('data-us') ?? 0), 0),
      timelineShown: getComputedStyle(document.getElementById('pipeline-timeline')!).display !== 'none',
      canvasShown: getComputedStyle(document.getElementById('timeline')!).display !== 'none',
      header: document.getElementById('header')!.innerText,
    };
  });
}

function assertDomMatchesPipeline(dom: Awaited<ReturnType<typeof pipelineDom>>, p: PipelinePlan, label: string): void {
  assert.equal(dom.objective, 'throughput', label);
  const stageOf = new Map<string, number>();
  for (const s of p.stages) for (const id of s.nodes) stageOf.set(id, s.index);
  assert.ok(dom.nodes.length > 0, `${label}: ops drawn`);
  for (const n of dom.nodes) {
    assert.equal(n.stage, String(stageOf.get(n.id)), `${label}: op ${n.id} carries its stage class`);
    assert.equal(n.device, null, `${label}: op ${n.id} is coloured by stage, not device`);
  }
  assert.equal(dom.bars.length, p.stages.length, `${label}: one memory bar per stage`);
  dom.bars.forEach((b, k) => {
    const s = p.stages[k];
    assert.equal(b.stage, String(s.index));
    assert.equal(b.total, s.memoryBytes, `${label}: stage ${k} bar = its planned memory`);
    assert.equal(b.persistent, s.persistentBytes, `${label}: stage ${k} persistent part`);
    assert.equal(b.persistent + b.stashed, s.memoryBytes, `${label}: persistent + stashed`);
    assert.equal(b.limit, s.memoryLimitBytes);
  });
  const training = p.tasks.some((t) => t.kind === 'backward');
  assert.ok(training, 'a training graph has backward tasks');
  assert.equal(dom.forward, p.microbatches * p.stages.length, `${label}: M × S forward bars`);
  assert.equal(dom.backward, p.microbatches * p.stages.length, `${label}: M × S backward bars`);
  assert.ok(Math.abs(dom.idleUs / (p.stages.length * p.stepUs) - p.bubble) < 1e-6, `${label}: hatched idle time = the plan's bubble (${p.bubble})`);
  assert.ok(dom.timelineShown && !dom.canvasShown, `${label}: the pipeline timeline replaces the op timeline`);
  assert.match(dom.header, /time per sample/);
  assert.match(dom.header, /bubble/);
}

async function waitForNewPlan(page: Page, version: string): Promise<void> {
  await page.waitForFunction((v) => (document.body.dataset.planVersion ?? '0') !== v, version, { timeout: 60_000 });
}

describe('viewer report in Chromium: throughput mode', function () {
  this.timeout(180_000);
  const chromium = useChromium();

  it('opens a pipeline plan coloured by stage, re-plans in the page on microbatches and objective changes', async () => {
    const graph = prepareGraphFromFile(FILE);
    const pipeline = await planPipeline(graph, pipelineOptionsFrom(OPTIONS, CONTROLS), FILE);
    assert.ok(pipeline.feasible, `the starting pipeline is feasible (${pipeline.reason ?? ''})`);
    assert.ok(pipeline.stages.length > 1);
    const plan = await placeGraph(graph, OPTIONS);
    mkdirSync(ARTIFACTS, { recursive: true });
    const report = path.join(ARTIFACTS, 'pipeline-resnet50-training.html');
    writeFileSync(report, buildReportHtml({ graph, plan, options: OPTIONS, pipelinePlan: pipeline, file: 'resnet50_training.json' }));

    const page = await chromium().newPage({ viewport: { width: 1400, height: 900 } });
    const problems = collectProblems(page);
    await openReport(page, report);
    await page.evaluate(() => window.opplaceViewer!.expandAll());
    const first = await pipelineDom(page);
    assertDomMatchesPipeline(first, pipeline, 'initial');
    assert.deepEqual(await paneLayoutProblems(page), [], 'panes do not overlap in throughput mode');
    await page.screenshot({ path: screenshotPath('pipeline-initial') });

    // Hovering a backward bar says which microbatch and stage it is.
    await page.locator('#pipeline-timeline rect.task.backward').first().hover();
    await page.waitForSelector('#tooltip', { state: 'visible' });
    assert.match(await page.locator('#tooltip').innerText(), /backward of microbatch \d+/);

    // More microbatches: the page plans again with the engine, exactly as Node does.
    const m2 = 6;
    await page.locator('#ctl-microbatches input').fill(String(m2));
    await page.locator('#ctl-microbatches input').press('Enter');
    await waitForNewPlan(page, first.planVersion);
    const expected = await planPipeline(graph, pipelineOptionsFrom(OPTIONS, { ...CONTROLS, microbatches: m2 }), FILE);
    const inPage = (await page.evaluate(() => window.opplaceViewer!.state().pipeline)) as PipelinePlan;
    assert.deepEqual(comparable(inPage), comparable({ ...expected, file: inPage.file }), 'the page planned exactly as the engine does in Node');
    const afterM = await pipelineDom(page);
    assertDomMatchesPipeline(afterM, expected, `M = ${m2}`);
    assert.equal(afterM.forward, m2 * expected.stages.length);
    assert.equal(await page.evaluate(() => window.opplaceViewer!.state().layouts), 2, 're-planning did not re-run layout');

    // Objective → latency: the placement is drawn, coloured by device, the op timeline is back.
    await page.locator('#ctl-objective').click();
    await page.locator('#ctl-objective li', { hasText: 'latency' }).click();
    await waitForNewPlan(page, afterM.planVersion);
    const latency = await pipelineDom(page);
    assert.equal(latency.objective, 'latency');
    const pagePlan = (await page.evaluate(() => window.opplaceViewer!.state().plan)) as Plan;
    const latencyExpected = await placeGraph(graph, OPTIONS);
    assert.deepEqual(pagePlan.schedule, latencyExpected.schedule, 'latency placement as in Node');
    const deviceOf = new Map(latencyExpected.schedule.map((x) => [x.node, x.device]));
    for (const n of latency.nodes) assert.equal(n.device, String(deviceOf.get(n.id)), `op ${n.id} coloured by device in latency mode`);
    assert.ok(latency.nodes.every((n) => n.stage === null));
    assert.ok(latency.canvasShown && !latency.timelineShown);
    assert.equal(await page.locator('#ctl-microbatches').isVisible(), false, 'pipeline knobs hidden in latency mode');

    // And back: the knobs the user set are kept.
    await page.locator('#ctl-objective').click();
    await page.locator('#ctl-objective li', { hasText: 'throughput' }).click();
    await waitForNewPlan(page, latency.planVersion);
    const back = await pipelineDom(page);
    assertDomMatchesPipeline(back, expected, 'back to throughput');

    // Memory too small for any stage: infeasible, and the header says why.
    await page.locator('#mem-all input').fill('1MiB');
    await page.locator('#mem-all input').press('Enter');
    await waitForNewPlan(page, back.planVersion);
    const tight = (await page.evaluate(() => window.opplaceViewer!.state().pipeline)) as PipelinePlan;
    assert.equal(tight.feasible, false);
    const header = await page.locator('#header').innerText();
    assert.match(header, /infeasible/);
    if (tight.reason) assert.ok(header.includes(tight.reason.slice(0, 40)), 'the reason is shown');
    assert.match((await page.locator('#pipeline-timeline').textContent()) ?? '', /no schedule/);
    await page.screenshot({ path: screenshotPath('pipeline-infeasible') });
    await page.close();
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });

  it('shows a plan’s warnings in the summary as text (markup and bidi controls stay visible)', async () => {
    const graph = prepareGraphFromFile(FILE);
    const pipeline = await planPipeline(graph, pipelineOptionsFrom(OPTIONS, CONTROLS), FILE);
    const warning = 'the stage graph has a cycle (stages 0 → 1 → 0) <b>x</b> \u202e';
    const report = path.join(ARTIFACTS, 'pipeline-warning.html');
    writeFileSync(
      report,
      buildReportHtml({ graph, plan: null, options: OPTIONS, pipelinePlan: { ...pipeline, warnings: [warning] }, file: 'resnet50_training.json' }),
    );
    const page = await chromium().newPage({ viewport: { width: 1400, height: 900 } });
    const problems = collectProblems(page);
    await openReport(page, report);
    const shown = await page.evaluate(() => {
      const el = document.querySelector('#header [data-key="warning"]');
      return el ? { text: el.textContent, bold: el.querySelectorAll('b').length } : null;
    });
    assert.deepEqual(
      shown,
      { text: 'warning the stage graph has a cycle (stages 0 → 1 → 0) <b>x</b> \\u202e', bold: 1 },
      'one <b> (the value), the markup as text',
    );
    await page.close();
    assert.deepEqual(problems, [], 'no console errors or page errors');
  });
});
