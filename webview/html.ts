// The viewer's HTML page, for both hosts. Pure string building (no DOM, no vscode): the extension
// calls `buildWebviewHtml` with webview URIs; `report/standalone.ts` calls `buildStandaloneHtml` with the
// bundles' source text. The page reads its configuration from these elements:
//   <meta name="opplace-layout-worker" content=URL>       VS Code: fetched, wrapped in a blob: Worker
//   <script type="text/plain" id="opplace-layout-worker-src">  report: the worker source itself
//   <script type="application/json" id="opplace-init">       report: the InitMessage (graph, plan…)
//   <script type="text/plain" id="opplace-highs-wasm">       report: highs.wasm as base64 (m-SCT)
import { VIEWER_CSS, REPORT_THEME_CSS } from './styles';
import { displayText } from '../algorithms/text';

/** A CSP nonce: 32 base64 characters from a cryptographic source. */
export function makeNonce(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/[+/=]/g, (c) => (c === '+' ? '-' : c === '/' ? '_' : ''));
}

/** The memory panel's heading and key, per objective (the page starts in latency's; app.ts switches). */
export const MEMORY_PANEL_TEXT = {
  latency: {
    title: 'Memory per device',
    legend: 'Bar: persistent ▮ · peak activations ▮ (lighter) · temporary ▮ (lightest). Dashed line: limit. Click a bar for its memory over time.',
  },
  throughput: {
    title: 'Memory per stage',
    legend: 'Bar: persistent ▮ · activations stashed for in-flight microbatches ▮ (lighter). Dashed line: limit.',
  },
} as const;

/** HTML-escaped, and names' control and bidi characters shown as escapes (algorithms/text.ts). */
export function escapeHtml(s: string): string {
  return displayText(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** For attribute values that may contain single quotes (CSP): only `&` and `"` need escaping. */
function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
}

/** Makes text safe inside a <script> element: no `</script`, no `<!--` (HTML parsing rules). */
export function escapeScriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON safe inside <script type="application/json">: `<` escaped (valid JSON, inert HTML). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const BODY = `
<div id="header"></div>
<div id="controls"></div>
<div id="status" role="status" aria-live="polite"></div>
<div id="main">
  <div id="dag-wrap">
    <div id="dag-tools"></div>
    <div id="dag" tabindex="0" role="img" aria-label="operator graph"></div>
    <div id="legend"></div>
  </div>
  <div id="side">
    <h2 id="memory-title">${MEMORY_PANEL_TEXT.latency.title}</h2>
    <svg id="memory" width="310" height="180"></svg>
    <div class="mem-legend" id="memory-legend">${MEMORY_PANEL_TEXT.latency.legend}</div>
    <h2 id="memtime-title">Memory over time</h2>
    <svg id="memtime" width="310" height="130"></svg>
    <h2>Details</h2>
    <div id="details">Hover or click an operator.</div>
  </div>
</div>
<div id="split" role="separator" aria-orientation="horizontal" aria-label="resize the timeline" title="drag to resize the timeline; double-click to reset"></div>
<div id="timeline-wrap"><canvas id="timeline" aria-label="timeline"></canvas></div>
<div id="tooltip"></div>`;

export interface WebviewHtmlInput {
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  /** asWebviewUri of media/webview.js and media/layout-worker.js. */
  scriptUri: string;
  workerUri: string;
  title?: string;
}

/** The page the VS Code extension sets as `webview.html`. */
export function buildWebviewHtml(input: WebviewHtmlInput): string {
  const { cspSource, nonce } = input;
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    'worker-src blob:',
    `connect-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="opplace-layout-worker" content="${escapeHtml(input.workerUri)}">
<title>${escapeHtml(input.title ?? 'opplace')}</title>
<style nonce="${nonce}">${VIEWER_CSS}</style>
</head><body>${BODY}
<script nonce="${nonce}" src="${escapeHtml(input.scriptUri)}"></script>
</body></html>`;
}

/**
 * Starts the layout worker before the browser parses the (possibly megabytes of) graph data and
 * the app script, so ELK compiles in parallel. The app adopts it (layoutClient.ts).
 */
const EARLY_WORKER_JS = `window.opplaceEarlyWorker=(function(){try{var t=document.getElementById('opplace-layout-worker-src').textContent;var u=URL.createObjectURL(new Blob([t],{type:'text/javascript'}));return{worker:new Worker(u),url:u};}catch(e){return null;}})();`;

export interface StandaloneHtmlInput {
  nonce: string;
  /** Source of media/report.js (the viewer plus the engine). */
  appJs: string;
  /** Source of media/layout-worker.js. */
  workerJs: string;
  /** The InitMessage the page starts from. */
  init: unknown;
  /** highs.wasm as base64, so m-SCT re-placing works offline. */
  highsWasmBase64?: string;
  title: string;
}

/**
 * One self-contained file: works from file:// offline, strict CSP, no network. The app script runs
 * before the (large, lazily used) highs.wasm text is parsed, so it does not delay the first paint.
 */
export function buildStandaloneHtml(input: StandaloneHtmlInput): string {
  const { nonce } = input;
  const csp = [
    "default-src 'none'",
    // wasm-unsafe-eval: compiling highs.wasm for m-SCT in the page; no JS eval is allowed.
    `script-src 'nonce-${nonce}' 'wasm-unsafe-eval'`,
    `style-src 'nonce-${nonce}'`,
    'worker-src blob:',
    'img-src data:',
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style nonce="${nonce}">${REPORT_THEME_CSS}${VIEWER_CSS}</style>
</head><body>${BODY}
<script type="text/plain" id="opplace-layout-worker-src">${escapeScriptText(input.workerJs)}</script>
<script nonce="${nonce}">${EARLY_WORKER_JS}</script>
<script type="application/json" id="opplace-init">${jsonForScript(input.init)}</script>
<script nonce="${nonce}">${escapeScriptText(input.appJs)}</script>
${input.highsWasmBase64 ? `<script type="text/plain" id="opplace-highs-wasm">${input.highsWasmBase64}</script>` : ''}
</body></html>`;
}
