// Public API of the placement engine: placeGraph (every placer), the replay simulator, the
// independent checker and the lower bound. Pure TypeScript (no node: imports) so the viewer and
// the extension can run it in a browser page or a worker; HiGHS is loaded by sctLp.ts on demand.
import { GraphIndex, OpGraph, indexGraph, validateGraph } from '../graph';
import type { Plan, PlacementOptions } from '../plan';
import { DEFAULTS, resolvePlacement, ResolvedPlacement } from '../options';
import { checkLinkForGraph } from '../cost/interconnect';
import { formatBytes } from '../units';
import { buildProblem, Problem, ProblemOptions } from './problem';
import { minimumUniformMemory } from './memorySearch';
import { CoreOutcome, runPlacer, sctLpInput } from './placers';
import type { CoreResult } from './core';
import { lowerBound, partialDevices, planPieces } from './simulate';
import { FavouriteChildLp, FavouriteChildren, favouritesOfLp, solveFavouriteChildLp } from './sctLp';
import { feasibleAtLimits, placeRefined, RefineReport, startAlgorithms, wantsRefine } from './refine/place';

export { checkSchedule } from './checker';
export { simulateSchedule, lowerBound, criticalPath, memoryTimelines } from './simulate';
export type { PlanPieces, SimulateInput } from './simulate';
export { buildProblem, problemOptionsOf } from './problem';

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Throws one clear OpplaceError for the first bad option (the checks of algorithms/options.ts). */
export function validatePlacementOptions(options: PlacementOptions, file?: string): void {
  resolvePlacement(options, file);
}

/** What buildProblem needs of resolved options: no string is parsed again. */
export function problemOptionsOfResolved(resolved: ResolvedPlacement): ProblemOptions {
  const { grouping, fuse } = resolved.options;
  return { grouping, fuse, link: resolved.link, ...(resolved.topology ? { topology: resolved.topology } : {}) };
}

/**
 * A graph prepared for placement once (validated and indexed), with the problems built for it and
 * the m-SCT favourite children solved on them, so placing again with other options — another
 * placer, other limits or device count, compare's rows, refine's starts — rebuilds nothing those
 * options do not change. The extension keeps one per open view (its worker); the CLI one per file.
 */
export interface PreparedGraph {
  graph: OpGraph;
  index: GraphIndex;
  /** How often a problem was built and an LP solved for this graph (what the caches saved). */
  readonly counts: { problems: number; lps: number };
  /** Problem per grouping, fusion and links (the options buildProblem reads); a few at most. */
  problems: Map<string, Problem>;
  /**
   * m-SCT's LP solved per problem key. It reads the coarse graph's compute and transfer times
   * only — not θ, limits, devices or the placer — so only a new problem solves it again.
   */
  lps: Map<string, Promise<FavouriteChildLp>>;
  /** Its favourite children per problem key and θ (rounding the kept LP solution). */
  favourites: Map<string, Promise<FavouriteChildren>>;
  lowerBounds: Map<number, number>;
}

/** Problems (and their LP solutions) kept per graph: the last few option sets a user toggles between. */
const KEPT_PROBLEMS = 4;

export function prepareForPlacement(graph: OpGraph): PreparedGraph {
  validateGraph(graph);
  return {
    graph,
    index: indexGraph(graph),
    counts: { problems: 0, lps: 0 },
    problems: new Map(),
    lps: new Map(),
    favourites: new Map(),
    lowerBounds: new Map(),
  };
}

/** Key of what buildProblem depends on (a topology fixes the device count, so it is in its spec). */
function problemKey(resolved: ResolvedPlacement): string {
  const o = resolved.options;
  const links = resolved.topology
    ? `topology ${resolved.topology.spec}`
    : resolved.link.fromFile
      ? 'link file'
      : `link ${resolved.link.latencyUs}:${resolved.link.usPerByte}`;
  return `${o.grouping}|${o.fuse ? 'fused' : 'unfused'}|${links}`;
}

