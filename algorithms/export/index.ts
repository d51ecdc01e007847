// Plan exporters: one pure function per target format; this file dispatches by format name.
import { OpplaceError } from '../errors';
import { OpGraph } from '../graph';
import { exportAccelerate } from './accelerate';
import { exportCsv } from './csv';
import { exportDeepSpeed } from './deepspeed';
import { exportOnnx, RelocateExternalData } from './onnx';
import { AnyPlan, isPipelinePlan } from './planCheck';
import { exportTorchSplit } from './torchSplit';
import { jsonDisplay } from '../text';

export type ExportFormat = 'accelerate' | 'torch-split' | 'deepspeed' | 'onnx' | 'csv';
export const EXPORT_FORMATS: ExportFormat[] = ['accelerate', 'torch-split', 'deepspeed', 'onnx', 'csv'];

export interface ExportInput {
  graph: OpGraph;
  /** A latency plan (`opplace place`) or a pipeline plan (`opplace pipeline`). */
  plan: AnyPlan;
  /** For messages: where the plan came from. */
  planFile?: string;
  /** ONNX export only: the original model bytes and file name. */
  modelBytes?: Uint8Array;
  modelFile?: string;
  /** ONNX export only: where external-data locations point from the written copy (see exportOnnx). */
  relocateExternalData?: RelocateExternalData;
}

export interface ExportResult {
  /** File contents (text for JSON/CSV, binary for ONNX). */
  data: string | Uint8Array;
  /** Suggested file suffix, e.g. '.device_map.json'. */
  suffix: string;
  /** Things the user should know (moved ops, unannotated nodes). */
  notes: string[];
}

export function parseExportFormat(text: string | undefined): ExportFormat {
  if (text === undefined) throw new OpplaceError(`--to is required: one of ${EXPORT_FORMATS.join(', ')}`);
  if (!(EXPORT_FORMATS as string[]).includes(text)) {
    throw new OpplaceError(`unknown export format "${text}" (expected one of ${EXPORT_FORMATS.join(', ')})`);
  }
  return text as ExportFormat;
}

export function exportPlan(format: ExportFormat, input: ExportInput): ExportResult {
  const { graph, plan, planFile } = input;
  switch (format) {
    case 'accelerate': {
      // Accelerate runs the devices one after the other (no microbatches): say so for a pipeline plan
      const notes = isPipelinePlan(plan)
        ? [
            `Accelerate's device_map runs the ${plan.stages.length} stages one after the other for each batch, not as a pipeline of ${plan.microbatches} microbatches; torch-split or deepspeed run the plan's throughput`,
          ]
        : [];
      return { data: jsonDisplay(JSON.stringify(exportAccelerate(graph, plan, planFile), null, 2)) + '\n', suffix: '.device_map.json', notes };
    }
    case 'torch-split': {
      const split = exportTorchSplit(graph, plan, planFile);
      const notes = split.stages.map(
        (s, k) => `stage ${k} → plan device ${s.device}: ${s.nodes} ops, ${s.first} … ${s.last}${s.splitAt ? ` (split at ${s.splitAt})` : ''}`,
      );
      // a latency plan: the split points alone, as before; a pipeline plan also says how to run them
      const data = split.schedule
        ? {
            split_spec: split.splitSpec,
            schedule: split.schedule.scheduleClass,
            n_microbatches: split.schedule.nMicrobatches,
            stage_devices: split.stages.map((s) => s.device),
          }
        : split.splitSpec;
      return { data: jsonDisplay(JSON.stringify(data, null, 2)) + '\n', suffix: '.split.json', notes: [...notes, ...split.notes] };
    }
    case 'deepspeed': {
      const { partition, notes } = exportDeepSpeed(graph, plan, planFile);
      return { data: jsonDisplay(JSON.stringify(partition, null, 2)) + '\n', suffix: '.deepspeed.json', notes };
    }
    case 'csv':
      if (isPipelinePlan(plan))
        throw new OpplaceError(
          'a pipeline plan has stages, not start and end times per op: export it --to torch-split, deepspeed or accelerate (csv is for `opplace place` plans)',
          { file: planFile },
        );
      return { data: exportCsv(graph, plan, planFile), suffix: '.plan.csv', notes: [] };
    case 'onnx': {
      if (!input.modelBytes || !input.modelFile) {
        throw new OpplaceError('the onnx export needs the original .onnx model', { file: planFile });
      }
      const r = exportOnnx(input.modelBytes, input.modelFile, graph, plan, planFile, input.relocateExternalData);
      const notes = [`${r.annotated} nodes annotated with their plan device, ${r.inherited} folded nodes with their consumer's`];
      if (r.unannotated.length)
        notes.push(
          `${r.unannotated.length} nodes without a device (nothing placed consumes them): ${r.unannotated.slice(0, 5).join(', ')}${r.unannotated.length > 5 ? ', …' : ''}`,
        );
      if (r.relocated.size) {
        const pairs = [...r.relocated].slice(0, 3).map(([a, b]) => `${a} → ${b}`);
        notes.push(`external data referenced from the copy's folder: ${pairs.join(', ')}${r.relocated.size > 3 ? `, … (${r.relocated.size} files)` : ''}`);
      }
      return { data: r.bytes, suffix: '.placed.onnx', notes };
    }
  }
}

export { exportAccelerate, deviceFor } from './accelerate';
export { exportTorchSplit } from './torchSplit';
export { exportDeepSpeed } from './deepspeed';
export type { AnyPlan } from './planCheck';
export { deviceByNode, isPipelinePlan, isPipelinePlanLike } from './planCheck';
export { exportCsv } from './csv';
export { exportOnnx, DEVICE_KEY, PLACEMENT_KEY } from './onnx';
export type { RelocateExternalData } from './onnx';
export { parsePlanJson, planFromJson, isPlanLike } from './planCheck';
