// Shared by the browser tests and the viewer benchmark: Chromium via playwright-core (flags from
// docs/vscode-e2e.md), report files under test-artifacts/, page error collection.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { OpGraph } from '../../algorithms/graph';
import type { Plan, PlacementOptions } from '../../algorithms/plan';
import { buildReportHtml } from '../../report/standalone';
import { buildWebviewHtml, makeNonce } from '../../webview/html';
import { isWebviewToHostMessage, PROTOCOL_VERSION, type HostToWebviewMessage, type InitMessage, type WebviewToHostMessage } from '../../webview/protocol';
import { buildViewerBundles, REPO_ROOT } from './bundles';

export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'browser');

/** Debian's Chromium, unless CHROMIUM (or OPPLACE_CHROMIUM, the end-to-end tests' name) says otherwise. */
export const CHROMIUM_PATH = process.env.CHROMIUM ?? process.env.OPPLACE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let built: Promise<void> | null = null;
/** Builds the viewer bundles once per process. */
export function ensureBundles(): Promise<void> {
  if (!built) built = buildViewerBundles();
  return built;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Mocha hooks for a suite of report tests: the bundles built, one Chromium, closed after; call `browser()` in tests. */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  before(async () => {
    await ensureBundles();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
  return () => browser!;
}

export function writeReport(name: string, graph: OpGraph, plan: Plan | null, options: PlacementOptions, withoutHighs = false): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.html`);
  writeFileSync(file, buildReportHtml({ graph, plan, options, file: graph.source?.file ?? name, withoutHighs }));
  return file;
}

/** Console errors, page errors and CSP violations seen by a page. */
export function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

/** Opens a report from disk (file://) and waits until the first layout is drawn. */
export async function openReport(page: Page, file: string, query = ''): Promise<number> {
  const t0 = Date.now();
  await page.goto('file://' + file + query);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return Date.now() - t0;
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, `${name}.png`);
}

/**
 * How the viewer's panes overlap, as readable problems (none: an empty list). The page is a column
 * — tools, DAG, legend, splitter, timeline — beside the side panel; nothing may cover the DAG or
 * its legend, and the DAG pane keeps a usable height.
 */
export async function paneLayoutProblems(target: Pick<Page, 'evaluate'>, minDagHeight = 150): Promise<string[]> {
  const boxes = await target.evaluate(() => {
    const out: Record<string, { top: number; bottom: number; left: number; right: number }> = {};
    for (const id of ['controls', 'dag-tools', 'dag', 'legend', 'side', 'split', 'timeline-wrap']) {
      const r = document.getElementById(id)!.getBoundingClientRect();
      out[id] = { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    }
    return { boxes: out, height: window.innerHeight };
  });
  const b = boxes.boxes;
  const problems: string[] = [];
  const above = (upper: string, lower: string) => {
    if (b[upper].bottom > b[lower].top + 0.5) problems.push(`#${upper} (bottom ${b[upper].bottom}) overlaps #${lower} (top ${b[lower].top})`);
  };
  above('controls', 'dag-tools');
  above('dag-tools', 'dag');
  above('dag', 'legend');
  above('legend', 'split');
  above('side', 'split');
  above('split', 'timeline-wrap');
  if (b['timeline-wrap'].bottom > boxes.height + 0.5) problems.push(`the timeline ends below the window (${b['timeline-wrap'].bottom} > ${boxes.height})`);
  if (b.dag.right > b.side.left + 0.5) problems.push(`#dag (right ${b.dag.right}) overlaps #side (left ${b.side.left})`);
  const dagHeight = b.dag.bottom - b.dag.top;
  if (dagHeight < minDagHeight) problems.push(`the DAG pane is only ${dagHeight}px high`);
  return problems;
}

/**
 * Serves a webview page on loopback the way VS Code would: `/index.html` is whatever `page()`
 * returns when asked, any other path is the bundle of that name from media/.
 */
export async function serveWebviewPage(page: () => string): Promise<{ origin: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page());
      return;
    }
    try {
      const body = readFileSync(path.join(REPO_ROOT, 'media', path.basename(req.url ?? '')));
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** Polls a Node-side condition (what a page posted so far) every 50 ms. */
export async function waitFor(cond: () => boolean, what = 'the webview', timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A viewer page driven the way VS Code drives a webview, as the tests' fake host sees it. */
export interface FakeWebview {
  page: Page;
  problems: string[];
  /** Every valid message the page posted, in order. */
  received: WebviewToHostMessage[];
  /** Messages that failed isWebviewToHostMessage (a test expects none). */
  invalid: unknown[];
  /** Every value the page passed to setState, in order. */
  saves: unknown[];
}

/**
 * Opens `url` with a fake `acquireVsCodeApi` whose getState() starts as `state` (what VS Code
 * restores), and waits for the page's `ready`.
 */
export async function openFakeWebview(browser: Browser, url: string, state: unknown = null): Promise<FakeWebview> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 850 } });
  const fake: FakeWebview = { page, problems: collectProblems(page), received: [], invalid: [], saves: [] };
  await page.exposeFunction('__hostReceive', (m: unknown) => (isWebviewToHostMessage(m) ? fake.received.push(m) : fake.invalid.push(m)));
  await page.exposeFunction('__stateSaved', (s: unknown) => fake.saves.push(s));
  // A string: tsx would wrap a function in a `__name` helper the page does not have.
  await page.addInitScript(`(() => {
    let state = ${JSON.stringify(state ?? null)};
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__hostReceive(m),
      getState: () => state,
      setState: (s) => { state = JSON.parse(JSON.stringify(s)); window.__stateSaved(state); },
    });
  })();`);
  await page.goto(url);
  await waitFor(() => fake.received.some((m) => m.type === 'ready'), "the webview's ready message").catch((e) => {
    throw new Error(`${(e as Error).message}; page problems: ${fake.problems.join('; ')}`);
  });
  return fake;
}

/** Delivers a host message to the page as VS Code does (a window message event). */
export async function postToWebview(page: Page, message: HostToWebviewMessage): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message as unknown as Record<string, unknown>);
}

/**
 * Mocha hooks for a suite that drives the VS Code webview page: the bundles built, one Chromium,
 * the page (buildWebviewHtml with its strict CSP) served on loopback; closed after the suite.
 */
export function useWebviewPage(title: string): { browser(): Browser; url(): string } {
  let browser: Browser | undefined;
  let served: { origin: string; close: () => void } | undefined;
  let html = '';
  before(async () => {
    await ensureBundles();
    browser = await launchChromium();
    served = await serveWebviewPage(() => html);
    const origin = served.origin;
    html = buildWebviewHtml({ cspSource: origin, nonce: makeNonce(), scriptUri: `${origin}/webview.js`, workerUri: `${origin}/layout-worker.js`, title });
  });
  after(async () => {
    await browser?.close();
    served?.close();
  });
  return { browser: () => browser!, url: () => `${served!.origin}/index.html` };
}

/** Posts `init` (the protocol version filled in) and waits until the first layout is drawn. */
export async function initWebview(page: Page, init: Omit<InitMessage, 'type' | 'protocolVersion'>): Promise<void> {
  await postToWebview(page, { type: 'init', protocolVersion: PROTOCOL_VERSION, ...init });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
}