function preparedProblem(prepared: PreparedGraph, resolved: ResolvedPlacement): { key: string; problem: Problem } {
  const key = problemKey(resolved);
  let problem = prepared.problems.get(key);
  if (problem) {
    prepared.problems.delete(key); // re-inserted below: most recently used last
  } else {
    problem = buildProblem(prepared.graph, problemOptionsOfResolved(resolved), prepared.index);
    (prepared.counts as { problems: number }).problems++;
  }
  prepared.problems.set(key, problem);
  while (prepared.problems.size > KEPT_PROBLEMS) {
    const oldest = prepared.problems.keys().next().value as string;
    prepared.problems.delete(oldest);
    prepared.lps.delete(oldest);
    for (const k of [...prepared.favourites.keys()]) if (k.startsWith(`${oldest}|θ`)) prepared.favourites.delete(k);
  }
  return { key, problem };
}

/** The favourite children when the options run m-SCT (as the placer or a refine start): one LP per problem, rounded per θ. */
function preparedFavourites(prepared: PreparedGraph, key: string, problem: Problem, options: PlacementOptions): Promise<FavouriteChildren | undefined> {
  if (!wantsFavourites(options)) return Promise.resolve(undefined);
  const theta = options.theta ?? DEFAULTS.theta;
  return remembered(prepared.favourites, `${key}|θ${theta}`, () => preparedLp(prepared, key, problem).then((lp) => favouritesOfLp(lp, theta)));
}

function preparedLp(prepared: PreparedGraph, key: string, problem: Problem): Promise<FavouriteChildLp> {
  return remembered(prepared.lps, key, () => {
    (prepared.counts as { lps: number }).lps++;
    return solveFavouriteChildLp(sctLpInput(problem));
  });
}

/** map's promise for key, made once; a failed one is forgotten so that the next job tries again. */
function remembered<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  const known = map.get(key);
  if (known) return known;
  const made = make();
  map.set(key, made);
  made.catch(() => {
    if (map.get(key) === made) map.delete(key);
  });
  return made;
}

const wantsFavourites = (options: PlacementOptions): boolean => startAlgorithms(options).includes('m-sct');

/** What a list scheduler had placed when it stopped, and the ops of the node that did not fit. */
function partialPlacement(problem: Problem, outcome: CoreOutcome): Pick<Plan, 'placedBeforeFailure' | 'failedNodes'> {
  const res = outcome as Partial<CoreResult>;
  if (!res.device) return {};
  const ids = (c: number) => problem.members[c].map((i) => problem.graph.nodes[i].id);
  const placed: { node: string; device: number }[] = [];
  for (let c = 0; c < problem.n; c++) if (res.device[c] >= 0) for (const node of ids(c)) placed.push({ node, device: res.device[c] });
  return { placedBeforeFailure: placed, ...(res.failedNode !== undefined && res.failedNode >= 0 ? { failedNodes: ids(res.failedNode) } : {}) };
}

export async function placeGraph(graph: OpGraph, options: PlacementOptions, file?: string): Promise<Plan> {
  const started = now();
  const fileName = file ?? graph.source?.file ?? graph.name;
  resolvePlacement(options, fileName);
  return timed(await placeOn(prepareForPlacement(graph), options, fileName), started);
}

/** placeGraph on a prepared graph: the plan is byte for byte placeGraph's (bar the wall time). */
export async function placePrepared(prepared: PreparedGraph, options: PlacementOptions, file?: string): Promise<Plan> {
  const started = now();
  return timed(await placeOn(prepared, options, file), started);
}

/**
 * plan.placeMs: the wall time the caller waited for the plan — for placeGraph from the graph's
 * validation, for a prepared graph from the options' check — through problem, LP, placer and the
 * plan's expansion to original ops (which was left out before: 2 of BERT-L12's 12 ms with m-ETF).
 */
function timed(plan: Plan, started: number): Plan {
  plan.placeMs = now() - started;
  return plan;
}

/** What the placers gave: refine's local search from its start placers (issue 6), or the one placer asked for. */
async function placerOutcome(problem: Problem, options: PlacementOptions, limits: number[], favourites: FavouriteChildren | undefined) {
  if (wantsRefine(options)) return placeRefined(problem, options, limits, favourites);
  return { outcome: runPlacer(problem, options.algorithm, limits, favourites), favourites, report: undefined as RefineReport | undefined };
}

