// `opplace place FILE...`: place each model on N memory-limited devices with one of the placers
// and print the plan — a table per device, or with --json one object per file per line. Exit code
// 3 when a placement is infeasible, 2 when a file could not be read (the other files still run).
import { isOpplaceError, OpplaceError } from '../../algorithms/errors';
import type { OpGraph } from '../../algorithms/graph';
import type { Plan, PlacementOptions } from '../../algorithms/plan';
import { ALGORITHMS, DEFAULTS, parseLink } from '../../algorithms/options';
import { placeGraph, validatePlacementOptions } from '../../algorithms/placement/index';
import { INTERCONNECT_PRESETS } from '../../algorithms/cost/interconnect';
import { formatBytes, formatBytesAtLeast, formatUs, plural } from '../../algorithms/units';
import { parseCommandArgs } from '../args';
import type { CliIO } from '../io';
import { alignTable } from '../table';
import { checkPlanOutputs, writePlansFile } from '../outputPath';
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
  --algorithm A      ${ALGORITHMS.join(' | ')} (default ${DEFAULTS.algorithm})
${PLACEMENT_HELP}  --json             one JSON object per file, one per line
  --out FILE         write the full plan (a JSON array when several files) to FILE
  --report FILE      write a standalone HTML report of the plan (one input file)
  -h, --help         this help
