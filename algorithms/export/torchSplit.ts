// Split points for torch.distributed.pipelining (`pipeline(module, mb_args, split_spec=...)` with
// `{fqn: SplitPoint.BEGINNING}`): possible when the plan is a pipeline — walking the graph in its
// topological (module) order, each device runs one contiguous run of ops, a stage. Stage k of the
// pipeline runs on rank k; the stage → plan device mapping is returned alongside.
import { OpplaceError } from '../errors';
import { OpGraph, OpNode, indexGraph } from '../graph';
import { Plan } from '../plan';
import { holdsWeights } from './accelerate';
import { scheduleByNode } from './planCheck';

export interface PipelineStage {
  device: number;
  /** First and last node of the stage in topological order. */
  first: string;
  last: string;
  nodes: number;
  /** Module FQN the stage starts at (undefined for stage 0). */
  splitAt?: string;
}

export interface TorchSplit {
  /** `{fqn: "BEGINNING"}` in stage order. */
  splitSpec: Record<string, 'BEGINNING'>;
  stages: PipelineStage[];
  /** Weight-free function ops moved to the previous stage because a split can only start at a module. */
  notes: string[];
}

/** Graph inputs and outputs belong to no stage (the pipeline feeds and collects them). */
function isGraphBoundary(n: OpNode): boolean {
  return n.opType === 'placeholder' || n.opType === 'output';
}

function isModuleCall(n: OpNode): boolean {
  return n.modulePath !== undefined && n.opType !== 'get_attr' && n.opType !== 'placeholder' && n.opType !== 'output';
}

export function exportTorchSplit(graph: OpGraph, plan: Plan, planFile?: string): TorchSplit {
  const byNode = scheduleByNode(graph, plan, planFile);
  const file = graph.source?.file ?? graph.name;
  if (!graph.nodes.some((n) => n.modulePath)) {
    throw new OpplaceError('the graph carries no module paths, so there are no split points to write — profile the PyTorch model with tools/opplace_profile.py and place that graph', { file });
  }
  const { topo } = indexGraph(graph);
  const order = topo.map((i) => graph.nodes[i]).filter((n) => !isGraphBoundary(n));
  // runs of equal device along the order
  const runs: { device: number; nodes: OpNode[] }[] = [];
  const stageOfDevice = new Map<number, number>();
  for (const n of order) {
    const d = byNode.get(n.id)!.device;
    const cur = runs[runs.length - 1];
    if (cur && cur.device === d) {
      cur.nodes.push(n);
      continue;
    }
    const earlier = stageOfDevice.get(d);
    if (earlier !== undefined) {
      const prev = runs[runs.length - 1];
      throw new OpplaceError(
        `the plan is not a pipeline of contiguous stages: in topological order this node returns to device ${d} (stage ${earlier}, which ended at node "${runs[earlier].nodes[runs[earlier].nodes.length - 1].id}") after device ${prev.device} ran node "${prev.nodes[prev.nodes.length - 1].id}"; place with --algorithm sequential, or export --to accelerate`,
        { file, node: n.id },
      );
    }
    stageOfDevice.set(d, runs.length);
    runs.push({ device: d, nodes: [n] });
  }
  const calls = new Map<string, number>();
  for (const n of graph.nodes) if (isModuleCall(n)) calls.set(n.modulePath!, (calls.get(n.modulePath!) ?? 0) + 1);
  const splitSpec: Record<string, 'BEGINNING'> = {};
  const notes: string[] = [];
  const stages: PipelineStage[] = runs.map((r, k) => ({ device: r.device, first: r.nodes[0].id, last: r.nodes[r.nodes.length - 1].id, nodes: r.nodes.length }));
  for (let k = 1; k < runs.length; k++) {
    const nodes = runs[k].nodes;
    // split at the first module called once (a module called twice has no unique beginning);
    // weight-free ops before it run at the end of the previous stage instead
    const at = nodes.findIndex((n) => isModuleCall(n) && calls.get(n.modulePath!) === 1);
    const moved = at < 0 ? nodes : nodes.slice(0, at);
    const weighted = moved.find(holdsWeights);
    if (weighted) {
      throw new OpplaceError(
        `stage ${k} (device ${runs[k].device}) starts with this op, which holds weights but is not a module called once; torch.distributed.pipelining can only split at the beginning of a submodule`,
        { file, node: weighted.id },
      );
    }
    if (at < 0) {
      throw new OpplaceError(
        `stage ${k} (device ${runs[k].device}) contains no call of a module that is called only once, and torch.distributed.pipelining can only split at the beginning of a submodule`,
        { file, node: nodes[0].id },
      );
    }
    const fqn = nodes[at].modulePath!;
    if (at > 0) {
      notes.push(`stage ${k}: ${nodes.slice(0, at).map((n) => `"${n.id}"`).join(', ')} (no weights) run${at === 1 ? 's' : ''} at the end of stage ${k - 1}, because the split is at the beginning of module "${fqn}"`);
    }
    splitSpec[fqn] = 'BEGINNING';
    stages[k].splitAt = fqn;
  }
  return { splitSpec, stages, notes };
}
