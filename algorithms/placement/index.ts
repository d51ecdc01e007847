// Public API of the placement engine: placeGraph (every placer), the replay simulator, the
// independent checker and the lower bound. Pure TypeScript (no node: imports) so the viewer and
// the extension can run it in a browser page or a worker; HiGHS is loaded by sctLp.ts on demand.
import { OpGraph, indexGraph, validateGraph } from '../graph';
import { OpplaceError } from '../errors';
import { ALGORITHMS, AlgorithmName, Plan, PlacementOptions } from '../plan';
import { checkLinkForGraph, parseInterconnect } from '../cost/interconnect';
import { formatBytes, formatBytesAtLeast } from '../units';
import { buildProblem, Problem, problemOptionsOf } from './problem';
import { parseTopology } from '../cost/topology';
import { runPlacer } from './placers';
import type { CoreResult } from './core';
import { lowerBound, planPieces } from './simulate';
import type { FavouriteChildren } from './sctLp';
import { favouritesFor, feasibleAtLimits, placeRefined, RefineReport, validateRefineOptions, wantsRefine } from './refine/place';

export { checkSchedule } from './checker';
export { simulateSchedule, lowerBound, criticalPath, memoryTimelines } from './simulate';
export type { PlanPieces, SimulateInput } from './simulate';
export { buildProblem, problemOptionsOf } from './problem';

const GROUPINGS = ['none', 'colocation', 'coplace'];

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Throws one clear OpplaceError for the first bad option. */
export function validatePlacementOptions(options: PlacementOptions, file?: string): void {
  const ctx = file ? { file } : {};
  if (!ALGORITHMS.includes(options.algorithm)) {
    throw new OpplaceError(`unknown algorithm "${String(options.algorithm)}" (expected one of ${ALGORITHMS.join(', ')})`, ctx);
  }
  validateRefineOptions(options, ctx);
  if (!Number.isInteger(options.devices) || options.devices < 1) {
    throw new OpplaceError(`devices must be an integer ≥ 1, got ${String(options.devices)}`, ctx);
  }
  if (options.devices > 1024) throw new OpplaceError(`devices must be at most 1024, got ${options.devices}`, ctx);
  if (!Array.isArray(options.memoryLimits) || options.memoryLimits.length !== options.devices) {
    throw new OpplaceError(`memoryLimits must list one limit per device (${options.devices}), got ${Array.isArray(options.memoryLimits) ? options.memoryLimits.length : String(options.memoryLimits)}`, ctx);
  }
  options.memoryLimits.forEach((l, d) => {
    if (typeof l !== 'number' || Number.isNaN(l) || l < 0) throw new OpplaceError(`memory limit of device ${d} must be a number of bytes ≥ 0, got ${String(l)}`, ctx);
  });
  if (!GROUPINGS.includes(options.grouping)) {
    throw new OpplaceError(`unknown grouping "${String(options.grouping)}" (expected none, colocation or coplace)`, ctx);
  }
  if (options.theta !== undefined && !(typeof options.theta === 'number' && options.theta > 0 && options.theta <= 1)) {
    throw new OpplaceError(`theta must be a number in (0, 1], got ${String(options.theta)}`, ctx);
  }
  parseInterconnect(options.comm);
  if (options.topology !== undefined) {
    try {
      parseTopology(options.topology, options.devices);
    } catch (e) {
      throw e instanceof OpplaceError ? new OpplaceError(e.detail, ctx) : e;
    }
  }
}

/** Memory that is surely enough for any placer: everything at once on every device. */
function generousLimit(problem: Problem, devices: number): number {
  let s = 0;
  for (let c = 0; c < problem.n; c++) s += problem.persistent[c] + problem.temporary[c] + problem.outBytes[c];
  for (let k = 0; k < problem.tBytes.length; k++) s += problem.tBytes[k];
  return Math.max(1, s * 2 + devices);
}