`;

const SPEC = {
  ...PLACEMENT_SPEC,
  json: { type: 'boolean' },
  out: { type: 'string' },
  report: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

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

/** What might spread a one-device plan, leaving out what the user already chose. */
export function oneDeviceHints(o: PlacementOptions): string[] {
  const hints: string[] = [];
  if (o.topology === undefined) {
    // The fastest preset, when it is faster than the link in use.
    const fastest = INTERCONNECT_PRESETS.nvlink4;
    const now = parseLink(o.comm, '--comm');
    if (now.name !== 'none' && now.usPerByte > fastest.usPerByte) hints.push(`a faster link (e.g. --comm ${fastest.name})`);
  } else hints.push('a faster topology');
  hints.push('a larger batch');
  if (o.algorithm !== 'refine') hints.push('--algorithm refine');
  return hints;
}

/** Where refine started and what it gained; "its own split" when no placer fit the limits. */
export function refineLine(r: NonNullable<Plan['refine']>): string {
  const from = r.startAlgorithm === 'refine' ? 'its own contiguous split (no placer fit the limits)' : r.startAlgorithm;
  const changed = r.devicesChanged.length ? r.devicesChanged.join(', ') : 'none';
  return `refined from ${from} (${formatUs(r.startMakespanUs)}): ${r.gainPercent.toFixed(1)}% faster, ${plural(r.movedOps, 'op')} moved, devices changed: ${changed}`;
}

export function formatPlan(plan: Plan, graph: OpGraph): string {
  const o = plan.options!;
  const head = `${plan.file}  (${plan.algorithm}, ${o.devices} device${o.devices > 1 ? 's' : ''}, ${o.topology !== undefined ? `topology ${o.topology}` : `comm ${o.comm}`}, grouping ${o.grouping}${o.fuse ? ', fused' : ''}; ${graph.nodes.length} ops)`;
  const lines = [head];
  if (!plan.feasible && plan.schedule.length === 0) {
    lines.push(`  infeasible: ${plan.reason}`);
    if (plan.minimumMemoryBytes !== undefined) lines.push(`  smallest uniform memory per device that works: ${formatBytesAtLeast(plan.minimumMemoryBytes)}`);
    lines.push(`  lower bound ${formatUs(plan.lowerBoundUs)} · tried in ${plan.placeMs.toFixed(1)} ms`);
    return lines.map(displayText).join('\n');
  }
  const opsPer = new Array(o.devices).fill(0);
  for (const s of plan.schedule) opsPer[s.device]++;
  const rows = [['device', 'ops', 'busy', 'busy %', 'peak memory', 'limit', 'use']];
  for (const d of plan.devices) {
    rows.push([
      String(d.index),
      String(opsPer[d.index]),
      formatUs(d.busyUs),
      plan.makespanUs > 0 ? pct(d.busyUs / plan.makespanUs) : '-',
      formatBytes(d.peakBytes),
      Number.isFinite(d.memoryLimitBytes) ? formatBytes(d.memoryLimitBytes) : '∞',
      d.memoryLimitBytes > 0 && Number.isFinite(d.memoryLimitBytes) ? pct(d.peakBytes / d.memoryLimitBytes) : '-',
    ]);
  }
  lines.push(...alignTable(rows));
  const gap = plan.lowerBoundUs > 0 ? plan.makespanUs / plan.lowerBoundUs - 1 : 0;
  // The bound has no communication in it: on a slow link a large gap is no sign of a poor plan.
  lines.push(
    `  makespan ${formatUs(plan.makespanUs)} · lower bound ${formatUs(plan.lowerBoundUs)} (ignores communication) · gap ${pct(gap)} · placed in ${plan.placeMs.toFixed(1)} ms`,
  );
  const speedup = plan.singleDeviceUs && plan.makespanUs > 0 ? ` · speed-up over one device ${(plan.singleDeviceUs / plan.makespanUs).toFixed(2)}×` : '';
  lines.push(`  ${plural(plan.transfers.length, 'transfer')} · critical path ${plural(plan.criticalPath.length, 'op')}${speedup}`);
  const used = opsPer.filter((k) => k > 0).length;
  if (o.devices > 1 && used === 1 && plan.feasible) {
    // A newcomer sees one busy row and empty ones: say why instead of leaving it to guesswork.
    const link = o.topology !== undefined ? `topology ${o.topology}` : `--comm ${o.comm}`;
    lines.push(
      `  every op stayed on one device: with ${link} a transfer costs more than running the op locally saves, and one device has the memory; try ${oneDeviceHints(o).join(', or ')}`,
    );
  }
  if (plan.refine) lines.push(`  ${refineLine(plan.refine)}`);
  // The LP's value is a relaxation's makespan under its own model (no memory limits, no channel
  // contention, fractional favourites): it can be above or below the plan's makespan.
  if (plan.lp)
    lines.push(`  m-SCT LP: ${plan.lp.method}; relaxation objective ${formatUs(plan.lp.objectiveUs)} (the LP's own model, not a bound on this plan)`);
  if (!plan.feasible) lines.push(`  over the limit: ${plan.reason}`);
  return lines.map(displayText).join('\n');
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPEC, 'place');
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new OpplaceError('no model file given (see `opplace place --help`)');
  const options = placementOptions(values);
  printMemoryNotes(io, 'place', values.memory);
  const training = parseTraining(values.training);
  validatePlacementOptions(options);
  const prepare = prepareOptions(values);
  // before any work: a bad output path fails at once, and never names a model file
  checkPlanOutputs(values, positionals);

  let exit = 0;
  const plans: Plan[] = [];
  for (const file of positionals) {
    let graph: OpGraph;
    let plan: Plan;
    let fileOptions = options;
    try {
      graph = loadPlacementGraph(file, prepare, training);
      printWarnings(io, 'place', file, graph);
      if (graph.nodes.every((n) => n.computeUs <= 0)) io.err(`opplace place: ${file}: no op has a compute time; the makespan will be 0\n`);
      fileOptions = optionsForGraph(options, values, graph);
      plan = await placeGraph(graph, fileOptions, file);
    } catch (e) {
      if (!isOpplaceError(e)) throw e;
      io.err(`opplace place: ${(e as Error).message}\n`);
      exit = 2;
      continue;
    }
    plans.push(plan);
    if (!plan.feasible && exit === 0) exit = 3;
    io.out(values.json ? jsonDisplay(JSON.stringify(planRecord(plan))) + '\n' : formatPlan(plan, graph) + '\n\n');
    if (values.report !== undefined) await writeReport(values.report, graph, plan, fileOptions, file);
  }
  if (values.out !== undefined && plans.length) writePlansFile(values.out, plans);
  return exit;
}

async function writeReport(out: string, graph: OpGraph, plan: Plan, options: PlacementOptions, file: string): Promise<void> {
  // Loaded on demand: the report pulls in the viewer bundle, which plain placement never needs.
  const { writeReportFile } = await import('../report');
  writeReportFile(out, { graph, plan, options, file });
}
