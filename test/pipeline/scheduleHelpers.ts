// Shared by the schedule tests: small graphs, and simulate + check in one call.
import { strict as assert } from 'node:assert';
import { indexGraph, OpEdge, OpGraph, OpNode } from '../../algorithms/graph';
import { checkPipelinePlan, checkPipelineSchedule, PipelineCheckSetup } from '../../algorithms/pipeline/checker';
import { backwardClosure, pipelineRuns, PipelineScheduleInput, planRuns, simulatePipeline, SimulatedPipeline } from '../../algorithms/pipeline/schedule';
import type { PipelinePlan, PipelineRun } from '../../algorithms/pipeline/types';

export function op(id: string, computeUs: number, extra: Partial<OpNode> = {}): OpNode {
  return {
    id,
    name: id,
    opType: 'Op',
    namespace: [],
    computeUs,
    persistentBytes: 0,
    temporaryBytes: 0,
    outputs: [{ name: id + ':0', bytes: 4, shape: null }],
    ...extra,
  };
}

export function edge(from: string, to: string, bytes = 4): OpEdge {
  return { from, to, tensor: from + ':0', bytes };
}

export function graphOf(nodes: OpNode[], edges: OpEdge[], name = 'g'): OpGraph {
  return { name, nodes, edges, warnings: [] };
}

/**
 * S equal stages of a training chain: forward f0 → … → f{S−1}, backward b{S−1} → … → b0, each
 * stage holding f_s and b_s (stage s: forward `fwdUs`, backward `bwdUs`).
 */
export function trainingChain(S: number, fwdUs: number, bwdUs: number): { graph: OpGraph; stageOf: number[] } {
  const nodes: OpNode[] = [];
  const edges: OpEdge[] = [];
  for (let s = 0; s < S; s++) nodes.push(op(`f${s}`, fwdUs));
  for (let s = S - 1; s >= 0; s--) nodes.push(op(`b${s}`, bwdUs, { isBackward: true }));
  for (let s = 1; s < S; s++) edges.push(edge(`f${s - 1}`, `f${s}`), edge(`b${s}`, `b${s - 1}`));
  edges.push(edge(`f${S - 1}`, `b${S - 1}`));
  for (let s = 0; s < S - 1; s++) edges.push(edge(`f${s}`, `b${s}`)); // stashed activation
  const stageOf = nodes.map((v) => Number(v.id.slice(1)));
  return { graph: graphOf(nodes, edges, `chain${S}`), stageOf };
}

export function setupOf(input: PipelineScheduleInput): PipelineCheckSetup {
  const stageOf: Record<string, number> = {};
  input.graph.nodes.forEach((v, i) => (stageOf[v.id] = input.stageOf[i]));
  return {
    stages: input.stages,
    microbatches: input.microbatches,
    schedule: input.schedule,
    stageOf,
    stageDevices: input.stageDevices ? Array.from(input.stageDevices) : undefined,
    transferUs: input.transferUs,
    persistentBytes: input.persistentBytes ? Array.from(input.persistentBytes) : undefined,
    activationBytesPerMicrobatch: input.activationBytesPerMicrobatch ? Array.from(input.activationBytesPerMicrobatch) : undefined,
  };
}

export function claimOf(input: PipelineScheduleInput, sim: SimulatedPipeline, runs: PipelineRun[] = pipelineRuns(input.graph, input.stageOf, sim)) {
  return { runs, tasks: sim.tasks, stepUs: sim.stepUs, bubble: sim.bubble, busyUs: sim.busyUs, peakBytes: sim.peakBytes };
}

/** Simulates and asserts the independent checker finds nothing. */
export function simulateChecked(input: PipelineScheduleInput): SimulatedPipeline {
  const sim = simulatePipeline(input);
  assert.deepEqual(checkPipelineSchedule(input.graph, setupOf(input), claimOf(input, sim)), []);
  return sim;
}

/**
 * Asserts the independent checker finds nothing wrong with a plan: its step re-simulated from the
 * plan alone (assignment, stages, comm, schedule) replayed against every schedule field it reports.
 */
export function assertPlanChecked(graph: OpGraph, plan: PipelinePlan): void {
  assert.deepEqual(checkPipelinePlan(graph, plan, planRuns(graph, plan)), [], `${plan.file} ${plan.split} ${plan.schedule}`);
}

/** Forward ops cut into S runs of about equal compute along the topological order. */
export function balancedStages(graph: OpGraph, S: number): number[] {
  const index = indexGraph(graph);
  const backward = backwardClosure(graph, index);
  const stageOf = new Array<number>(graph.nodes.length).fill(-1);
  const total = index.topo.reduce((a, v) => a + (backward[v] ? 0 : graph.nodes[v].computeUs), 0);
  let acc = 0;
  const stageOfGroup = new Map<string, number>();
  for (const v of index.topo) {
    if (backward[v]) continue;
    const s = Math.min(S - 1, Math.floor((acc / Math.max(total, 1e-9)) * S));
    acc += graph.nodes[v].computeUs;
    stageOf[v] = s;
    const g = graph.nodes[v].colocationGroup;
    if (g !== undefined && !stageOfGroup.has(g)) stageOfGroup.set(g, s);
  }
  // backward ops: their forward op's stage when colocated, else the last stage seen before them
  let last = S - 1;
  for (const v of index.topo) {
    if (!backward[v]) continue;
    const g = graph.nodes[v].colocationGroup;
    stageOf[v] = g !== undefined && stageOfGroup.has(g) ? stageOfGroup.get(g)! : last;
    last = stageOf[v];
  }
  return stageOf;
}
