// "How small a GPU can I use": the smallest uniform per-device memory for which a placer finds a
// plan (`opplace fit`), and the plan at that limit. A binary search over the limit with the
// placer itself as the oracle (minimumUniformMemory in index.ts); greedy placers are not monotone
// in the limit, so the answer is the smallest limit found to work, within 0.1 %.
import type { OpGraph } from '../graph';
import { indexGraph, validateGraph } from '../graph';
import type { Plan, PlacementOptions } from '../plan';
import { buildProblem, problemOptionsOf } from './problem';
import { minimumUniformMemory, placeGraph, validatePlacementOptions } from './index';
import { favouritesFor, feasibleAtLimits, wantsRefine } from './refine/place';

export interface FitResult {
  /** Smallest uniform per-device limit that works (undefined when none up to a generous bound does). */
  minimumMemoryBytes?: number;
  /** The plan at that limit. */
  plan?: Plan;
  /** Probes of the placer the search made. */
  probes: number;
}

export async function fitMemory(graph: OpGraph, options: PlacementOptions, file?: string): Promise<FitResult> {
  validatePlacementOptions({ ...options, memoryLimits: Array(options.devices).fill(0) }, file);
  validateGraph(graph);
  const D = options.devices;
  const problem = buildProblem(graph, problemOptionsOf(options), indexGraph(graph));
  let probes = 0;
  let minimum: number | undefined;
  if (options.algorithm === 'single' && !wantsRefine(options)) {
    // `single` ignores limits while placing; it fits when device 0 holds its own peak.
    const plan = await placeGraph(graph, { ...options, memoryLimits: Array(D).fill(Infinity) }, file);
    probes = 1;
    minimum = plan.devices[0].peakBytes;
  } else {
    const favourites = await favouritesFor(problem, options);
    const succeeds = (limit: number): boolean => {
      probes++;
      return feasibleAtLimits(problem, options, Array(D).fill(limit), favourites);
    };
    minimum = minimumUniformMemory(problem, D, succeeds);
  }
  if (minimum === undefined) return { probes };
  const plan = await placeGraph(graph, { ...options, memoryLimits: Array(D).fill(minimum) }, file);
  return { minimumMemoryBytes: minimum, plan, probes };
}
