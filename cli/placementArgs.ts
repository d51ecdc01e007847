// Option parsing shared by `opplace place`, `fit` and `compare`: the model options (format,
// batch, dtype, device type), the placement options (devices, memory, comm, grouping, fuse,
// theta), refinement (--refine, --budget-ms, --seed) and the training memory model (--training).
import { OpplaceError } from '../algorithms/errors';
import type { OpGraph } from '../algorithms/graph';
import { MODEL_FORMATS, ModelFormat } from '../algorithms/loaders/index';
import { DEFAULT_DEVICE, DEVICE_PRESETS, getDevicePreset, parseDtype } from '../algorithms/cost/devices';
import { INTERCONNECT_PRESETS, parseInterconnect } from '../algorithms/cost/interconnect';
import { parseTopology } from '../algorithms/cost/topology';
import { prepareGraphFromFile, PrepareOptions, warnIgnoredModelOptions } from '../algorithms/prepare';
import { ALGORITHMS, AlgorithmName, GroupingMode, PlacementOptions } from '../algorithms/plan';
import { isBackwardOp, OPTIMIZERS, Optimizer, trainingGraph } from '../algorithms/training';
import { parseMemoryLimits } from '../algorithms/units';
import { intOption } from './args';
import type { CliIO } from './io';

/** parseArgs spec of the model and placement options (add the command's own on top). */
export const PLACEMENT_SPEC = {
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
  dtype: { type: 'string' },
  'device-type': { type: 'string' },
  refine: { type: 'boolean' },
  'budget-ms': { type: 'string' },
  seed: { type: 'string' },
  training: { type: 'string' },
} as const;

export type PlacementValues = { [K in keyof typeof PLACEMENT_SPEC]?: (typeof PLACEMENT_SPEC)[K]['type'] extends 'boolean' ? boolean : string };

/** Help of --topology (also used by `opplace place`). */
export const TOPOLOGY_HELP = `  --topology HxG:INTRA/INTER
                     H hosts of G GPUs: one link inside a host, another between hosts
                     (each a --comm preset or LATENCY_US:GBPS), e.g. 2x4:nvlink4/ib200;
                     instead of --comm; --devices defaults to H×G and must equal it
`;

/**
 * --devices and --topology together: the device count (default 4, or H×G of the topology) and the
 * topology spec when given. A topology replaces --comm, so giving both is an error.
 */
export function devicesAndTopology(values: { devices?: string; comm?: string; topology?: string }): { devices: number; topology?: string } {
  if (values.topology === undefined) return { devices: intOption(values.devices, 'devices', 4) };
  if (values.comm !== undefined) throw new OpplaceError('--topology sets the links between devices, so --comm cannot be given with it');
  const topology = parseTopology(values.topology, values.devices === undefined ? undefined : intOption(values.devices, 'devices', 4));
  return { devices: topology.devices, topology: topology.spec };
}

/** Help text of the shared options (without --devices/--memory/--algorithm, which commands word differently). */
export const PLACEMENT_HELP = `  --comm PRESET      interconnect: ${Object.keys(INTERCONNECT_PRESETS).join(', ')}, or LATENCY_US:GBPS
                     (default baechi: 134 µs + 5.7 GB/s, as measured by Baechi)
${TOPOLOGY_HELP}  --grouping G       none | colocation | coplace (default colocation)
  --fuse             fuse connected ops of the same group before placing
  --theta X          m-SCT favourite-child threshold in (0, 1] (default 0.5)
  --refine           improve the placer's plan by local search (as --algorithm refine does
                     from the best of m-etf and m-sct)
  --budget-ms MS     refinement budget (default 2000); the search is deterministic: the
                     budget is turned into a fixed amount of work, not a clock
  --seed N           refinement random seed (default 1)
  --training OPT     model a training step: sgd | momentum | adam (adds backward ops,
                     gradients and optimizer state to a forward graph)
  --format F         ${MODEL_FORMATS.join(' | ')} (default: from the file name)
  --batch N          value for symbolic or missing batch dims (default 1)
  --dtype D          fp32 | fp16 | bf16 for the cost model (default fp32)
  --device-type P    GPU preset for the cost model (default ${DEFAULT_DEVICE}):
                     ${Object.keys(DEVICE_PRESETS).join(', ')}
`;

