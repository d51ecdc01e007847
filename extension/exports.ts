// Exports of a placed model, written from the viewer or the palette: the plan as JSON (what
// `opplace place --json` writes), the framework formats and CSV exactly as `opplace export` writes
// them (algorithms/export), and the standalone HTML report (report/standalone.ts, as `--report`).
import { existsSync } from 'node:fs';
import type { OpGraph } from '../algorithms/graph';
import type { Plan, PlacementOptions } from '../algorithms/plan';
import { exportPlan } from '../algorithms/export/index';
import { externalDataFor } from '../algorithms/export/externalData';
import { isPipelinePlan, type AnyPlan } from '../algorithms/export/planCheck';
import type { ExportFormat } from '../webview/protocol';
import { buildReportHtml } from '../report/standalone';
import { baseName } from './userMessages';

export interface ExportChoice {
  format: ExportFormat;
  label: string;
  description: string;
  extension: string;
}

export const EXPORT_CHOICES: ExportChoice[] = [
  { format: 'plan-json', label: 'Plan (JSON)', description: 'the full plan, as `opplace place --json` writes it', extension: '.plan.json' },
  { format: 'csv', label: 'CSV', description: 'one row per op: device, start, end, memory', extension: '.plan.csv' },
  { format: 'accelerate', label: 'Accelerate device_map', description: 'Hugging Face Accelerate `device_map` (JSON)', extension: '.device_map.json' },
  { format: 'torch-split', label: 'torch pipeline split', description: 'split_spec for torch.distributed.pipelining (JSON)', extension: '.split.json' },
  { format: 'onnx', label: 'ONNX with devices', description: 'a copy of the model with opplace.device on every node', extension: '.placed.onnx' },
  { format: 'html', label: 'HTML report', description: 'standalone report, opens in any browser', extension: '.report.html' },
];

/** Formats the extension can write for this model (the ONNX copy needs an .onnx source). */
export function availableExportFormats(modelPath: string): ExportFormat[] {
  const onnx = modelPath.toLowerCase().endsWith('.onnx');
  return EXPORT_CHOICES.map((c) => c.format).filter((f) => f !== 'onnx' || onnx);
}

export interface ExportSource {
  graph: OpGraph;
  /** What the viewer shows: a placement, or in throughput mode the pipeline plan. */
  plan: AnyPlan;
  /** Throughput mode: the latency plan beside it (or none yet) and the viewer's options, for the report. */
  latencyPlan?: Plan | null;
  options?: PlacementOptions;
  /** The model file's bytes and path (the ONNX export copies the model). */
  modelBytes?: Uint8Array;
  modelFile?: string;
  /**
   * Where the ONNX copy will be written, when that is a local file: its external-data locations are
   * then rewritten to point from there at the model's data files (as `opplace export --out`).
   */
  outFile?: string;
}

export interface RenderedExport {
  bytes: Uint8Array;
  label: string;
  extension: string;
  /** What the user should know (moved ops, unannotated nodes…), from the exporter. */
  notes: string[];
}

export function exportChoice(format: ExportFormat): ExportChoice {
  const c = EXPORT_CHOICES.find((x) => x.format === format);
  if (!c) throw new Error(`export format "${format}" is not available in VS Code`);
  return c;
}

/** `model.onnx` + csv → `model.plan.csv`; `net.opgraph.json` + plan-json → `net.plan.json`. */
export function exportFileName(modelPath: string, format: ExportFormat, extension = exportChoice(format).extension): string {
  const stem = baseName(modelPath)
    .replace(/\.opgraph\.json$/i, '')
    .replace(/\.[^.]+$/, '');
  return `${stem || 'model'}${extension}`;
}

export async function renderExport(format: ExportFormat, source: ExportSource, log?: (message: string) => void): Promise<RenderedExport> {
  const c = exportChoice(format);
  const encode = (text: string) => new TextEncoder().encode(text);
  switch (format) {
    case 'plan-json':
      return { bytes: encode(JSON.stringify(source.plan, null, 2) + '\n'), label: c.label, extension: c.extension, notes: [] };
    case 'html':
      return { bytes: encode(await reportHtml(source.graph, source.plan, log, source)), label: c.label, extension: c.extension, notes: [] };
    case 'csv':
    case 'accelerate':
    case 'torch-split':
    case 'onnx': {
      const { modelFile, outFile } = source;
      const relocateExternalData = format === 'onnx' && modelFile && outFile ? externalDataFor(modelFile, outFile, existsSync) : undefined;
      const r = exportPlan(format, { graph: source.graph, plan: source.plan, modelBytes: source.modelBytes, modelFile, relocateExternalData });
      return { bytes: typeof r.data === 'string' ? encode(r.data) : r.data, label: c.label, extension: r.suffix, notes: r.notes };
    }
    default:
      throw new Error(`export format "${format}" is not available in VS Code`);
  }
}

/**
 * The standalone HTML report (report/standalone.ts, the same file `opplace place --report` writes). In the
 * packaged extension `highs` is bundled, not installed, so the report may not find highs.wasm to
 * inline; then it is written without it (only re-placing with m-SCT inside the report is lost).
 */
export async function reportHtml(
  graph: OpGraph,
  plan: AnyPlan,
  log?: (message: string) => void,
  beside: Pick<ExportSource, 'latencyPlan' | 'options'> = {},
): Promise<string> {
  // A pipeline plan opens the report in throughput mode, with the latency plan (if any) for a switch back.
  const pipelinePlan = isPipelinePlan(plan) ? plan : undefined;
  const latency = pipelinePlan ? (beside.latencyPlan ?? null) : (plan as Plan);
  const options = beside.options ?? latency?.options;
  if (!options) throw new Error('the plan does not record its options');
  const input = { graph, plan: latency, options, file: graph.source?.file ?? plan.file, ...(pipelinePlan ? { pipelinePlan } : {}) };
  try {
    return buildReportHtml(input);
  } catch (e) {
    if (!/highs\.wasm/.test((e as Error).message)) throw e;
    log?.(`report without the m-SCT solver: ${(e as Error).message}`);
    return buildReportHtml({ ...input, withoutHighs: true });
  }
}
