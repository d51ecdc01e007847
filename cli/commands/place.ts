// `opplace place FILE...`: place each model on N memory-limited devices with one of the placers
// and print the plan — a table per device, or with --json one object per file per line. Exit code
// 3 when a placement is infeasible, 2 when a file could not be read (the other files still run).
import { writeFileSync } from 'node:fs';
import { isOpplaceError, OpplaceError } from '../../algorithms/errors';
import type { OpGraph } from '../../algorithms/graph';
import { MODEL_FORMATS, ModelFormat } from '../../algorithms/loaders/index';
import { DEFAULT_DEVICE, DEVICE_PRESETS, getDevicePreset, parseDtype } from '../../algorithms/cost/devices';
import { INTERCONNECT_PRESETS, parseInterconnect } from '../../algorithms/cost/interconnect';
import { prepareGraphFromFile, PrepareOptions } from '../../algorithms/pipeline';
import { ALGORITHMS, AlgorithmName, GroupingMode, Plan, PlacementOptions } from '../../algorithms/plan';
import { placeGraph, validatePlacementOptions } from '../../algorithms/placement/index';
import { formatBytes, formatBytesAtLeast, formatUs, parseMemoryLimits } from '../../algorithms/units';
import { intOption, parseCommandArgs } from '../args';
import type { CliIO } from '../io';
import { devicesAndTopology, parseTraining, refineOptions, TOPOLOGY_HELP } from '../placementArgs';
import { trainingGraph } from '../../algorithms/training';

const HELP = `usage: opplace place FILE... [options]

Places each model on N memory-limited devices and prints the plan: per device the ops, busy
time and peak memory against its limit; the simulated step time (makespan), its lower bound and
the gap. Exit code 3 when a placement does not fit (the smallest uniform memory that would is
printed), 2 on bad input.

options:
  --devices N        number of devices (default 4)
  --memory SIZE[,SIZE...]
                     memory limit per device, one for all or one per device
                     (e.g. 16GiB, 512MiB, 1TiB or bytes; default 16GiB)
  --algorithm A      ${ALGORITHMS.join(' | ')} (default m-etf)
  --comm PRESET      interconnect: ${Object.keys(INTERCONNECT_PRESETS).join(', ')}, or LATENCY_US:GBPS
                     (default baechi: 134 µs + 5.7 GB/s, as measured by Baechi)
${TOPOLOGY_HELP}  --grouping G       none | colocation | coplace (default colocation)
  --fuse             fuse connected ops of the same group before placing
  --theta X          m-SCT favourite-child threshold in (0, 1] (default 0.5)
  --refine           improve the placer's plan by local search (--algorithm refine starts
                     from the best of m-etf and m-sct)
  --budget-ms MS     refinement budget (default 2000), turned into a fixed amount of work:
                     the same input and options give the same plan
  --seed N           refinement random seed (default 1)
  --training OPT     model a training step: sgd | momentum | adam
  --format F         ${MODEL_FORMATS.join(' | ')} (default: from the file name)
  --batch N          value for symbolic or missing batch dims (default 1)
  --dtype D          fp32 | fp16 | bf16 for the cost model (default fp32)
  --device-type P    GPU preset for the cost model (default ${DEFAULT_DEVICE}):
                     ${Object.keys(DEVICE_PRESETS).join(', ')}
  --json             one JSON object per file, one per line
  --out FILE         write the full plan (a JSON array when several files) to FILE
  --report FILE      write a standalone HTML report of the plan (one input file)
  -h, --help         this help
`;