/** Smallest uniform per-device limit for which `succeeds` holds (binary search to 0.1 % or 1 byte). */
export function minimumUniformMemory(problem: Problem, devices: number, succeeds: (limit: number) => boolean, failedAt = 0): number | undefined {
  let hi = Math.max(generousLimit(problem, devices), failedAt * 2);
  let tries = 0;
  while (!succeeds(hi)) {
    if (++tries > 4) return undefined;
    hi *= 4;
  }
  // Greedy placers are not monotone in the limit: search above a limit known to fail, so the
  // answer is always more than what the user gave.
  let lo = failedAt;
  if (lo === 0 && succeeds(0)) return 0;
  while (hi - lo > Math.max(1, hi * 1e-3)) {
    const mid = Math.floor((lo + hi) / 2);
    if (succeeds(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

export async function placeGraph(graph: OpGraph, options: PlacementOptions, file?: string): Promise<Plan> {
  const fileName = file ?? graph.source?.file ?? graph.name;
  validatePlacementOptions(options, fileName);
  validateGraph(graph);
  checkLinkForGraph(parseInterconnect(options.comm), graph, fileName);
  const D = options.devices;
  const limits = options.memoryLimits.slice();
  const started = now();
  const index = indexGraph(graph);
  const problem = buildProblem(graph, problemOptionsOf(options), index);
  let favourites: FavouriteChildren | undefined;
  let outcome: ReturnType<typeof runPlacer>;
  let refineReport: RefineReport | undefined;
  if (wantsRefine(options)) {
    // issue 6: start placers + local search (refinePlace.ts)
    const refined = await placeRefined(problem, options, limits);
    ({ outcome, favourites, report: refineReport } = refined);
  } else {
    favourites = await favouritesFor(problem, options);
    outcome = runPlacer(problem, options.algorithm, limits, favourites);
  }
  const placeMs = now() - started;
  const lowerBoundUs = lowerBound(graph, D, index);
  let singleDeviceUs = 0;
  for (const n of graph.nodes) singleDeviceUs += n.computeUs;
  const base = {
    file: fileName,
    algorithm: options.algorithm as AlgorithmName,
    lowerBoundUs,
    placeMs,
    singleDeviceUs,
    options: { ...options, memoryLimits: limits },
    ...(favourites ? { lp: { method: favourites.method, objectiveUs: favourites.lpObjective } } : {}),
    ...(refineReport ? { refine: refineReport } : {}),
  };
  if (outcome.feasible) {
    const pieces = planPieces(problem, outcome as CoreResult, limits);
    const plan: Plan = {
      ...base,
      feasible: true,
      makespanUs: pieces.makespanUs,
      devices: pieces.devices,
      schedule: pieces.schedule,
      transfers: pieces.transfers,
      criticalPath: pieces.criticalPath,
      criticalTransfers: pieces.criticalTransfers,
    };
    if (options.algorithm === 'single') {
      const over = pieces.devices.find((d) => d.peakBytes > d.memoryLimitBytes);
      if (over) {
        plan.feasible = false;
        plan.reason = `everything on device 0 needs ${formatBytes(over.peakBytes)} at its peak, ${formatBytes(over.peakBytes - over.memoryLimitBytes)} more than its ${formatBytes(over.memoryLimitBytes)} limit`;
        plan.minimumMemoryBytes = over.peakBytes;
      }
    }
    return plan;
  }
  const reason = (outcome as { reason: string }).reason;
  const uniform = limits.every((l) => l === limits[0]) ? limits[0] : 0;
  const feasibleAt = (limit: number) => feasibleAtLimits(problem, options, Array(D).fill(limit), favourites);
  const minimumMemoryBytes = minimumUniformMemory(problem, D, feasibleAt, Number.isFinite(uniform) ? uniform : 0);
  return {
    ...base,
    feasible: false,
    makespanUs: 0,
    devices: limits.map((l, d) => ({ index: d, memoryLimitBytes: l, peakBytes: 0, busyUs: 0 })),
    schedule: [],
    transfers: [],
    criticalPath: [],
    reason: minimumMemoryBytes !== undefined ? `${reason}; it would fit with ${formatBytesAtLeast(minimumMemoryBytes)} per device` : reason,
    ...(minimumMemoryBytes !== undefined ? { minimumMemoryBytes } : {}),
  };
}