/** The lower bound for D devices, computed once per prepared graph. */
function cachedLowerBound(prepared: PreparedGraph, D: number): number {
  let lowerBoundUs = prepared.lowerBounds.get(D);
  if (lowerBoundUs === undefined) {
    lowerBoundUs = lowerBound(prepared.graph, D, prepared.index);
    prepared.lowerBounds.set(D, lowerBoundUs);
  }
  return lowerBoundUs;
}

type PlanBase = Pick<Plan, 'file' | 'algorithm' | 'lowerBoundUs' | 'placeMs' | 'singleDeviceUs' | 'options' | 'lp' | 'refine'>;

/** A feasible outcome's plan; `single` (everything on device 0) is infeasible when device 0 overflows. */
function feasiblePlan(base: PlanBase, problem: Problem, outcome: CoreResult, limits: number[]): Plan {
  const pieces = planPieces(problem, outcome, limits);
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
  if (base.algorithm === 'single') {
    const over = pieces.devices.find((d) => d.peakBytes > d.memoryLimitBytes);
    if (over) {
      plan.feasible = false;
      plan.reason = `everything on device 0 needs ${formatBytes(over.peakBytes)} at its peak, ${formatBytes(over.peakBytes - over.memoryLimitBytes)} more than its ${formatBytes(over.memoryLimitBytes)} limit`;
      plan.minimumMemoryBytes = over.peakBytes;
    }
  }
  return plan;
}

/** An infeasible outcome's plan: the reason, the memory placed before the failure, and the smallest limit that fits. */
function infeasiblePlan(
  base: PlanBase,
  problem: Problem,
  outcome: CoreOutcome,
  options: PlacementOptions,
  limits: number[],
  favourites: FavouriteChildren | undefined,
): Plan {
  const D = options.devices;
  const reason = (outcome as { reason: string }).reason;
  // The same search as `opplace fit`, so every front end prints the number fit reports.
  const feasibleAt = (limit: number) => feasibleAtLimits(problem, options, Array(D).fill(limit), favourites);
  const minimumMemoryBytes = minimumUniformMemory(problem, D, feasibleAt)?.minimumBytes;
  return {
    ...base,
    feasible: false,
    makespanUs: 0,
    devices: partialDevices(problem, outcome, limits),
    schedule: [],
    transfers: [],
    criticalPath: [],
    reason,
    ...(minimumMemoryBytes !== undefined ? { minimumMemoryBytes } : {}),
    ...partialPlacement(problem, outcome),
  };
}

async function placeOn(prepared: PreparedGraph, options: PlacementOptions, file?: string): Promise<Plan> {
  const { graph } = prepared;
  const fileName = file ?? graph.source?.file ?? graph.name;
  const resolved = resolvePlacement(options, fileName);
  checkLinkForGraph(resolved.link, graph, fileName);
  const limits = options.memoryLimits.slice();
  const { key, problem } = preparedProblem(prepared, resolved);
  const prepFavourites = await preparedFavourites(prepared, key, problem, options);
  const { outcome, favourites, report: refineReport } = await placerOutcome(problem, options, limits, prepFavourites);
  let singleDeviceUs = 0;
  for (const n of graph.nodes) singleDeviceUs += n.computeUs;
  const base: PlanBase = {
    file: fileName,
    algorithm: options.algorithm,
    lowerBoundUs: cachedLowerBound(prepared, options.devices),
    placeMs: 0, // set by timed() once the plan is complete
    singleDeviceUs,
    options: { ...options, memoryLimits: limits },
    ...(favourites ? { lp: { method: favourites.method, objectiveUs: favourites.lpObjective } } : {}),
    ...(refineReport ? { refine: refineReport } : {}),
  };
  return outcome.feasible ? feasiblePlan(base, problem, outcome, limits) : infeasiblePlan(base, problem, outcome, options, limits, favourites);
}
