// DeepSpeed pipeline partition from a plan: `PipelineModule(layers=…, num_stages=S)` puts layers
// parts[s] … parts[s+1]−1 on stage s (`self.parts`, set by `_partition_layers`). Its own methods
// (`parameters`, `uniform`, `type:…`) balance parameter or layer counts, not time, which is why
// users hand-write parts (DeepSpeed#2974, #1378); this writes opplace's split as those parts.
// A layer here is a forward op in program order (a dnn-partitioning layer, an FX node of a profiled
// graph), so `layers` lists the node ids the indices refer to.
import type { OpGraph } from '../graph';
import { AnyPlan, deviceByNode, isPipelinePlan } from './planCheck';
import { stageRuns } from './stages';

export interface DeepSpeedPartition {
  num_stages: number;
  /** Layer boundaries: stage s holds layers parts[s] ≤ i < parts[s+1]; parts[0] = 0, last = layers.length. */
  parts: number[];
  /** Node ids of the layers, in order. */
  layers: string[];
  /** Plan device of each stage (stage s runs on pipeline rank s). */
  stage_devices: number[];
  /** Pipeline plans: microbatches per step (DeepSpeed's gradient_accumulation_steps). */
  gradient_accumulation_steps?: number;
}

export function exportDeepSpeed(graph: OpGraph, plan: AnyPlan, planFile?: string): { partition: DeepSpeedPartition; notes: string[] } {
  const runs = stageRuns(graph, deviceByNode(graph, plan, planFile));
  const parts = [0];
  for (const r of runs) parts.push(parts[parts.length - 1] + r.nodes.length);
  const partition: DeepSpeedPartition = {
    num_stages: runs.length,
    parts,
    layers: runs.flatMap((r) => r.nodes.map((n) => n.id)),
    stage_devices: runs.map((r) => r.device),
  };
  const notes = [`use: class Pipe(PipelineModule): def _partition_layers(self, method): self.parts = parts (num_stages=${runs.length}; layer i = layers[i])`];
  if (isPipelinePlan(plan)) {
    partition.gradient_accumulation_steps = plan.microbatches;
    if (plan.schedule === 'gpipe')
      notes.push('DeepSpeed runs its 1F1B TrainSchedule; the plan was made for GPipe, whose memory per stage is larger, so it fits under 1F1B too');
  }
  return { partition, notes };
}
