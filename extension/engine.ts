// The engine calls the placement worker makes: the same pipeline the CLI uses
// (algorithms/pipeline.ts loads and costs the model, algorithms/placement places it).
import type { OpGraph } from '../algorithms/graph';
import type { Plan, PlacementOptions } from '../algorithms/plan';
import { PrepareOptions, prepareGraph } from '../algorithms/prepare';
import { placeGraph } from '../algorithms/placement/index';

export async function prepare(bytes: Uint8Array, fileName: string, load: PrepareOptions): Promise<OpGraph> {
  return prepareGraph(bytes, fileName, load);
}

export function place(graph: OpGraph, options: PlacementOptions, fileName?: string): Promise<Plan> {
  return placeGraph(graph, options, fileName);
}
