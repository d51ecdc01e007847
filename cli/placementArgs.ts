// Option parsing shared by `opplace place`, `fit` and `compare`: the model options (format,
// batch, dtype, device type), the placement options (devices, memory, comm, grouping, fuse,
// theta), refinement (--refine, --budget-ms, --seed) and the training memory model (--training).
import { OpplaceError } from '../algorithms/errors';
import { checkPlaceable, type OpGraph } from '../algorithms/graph';
import { getDevicePreset, parseDtype } from '../algorithms/cost/devices';
import {
  CLI_INPUT_DEFAULTS,
  defaultCommFor,
  cliLabel,
  DEFAULTS,
  DEVICE_PRESET_IDS,
  DTYPES,
  GROUPINGS,
  INTERCONNECTS,
  LIMITS,
  MODEL_FORMATS,
  OPTIMIZERS,
  Optimizer,
  parseChoice,
  parseDimAssignments,
  parseInputShapes,
  parsePlacementInput,
  parseWholeNumber,
  PlacementOptions,
  ResolvedPlacement,
} from '../algorithms/options';
import { prepareGraphFromFile, PrepareOptions, warnIgnoredModelOptions } from '../algorithms/prepare';
import { isBackwardOp, trainingGraph } from '../algorithms/training';
import { sizeUnitNote } from '../algorithms/units';
import type { CliIO } from './io';
import { displayText } from '../algorithms/text';
import { replicationNote } from '../algorithms/loaders/onnx';

/** Sizes of symbolic ONNX dims and graph inputs: every command that loads a model takes them. */
export const MODEL_DIMS_SPEC = {
  dim: { type: 'string', multiple: true },
  'input-shape': { type: 'string', multiple: true },
} as const;

/** Help of MODEL_DIMS_SPEC. */
export const MODEL_DIMS_HELP = `  --dim NAME=VALUE   value of a symbolic dim of an ONNX model (repeatable), e.g. --dim seq=128
  --input-shape INPUT=AxBx…
                     full shape of an ONNX graph input (repeatable), e.g. images=1x3x640x640
`;

/** parseArgs spec of the model and placement options (add the command's own on top). */
export const PLACEMENT_SPEC = {
  ...MODEL_DIMS_SPEC,
  devices: { type: 'string' },
  memory: { type: 'string' },
  algorithm: { type: 'string' },
  comm: { type: 'string' },
  topology: { type: 'string' },
  grouping: { type: 'string' },
  fuse: { type: 'boolean' },
  theta: { type: 'string' },
  format: { type: 'string' },
  batch: { type: 'string' },
  'force-batch': { type: 'boolean' },
  dtype: { type: 'string' },
  'device-type': { type: 'string' },
  refine: { type: 'boolean' },
  'budget-ms': { type: 'string' },
  seed: { type: 'string' },
  training: { type: 'string' },
} as const;

export type PlacementValues = {
  [K in keyof typeof PLACEMENT_SPEC]?: (typeof PLACEMENT_SPEC)[K] extends { multiple: true }
    ? string[]
    : (typeof PLACEMENT_SPEC)[K]['type'] extends 'boolean'
      ? boolean
      : string;
};

/** Help of --topology (also used by `opplace place`). */
export const TOPOLOGY_HELP = `  --topology HxG:INTRA/INTER
                     H hosts of G GPUs: one link inside a host, another between hosts
                     (each a --comm preset or LATENCY_US:GBPS), e.g. 2x4:nvlink4/ib200;
                     instead of --comm; --devices defaults to H×G and must equal it
`;

/** Help of the options that load a model: format, batch, dims, dtype, device type (also `opplace inspect`). */
export const LOAD_HELP = `  --format F         ${MODEL_FORMATS.join(' | ')} (default: from the file name)
  --batch N          value for symbolic or missing batch dims (default ${DEFAULTS.batch})
  --force-batch      also rewrite a fixed leading dim of the ONNX inputs to --batch (models
                     exported with batch 1; a shape fixed inside the model stays, with a warning)
${MODEL_DIMS_HELP}  --dtype D          ${DTYPES.join(' | ')} for the cost model (default ${DEFAULTS.dtype})
  --device-type P    GPU preset for the cost model (default ${DEFAULTS.device}):
                     ${DEVICE_PRESET_IDS.join(', ')}
`;

/** Help of the model options: training and LOAD_HELP (also `opplace pipeline`). */
export const MODEL_HELP = `  --training OPT     model a training step: ${OPTIMIZERS.join(' | ')} (adds backward ops,
                     gradients and optimizer state to a forward graph)
${LOAD_HELP}`;

/** Help text of the shared options (without --devices/--memory/--algorithm, which commands word differently). */
export const PLACEMENT_HELP = `  --comm PRESET      interconnect: ${INTERCONNECTS.join(', ')}, or LATENCY_US:GBPS
                     (default ${DEFAULTS.comm}: 134 µs + 5.7 GB/s, as measured by Baechi; ${defaultCommFor({ source: { format: 'stg' } })} for
                     .stg task graphs, which have no tensor sizes)
${TOPOLOGY_HELP}  --grouping G       ${GROUPINGS.join(' | ')} (default ${DEFAULTS.grouping})
  --fuse             fuse connected ops of the same group before placing
  --theta X          m-SCT favourite-child threshold in (0, 1] (default ${DEFAULTS.theta})
  --refine           improve the placer's plan by local search (as --algorithm refine does
                     from the best of m-etf and m-sct)
  --budget-ms MS     refinement budget (default ${DEFAULTS.budgetMs}); the search is deterministic: the
                     budget is turned into a fixed amount of work, not a clock
  --seed N           refinement random seed (default ${DEFAULTS.seed})
${MODEL_HELP}`;

