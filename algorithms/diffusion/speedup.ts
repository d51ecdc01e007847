// How much the parallel sampler's DAG gains from more devices: place it with m-ETF on 1…D devices
// with zero communication cost (or a given interconnect) and compare makespans.
import { OpplaceError } from '../errors';
import type { OpGraph } from '../graph';
import { placeGraph } from '../placement/index';

export interface SpeedupRow {
  devices: number;
  makespanUs: number;
  /** Makespan on one device divided by this one. */
  speedup: number;
}

export async function samplerSpeedups(graph: OpGraph, deviceCounts: number[], comm = 'none', memoryPerDevice = 2 ** 40): Promise<SpeedupRow[]> {
  if (deviceCounts.length === 0) throw new OpplaceError('need at least one device count');
  const makespan = async (devices: number) => {
    const plan = await placeGraph(graph, {
      algorithm: 'm-etf',
      devices,
      memoryLimits: Array(devices).fill(memoryPerDevice),
      comm,
      grouping: 'none',
      fuse: false,
    });
    if (!plan.feasible) throw new OpplaceError(`placing the sampler graph on ${devices} devices failed: ${plan.reason ?? 'infeasible'}`);
    return plan.makespanUs;
  };
  const single = await makespan(1);
  const rows: SpeedupRow[] = [];
  for (const d of deviceCounts) {
    const m = d === 1 ? single : await makespan(d);
    rows.push({ devices: d, makespanUs: m, speedup: single / m });
  }
  return rows;
}
