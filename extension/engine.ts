// The engine calls the placement worker makes: the same pipeline the CLI uses
// (algorithms/pipeline.ts loads and costs the model, algorithms/placement places it).
import { checkPlaceable, type OpGraph } from '../algorithms/graph';
import type { Plan, PlacementOptions } from '../algorithms/plan';
import { PrepareOptions, prepareGraph } from '../algorithms/prepare';
import { placeGraph } from '../algorithms/placement/index';
import { planPipeline } from '../algorithms/pipeline/index';
import type { PipelineOptions, PipelinePlan } from '../algorithms/pipeline/types';

export async function prepare(bytes: Uint8Array, fileName: string, load: PrepareOptions): Promise<OpGraph> {
  return prepareGraph(bytes, fileName, load);
}

export function place(graph: OpGraph, options: PlacementOptions, fileName?: string): Promise<Plan> {
  checkPlaceable(graph); // the CLI's rule: a file with nothing to place is an error, not an empty plan
  return placeGraph(graph, options, fileName);
}

/** Throughput objective (issue 14): the pipeline planner and its microbatch schedule. */
export function pipeline(graph: OpGraph, options: PipelineOptions, fileName?: string): Promise<PipelinePlan> {
  return planPipeline(graph, options, fileName);
}