/** --training OPT, or undefined. */
export function parseTraining(value: string | undefined): Optimizer | undefined {
  return value === undefined ? undefined : parseChoice(value, '--training', OPTIMIZERS, DEFAULTS.optimizer);
}

/** The placement options of a command line, parsed once (algorithms/options.ts), with the link and topology. */
export function resolvedPlacementOptions(
  values: PlacementValues,
  defaults: { algorithm?: PlacementOptions['algorithm']; memory?: string } = {},
): ResolvedPlacement {
  return parsePlacementInput(
    {
      algorithm: values.algorithm,
      devices: values.devices,
      memory: values.memory,
      comm: values.comm,
      topology: values.topology,
      grouping: values.grouping,
      fuse: values.fuse,
      theta: values.theta,
      budgetMs: values['budget-ms'],
      seed: values.seed,
      refine: values.refine,
    },
    { ...CLI_INPUT_DEFAULTS, ...defaults },
    cliLabel,
  );
}

/** The placement options of a command line (devices default 4, memory default 16GiB). */
export function placementOptions(values: PlacementValues, defaults: { algorithm?: PlacementOptions['algorithm']; memory?: string } = {}): PlacementOptions {
  return resolvedPlacementOptions(values, defaults).options;
}

export function prepareOptions(values: PlacementValues): PrepareOptions {
  return {
    format: values.format === undefined ? undefined : parseChoice(values.format, '--format', MODEL_FORMATS, 'onnx'),
    batch: parseWholeNumber(values.batch, '--batch', DEFAULTS.batch, 1, LIMITS.maxBatch),
    ...(values['force-batch'] ? { forceBatch: true } : {}),
    ...optional('dims', parseDimAssignments(values.dim, '--dim')),
    ...optional('inputShapes', parseInputShapes(values['input-shape'], '--input-shape')),
    dtype: values.dtype === undefined ? undefined : parseDtype(values.dtype),
    device: values['device-type'] === undefined ? undefined : getDevicePreset(values['device-type']),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** The options for one loaded graph: the graph's default interconnect when --comm/--topology were not given. */
export function optionsForGraph(options: PlacementOptions, values: PlacementValues, graph: OpGraph): PlacementOptions {
  if (values.comm !== undefined || values.topology !== undefined) return options;
  const comm = defaultCommFor(graph);
  return comm === options.comm ? options : { ...options, comm };
}

/** Loads and costs a model, then applies the training memory model when asked. */
export function loadPlacementGraph(file: string, prepare: PrepareOptions, training: Optimizer | undefined): OpGraph {
  const graph = warnIgnoredModelOptions(prepareGraphFromFile(file, prepare), prepare);
  checkPlaceable(graph);
  if (!training) return graph;
  const backward = backwardOpCount(graph);
  if (backward > 0) {
    throw new OpplaceError(
      `the graph is already a training step (${backward} backward ops); --training ${training} would add a second backward pass — leave --training out for this file`,
      { file },
    );
  }
  return trainingGraph(graph, { optimizer: training, dtype: prepare.dtype });
}

/**
 * Backward ops a graph already holds: the loader's count (dnn-partitioning isBackwardNode), else
 * ops named as gradients (`…Grad`, dnn-partitioning `Backward` layers, opplace's own `/grad` ops).
 */
export function backwardOpCount(graph: OpGraph): number {
  const counted = graph.meta?.backwardNodes;
  if (typeof counted === 'number' && counted > 0) return counted;
  return graph.nodes.filter(isBackwardOp).length;
}

/**
 * How --memory was read when its unit was decimal (GB) or one letter (G): "16gb" and "16GiB" differ
 * by 7 %, so the size is printed back in GiB, the unit of every table.
 */
export function printMemoryNotes(io: CliIO, command: string, memory: string | undefined): void {
  if (memory === undefined) return;
  const notes = memory
    .split(',')
    .map(sizeUnitNote)
    .filter((n): n is string => n !== null);
  for (const n of new Set(notes)) io.err(`opplace ${command}: --memory ${n}\n`);
}

/**
 * The loader's warnings (unknown ops, an ignored --batch, …) on stderr, one line each: a plan built
 * on a guess must say so where the plan is printed, not only in `opplace inspect`.
 */
export function printWarnings(io: CliIO, command: string, file: string, graph: OpGraph): void {
  for (const w of graph.warnings ?? []) io.err(`opplace ${command}: ${displayText(file)}: warning: ${displayText(w)}\n`);
  const replicated = replicationNote(graph);
  if (replicated) io.err(`opplace ${command}: ${displayText(file)}: note: ${replicated}\n`);
}
