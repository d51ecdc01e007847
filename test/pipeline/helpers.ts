// Small dnn-partitioning graphs for the pipeline tests.
import { parseDnnPartitioning } from '../../algorithms/loaders/dnnPartitioning';
import type { OpGraph } from '../../algorithms/graph';
import type { PipelineOptions } from '../../algorithms/pipeline/types';

const enc = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));

export interface DnnNodeSpec {
  id: number;
  ms: number;
  size?: number;
  backward?: boolean;
  color?: number;
}
export interface DnnEdgeSpec {
  from: number;
  to: number;
  ms: number;
  size?: number;
}

/** A dnn-partitioning document parsed as the loader does (edge cost in ms, sizes in bytes). */
export function dnnGraph(nodes: DnnNodeSpec[], edges: DnnEdgeSpec[], name = 'test', top: Record<string, number> = {}): OpGraph {
  return parseDnnPartitioning(
    enc({
      maxFPGAs: 4,
      maxSizePerFPGA: 1e9,
      maxCPUs: 1,
      ...top,
      nodes: nodes.map((n) => ({
        id: n.id,
        fpgaLatency: n.ms,
        size: n.size ?? 0,
        isBackwardNode: n.backward ? 1 : 0,
        supportedOnFpga: 1,
        ...(n.color !== undefined ? { colorClass: n.color } : {}),
      })),
      edges: edges.map((e) => ({ sourceId: e.from, destId: e.to, cost: e.ms, size: e.size ?? 100 })),
    }),
    `${name}.json`,
  );
}

/** 1 → {2, 3} → 4; the output of 1 costs 5 ms, of 2 7 ms, of 3 11 ms; 1 and 4 run 1 ms, 2 and 3 10 ms. */
export const FORK = dnnGraph(
  [
    { id: 1, ms: 1 },
    { id: 2, ms: 10 },
    { id: 3, ms: 10 },
    { id: 4, ms: 1 },
  ],
  [
    { from: 1, to: 2, ms: 5 },
    { from: 1, to: 3, ms: 5 },
    { from: 2, to: 4, ms: 7 },
    { from: 3, to: 4, ms: 11 },
  ],
  'fork',
);

/** Pipeline options for the tests: unlimited memory, the file's edge costs, 4 microbatches, 1F1B, a 20 ms budget. */
export const opts = (devices: number, split: PipelineOptions['split'], extra: Partial<PipelineOptions> = {}): PipelineOptions => ({
  devices,
  memoryLimits: Array(devices).fill(Infinity),
  comm: 'file',
  split,
  microbatches: 4,
  schedule: '1f1b',
  budgetMs: 20,
  ...extra,
});
