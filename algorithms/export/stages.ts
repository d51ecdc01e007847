// The stages of a plan as a pipeline framework runs them: walking the forward ops in program
// (topological) order, each device runs one contiguous run of ops. torch.distributed.pipelining
// cuts the program at split points and DeepSpeed's PipelineModule at layer boundaries, so a plan
// whose device returns after another one ran cannot be written for them.
import { OpplaceError } from '../errors';
import { OpGraph, OpNode, indexGraph } from '../graph';
import { isBackwardOp } from '../training';

export interface StageRun {
  device: number;
  nodes: OpNode[];
}

/** Graph inputs and outputs belong to no stage (the pipeline feeds and collects them). */
export function isGraphBoundary(n: OpNode): boolean {
  return n.opType === 'placeholder' || n.opType === 'output';
}

/**
 * The forward ops in the graph's stable topological order (file order when that is one: FX order
 * for profiled graphs), without graph inputs/outputs; backward ops run where autograd puts them.
 */
export function forwardOrder(graph: OpGraph): OpNode[] {
  const { topo } = indexGraph(graph);
  return topo.map((i) => graph.nodes[i]).filter((n) => !isGraphBoundary(n) && !isBackwardOp(n));
}

/** Runs of equal device along forwardOrder; an error names the node whose device returns. */
export function stageRuns(graph: OpGraph, deviceOf: Map<string, number>): StageRun[] {
  const file = graph.source?.file ?? graph.name;
  const runs: StageRun[] = [];
  const stageOfDevice = new Map<number, number>();
  for (const n of forwardOrder(graph)) {
    const d = deviceOf.get(n.id)!;
    const cur = runs[runs.length - 1];
    if (cur && cur.device === d) {
      cur.nodes.push(n);
      continue;
    }
    const earlier = stageOfDevice.get(d);
    if (earlier !== undefined) {
      const prev = runs[runs.length - 1];
      throw new OpplaceError(
        `the plan is not a pipeline of contiguous stages: in topological order this node returns to device ${d} (stage ${earlier}, which ended at node "${runs[earlier].nodes[runs[earlier].nodes.length - 1].id}") after device ${prev.device} ran node "${prev.nodes[prev.nodes.length - 1].id}"; plan with \`opplace pipeline --split sequential\` (or place with --algorithm sequential), or export --to accelerate`,
        { file, node: n.id },
      );
    }
    stageOfDevice.set(d, runs.length);
    runs.push({ device: d, nodes: [n] });
  }
  return runs;
}
