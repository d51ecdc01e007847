// The STG benchmark set with its published optima, shared by the STG test and the benchmark.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { dataPath } from '../helpers/paths';
import { loadModel } from '../../algorithms/loaders/readFile';
import type { OpGraph } from '../../algorithms/graph';
import type { AlgorithmName } from '../../algorithms/plan';
import { checkSchedule, placeGraph } from '../../algorithms/placement/index';

export interface StgCase {
  /** e.g. "50/rand0000.stg" */
  file: string;
  processors: number;
  /** Optimal makespan, or the published lower bound when the optimum is unknown. */
  optimum: number;
  /** Published upper bound when the optimum is unknown. */
  upper?: number;
}

export function stgCases(): StgCase[] {
  const dir = dataPath('stg', 'Optimal_values');
  const cases: StgCase[] = [];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.csv'))
    .sort()) {
    for (const line of readFileSync(path.join(dir, f), 'utf8').split(/\r?\n/)) {
      const parts = line.trim().split(',');
      if (parts.length < 3 || !parts[0].endsWith('.stg')) continue;
      cases.push({ file: parts[0], processors: Number(parts[1]), optimum: Number(parts[2]), ...(parts[3] ? { upper: Number(parts[3]) } : {}) });
    }
  }
  return cases;
}

const graphs = new Map<string, OpGraph>();
export function stgGraph(file: string): OpGraph {
  let g = graphs.get(file);
  if (!g) {
    g = loadModel(dataPath('stg', file));
    graphs.set(file, g);
  }
  return g;
}

export interface StgResult {
  algorithm: AlgorithmName;
  processors: number;
  /** makespan / optimum − 1 */
  gap: number;
  makespan: number;
  optimum: number;
  checkerProblems: string[];
  file: string;
}

export async function runStgCase(c: StgCase, algorithm: AlgorithmName): Promise<StgResult> {
  const graph = stgGraph(c.file);
  const options = { algorithm, devices: c.processors, memoryLimits: Array(c.processors).fill(Infinity), comm: 'none', grouping: 'none' as const, fuse: false };
  const plan = await placeGraph(graph, options);
  return {
    algorithm,
    processors: c.processors,
    makespan: plan.makespanUs,
    optimum: c.optimum,
    gap: plan.makespanUs / c.optimum - 1,
    checkerProblems: checkSchedule(graph, plan, options),
    file: c.file,
  };
}
