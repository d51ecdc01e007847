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
import {
  AnyPlan,
  EXPORT_FORMATS,
  exportPlan,
  ExportFormat,
  isPlanLike,
  parseExportFormat,
  parsePlanJson,
  planFromJson,
  RelocateExternalData,
} from '../../algorithms/export';
import { checkPlaceable, OpGraph } from '../../algorithms/graph';
import { MODEL_FORMATS } from '../../algorithms/loaders';
import { readModelBytes } from '../../algorithms/loaders/readFile';
import { prepareGraph, warnIgnoredModelOptions } from '../../algorithms/prepare';
import { PlacementOptions } from '../../algorithms/plan';
import { placeGraph, validatePlacementOptions } from '../../algorithms/placement';
import { parseCommandArgs } from '../args';
import type { CliIO } from '../io';
import { checkOutputPath, writeOutputFile } from '../outputPath';
import { MODEL_DIMS_SPEC, placementOptions, prepareOptions, printWarnings } from '../placementArgs';
import { displayText, quoteInput } from '../../algorithms/text';

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
                        --input-shape INPUT=AxBx…, --dtype fp32|fp16|bf16, --device-type P
                        (cost model), as \`opplace place\`
placement (model without --plan; same flags and defaults as \`opplace place\`):
  --devices N (default 4)  --memory SIZE[,SIZE…] (default 16GiB)  --algorithm A (default m-etf)
  --comm PRESET|LAT_US:GBPS (default baechi)  --grouping none|colocation|coplace (default colocation)
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

/**
 * External-data locations for a copy written to `out`: the same file seen from the copy's folder
 * (`--out DIR/placed.onnx` of a model with `location=w.bin` kept `w.bin`, and the copy could not be
 * loaded). ONNX readers only look inside the model's folder (onnx 1.12's load strips a leading
 * `../` and `/`), so a data file outside the copy's folder, or missing, is refused: the copy would
 * point at nothing.
 */
function externalDataFor(modelFile: string, out: string): RelocateExternalData {
  const from = path.dirname(path.resolve(modelFile));
  const to = path.dirname(path.resolve(out));
  return (location, tensor) => {
    const file = path.resolve(from, location);
    const what = `the external data file "${quoteInput(location)}" of tensor "${quoteInput(tensor)}"`;
    if (!existsSync(file)) {
      throw new OpplaceError(
        `${what} is not at ${quoteInput(file)}: the exported copy would point at a missing file (put the data file next to the model, then export again)`,
        {
          file: modelFile,
        },
      );
    }
    const rel = path.relative(to, file);
    if (rel === '' || path.isAbsolute(rel) || rel.split(path.sep)[0] === '..') {
      throw new OpplaceError(
        `${what} (${quoteInput(file)}) is outside the folder of --out ${quoteInput(out)}, and ONNX readers look for external data only inside the model's folder: write the copy into ${quoteInput(from)} or a folder above it`,
        { file: modelFile },
      );
    }
    return rel.split(path.sep).join('/');
  };
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv, SPEC, 'export');
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new OpplaceError(`expected one PLAN_OR_MODEL file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')} (see \`opplace export --help\`)`);
  }
  const format: ExportFormat = parseExportFormat(v.to);
  const input = positionals[0];
  const inputBytes = readModelBytes(input);
  const prepare = prepareOptions(v);

  let plan: AnyPlan | undefined;
  let planFile: string | undefined;
  let modelFile: string;
  const inputPlan = planDocument(input, inputBytes);
  const inputIsPlan = inputPlan !== undefined;
  if (inputIsPlan) {
    if (v.plan !== undefined) throw new OpplaceError(`${input} is already a plan; --plan is for a model given as PLAN_OR_MODEL`);
    planFile = input;
    plan = planFromJson(inputPlan, planFile); // parsed once, by planDocument
    modelFile = v.model ?? modelOfPlan(plan, planFile);
  } else {
    if (v.model !== undefined) throw new OpplaceError(`${input} is a model; --model is for a plan given as PLAN_OR_MODEL`);
    modelFile = input;
    planFile = v.plan;
  }
  // cheap checks first, before loading and placing
  const modelIsOnnx = prepare.format ? prepare.format === 'onnx' : modelFile.toLowerCase().endsWith('.onnx');
  if (format === 'onnx' && !modelIsOnnx) throw new OpplaceError('the onnx export needs an .onnx model', { file: modelFile });
  let out = v.out;
  // In the working directory, not next to the input: a model under examples/ or a read-only
  // folder must not get a sibling the user never asked for.
  if (format === 'onnx' && out === undefined) out = path.basename(modelFile).replace(/\.onnx$/i, '') + '.placed.onnx';
  if (out !== undefined) {
    checkOutputPath(out, [modelFile, input, ...(planFile ? [planFile] : [])], 'out');
  }
  const placingHere = !inputIsPlan && v.plan === undefined;
  const placeFlags = (['devices', 'memory', 'algorithm', 'comm', 'grouping', 'fuse', 'theta'] as const).filter((k) => v[k] !== undefined);
  if (!placingHere && placeFlags.length) {
    throw new OpplaceError(`--${placeFlags[0]} is a placement option; it applies only when PLAN_OR_MODEL is a model given without --plan`);
  }
  let placeOptions: PlacementOptions | undefined;
  if (placingHere) {
    placeOptions = placementOptions(v);
    validatePlacementOptions(placeOptions);
  }
  const graph: OpGraph = warnIgnoredModelOptions(prepareGraph(inputIsPlan ? readModelBytes(modelFile) : inputBytes, modelFile, prepare), prepare);
  printWarnings(io, 'export', modelFile, graph);
  if (!inputIsPlan) {
    if (v.plan !== undefined) {
      plan = parsePlanJson(readText(v.plan), v.plan);
    } else {
      checkPlaceable(graph);
      plan = await placeGraph(graph, placeOptions!, modelFile);
      if (!plan.feasible) {
        throw new OpplaceError(`the placement is infeasible, nothing to export${plan.reason ? `: ${plan.reason}` : ''}`, { file: modelFile, exitCode: 3 });
      }
    }
  }

  const modelBytes = format === 'onnx' ? (modelFile === input ? inputBytes : readModelBytes(modelFile)) : undefined;
  const relocateExternalData = format === 'onnx' && out !== undefined ? externalDataFor(modelFile, out) : undefined;
  const result = exportPlan(format, { graph, plan: plan!, planFile, modelBytes, modelFile, relocateExternalData });
  if (out !== undefined) {
    writeOutputFile(out, result.data, 'the export');
    io.err(`wrote ${out} (${format})\n`);
  } else {
    // only text formats reach here: the onnx export always has a file name
    io.out(result.data as string);
  }
  for (const note of result.notes) io.err(`note: ${displayText(note)}\n`);
  return 0;
}
