// `opplace pipeline FILE...`: plan a model for throughput — stages on N memory-limited devices,
// M microbatches flowing through them under GPipe or 1F1B — and print per stage its ops, load
// (compute + communication) and memory against its limit; the time per sample, the throughput
// speed-up over one device, the step time of M microbatches and the bubble. Exit code 3 when a plan
// does not fit, 2 when a file could not be read (the other files still run).
import { isOpplaceError, OpplaceError } from '../../algorithms/errors';
import type { OpGraph } from '../../algorithms/graph';
import { planPipeline } from '../../algorithms/pipeline/index';
import { PIPELINE_SCHEDULES, PIPELINE_SPLITS, PipelineOptions, PipelinePlan, PipelineStage } from '../../algorithms/pipeline/types';
import type { PlacementOptions } from '../../algorithms/plan';
import { formatBytes, formatBytesAtLeast, formatUs } from '../../algorithms/units';
import { parseComm } from '../../algorithms/pipeline/comm';
import { fileDefaults } from '../../algorithms/loaders/dnnPartitioning';
import { parseCommandArgs } from '../args';
import type { CliIO } from '../io';
import { alignTable } from '../table';
import { checkPlanOutputs, writePlansFile } from '../outputPath';
import { loadPlacementGraph, MODEL_DIMS_SPEC, MODEL_HELP, parseTraining, prepareOptions, printMemoryNotes, printWarnings } from '../placementArgs';
import { CLI_INPUT_DEFAULTS, cliLabel, DEFAULTS, INTERCONNECTS, parsePipelineInput, parsePlacementInput } from '../../algorithms/options';
import { displayText, jsonDisplay } from '../../algorithms/text';

/** parseArgs spec of the pipeline options (shared with `opplace compare`'s throughput section). */
export const PIPELINE_SPEC = {
  split: { type: 'string' },
  microbatches: { type: 'string' },
  schedule: { type: 'string' },
} as const;

/** Help of the pipeline options (shared with `opplace compare`). */
export const PIPELINE_HELP = `  --microbatches M   microbatches per step (default ${DEFAULTS.microbatchesPerDevice} × devices: GPipe's bubble is
                     under 20% from there on)
  --schedule S       ${PIPELINE_SCHEDULES.join(' | ')} (default ${DEFAULTS.schedule}): GPipe runs every forward, then every
                     backward (each stage stashes M microbatches of activations); 1F1B
                     alternates (stage s of S stashes S − s)
`;

const HELP = `usage: opplace pipeline FILE... [options]

Plans each model for throughput: the devices form a pipeline of stages and M microbatches flow
through it, every device working at once. Prints per stage its ops (count, first and last), its
load per sample (compute + communication) and its memory (persistent + stashed activations)
against the limit; the time per sample (the largest load), the throughput speed-up over one
device, the step time of M microbatches under the schedule and its bubble (idle share). Exit
code 3 when a plan does not fit (the op or group that does not and the smallest memory that
would are printed), 2 on bad input.

options:
  --devices N        number of devices (default: the file's maxFPGAs for dnn-partitioning
                     graphs, else 4)
  --memory SIZE[,SIZE...]
                     memory limit per device, one for all or one per device (e.g. 16GiB,
                     512MiB or bytes; default: the file's maxSizePerFPGA, else 16GiB); hard
  --split S          ${PIPELINE_SPLITS.join(' | ')} (default ${DEFAULTS.split}):
                     sequential  stages are consecutive ranges of one topological order
                                 (what torch pipelining, DeepSpeed and Accelerate run)
                     contiguous  each stage's ops form a convex set (the stage graph is acyclic)
                     any         no shape constraint: local search from the best of the others
${PIPELINE_HELP}  --comm PRESET      interconnect: ${INTERCONNECTS.join(', ')}, or LATENCY_US:GBPS;
                     file: a tensor that crosses devices costs its edge's own transfer time
                     (default file for dnn-partitioning graphs, which give it, else baechi)
  --grouping G       none | colocation (default ${DEFAULTS.grouping}): colocation groups share a stage
  --budget-ms MS     --split any: search budget (default ${DEFAULTS.budgetMs}), turned into a fixed amount of
                     work, so the plan is deterministic
  --seed N           --split any: random seed (default ${DEFAULTS.seed})
${MODEL_HELP}  --json             one JSON object per file, one per line
  --out FILE         write the full plan (a JSON array when several files) to FILE
  --report FILE      write a standalone HTML report with the pipeline plan (one input file)
  -h, --help         this help
`;

