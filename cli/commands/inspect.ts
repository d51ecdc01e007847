// `opplace inspect FILE...`: what is in a model file — size, parameters, FLOPs, op types, shapes,
// and how long one step would take on one device. Each file is handled on its own: a bad file is
// reported on stderr and the others still print; the exit code is 2 if any file failed.
import { isOpplaceError, OpplaceError } from '../../algorithms/errors';
import type { OpGraph, TensorDim } from '../../algorithms/graph';
import { DEFAULT_DEVICE } from '../../algorithms/cost/devices';
import type { CostModelSummary } from '../../algorithms/cost/roofline';
import { prepareGraphFromFile, summarizeGraph, GraphSummary, warnIgnoredModelOptions } from '../../algorithms/prepare';
import { formatBytes, formatFlops, formatUs } from '../../algorithms/units';
import { symbolsOf } from '../../algorithms/onnx/symbolic';
import { FREE_DIM_VALUE } from '../../algorithms/onnx/values';
import { parseCommandArgs } from '../args';
import type { CliIO } from '../io';
import { LOAD_HELP, MODEL_DIMS_SPEC, prepareOptions } from '../placementArgs';
import { setOwn } from '../../algorithms/records';
import { displayText, jsonDisplay } from '../../algorithms/text';
import { replicationNote } from '../../algorithms/loaders/onnx';

const HELP = `usage: opplace inspect FILE... [options]

Summarises model files: nodes, edges, op types, parameters, activation bytes, FLOPs and the
estimated time of one step on a single device.

options:
${LOAD_HELP}  --json             one JSON object per file, one per line
  -h, --help         this help
`;

