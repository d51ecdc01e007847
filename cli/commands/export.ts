// `opplace export PLAN_OR_MODEL --to accelerate|torch-split|onnx|csv [--plan plan.json] [--out FILE]`
//
// PLAN_OR_MODEL is either
//   - a plan (`opplace place --json --out plan.json`): the model is the plan's `file` (or --model), or
//   - a model file: with --plan its plan is read from there, otherwise the model is placed first
//     with the same options as `opplace place` (--devices, --memory, --algorithm, …).
// The onnx export writes a copy (default `<model name>.placed.onnx` in the working directory) and
// refuses to overwrite the input.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { OpplaceError } from '../../algorithms/errors';
import { AnyPlan, EXPORT_FORMATS, exportPlan, ExportFormat, isPlanLike, parseExportFormat, parsePlanJson, planFromJson } from '../../algorithms/export';
import { externalDataFor, placedOnnxName } from '../../algorithms/export/externalData';
import { checkPlaceable, OpGraph } from '../../algorithms/graph';
import { MODEL_FORMATS } from '../../algorithms/loaders';
import { readModelBytes } from '../../algorithms/loaders/readFile';
import { prepareGraph, PrepareOptions, warnIgnoredModelOptions } from '../../algorithms/prepare';
import { PlacementOptions } from '../../algorithms/plan';
import { placeGraph, validatePlacementOptions } from '../../algorithms/placement';
import { parseCommandArgs } from '../args';
import type { CliIO } from '../io';
import { checkOutputPath, writeOutputFile } from '../outputPath';
import { MODEL_DIMS_SPEC, placementOptions, prepareOptions, printWarnings } from '../placementArgs';
import { displayText } from '../../algorithms/text';
import { DEFAULTS, DTYPES, GROUPINGS } from '../../algorithms/options';

const HELP = `usage: opplace export PLAN_OR_MODEL --to FORMAT [options]

Writes a plan in a form a framework can run.
  PLAN_OR_MODEL   a plan JSON (from \`opplace place --out plan.json\` or \`opplace pipeline --out
                  plan.json\`; the model is the plan's "file" unless --model is given), or a model
                  file (placed first with the options below, unless --plan gives its plan)

formats (--to):
  accelerate      Hugging Face Accelerate device_map {"module.path": gpu_index}, collapsed to the
                  shortest covering module prefixes (graphs from tools/opplace_profile.py)
  torch-split     torch.distributed.pipelining split points {fqn: "BEGINNING"}, when the plan is a
                  pipeline of contiguous stages in topological order; for a pipeline plan
                  {split_spec, schedule: ScheduleGPipe|Schedule1F1B, n_microbatches, stage_devices}
  deepspeed       DeepSpeed PipelineModule layer boundaries {num_stages, parts, layers,
                  stage_devices, gradient_accumulation_steps}: stage s = layers[parts[s]:parts[s+1]]
  onnx            a copy of the .onnx model with metadata_props opplace.device on every node
                  (default --out: <model name>.placed.onnx in the working directory; never the input file)
  csv             node,op,device,start_us,end_us,memory_bytes (RFC 4180)

options:
  --to FORMAT           ${EXPORT_FORMATS.join(' | ')}
  --out FILE            output file (default: stdout; for onnx <model name>.placed.onnx here)
  --plan FILE           the plan of the model given as PLAN_OR_MODEL
  --model FILE          the model of the plan given as PLAN_OR_MODEL (default: the plan's "file")
  --format F            model format (${MODEL_FORMATS.join(', ')}); --batch N, --dim NAME=VALUE,
                        --input-shape INPUT=AxBx…, --dtype ${DTYPES.join('|')}, --device-type P
                        (cost model), as \`opplace place\`
placement (model without --plan; same flags and defaults as \`opplace place\`):
  --devices N (default ${DEFAULTS.devices})  --memory SIZE[,SIZE…] (default ${DEFAULTS.memory})  --algorithm A (default ${DEFAULTS.algorithm})
  --comm PRESET|LAT_US:GBPS (default ${DEFAULTS.comm})  --grouping ${GROUPINGS.join('|')} (default ${DEFAULTS.grouping})
  --fuse  --theta X
`;

