// `opplace compare FILE...`: every placer on the same model and devices in one table — makespan,
// gap to the lower bound, peak memory per device, transfers, placement time, whether it fits.
// Exit code 3 when no placer finds a plan for some file, 2 on bad input.
import { isOpplaceError, OpplaceError } from '../../algorithms/errors';
import type { AlgorithmName, PlacementOptions } from '../../algorithms/plan';
import { ALGORITHMS, COMPARE_ALGORITHMS } from '../../algorithms/options';
import { compareAlgorithms, compareSplits, Comparison, fastestRow, fastestSplit, ThroughputRow } from '../../algorithms/compare';
import { PIPELINE_SPLITS } from '../../algorithms/options';
import { PIPELINE_HELP, pipelineOptionsOn } from './pipeline';
import { formatBytes, formatUs } from '../../algorithms/units';
import { parseCommandArgs } from '../args';
import type { CliIO } from '../io';
import { alignTable } from '../table';
import {
  loadPlacementGraph,
  optionsForGraph,
  printMemoryNotes,
  printWarnings,
  parseTraining,
  PLACEMENT_HELP,
  PLACEMENT_SPEC,
  placementOptions,
  prepareOptions,
} from '../placementArgs';
import { displayText, jsonDisplay } from '../../algorithms/text';

/** Table order: Baechi's placers, the refinement, the baselines. */
export const COMPARED = COMPARE_ALGORITHMS;

const HELP = `usage: opplace compare FILE... [options]

Runs the placers (${COMPARED.join(', ')}) on each model with the same devices and
limits and prints one table: makespan, gap to the lower bound, peak memory per device, transfers
(count and bytes), placement time and whether the plan fits. Then the throughput section: each
pipeline split (${PIPELINE_SPLITS.join(', ')}) on the same devices, with its time per sample,
throughput speed-up over one device, step time of M microbatches, bubble and planning time (see
\`opplace pipeline\`). Exit code 3 when no placer fits a model, 2 on bad input.

options:
  --devices N        number of devices (default 4)
  --memory SIZE[,SIZE...]
                     memory limit per device, one for all or one per device (default 16GiB)
  --only A,B,...     compare only these placers
${PLACEMENT_HELP}throughput section:
${PIPELINE_HELP}  --no-pipeline      leave the throughput section out (also left out with --topology)
  --json             one JSON object per file, one per line
  -h, --help         this help
`;

