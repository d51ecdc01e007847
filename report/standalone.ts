// The standalone HTML report: one self-contained file with the viewer bundle, the layout worker
// source (started from a blob: URL), the graph and plan, and highs.wasm as base64 so re-placing
// with m-SCT works in the page. Opens from file:// offline. Node side (reads the bundles), shared
// by both front ends: `opplace place --report` (cli/report.ts writes it) and the extension's
// Export / Open Report in Browser (extension/exports.ts).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { OpGraph } from '../algorithms/graph';
import type { Plan, PlacementOptions } from '../algorithms/plan';
import type { PipelinePlan } from '../algorithms/pipeline/types';
import { OpplaceError } from '../algorithms/errors';
import { INTERCONNECTS } from '../algorithms/options';
import { buildStandaloneHtml } from '../webview/html';
import { PROTOCOL_VERSION, type InitMessage } from '../webview/protocol';
import { baseName, displayText } from '../algorithms/text';

export interface ReportInput {
  graph: OpGraph;
  plan: Plan | null;
  options: PlacementOptions;
  /** A pipeline plan of the graph (`opplace pipeline --report`), embedded beside the latency plan. */
  pipelinePlan?: PipelinePlan;
  /** Model file the report is about (shown in the title). */
  file?: string;
  /** Leave out highs.wasm (≈ 3 MB); m-SCT re-placing in the page then reports an error. */
  withoutHighs?: boolean;
}

/** Where the built viewer bundles live: `media/` next to `dist/` (bundles) or `report/` (tsx). */
export function mediaDir(): string {
  return path.resolve(__dirname, '..', 'media');
}

function readBundle(name: string): string {
  const file = path.join(mediaDir(), name);
  if (!existsSync(file)) {
    throw new OpplaceError(`the viewer bundle ${file} is missing; run \`npm run build\` first`);
  }
  return readFileSync(file, 'utf8');
}

/**
 * Where highs.wasm may be, in order: the `highs` package (a source checkout, tsx), next to this
 * file (the bundles in dist/: scripts/build.mjs copies highs.wasm there, and an installed .vsix
 * ships dist/ but no node_modules), and dist/ beside it (running cli/*.ts from a built checkout).
 */
export function highsWasmCandidates(dir: string = __dirname, resolve: (id: string) => string = require.resolve): string[] {
  const out: string[] = [];
  try {
    out.push(resolve('highs/runtime'));
  } catch {
    // not resolvable (bundled, node_modules not shipped): the copies below
  }
  out.push(
    path.resolve(dir, 'highs.wasm'),
    path.resolve(dir, '..', 'dist', 'highs.wasm'),
    path.resolve(dir, '..', 'node_modules', 'highs', 'build', 'highs.wasm'),
  );
  return [...new Set(out)];
}

/** The first candidate that exists, else one error naming every place looked at. */
export function findHighsWasm(candidates: string[] = highsWasmCandidates(), exists: (file: string) => boolean = existsSync): string {
  const found = candidates.find((f) => exists(f));
  if (!found) throw new OpplaceError(`cannot find highs.wasm for the report (looked at ${candidates.join(', ')}); reinstall opplace or run \`npm run build\``);
  return found;
}

function highsWasmBase64(): string {
  return readFileSync(findHighsWasm()).toString('base64');
}

export function reportInitMessage(input: ReportInput): InitMessage {
  return {
    type: 'init',
    protocolVersion: PROTOCOL_VERSION,
    graph: input.graph,
    plan: input.plan,
    options: input.options,
    presets: [...INTERCONNECTS],
    file: input.file ?? input.graph.source?.file ?? input.graph.name,
    capabilities: {},
    ...(input.pipelinePlan ? { pipelinePlan: input.pipelinePlan } : {}),
  };
}

/**
 * The report as one HTML string. Deterministic: the CSP nonce is derived from the content (a static
 * file gains nothing from a random nonce; only the page's own scripts carry it).
 */
export function buildReportHtml(input: ReportInput): string {
  const appJs = readBundle('report.js');
  const workerJs = readBundle('layout-worker.js');
  const init = reportInitMessage(input);
  const wasm = input.withoutHighs ? undefined : highsWasmBase64();
  const nonce = createHash('sha256').update(appJs).update(JSON.stringify(init)).digest('base64').replace(/[+/=]/g, '').slice(0, 32);
  const name = baseName(init.file ?? 'graph');
  return buildStandaloneHtml({ nonce, appJs, workerJs, init, highsWasmBase64: wasm, title: `opplace — ${displayText(name)}` });
}