export function parseChoice<T extends string>(value: string | undefined, name: string, choices: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new OpplaceError(`--${name} must be one of ${choices.join(', ')}, got "${value}"`);
}

export function parseTheta(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Number(value);
  if (!(t > 0 && t <= 1)) throw new OpplaceError(`--theta must be a number in (0, 1], got "${value}"`);
  return t;
}

/** --refine, --budget-ms, --seed as PlacementOptions fields (only those given). */
export function refineOptions(values: { refine?: boolean; 'budget-ms'?: string; seed?: string }): Pick<PlacementOptions, 'refine' | 'budgetMs' | 'seed'> {
  const out: Pick<PlacementOptions, 'refine' | 'budgetMs' | 'seed'> = {};
  if (values.refine) out.refine = true;
  if (values['budget-ms'] !== undefined) {
    const ms = Number(values['budget-ms']);
    if (values['budget-ms'].trim() === '' || !Number.isFinite(ms) || ms < 0 || ms > 3_600_000) throw new OpplaceError(`--budget-ms must be a number of milliseconds in 0…3600000, got "${values['budget-ms']}"`);
    out.budgetMs = ms;
  }
  if (values.seed !== undefined) out.seed = intOption(values.seed, 'seed', 1, 0);
  if (out.seed !== undefined && out.seed > 0xffffffff) throw new OpplaceError(`--seed must be at most 4294967295, got "${values.seed}"`);
  return out;
}

/** --training OPT, or undefined. */
export function parseTraining(value: string | undefined): Optimizer | undefined {
  return value === undefined ? undefined : parseChoice(value, 'training', OPTIMIZERS, 'adam');
}

/** The placement options of a command line (devices default 4, memory default 16GiB). */
export function placementOptions(values: PlacementValues, defaults: { algorithm?: AlgorithmName; memory?: string } = {}): PlacementOptions {
  const { devices, topology } = devicesAndTopology(values);
  const options: PlacementOptions = {
    algorithm: parseChoice(values.algorithm, 'algorithm', ALGORITHMS, defaults.algorithm ?? 'm-etf') as AlgorithmName,
    devices,
    memoryLimits: parseMemoryLimits(values.memory ?? defaults.memory ?? '16GiB', devices),
    comm: values.comm ?? 'baechi',
    grouping: parseChoice<GroupingMode>(values.grouping, 'grouping', ['none', 'colocation', 'coplace'], 'colocation'),
    fuse: Boolean(values.fuse),
    ...(values.theta !== undefined ? { theta: parseTheta(values.theta) } : {}),
    ...refineOptions(values),
    ...(topology !== undefined ? { topology } : {}),
  };
  parseInterconnect(options.comm);
  return options;
}

export function prepareOptions(values: PlacementValues): PrepareOptions {
  return {
    format: values.format === undefined ? undefined : (parseChoice(values.format, 'format', MODEL_FORMATS, 'onnx') as ModelFormat),
    batch: intOption(values.batch, 'batch', 1),
    dtype: values.dtype === undefined ? undefined : parseDtype(values.dtype),
    device: values['device-type'] === undefined ? undefined : getDevicePreset(values['device-type']),
  };
}

/** Loads and costs a model, then applies the training memory model when asked. */
export function loadPlacementGraph(file: string, prepare: PrepareOptions, training: Optimizer | undefined): OpGraph {
  const graph = warnIgnoredModelOptions(prepareGraphFromFile(file, prepare), prepare);
  if (!training) return graph;
  const backward = backwardOpCount(graph);
  if (backward > 0) {
    throw new OpplaceError(`the graph is already a training step (${backward} backward ops); --training ${training} would add a second backward pass — leave --training out for this file`, { file });
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
 * The loader's warnings (unknown ops, an ignored --batch, …) on stderr, one line each: a plan built
 * on a guess must say so where the plan is printed, not only in `opplace inspect`.
 */
export function printWarnings(io: CliIO, command: string, file: string, graph: OpGraph): void {
  for (const w of graph.warnings ?? []) io.err(`opplace ${command}: ${file}: warning: ${w}\n`);
}
