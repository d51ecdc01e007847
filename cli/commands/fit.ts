// `opplace fit FILE... --devices N --algorithm A`: the smallest uniform per-device memory for which
// the placer finds a plan ("how small a GPU can I use"), and the makespan at that limit. Exit code
// 3 when no limit up to a generous bound works, 2 on bad input.
import { isOpplaceError, OpplaceError } from '../../algorithms/errors';
import { OpGraph, totalMemoryBytes } from '../../algorithms/graph';
import { ALGORITHMS, DEFAULTS } from '../../algorithms/options';
import { fitMemory, FitResult } from '../../algorithms/placement/fit';
import { formatBytes, formatBytesAtLeast, formatUs, plural } from '../../algorithms/units';
import { parseCommandArgs } from '../args';
import type { CliIO } from '../io';
import {
  loadPlacementGraph,
  optionsForGraph,
  printWarnings,
  parseTraining,
  PLACEMENT_HELP,
  PLACEMENT_SPEC,
  placementOptions,
  prepareOptions,
} from '../placementArgs';
import { displayText, jsonDisplay } from '../../algorithms/text';

const HELP = `usage: opplace fit FILE... [options]

The smallest uniform memory per device for which the placer finds a plan, and the simulated step
time (makespan) at that limit: "how small a GPU can I use". Exit code 3 when nothing fits, 2 on
bad input.

options:
  --devices N        number of devices (default 4)
  --algorithm A      ${ALGORITHMS.join(' | ')} (default ${DEFAULTS.algorithm})
${PLACEMENT_HELP}  --json             one JSON object per file, one per line
  -h, --help         this help
`;

const SPEC = { ...PLACEMENT_SPEC, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

export function fitRecord(file: string, graph: OpGraph, algorithm: string, devices: number, fit: FitResult): Record<string, unknown> {
  return {
    file,
    algorithm,
    devices,
    feasible: fit.minimumMemoryBytes !== undefined && Boolean(fit.plan?.feasible),
    minimumMemoryBytes: fit.minimumMemoryBytes ?? null,
    makespanUs: fit.plan?.feasible ? fit.plan.makespanUs : null,
    lowerBoundUs: fit.plan?.lowerBoundUs ?? null,
    peakBytes: fit.plan?.feasible ? fit.plan.devices.map((d) => d.peakBytes) : null,
    totalMemoryBytes: totalMemoryBytes(graph),
    /** Every limit the search probed below the minimum failed; they were this far apart (relative). */
    toleranceFraction: fit.tolerance,
    failedBelowBytes: fit.failedBelowBytes ?? null,
    probes: fit.probes,
  };
}

function formatFit(r: Record<string, unknown>): string {
  const head = `${r.file}  (${r.algorithm}, ${r.devices} device${(r.devices as number) > 1 ? 's' : ''})`;
  if (r.minimumMemoryBytes === null) return `${head}\n  no uniform memory limit up to a generous bound lets ${r.algorithm} place this model`;
  const min = r.minimumMemoryBytes as number;
  const total = r.totalMemoryBytes as number;
  const share =
    total > 0
      ? ` (${((min / total) * 100).toFixed(1)}% of the model's ${formatBytes(total)} total, ${((min * (r.devices as number)) / total).toFixed(2)}× an even share)`
      : '';
  const lines = [head, `  smallest memory per device: ${formatBytesAtLeast(min)}${share}`];
  const tol = r.toleranceFraction as number;
  if (tol > 0)
    lines.push(
      `  (to within ${(tol * 100).toFixed(tol < 0.1 ? 0 : 1)} %: place fails at every limit tried below it, from the memory lower bound up in ${(tol * 100).toFixed(tol < 0.1 ? 0 : 1)} % steps)`,
    );
  if (r.makespanUs !== null)
    lines.push(
      `  makespan at that limit ${formatUs(r.makespanUs as number)} · lower bound ${formatUs(r.lowerBoundUs as number)} · peaks ${(r.peakBytes as number[]).map(formatBytes).join(', ')}`,
    );
  else lines.push('  (the plan at that limit came out infeasible — the placer is not monotone in the limit)');
  lines.push(`  ${plural(r.probes as number, 'placer run')}`);
  return lines.join('\n');
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPEC, 'fit');
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new OpplaceError('no model file given (see `opplace fit --help`)');
  if (values.memory !== undefined) throw new OpplaceError('fit searches the memory limit itself: drop --memory');
  const options = placementOptions(values);
  const training = parseTraining(values.training);
  const prepare = prepareOptions(values);
  let exit = 0;
  for (const file of positionals) {
    let record: Record<string, unknown>;
    try {
      const graph = loadPlacementGraph(file, prepare, training);
      printWarnings(io, 'fit', file, graph);
      const fit = await fitMemory(graph, optionsForGraph(options, values, graph), file);
      record = fitRecord(file, graph, options.algorithm, options.devices, fit);
    } catch (e) {
      if (!isOpplaceError(e)) throw e;
      io.err(`opplace fit: ${(e as Error).message}\n`);
      exit = 2;
      continue;
    }
    if (!record.feasible && exit === 0) exit = 3;
    io.out(values.json ? jsonDisplay(JSON.stringify(record)) + '\n' : formatFit(record).split('\n').map(displayText).join('\n') + '\n\n');
  }
  return exit;
}