const SPEC = {
  ...MODEL_DIMS_SPEC,
  to: { type: 'string' },
  out: { type: 'string', short: 'o' },
  plan: { type: 'string' },
  model: { type: 'string' },
  format: { type: 'string' },
  batch: { type: 'string' },
  'force-batch': { type: 'boolean' },
  dtype: { type: 'string' },
  devices: { type: 'string', short: 'd' },
  memory: { type: 'string', short: 'm' },
  algorithm: { type: 'string', short: 'a' },
  comm: { type: 'string' },
  grouping: { type: 'string' },
  fuse: { type: 'boolean' },
  theta: { type: 'string' },
  'device-type': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function readText(file: string): string {
  return new TextDecoder('utf-8').decode(readModelBytes(file));
}

/** The parsed document of a `.json` file whose content is a plan (not a model), else undefined. */
function planDocument(file: string, bytes: Uint8Array): unknown {
  if (!file.toLowerCase().endsWith('.json') || file.toLowerCase().endsWith('.opgraph.json')) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8').decode(bytes));
  } catch {
    return undefined; // not JSON: let the model loader say what is wrong
  }
  if (Array.isArray(data) && data.length > 0 && data.every(isPlanLike)) {
    // `opplace place a b --out plans.json` writes an array
    throw new OpplaceError(`holds ${data.length} plans; export takes one — place one model per --out file`, { file });
  }
  return isPlanLike(data) ? data : undefined;
}

/** The plan's model path: as written, else relative to the plan's folder. */
function modelOfPlan(plan: AnyPlan, planFile: string): string {
  if (!plan.file) throw new OpplaceError('the plan names no model ("file"); pass --model', { file: planFile });
  if (existsSync(plan.file)) return plan.file;
  const beside = path.join(path.dirname(planFile), plan.file);
  if (!path.isAbsolute(plan.file) && existsSync(beside)) return beside;
  // say where we looked and how to point at the model, not just "r.onnx: no such file"
  const looked = path.isAbsolute(plan.file) || path.resolve(beside) === path.resolve(plan.file) ? plan.file : `${plan.file} or ${beside}`;
  throw new OpplaceError(`the plan's model "${plan.file}" is not there (looked at ${looked}); pass --model FILE`, { file: planFile });
}

type ExportValues = ReturnType<typeof parseCommandArgs<typeof SPEC>>['values'];

/**
 * What one export works from, once the arguments are read: the input, where the plan comes from
 * (read from the input or --plan, or placed here), the model and where the result goes.
 */
interface ExportJob {
  format: ExportFormat;
  input: string;
  inputBytes: Uint8Array;
  /** The input was a plan: this plan, its file and the model it names (or --model). */
  inputPlan?: AnyPlan;
  planFile?: string;
  modelFile: string;
  /** Undefined: stdout (text formats only; the onnx copy always gets a name). */
  out?: string;
  /** The model is placed here (a model given without --plan), with these options. */
  placeOptions?: PlacementOptions;
}

/** The input as a plan (its model from the plan or --model) or as a model (its plan from --plan, or none). */
function planAndModel(v: ExportValues, input: string, inputBytes: Uint8Array): Pick<ExportJob, 'inputPlan' | 'planFile' | 'modelFile'> {
  const document = planDocument(input, inputBytes);
  if (document === undefined) {
    if (v.model !== undefined) throw new OpplaceError(`${input} is a model; --model is for a plan given as PLAN_OR_MODEL`);
    return { modelFile: input, planFile: v.plan };
  }
  if (v.plan !== undefined) throw new OpplaceError(`${input} is already a plan; --plan is for a model given as PLAN_OR_MODEL`);
  const inputPlan = planFromJson(document, input); // parsed once, by planDocument
  return { inputPlan, planFile: input, modelFile: v.model ?? modelOfPlan(inputPlan, input) };
}

