// Split points for torch.distributed.pipelining (`pipeline(module, mb_args, split_spec=...)` with
// `{fqn: SplitPoint.BEGINNING}`): possible when the plan is a pipeline — walking the graph in its
// topological (module) order, each device runs one contiguous run of ops, a stage. Stage k of the
// pipeline runs on rank k; the stage → plan device mapping is returned alongside.
import { OpplaceError } from '../errors';
import { OpGraph, OpNode } from '../graph';
import { holdsWeights } from './accelerate';
import { AnyPlan, deviceByNode, isPipelinePlan } from './planCheck';
import { stageRuns } from './stages';
import { setOwn } from '../records';

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
  /** Pipeline plans: the torch.distributed.pipelining schedule class and microbatch count to run it with. */
  schedule?: { scheduleClass: 'ScheduleGPipe' | 'Schedule1F1B'; nMicrobatches: number };
}

function isModuleCall(n: OpNode): boolean {
  return n.modulePath !== undefined && n.opType !== 'get_attr' && n.opType !== 'placeholder' && n.opType !== 'output';
}

export function exportTorchSplit(graph: OpGraph, plan: AnyPlan, planFile?: string): TorchSplit {
  const byNode = deviceByNode(graph, plan, planFile);
  const file = graph.source?.file ?? graph.name;
  if (!graph.nodes.some((n) => n.modulePath)) {
    throw new OpplaceError(
      'the graph carries no module paths, so there are no split points to write — profile the PyTorch model with tools/opplace_profile.py and place that graph',
      { file },
    );
  }
  const runs = stageRuns(graph, byNode);
  const calls = new Map<string, number>();
  for (const n of graph.nodes) if (isModuleCall(n)) calls.set(n.modulePath!, (calls.get(n.modulePath!) ?? 0) + 1);
  const splitSpec: Record<string, 'BEGINNING'> = {};
  const notes: string[] = [];
  const stages: PipelineStage[] = runs.map((r) => ({ device: r.device, first: r.nodes[0].id, last: r.nodes[r.nodes.length - 1].id, nodes: r.nodes.length }));
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
      notes.push(
        `stage ${k}: ${nodes
          .slice(0, at)
          .map((n) => `"${n.id}"`)
          .join(', ')} (no weights) run${at === 1 ? 's' : ''} at the end of stage ${k - 1}, because the split is at the beginning of module "${fqn}"`,
      );
    }
    setOwn(splitSpec, fqn, 'BEGINNING');
    stages[k].splitAt = fqn;
  }
  if (!isPipelinePlan(plan)) return { splitSpec, stages, notes };
  return {
    splitSpec,
    stages,
    notes,
    schedule: { scheduleClass: plan.schedule === 'gpipe' ? 'ScheduleGPipe' : 'Schedule1F1B', nMicrobatches: plan.microbatches },
  };
}
