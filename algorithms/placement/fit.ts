// "How small a GPU can I use": the smallest uniform per-device memory for which a placer finds a
// plan (`opplace fit`), and the plan at that limit. The placer itself is the oracle of the search
// (memorySearch.ts: an upward walk in 1 % steps from a lower bound, as greedy placers are not
// monotone in the limit); an infeasible plan's "fits with" is the same search.
import type { OpGraph } from '../graph';
import { indexGraph, validateGraph } from '../graph';
import type { Plan, PlacementOptions } from '../plan';
import { resolvePlacement } from '../options';
import { buildProblem } from './problem';
import { placeGraph, problemOptionsOfResolved } from './index';
import { minimumUniformMemory, MEMORY_FIT_TOLERANCE } from './memorySearch';
import { favouritesFor, feasibleAtLimits, wantsRefine } from './refine/place';

export interface FitResult {
  /** Smallest uniform per-device limit that works (undefined when none up to a generous bound does). */
  minimumMemoryBytes?: number;
  /** The plan at that limit. */
  plan?: Plan;
  /** The largest limit probed below the minimum that failed (0: none, the minimum is a lower bound). */
  failedBelowBytes?: number;
  /** Relative spacing of the failed probes below the minimum (MEMORY_FIT_TOLERANCE unless the walk was long). */
  tolerance: number;
  /** Probes of the placer the search made. */
  probes: number;
}

export async function fitMemory(graph: OpGraph, options: PlacementOptions, file?: string): Promise<FitResult> {
  // The limits are what the search finds: any placeholder passes the checks.
  const resolved = resolvePlacement({ ...options, memoryLimits: Array(options.devices).fill(0) }, file);
  validateGraph(graph);
  const D = options.devices;
  const problem = buildProblem(graph, problemOptionsOfResolved(resolved), indexGraph(graph));
  if (options.algorithm === 'single' && !wantsRefine(options)) {
    // `single` ignores limits while placing; it fits when device 0 holds its own peak (exactly).
    const unlimited = await placeGraph(graph, { ...options, memoryLimits: Array(D).fill(Infinity) }, file);
    const minimum = unlimited.devices[0].peakBytes;
    const plan = await placeGraph(graph, { ...options, memoryLimits: Array(D).fill(minimum) }, file);
    return { minimumMemoryBytes: minimum, plan, tolerance: 0, probes: 1 };
  }
  const favourites = await favouritesFor(problem, options);
  const found = minimumUniformMemory(problem, D, (limit) => feasibleAtLimits(problem, options, Array(D).fill(limit), favourites));
  if (!found) return { tolerance: MEMORY_FIT_TOLERANCE, probes: 0 };
  const plan = await placeGraph(graph, { ...options, memoryLimits: Array(D).fill(found.minimumBytes) }, file);
  return { minimumMemoryBytes: found.minimumBytes, failedBelowBytes: found.failedBelowBytes, plan, tolerance: found.tolerance, probes: found.probes };
}