const SPEC = {
  ...PLACEMENT_SPEC,
  only: { type: 'string' },
  microbatches: { type: 'string' },
  schedule: { type: 'string' },
  'no-pipeline': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseOnly(value: string | undefined): AlgorithmName[] {
  if (value === undefined) return [...COMPARED];
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new OpplaceError('--only needs at least one placer');
  for (const a of list)
    if (!(ALGORITHMS as readonly string[]).includes(a)) throw new OpplaceError(`--only: unknown placer "${a}" (expected ${COMPARED.join(', ')})`);
  return COMPARED.filter((a) => list.includes(a));
}

/**
 * One limit when all devices share it, else every device's in device order: "16.0 GiB/8.00 GiB" for
 * 16,16,8,8 read as two devices, and did not say which device had which limit.
 */
export function limitsText(limits: number[]): string {
  const text = limits.map((l) => (Number.isFinite(l) ? formatBytes(l) : '∞'));
  return new Set(text).size === 1 ? text[0] : text.join(', ');
}

function formatTable({ file, options, lowerBoundUs, rows }: Comparison): string {
  const head = `${file}  (${options.devices} device${options.devices > 1 ? 's' : ''}, limits ${limitsText(options.memoryLimits)}, comm ${options.comm}, grouping ${options.grouping}; lower bound ${formatUs(lowerBoundUs)})`;
  const table = [['placer', 'fits', 'makespan', 'gap', 'peak memory per device', 'transfers', 'bytes moved', 'time']];
  // A plan that does not fit moves nothing: "–", not "0 transfers, 0 B".
  const NONE = '–';
  for (const r of rows) {
    table.push([
      r.algorithm,
      r.feasible ? 'yes' : 'no',
      r.makespanUs === null ? NONE : formatUs(r.makespanUs),
      r.gapPercent === null ? NONE : `${r.gapPercent.toFixed(1)}%`,
      r.peakBytes.length ? r.peakBytes.map(formatBytes).join(' | ') : NONE,
      r.feasible ? String(r.transfers) : NONE,
      r.feasible ? formatBytes(r.transferBytes) : NONE,
      `${r.placeMs.toFixed(0)} ms`,
    ]);
  }
  const lines = [head, ...alignTable(table, [0, 4])];
  const best = fastestRow(rows);
  if (best) lines.push(`  fastest plan that fits: ${best.algorithm} (${formatUs(best.makespanUs!)})`);
  else lines.push('  no placer fits this model in these limits');
  for (const r of rows) if (!r.feasible && (r.error ?? r.reason)) lines.push(`  ${r.algorithm}: ${r.error ?? r.reason}`);
  return lines.join('\n');
}

function formatThroughput(rows: ThroughputRow[], microbatches: number, schedule: string): string {
  const table = [['split', 'fits', 'time per sample', 'speed-up', `step (${microbatches} × ${schedule})`, 'bubble', 'time']];
  for (const r of rows) {
    table.push([
      r.split,
      r.feasible ? 'yes' : 'no',
      r.timePerSampleUs === null ? '-' : formatUs(r.timePerSampleUs),
      r.throughputSpeedup === null ? '-' : `${r.throughputSpeedup.toFixed(2)}×`,
      r.stepUs === null ? '-' : formatUs(r.stepUs),
      r.bubble === null ? '-' : `${(r.bubble * 100).toFixed(1)}%`,
      `${r.placeMs.toFixed(0)} ms`,
    ]);
  }
  const lines = ['  throughput (a pipeline of microbatches, `opplace pipeline`):', ...alignTable(table, [0]).map((l) => `  ${l}`)];
  const best = fastestSplit(rows);
  if (best)
    lines.push(
      `  highest throughput that fits: ${best.split} split (${formatUs(best.timePerSampleUs!)} per sample, ${best.throughputSpeedup!.toFixed(2)}× one device)`,
    );
  else lines.push('  no pipeline split fits this model in these limits');
  for (const r of rows) if (!r.feasible && (r.error ?? r.reason)) lines.push(`  ${r.split}: ${r.error ?? r.reason}`);
  return lines.join('\n');
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPEC, 'compare');
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new OpplaceError('no model file given (see `opplace compare --help`)');
  if (values.algorithm !== undefined) throw new OpplaceError('compare runs every placer: use --only A,B instead of --algorithm');
  if (values.refine) throw new OpplaceError('compare already lists the refine placer: drop --refine');
  const base = placementOptions(values);
  printMemoryNotes(io, 'compare', values.memory);
  const algorithms = parseOnly(values.only);
  const training = parseTraining(values.training);
  const prepare = prepareOptions(values);
  // the throughput section plans on the latency table's devices, limits and link; bad
  // --microbatches / --schedule fail before any file is read; a pipeline takes one link, so a
  // --topology comparison has no throughput section
  const pipelineOn = (o: PlacementOptions) => pipelineOptionsOn({ ...o, grouping: o.grouping === 'coplace' ? 'colocation' : o.grouping }, values);
  const pipeline = values['no-pipeline'] || base.topology !== undefined ? undefined : pipelineOn(base);
  let exit = 0;
  for (const file of positionals) {
    let comparison: Comparison;
    try {
      const graph = loadPlacementGraph(file, prepare, training);
      printWarnings(io, 'compare', file, graph);
      ({ comparison } = await compareAlgorithms(graph, optionsForGraph(base, values, graph), { file, algorithms }));
      if (pipeline) comparison.throughput = await compareSplits(graph, pipelineOn(comparison.options), { file });
    } catch (e) {
      if (!isOpplaceError(e)) throw e;
      io.err(`opplace compare: ${(e as Error).message}\n`);
      exit = 2;
      continue;
    }
    const { rows, lowerBoundUs } = comparison;
    if (!rows.some((r) => r.feasible) && exit === 0) exit = 3;
    const { options } = comparison;
    const section = pipeline ? { microbatches: pipeline.microbatches, schedule: pipeline.schedule, throughput: comparison.throughput } : {};
    const text = formatTable(comparison) + (pipeline ? '\n' + formatThroughput(comparison.throughput!, pipeline.microbatches, pipeline.schedule) : '');
    io.out(
      values.json
        ? jsonDisplay(
            JSON.stringify({ file, devices: options.devices, memoryLimits: options.memoryLimits, comm: options.comm, lowerBoundUs, results: rows, ...section }),
          ) + '\n'
        : text.split('\n').map(displayText).join('\n') + '\n\n',
    );
  }
  return exit;
}