const SPEC = {
  ...MODEL_DIMS_SPEC,
  format: { type: 'string' },
  batch: { type: 'string' },
  'force-batch': { type: 'boolean' },
  dtype: { type: 'string' },
  'device-type': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Everything `--json` prints for one file. */
export interface InspectRecord extends GraphSummary {
  file: string;
  device: string;
  dtype: string;
  tensors: Record<string, TensorDim[] | null>;
}

/** The loader's tensor table, or else the known output shapes. */
function tensorShapes(graph: OpGraph): Record<string, TensorDim[] | null> {
  if (graph.tensors) return graph.tensors;
  const out: Record<string, TensorDim[] | null> = {};
  for (const n of graph.nodes) for (const t of n.outputs) if (t.shape) setOwn(out, t.name, t.shape);
  return out;
}

export function inspectRecord(file: string, graph: OpGraph): InspectRecord {
  const cost = graph.meta?.costModel as CostModelSummary | undefined;
  return { file, ...summarizeGraph(graph), device: cost?.device ?? DEFAULT_DEVICE, dtype: cost?.dtype ?? 'fp32', tensors: tensorShapes(graph) };
}

/** 1234567 → "1,234,567" without depending on the machine's locale. */
function groupDigits(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The FLOPs line. Ops of unknown shape count 0, so with any of them the sum is a lower bound and
 * says so; a sum of 0 from unknown shapes is not a result (GPT-2 with a free `seq` printed 0 FLOP).
 * Free symbolic dims count 1: the line says so, the sum grows with them.
 */
function flopsText(flops: number | null, graph: OpGraph): string {
  if (flops === null) return 'unknown (not in this format)';
  if (graph.source?.format !== 'onnx') return formatFlops(flops); // other formats carry FLOPs, not shapes to derive them from
  const unknown = graph.nodes.filter((n) => n.outputs.some((t) => !t.shape || t.shape.includes(null))).length;
  const free = freeDimsOf(graph);
  const at = free.length
    ? ` at ${free.map((d) => `${d} = ${FREE_DIM_VALUE}`).join(', ')} (grows with ${free.length > 1 ? 'them' : 'it'}; see the warnings)`
    : '';
  if (unknown === 0) return formatFlops(flops) + at;
  const why = `${unknown} of ${graph.nodes.length} ops have outputs of unknown shape (see the warnings)`;
  return flops === 0 ? `unknown: ${why}` : `≥ ${formatFlops(flops)}${at}: ${why}`;
}

/** The free symbolic dims the output shapes hold (ONNX dims no --dim gave a value), sorted. */
function freeDimsOf(graph: OpGraph): string[] {
  const names = new Set<string>();
  for (const n of graph.nodes) for (const t of n.outputs) for (const d of t.shape ?? []) for (const s of symbolsOf(d)) names.add(s);
  return [...names].sort();
}

/** The ONNX nodes that are not placed: "57 nodes (12 weight producers, 40 constant shape arithmetic, 5 no-op casts/Identity)". */
function foldedText(f: NonNullable<InspectRecord['folded']>): string {
  const total = f.weights + f.constants + f.casts;
  return `${groupDigits(total)} ONNX node${total === 1 ? '' : 's'} (${groupDigits(f.weights)} weight producers, ${groupDigits(f.constants)} constant shape arithmetic, ${groupDigits(f.casts)} no-op casts/Identity)`;
}

export function formatInspect(r: InspectRecord, graph: OpGraph): string {
  const cost = graph.meta?.costModel as CostModelSummary | undefined;
  const row = (k: string, v: string) => `  ${k.padEnd(16)} ${v}`;
  const lines = [`${r.file}  (${r.format ?? '?'}, "${r.name}")`];
  lines.push(row('nodes', groupDigits(r.nodes)));
  lines.push(row('edges', groupDigits(r.edges)));
  if (r.folded) lines.push(row('folded away', foldedText(r.folded)));
  lines.push(
    row(
      'parameters',
      r.parameterCount === null
        ? 'unknown (not in this format)'
        : `${groupDigits(r.parameterCount)}${r.parameterBytes === null ? '' : ` (${formatBytes(r.parameterBytes)})`}`,
    ),
  );
  lines.push(row('persistent', formatBytes(r.persistentBytes)));
  lines.push(row('activations', `${formatBytes(r.activationBytes)} (all outputs)`));
  lines.push(row('FLOPs', flopsText(r.flops, graph)));
  let how = 'times from the file';
  if (cost && cost.estimatedNodes > 0) {
    how = `${cost.deviceName}, ${cost.dtype}; ${groupDigits(cost.estimatedNodes)} op(s) estimated by the roofline model${cost.measuredNodes ? `, ${groupDigits(cost.measuredNodes)} measured` : ''}`;
  }
  lines.push(row('single device', `${formatUs(r.estimatedSingleDeviceUs)} (${how})`));
  const types = Object.entries(r.opTypes);
  const shown = types.slice(0, 12).map(([t, c]) => `${t} ${c}`);
  if (types.length > 12) shown.push(`… ${types.length - 12} more`);
  lines.push(row('op types', shown.join(', ')));
  const replicated = replicationNote(graph);
  if (replicated) lines.push(row('shared consts', replicated));
  if (r.warnings.length) {
    lines.push(row('warnings', String(r.warnings.length)));
    for (const w of r.warnings.slice(0, 10)) lines.push(`    - ${w}`);
    if (r.warnings.length > 10) lines.push(`    … ${r.warnings.length - 10} more (see --json)`);
  }
  return lines.map(displayText).join('\n') + '\n';
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPEC, 'inspect');
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new OpplaceError('no model file given (usage: opplace inspect FILE... [--json])');
  const options = prepareOptions(values);

  let failed = 0;
  let internal = false;
  positionals.forEach((file, i) => {
    try {
      const graph = warnIgnoredModelOptions(prepareGraphFromFile(file, options), options);
      const record = inspectRecord(file, graph);
      if (values.json) io.out(jsonDisplay(JSON.stringify(record)) + '\n');
      else io.out((i > 0 ? '\n' : '') + formatInspect(record, graph));
    } catch (e) {
      failed++;
      if (isOpplaceError(e)) {
        io.err(`opplace inspect: ${(e as Error).message}\n`);
      } else {
        // A bug in a loader, not the user's fault: say so, but keep going with the other files.
        internal = true;
        const detail = process.env.OPPLACE_DEBUG ? (e as Error)?.stack : (e as Error)?.message;
        io.err(`opplace inspect: ${displayText(file)}: internal error while reading the file: ${displayText(detail ?? String(e))}\n`);
      }
    }
  });
  if (failed === 0) return 0;
  return internal ? 1 : 2;
}