const SPEC = {
  devices: { type: 'string' },
  memory: { type: 'string' },
  algorithm: { type: 'string' },
  comm: { type: 'string' },
  topology: { type: 'string' },
  grouping: { type: 'string' },
  fuse: { type: 'boolean' },
  theta: { type: 'string' },
  refine: { type: 'boolean' },
  'budget-ms': { type: 'string' },
  seed: { type: 'string' },
  training: { type: 'string' },
  format: { type: 'string' },
  batch: { type: 'string' },
  dtype: { type: 'string' },
  'device-type': { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  report: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseChoice<T extends string>(value: string | undefined, name: string, choices: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new OpplaceError(`--${name} must be one of ${choices.join(', ')}, got "${value}"`);
}

function parseTheta(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Number(value);
  if (!(t > 0 && t <= 1)) throw new OpplaceError(`--theta must be a number in (0, 1], got "${value}"`);
  return t;
}

/** What `--json` prints per file (the issue's fields; the full plan goes to --out). */
export function planRecord(plan: Plan): Record<string, unknown> {
  const record: Record<string, unknown> = {
    file: plan.file,
    algorithm: plan.algorithm,
    feasible: plan.feasible,
    makespanUs: plan.makespanUs,
    lowerBoundUs: plan.lowerBoundUs,
    placeMs: Math.round(plan.placeMs * 1000) / 1000,
    devices: plan.devices.map((d) => ({ index: d.index, memoryLimitBytes: d.memoryLimitBytes, peakBytes: d.peakBytes, busyUs: d.busyUs })),
    schedule: plan.schedule,
    transfers: plan.transfers,
    criticalPath: plan.criticalPath,
  };
  if (plan.refine) record.refine = plan.refine;
  if (!plan.feasible) {
    record.reason = plan.reason;
    if (plan.minimumMemoryBytes !== undefined) record.minimumMemoryBytes = plan.minimumMemoryBytes;
  }
  return record;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatPlan(plan: Plan, graph: OpGraph): string {
  const o = plan.options!;
  const head = `${plan.file}  (${plan.algorithm}, ${o.devices} device${o.devices > 1 ? 's' : ''}, ${o.topology !== undefined ? `topology ${o.topology}` : `comm ${o.comm}`}, grouping ${o.grouping}${o.fuse ? ', fused' : ''}; ${graph.nodes.length} ops)`;
  const lines = [head];
  if (!plan.feasible && plan.schedule.length === 0) {
    lines.push(`  infeasible: ${plan.reason}`);
    if (plan.minimumMemoryBytes !== undefined) lines.push(`  smallest uniform memory per device that works: ${formatBytesAtLeast(plan.minimumMemoryBytes)}`);
    lines.push(`  lower bound ${formatUs(plan.lowerBoundUs)} · tried in ${plan.placeMs.toFixed(1)} ms`);
    return lines.join('\n');
  }
  const opsPer = new Array(o.devices).fill(0);
  for (const s of plan.schedule) opsPer[s.device]++;
  const rows = [['device', 'ops', 'busy', 'busy %', 'peak memory', 'limit', 'use']];
  for (const d of plan.devices) {
    rows.push([
      String(d.index), String(opsPer[d.index]), formatUs(d.busyUs), plan.makespanUs > 0 ? pct(d.busyUs / plan.makespanUs) : '-',
      formatBytes(d.peakBytes), Number.isFinite(d.memoryLimitBytes) ? formatBytes(d.memoryLimitBytes) : '∞',
      d.memoryLimitBytes > 0 && Number.isFinite(d.memoryLimitBytes) ? pct(d.peakBytes / d.memoryLimitBytes) : '-',
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) lines.push('  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  const gap = plan.lowerBoundUs > 0 ? plan.makespanUs / plan.lowerBoundUs - 1 : 0;
  lines.push(`  makespan ${formatUs(plan.makespanUs)} · lower bound ${formatUs(plan.lowerBoundUs)} · gap ${pct(gap)} · placed in ${plan.placeMs.toFixed(1)} ms`);
  const speedup = plan.singleDeviceUs && plan.makespanUs > 0 ? ` · speed-up over one device ${(plan.singleDeviceUs / plan.makespanUs).toFixed(2)}×` : '';
  lines.push(`  ${plan.transfers.length} transfers · critical path ${plan.criticalPath.length} ops${speedup}`);
  if (plan.refine) lines.push(`  refined from ${plan.refine.startAlgorithm} (${formatUs(plan.refine.startMakespanUs)}): ${plan.refine.gainPercent.toFixed(1)}% faster, ${plan.refine.movedOps} ops moved, devices changed: ${plan.refine.devicesChanged.join(', ') || 'none'}`);
  if (plan.lp) lines.push(`  m-SCT LP: ${plan.lp.method}, optimum ${formatUs(plan.lp.objectiveUs)}`);
  if (!plan.feasible) lines.push(`  over the limit: ${plan.reason}`);
  return lines.join('\n');
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPEC, 'place');
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new OpplaceError('no model file given (see `opplace place --help`)');
  const { devices, topology } = devicesAndTopology(values);
  const options: PlacementOptions = {
    algorithm: parseChoice(values.algorithm, 'algorithm', ALGORITHMS, 'm-etf') as AlgorithmName,
    devices,
    memoryLimits: parseMemoryLimits(values.memory ?? '16GiB', devices),
    comm: values.comm ?? 'baechi',
    grouping: parseChoice<GroupingMode>(values.grouping, 'grouping', ['none', 'colocation', 'coplace'], 'colocation'),
    fuse: Boolean(values.fuse),
    ...(values.theta !== undefined ? { theta: parseTheta(values.theta) } : {}),
    ...refineOptions(values),
    ...(topology !== undefined ? { topology } : {}),
  };
  const training = parseTraining(values.training);
  parseInterconnect(options.comm);
  validatePlacementOptions(options);
  if (values.report !== undefined && positionals.length !== 1) throw new OpplaceError('--report takes exactly one model file');
  const prepare: PrepareOptions = {
    format: values.format === undefined ? undefined : (parseChoice(values.format, 'format', MODEL_FORMATS, 'onnx') as ModelFormat),
    batch: intOption(values.batch, 'batch', 1),
    dtype: values.dtype === undefined ? undefined : parseDtype(values.dtype),
    device: values['device-type'] === undefined ? undefined : getDevicePreset(values['device-type']),
  };

  let exit = 0;
  const plans: Plan[] = [];
  for (const file of positionals) {
    let graph: OpGraph;
    let plan: Plan;
    try {
      graph = prepareGraphFromFile(file, prepare);
      if (training) graph = trainingGraph(graph, { optimizer: training });
      if (graph.nodes.every((n) => n.computeUs <= 0)) io.err(`opplace place: ${file}: no op has a compute time; the makespan will be 0\n`);
      plan = await placeGraph(graph, options, file);
    } catch (e) {
      if (!isOpplaceError(e)) throw e;
      io.err(`opplace place: ${(e as Error).message}\n`);
      exit = 2;
      continue;
    }
    plans.push(plan);
    if (!plan.feasible && exit === 0) exit = 3;
    io.out(values.json ? JSON.stringify(planRecord(plan)) + '\n' : formatPlan(plan, graph) + '\n\n');
    if (values.report !== undefined) await writeReport(values.report, graph, plan, options, file);
  }
  if (values.out !== undefined && plans.length) {
    const text = JSON.stringify(plans.length === 1 ? plans[0] : plans, null, 1) + '\n';
    try {
      writeFileSync(values.out, text);
    } catch (e) {
      throw new OpplaceError(`cannot write the plan (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: values.out });
    }
  }
  return exit;
}

async function writeReport(out: string, graph: OpGraph, plan: Plan, options: PlacementOptions, file: string): Promise<void> {
  // Loaded on demand: the report pulls in the viewer bundle, which plain placement never needs.
  const { buildReportHtml } = await import('../report');
  const html = buildReportHtml({ graph, plan, options, file });
  try {
    writeFileSync(out, html);
  } catch (e) {
    throw new OpplaceError(`cannot write the report (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: out });
  }
}