export const SPEC = {
  ...MODEL_DIMS_SPEC,
  devices: { type: 'string' },
  memory: { type: 'string' },
  comm: { type: 'string' },
  grouping: { type: 'string' },
  'budget-ms': { type: 'string' },
  seed: { type: 'string' },
  training: { type: 'string' },
  format: { type: 'string' },
  batch: { type: 'string' },
  'force-batch': { type: 'boolean' },
  dtype: { type: 'string' },
  'device-type': { type: 'string' },
  ...PIPELINE_SPEC,
  json: { type: 'boolean' },
  out: { type: 'string' },
  report: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type PipelineValues = {
  [K in keyof typeof SPEC]?: (typeof SPEC)[K] extends { multiple: true } ? string[] : (typeof SPEC)[K]['type'] extends 'boolean' ? boolean : string;
};

/**
 * The pipeline options of a command line for one graph, through the one options parse
 * (algorithms/options.ts): what is not given comes from the file (dnn-partitioning maxFPGAs,
 * maxSizePerFPGA, and its edges' own transfer times as `--comm file`, as its paper plans them),
 * else the command line's defaults.
 */
export function pipelineOptions(values: PipelineValues, graph: OpGraph): PipelineOptions {
  const own = fileDefaults(graph);
  const { options: placement } = parsePlacementInput(
    { devices: values.devices, memory: values.memory, comm: values.comm, grouping: values.grouping, budgetMs: values['budget-ms'], seed: values.seed },
    {
      ...CLI_INPUT_DEFAULTS,
      devices: own.devices ?? DEFAULTS.devices,
      memory: own.memoryBytes !== undefined ? [Math.round(own.memoryBytes)] : DEFAULTS.memory,
      comm: graph.edges.some((e) => e.costUs !== undefined) ? 'file' : DEFAULTS.comm,
    },
    cliLabel,
  );
  parseComm(placement.comm, graph, graph.source?.file);
  return pipelineOptionsOn(placement, values);
}

/**
 * Pipeline options on checked placement options (devices, limits, link, grouping, search seed and
 * budget) — `opplace compare` plans its throughput section on its latency table's — with the
 * split, microbatches and schedule of a command line.
 */
export function pipelineOptionsOn(placement: PlacementOptions, values: { split?: string; microbatches?: string; schedule?: string }): PipelineOptions {
  if (placement.grouping === 'coplace')
    throw new OpplaceError("--grouping coplace is a latency placer's grouping; a pipeline keeps colocation groups together (colocation) or not (none)");
  if (placement.topology !== undefined) throw new OpplaceError('a pipeline plan takes one link between devices (--comm), not a --topology');
  return {
    devices: placement.devices,
    memoryLimits: placement.memoryLimits,
    comm: placement.comm,
    grouping: placement.grouping,
    ...parsePipelineInput(values, placement.devices, (k) => `--${k}`),
    ...(placement.seed !== undefined ? { seed: placement.seed } : {}),
    ...(placement.budgetMs !== undefined ? { budgetMs: placement.budgetMs } : {}),
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** What `--json` prints per file (the fields; the full plan, with the tasks, goes to --out). */
export function pipelineRecord(plan: PipelinePlan): Record<string, unknown> {
  const record: Record<string, unknown> = {
    file: plan.file,
    objective: plan.objective,
    split: plan.split,
    schedule: plan.schedule,
    microbatches: plan.microbatches,
    devices: plan.options.devices,
    comm: plan.options.comm,
    feasible: plan.feasible,
    timePerSampleUs: plan.timePerSampleUs,
    singleDeviceUs: plan.singleDeviceUs,
    throughputSpeedup: plan.throughputSpeedup,
    stepUs: plan.stepUs,
    bubble: plan.bubble,
    placeMs: round3(plan.placeMs),
    stages: plan.stages.map((s) => ({
      index: s.index,
      device: s.device,
      nodes: s.nodes,
      loadUs: s.loadUs,
      computeUs: s.computeUs,
      commUs: s.commUs,
      forwardUs: s.forwardUs,
      backwardUs: s.backwardUs,
      memoryBytes: s.memoryBytes,
      persistentBytes: s.persistentBytes,
      stashedBytes: s.stashedBytes,
      peakBytes: s.peakBytes,
      memoryLimitBytes: s.memoryLimitBytes,
      busyUs: s.busyUs,
    })),
  };
  if (plan.warnings?.length) record.warnings = plan.warnings;
  if (!plan.feasible) {
    record.reason = plan.reason;
    if (plan.minimumMemoryBytes !== undefined) record.minimumMemoryBytes = plan.minimumMemoryBytes;
  }
  return record;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const limitText = (bytes: number) => (Number.isFinite(bytes) ? formatBytes(bytes) : '∞');

/** "conv1 … fc": the names of the stage's first and last op (one op: its name; none: "-"). */
function firstLast(stage: PipelineStage, nameOf: Map<string, string>): string {
  const n = stage.nodes.map((id) => nameOf.get(id) ?? id);
  if (n.length === 0) return '-';
  return n.length === 1 ? n[0] : `${n[0]} … ${n[n.length - 1]}`;
}

export function formatPipelinePlan(plan: PipelinePlan, graph: OpGraph): string {
  const o = plan.options;
  const head = `${plan.file}  (pipeline, ${o.split} split, ${o.devices} device${o.devices > 1 ? 's' : ''}, comm ${o.comm}, ${o.schedule}, ${o.microbatches} microbatch${o.microbatches > 1 ? 'es' : ''}; ${graph.nodes.length} ops)`;
  const lines = [head];
  if (!plan.feasible && plan.stages.length === 0) {
    lines.push(`  infeasible: ${plan.reason ?? 'no plan fits the memory limits'}`);
    if (plan.minimumMemoryBytes !== undefined) lines.push(`  smallest uniform memory per device that works: ${formatBytesAtLeast(plan.minimumMemoryBytes)}`);
    lines.push(`  tried in ${plan.placeMs.toFixed(1)} ms`);
    return lines.join('\n');
  }
  const nameOf = new Map(graph.nodes.map((v) => [v.id, v.name]));
  const rows = [['stage', 'device', 'ops', 'first … last', 'load', 'compute', 'comm', 'memory', 'limit', 'use', 'peak']];
  for (const s of plan.stages) {
    rows.push([
      String(s.index),
      String(s.device),
      String(s.nodes.length),
      firstLast(s, nameOf),
      formatUs(s.loadUs),
      formatUs(s.computeUs),
      formatUs(s.commUs),
      formatBytes(s.memoryBytes),
      limitText(s.memoryLimitBytes),
      s.memoryLimitBytes > 0 && Number.isFinite(s.memoryLimitBytes) ? pct(s.memoryBytes / s.memoryLimitBytes) : '-',
      formatBytes(s.peakBytes),
    ]);
  }
  lines.push(...alignTable(rows, [3]));
  const speedup = plan.timePerSampleUs > 0 ? ` · throughput ${plan.throughputSpeedup.toFixed(2)}× one device (${formatUs(plan.singleDeviceUs)})` : '';
  lines.push(`  time per sample ${formatUs(plan.timePerSampleUs)}${speedup}`);
  lines.push(
    `  step of ${o.microbatches} microbatch${o.microbatches > 1 ? 'es' : ''} (${o.schedule}) ${formatUs(plan.stepUs)} · bubble ${pct(plan.bubble)} · planned in ${plan.placeMs.toFixed(1)} ms`,
  );
  if (!plan.feasible) {
    lines.push(`  over the limit: ${plan.reason ?? 'a stage does not fit'}`);
    if (plan.minimumMemoryBytes !== undefined) lines.push(`  smallest uniform memory per device that works: ${formatBytesAtLeast(plan.minimumMemoryBytes)}`);
  }
  return lines.join('\n');
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPEC, 'pipeline');
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new OpplaceError('no model file given (see `opplace pipeline --help`)');
  printMemoryNotes(io, 'pipeline', values.memory);
  const training = parseTraining(values.training);
  const prepare = prepareOptions(values);
  // before any work: a bad output path fails at once, and never names a model file
  checkPlanOutputs(values, positionals);
  // option values that do not depend on the file fail before any file is read
  pipelineOptions(values, { name: '', nodes: [], edges: [], warnings: [] });

  let exit = 0;
  const plans: PipelinePlan[] = [];
  for (const file of positionals) {
    let graph: OpGraph;
    let plan: PipelinePlan;
    try {
      graph = loadPlacementGraph(file, prepare, training);
      printWarnings(io, 'pipeline', file, graph);
      if (graph.nodes.every((n) => n.computeUs <= 0)) io.err(`opplace pipeline: ${file}: no op has a compute time; the time per sample will be 0\n`);
      plan = await planPipeline(graph, pipelineOptions(values, graph), file);
    } catch (e) {
      if (!isOpplaceError(e)) throw e;
      io.err(`opplace pipeline: ${(e as Error).message}\n`);
      exit = 2;
      continue;
    }
    plans.push(plan);
    for (const w of plan.warnings ?? []) io.err(`opplace pipeline: ${displayText(file)}: warning: ${displayText(w)}\n`);
    if (!plan.feasible && exit === 0) exit = 3;
    io.out(
      values.json ? jsonDisplay(JSON.stringify(pipelineRecord(plan))) + '\n' : formatPipelinePlan(plan, graph).split('\n').map(displayText).join('\n') + '\n\n',
    );
    if (values.report !== undefined) await writeReport(values.report, graph, plan, file);
  }
  if (values.out !== undefined && plans.length) writePlansFile(values.out, plans);
  return exit;
}

/** The placement options the report's controls start from: the pipeline's devices, limits and link. */
function reportOptions(plan: PipelinePlan): PlacementOptions {
  const o = plan.options;
  return {
    algorithm: DEFAULTS.algorithm,
    devices: o.devices,
    memoryLimits: o.memoryLimits,
    comm: o.comm,
    grouping: o.grouping ?? DEFAULTS.grouping,
    fuse: false,
  };
}

async function writeReport(out: string, graph: OpGraph, plan: PipelinePlan, file: string): Promise<void> {
  // Loaded on demand: the report pulls in the viewer bundle, which plain planning never needs.
  const { writeReportFile } = await import('../report');
  writeReportFile(out, { graph, plan: null, options: reportOptions(plan), pipelinePlan: plan, file });
}
