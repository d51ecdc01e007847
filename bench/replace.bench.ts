// Re-place in the extension after the first placement, in a real VS Code (code-server + Chromium,
// the e2e harness): BERT-L12 training (2,012 ops), 4 devices. The viewer asks for a new plan and we
// time, in the webview, from the request to the plan's arrival, to the recoloured view and to its
// style and layout flushed, next to the plan's own placeMs and the host's timing line. Two series: m-ETF
// with other limits each time (every job really places, the plan comes out the same), and m-ETF /
// m-TOPO in turn (every plan differs, so the DAG, panels and timeline really change).
// Run: `npm run build && npx tsx bench/run.ts replace` (about a minute).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { startSession, webviewFrame, explorerMenu } from '../test/e2e/harness';
import { dataPath } from '../test/helpers/paths';

const MODEL = 'bert_L-12_training.json';
const RUNS = 12;
const WARM_UP = 2;

interface Sample {
  placeMs: number;
  toPlanMs: number;
  toDrawnMs: number;
  toLaidOutMs: number;
  /** In the webview: the plan event's reduce (decode, planView) + redraw, and the redraw alone (NaN: a viewer without the hook). */
  applyMs: number;
  recolourMs: number;
}

/** One re-place from the webview: limits changed by a byte so the engine must place again. */
async function replaceOnce(frame: Frame, bump: number, algorithm: string): Promise<Sample> {
  // A string, not a function: tsx would wrap named inner functions in a helper the page lacks.
  return frame.evaluate(`(async () => {
    const v = window.opplaceViewer;
    const options = { ...v.state().options, algorithm: ${JSON.stringify(algorithm)} };
    options.memoryLimits = options.memoryLimits.map((l) => l - ${bump});
    const t0 = performance.now();
    await v.replace(options);
    const drawn = performance.now();
    // What the next frame must do first: style and layout of everything that changed (forced here;
    // rAF does not run in code-server's hidden-to-headless webview frame, so paint is not timed).
    void document.body.getBoundingClientRect();
    const laidOut = performance.now();
    // lastPlaceMs: the viewer's own request → plan-message time (before it recolours).
    const s = v.state();
    return { placeMs: s.plan.placeMs, toPlanMs: s.lastPlaceMs, toDrawnMs: drawn - t0, toLaidOutMs: laidOut - t0, applyMs: s.lastApplyMs ?? NaN, recolourMs: s.lastRecolourMs };
  })()`);
}

interface HostTiming {
  hostMs: number;
  engineMs: number;
  placeMs: number;
  readMs: number;
}

/** The extension's `timing:` lines from its output channel (VS Code keeps each channel in a log file). */
function hostTimings(root: string): HostTiming[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/opplace\.log$/.test(e.name)) files.push(p);
    }
  };
  walk(path.join(root, 'user-data', 'logs'));
  const out = [];
  for (const f of files) {
    for (const m of fs
      .readFileSync(f, 'utf8')
      .matchAll(/timing: host ([\d.]+) ms = read\+settings ([\d.]+) ms \+ engine ([\d.]+) ms \(placement ([\d.]+) ms\)/g)) {
      out.push({ hostMs: Number(m[1]), readMs: Number(m[2]), engineMs: Number(m[3]), placeMs: Number(m[4]) });
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = (xs: number[]) => Math.min(...xs);
const cell = (xs: number[]) => (xs.length && xs.every(Number.isFinite) ? `${best(xs).toFixed(0)} | ${median(xs).toFixed(0)}` : '— | —');

/** One series' rows: webview samples and the host's timing lines of the same jobs. */
function series(samples: Sample[], host: HostTiming[]): string[] {
  const row = (name: string, pick: (s: Sample) => number) => `| ${name} | ${cell(samples.map(pick))} |`;
  const hostRow = (name: string, pick: (h: HostTiming) => number) => `| ${name} | ${host.length ? cell(host.map(pick)) : '(no timing lines in the log) |'} |`;
  return [
    '| ms | best | median |',
    '|---|---:|---:|',
    row('placement (plan.placeMs: the placer)', (s) => s.placeMs),
    hostRow('engine job in the worker (placer + plan expansion: schedule, transfers, memory timelines, critical path)', (h) => h.engineMs),
    hostRow('host: replace received → plan posted', (h) => h.hostMs),
    hostRow('host: file read + hash, settings', (h) => h.readMs),
    hostRow('host minus engine (file read + hash, settings, worker messages)', (h) => h.hostMs - h.engineMs),
    row("webview: request → plan message (adds code-server's websocket both ways)", (s) => s.toPlanMs),
    row('webview: request → view recoloured', (s) => s.toDrawnMs),
    row('webview: request → styles and layout of the change flushed', (s) => s.toLaidOutMs),
    row('webview: apply the plan (reduceView: decode, planView; then redraw)', (s) => s.applyMs),
    row('webview: redraw alone (DAG colours, memory, timeline, summary, details)', (s) => s.recolourMs),
  ];
}

export async function bench(): Promise<string> {
  const session = await startSession({
    files: { [MODEL]: dataPath('dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', MODEL) },
    workspaceSettings: {
      'opplace.devices': 4,
      'opplace.algorithm': 'm-etf',
      'opplace.grouping': 'none',
      'opplace.interconnect': 'baechi',
      'opplace.memoryLimits': '1TiB',
    },
  });
  try {
    const t0 = Date.now();
    await explorerMenu(session.page, MODEL, 'Place on Devices…', 60_000);
    const frame = await webviewFrame(session.page, 'body[data-ready="true"] #memory .mem-bar', 180_000, path.basename(MODEL));
    const firstMs = Date.now() - t0;
    const same: Sample[] = [];
    for (let i = 0; i < RUNS; i++) same.push(await replaceOnce(frame, i + 1, 'm-etf'));
    const sameHost = hostTimings(session.root).slice(-(RUNS - WARM_UP));
    const changing: Sample[] = [];
    for (let i = 0; i < RUNS; i++) changing.push(await replaceOnce(frame, RUNS + i + 1, i % 2 ? 'm-topo' : 'm-etf'));
    const changingHost = hostTimings(session.root).slice(-(RUNS - WARM_UP));
    return [
      `BERT-L12 training (2,012 ops), 4 devices, grouping none, baechi link; ${RUNS - WARM_UP} re-places after ${WARM_UP} warm-up ones per series. First placement (menu click → drawn, cold worker): ${(firstMs / 1000).toFixed(1)} s.`,
      '',
      'm-ETF, limits one byte lower each time (the same plan comes back):',
      '',
      ...series(same.slice(WARM_UP), sameHost),
      '',
      'm-ETF and m-TOPO in turn (every plan differs from the one shown):',
      '',
      ...series(changing.slice(WARM_UP), changingHost),
    ].join('\n');
  } finally {
    await session.close();
  }
}
