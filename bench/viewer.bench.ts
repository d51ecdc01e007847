// Viewer speed in real Chromium (headless, --disable-gpu, this 2-core machine): first paint of a
// 1k-node graph, a 20k-node graph usable collapsed, re-place + recolour of a 2k-node graph, and
// pan/zoom frame times with 2k visible nodes. Reports open from file:// like a user's would.
// Run: `npx tsx bench/run.ts viewer` (about a minute).
import type { Page } from 'playwright-core';
import type { OpGraph } from '../algorithms/graph';
import type { PlacementOptions } from '../algorithms/plan';
import { placeGraph } from '../algorithms/placement/index';
import { generateDnnDag } from '../test/helpers/generateDag';
import { collectProblems, ensureBundles, launchChromium, openReport, writeReport } from '../test/browser/harness';

const GiB = 2 ** 30;

function opts(devices: number, limitGiB = 80): PlacementOptions {
  return { algorithm: 'm-etf', devices, memoryLimits: Array(devices).fill(limitGiB * GiB), comm: 'nvlink4', grouping: 'none', fuse: false };
}

/** Milliseconds from navigation start until the first (quick) layout is drawn, and until ELK's is. */
async function paintTimes(page: Page): Promise<{ first: number; elk: number }> {
  return page.evaluate(() => ({ first: Number(document.body.dataset.firstPaintAt), elk: Number(document.body.dataset.readyAt) }));
}

/** Frame intervals while zooming/panning every animation frame for `frames` frames. */
async function panZoomFrames(page: Page, frames: number): Promise<number[]> {
  // A string, not a function: tsx would wrap named inner functions in a `__name` helper the page lacks.
  return page.evaluate<number[]>(`new Promise((resolve) => {
    const v = window.opplaceViewer;
    const times = [];
    let last = performance.now();
    let i = 0;
    function step(t) {
      times.push(t - last);
      last = t;
      if (i++ >= ${frames}) return resolve(times.slice(1));
      // Alternate zoom in/out and pan: the kind of motion a trackpad produces.
      const k = i % 20 < 10 ? 1.04 : 1 / 1.04;
      v.dag.zoomBy(k, 7, i % 2 ? 4 : -4);
      requestAnimationFrame(step);
    }
    requestAnimationFrame(step);
  })`);
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

export async function bench(): Promise<string> {
  await ensureBundles();
  const browser = await launchChromium();
  const rows: string[] = [];
  const problems: string[] = [];
  try {
    // 1. First paint, ~1k nodes (inference graph).
    {
      const graph: OpGraph = generateDnnDag({ nodes: 1000, seed: 1 });
      const o = opts(4);
      const plan = await placeGraph(graph, o);
      const file = writeReport('bench-1k', graph, plan, o);
      const times: number[] = [];
      const elkTimes: number[] = [];
      let visible = 0;
      for (let r = 0; r < 3; r++) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        problems.push(...collectProblems(page));
        await openReport(page, file);
        const p = await paintTimes(page);
        times.push(p.first);
        elkTimes.push(p.elk);
        visible = await page.evaluate(() => window.opplaceViewer!.state().visibleItems);
        await page.close();
      }
      // Fully expanded, for reference (layout of every op).
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await openReport(page, file);
      const t = await page.evaluate(async () => {
        const t0 = performance.now();
        await window.opplaceViewer!.expandAll();
        return performance.now() - t0;
      });
      await page.close();
      rows.push(`| first paint, ${graph.nodes.length}-node graph (${visible} items visible, quick layout) | ${times.map(fmt).join(' / ')} | < 1.5 s |`);
      rows.push(`| … ELK layout drawn | ${elkTimes.map(fmt).join(' / ')} | — |`);
      rows.push(`| expand all ${graph.nodes.length} ops (layout + draw) | ${fmt(t)} | — |`);
    }
    // 2. 20k-node generated graph, usable collapsed.
    {
      const graph = generateDnnDag({ nodes: 8000, seed: 2, training: true });
      const o = opts(8);
      const plan = await placeGraph(graph, o);
      const file = writeReport('bench-20k', graph, plan, o);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      problems.push(...collectProblems(page));
      await openReport(page, file);
      const { first: t, elk: tElk } = await paintTimes(page);
      const visible = await page.evaluate(() => window.opplaceViewer!.state().visibleItems);
      // Usable = responds: expand one box and measure that too.
      const expandMs = await page.evaluate(async () => {
        const box = document.querySelector('#dag g.item.group');
        const t0 = performance.now();
        await window.opplaceViewer!.expand(box!.getAttribute('data-group-id')!);
        return performance.now() - t0;
      });
      await page.close();
      rows.push(`| ${graph.nodes.length}-node graph usable collapsed (${visible} items): first paint / ELK layout drawn | ${fmt(t)} / ${fmt(tElk)} | < 3 s |`);
      rows.push(`| … then expand one box (incremental layout) | ${fmt(expandMs)} | — |`);
    }
    // 3 + 4. 2k-node graph fully expanded: re-place + recolour, then pan/zoom frames.
    {
      const graph = generateDnnDag({ nodes: 2000, seed: 3 });
      const o = opts(4);
      const plan = await placeGraph(graph, o);
      const file = writeReport('bench-2k', graph, plan, o);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      problems.push(...collectProblems(page));
      await openReport(page, file);
      await page.evaluate(() => window.opplaceViewer!.expandAll());
      const nodes = await page.locator('#dag [data-node-id]').count();
      const replace = await page.evaluate(
        async (limits) => {
          const v = window.opplaceViewer!;
          const out: { total: number; place: number }[] = [];
          for (const lim of limits) {
            const o = { ...v.state().options, memoryLimits: v.state().options.memoryLimits.map((l, d) => (d === 0 ? lim : l)) };
            const t0 = performance.now();
            await v.replace(o);
            await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
            out.push({ total: performance.now() - t0, place: v.state().plan!.placeMs });
          }
          return out;
        },
        [plan.devices[0].peakBytes / 2, plan.devices[0].peakBytes / 3, 80 * GiB],
      );
      const beyond = replace.map((r) => r.total - r.place);
      rows.push(
        `| re-place + recolour, ${nodes} visible nodes: total − placement | ${beyond.map(fmt).join(' / ')} (placement ${replace.map((r) => fmt(r.place)).join(' / ')}) | < 200 ms |`,
      );
      await page.evaluate(() => window.opplaceViewer!.dag.fit());
      const far = await panZoomFrames(page, 120);
      await page.evaluate(() => window.opplaceViewer!.dag.centerOn(document.querySelector('#dag [data-node-id]')!.getAttribute('data-node-id')!));
      const near = await panZoomFrames(page, 120);
      const stat = (xs: number[]) => `max ${fmt(Math.max(...xs))}, median ${fmt([...xs].sort((a, b) => a - b)[xs.length >> 1])}`;
      rows.push(`| pan/zoom, ${nodes} visible nodes, fitted (labels hidden) | ${stat(far)} | no frame > 50 ms |`);
      rows.push(`| pan/zoom, ${nodes} visible nodes, 1:1 (labels shown) | ${stat(near)} | no frame > 50 ms |`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  const head = ['| measurement | result | target |', '|---|---|---|'];
  const tail = problems.length ? `\n\npage problems: ${problems.join('; ')}` : '';
  return [...head, ...rows].join('\n') + tail;
}
