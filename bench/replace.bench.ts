// Re-place in the extension after the first placement, in a real VS Code (code-server + Chromium,
// the e2e harness): BERT-L12 training (2,012 ops), 4 devices, m-ETF. The viewer asks for a new
// plan (other limits each time, so every job really places) and we time, in the webview, from the
// request to the plan's arrival and to the recoloured view, next to the plan's own placeMs. The
// difference is what the extension adds around the placement (file read + hash, messages, the
// worker round trip). Run: `npm run build && npx tsx bench/run.ts replace` (about a minute).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { startSession, webviewFrame, explorerMenu } from '../test/e2e/harness';
import { dataPath } from '../test/helpers/paths';

const MODEL = 'bert_L-12_training.json';
const RUNS = 12;

interface Sample {
  placeMs: number;
  toPlanMs: number;
  toDrawnMs: number;
}

/** One re-place from the webview: limits changed by a byte so the engine must place again. */
async function replaceOnce(frame: Frame, bump: number): Promise<Sample> {
  // A string, not a function: tsx would wrap named inner functions in a helper the page lacks.
  return frame.evaluate(`(async () => {
    const v = window.opplaceViewer;
    const options = { ...v.state().options };
    options.memoryLimits = options.memoryLimits.map((l) => l - ${bump});
    const t0 = performance.now();
    await v.replace(options);
    const drawn = performance.now();
    // lastPlaceMs: the viewer's own request → plan-message time (before it recolours).
    const s = v.state();
    return { placeMs: s.plan.placeMs, toPlanMs: s.lastPlaceMs, toDrawnMs: drawn - t0, devices: s.plan.devices.length, limit: s.plan.devices[0].memoryLimitBytes };
  })()`);
}

/** The extension's `timing:` lines from its output channel (VS Code keeps each channel in a log file). */
function hostTimings(root: string): { hostMs: number; engineMs: number; placeMs: number; readMs: number }[] {
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
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(await replaceOnce(frame, i + 1));
    const warm = samples.slice(2); // the first re-places warm the JIT in the worker and the page
    const host = hostTimings(session.root).slice(-warm.length);
    const row = (name: string, pick: (s: Sample) => number) => `| ${name} | ${best(warm.map(pick)).toFixed(0)} | ${median(warm.map(pick)).toFixed(0)} |`;
    const hostRow = (name: string, pick: (h: (typeof host)[number]) => number) =>
      host.length ? `| ${name} | ${best(host.map(pick)).toFixed(0)} | ${median(host.map(pick)).toFixed(0)} |` : `| ${name} | (no timing lines in the log) | |`;
    return [
      `BERT-L12 training (2,012 ops), 4 devices, m-ETF, grouping none, baechi link; ${warm.length} re-places after ${RUNS - warm.length} warm-up ones. First placement (menu click → drawn, cold worker): ${(firstMs / 1000).toFixed(1)} s.`,
      '',
      '| ms | best | median |',
      '|---|---:|---:|',
      row('placement (plan.placeMs: the placer)', (s) => s.placeMs),
      hostRow('engine job in the worker (placer + plan expansion: schedule, transfers, memory timelines, critical path)', (h) => h.engineMs),
      hostRow('host: replace received → plan posted', (h) => h.hostMs),
      hostRow('host minus engine (file read + hash, settings, worker messages)', (h) => h.hostMs - h.engineMs),
      row("webview: request → plan message (adds code-server's websocket both ways)", (s) => s.toPlanMs),
      row('webview: request → view recoloured', (s) => s.toDrawnMs),
    ].join('\n');
  } finally {
    await session.close();
  }
}