/** The output file, checked not to overwrite an input; for onnx the default copy name. */
function outputFile(job: Omit<ExportJob, 'out'>, out: string | undefined, prepare: PrepareOptions): string | undefined {
  const { format, modelFile, input, planFile } = job;
  const modelIsOnnx = prepare.format ? prepare.format === 'onnx' : modelFile.toLowerCase().endsWith('.onnx');
  if (format === 'onnx' && !modelIsOnnx) throw new OpplaceError('the onnx export needs an .onnx model', { file: modelFile });
  // In the working directory, not next to the input: a model under examples/ or a read-only
  // folder must not get a sibling the user never asked for.
  if (format === 'onnx' && out === undefined) out = placedOnnxName(modelFile);
  if (out !== undefined) checkOutputPath(out, [modelFile, input, ...(planFile ? [planFile] : [])], 'out');
  return out;
}

/** The placement options when the model is placed here; placement flags are refused otherwise. */
function placeHereOptions(v: ExportValues, placingHere: boolean): PlacementOptions | undefined {
  const placeFlags = (['devices', 'memory', 'algorithm', 'comm', 'grouping', 'fuse', 'theta'] as const).filter((k) => v[k] !== undefined);
  if (!placingHere && placeFlags.length) {
    throw new OpplaceError(`--${placeFlags[0]} is a placement option; it applies only when PLAN_OR_MODEL is a model given without --plan`);
  }
  if (!placingHere) return undefined;
  const options = placementOptions(v);
  validatePlacementOptions(options);
  return options;
}

/** Every cheap check of the command line, before anything is loaded or placed. */
function exportJob(v: ExportValues, positionals: string[], prepare: PrepareOptions): ExportJob {
  if (positionals.length !== 1) {
    throw new OpplaceError(`expected one PLAN_OR_MODEL file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')} (see \`opplace export --help\`)`);
  }
  const format: ExportFormat = parseExportFormat(v.to);
  const input = positionals[0];
  const inputBytes = readModelBytes(input);
  const sources = { format, input, inputBytes, ...planAndModel(v, input, inputBytes) };
  const out = outputFile(sources, v.out, prepare);
  const placingHere = sources.inputPlan === undefined && v.plan === undefined;
  return { ...sources, out, placeOptions: placeHereOptions(v, placingHere) };
}

/** The plan to export: the input's, the --plan file's, or a feasible placement made here. */
async function planOf(job: ExportJob, graph: OpGraph): Promise<AnyPlan> {
  if (job.inputPlan) return job.inputPlan;
  if (!job.placeOptions) return parsePlanJson(readText(job.planFile!), job.planFile!);
  checkPlaceable(graph);
  const plan = await placeGraph(graph, job.placeOptions, job.modelFile);
  if (!plan.feasible) {
    throw new OpplaceError(`the placement is infeasible, nothing to export${plan.reason ? `: ${plan.reason}` : ''}`, { file: job.modelFile, exitCode: 3 });
  }
  return plan;
}

/** Exports the plan in the job's format, to its file or stdout, with the exporter's notes on stderr. */
function writeExport(io: CliIO, job: ExportJob, graph: OpGraph, plan: AnyPlan, modelBytes: Uint8Array): void {
  const { format, modelFile, out, planFile } = job;
  const relocateExternalData = format === 'onnx' && out !== undefined ? externalDataFor(modelFile, out, existsSync) : undefined;
  const result = exportPlan(format, { graph, plan, planFile, modelBytes: format === 'onnx' ? modelBytes : undefined, modelFile, relocateExternalData });
  if (out !== undefined) {
    writeOutputFile(out, result.data, 'the export');
    io.err(`wrote ${out} (${format})\n`);
  } else {
    // only text formats reach here: the onnx export always has a file name
    io.out(result.data as string);
  }
  for (const note of result.notes) io.err(`note: ${displayText(note)}\n`);
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv, SPEC, 'export');
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  const prepare = prepareOptions(v);
  const job = exportJob(v, positionals, prepare);
  // read once: the model is loaded from these bytes and the onnx copy is made of them
  const modelBytes = job.inputPlan ? readModelBytes(job.modelFile) : job.inputBytes;
  const graph: OpGraph = warnIgnoredModelOptions(prepareGraph(modelBytes, job.modelFile, prepare), prepare);
  printWarnings(io, 'export', job.modelFile, graph);
  writeExport(io, job, graph, await planOf(job, graph), modelBytes);
  return 0;
}
