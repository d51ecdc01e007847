// Shared checks for the exporters: a plan read from JSON must be feasible and place exactly the
// nodes of the graph it is exported with (else the export would silently drop or invent ops).
import { OpplaceError } from '../errors';
import { OpGraph } from '../graph';
import { Plan, ScheduledOp } from '../plan';
import type { PipelinePlan } from '../pipeline/types';
import { GRAD_SUFFIX } from '../training';

/** What the exporters read: a latency plan (`opplace place`) or a pipeline plan (`opplace pipeline`). */
export type AnyPlan = Plan | PipelinePlan;

export function isPipelinePlan(plan: AnyPlan): plan is PipelinePlan {
  return (plan as PipelinePlan).objective === 'throughput';
}

/** Where a plan came from, for messages. */
export function planWhere(plan: AnyPlan, planFile?: string): string {
  return planFile ?? `plan of ${plan.file}`;
}

/**
 * Parses and shape-checks a plan JSON (what `opplace place --json` writes). Throws one
 * OpplaceError naming the file and the first wrong field.
 */
export function parsePlanJson(text: string, file: string): AnyPlan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new OpplaceError(`not valid JSON (${(e as Error).message})`, { file });
  }
  return planFromJson(data, file);
}

/** parsePlanJson of an already parsed document. */
export function planFromJson(data: unknown, file: string): AnyPlan {
  if (isPipelinePlanLike(data)) return pipelinePlanFromJson(data as PipelinePlan, file);
  if (!isPlanLike(data)) {
    throw new OpplaceError(
      'not an opplace plan (expected an object with "algorithm" and a "schedule" list as `opplace place --out` writes, or "stages" and "assignment" as `opplace pipeline --out` writes)',
      { file },
    );
  }
  const plan = data as Plan;
  plan.schedule.forEach((op, i) => {
    if (!op || typeof op !== 'object' || typeof op.node !== 'string') {
      throw new OpplaceError(`schedule[${i}] has no "node" id`, { file });
    }
    if (!Number.isInteger(op.device) || op.device < 0) {
      throw new OpplaceError(`schedule[${i}]: device must be an integer ≥ 0, got ${JSON.stringify(op.device)}`, { file, node: op.node });
    }
    for (const f of ['startUs', 'endUs'] as const) {
      if (typeof op[f] !== 'number' || !Number.isFinite(op[f])) {
        throw new OpplaceError(`schedule[${i}]: ${f} must be a finite number, got ${JSON.stringify(op[f])}`, { file, node: op.node });
      }
    }
  });
  if (!Array.isArray(plan.devices)) plan.devices = [];
  if (!Array.isArray(plan.transfers)) plan.transfers = [];
  return plan;
}

/** True for JSON that looks like a plan of either kind (used to tell a plan from a model on the command line). */
export function isPlanLike(data: unknown): boolean {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  return (typeof d.algorithm === 'string' && Array.isArray(d.schedule) && typeof d.feasible === 'boolean') || isPipelinePlanLike(data);
}

/** True for JSON that looks like a PipelinePlan (`opplace pipeline --out plan.json`). */
export function isPipelinePlanLike(data: unknown): boolean {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  return d.objective === 'throughput' && Array.isArray(d.stages) && typeof d.feasible === 'boolean';
}

/** Shape checks of a pipeline plan: what the exporters read (assignment, stages, schedule). */
function pipelinePlanFromJson(plan: PipelinePlan, file: string): PipelinePlan {
  const a = plan.assignment as unknown;
  if (!a || typeof a !== 'object' || Array.isArray(a)) throw new OpplaceError('the pipeline plan has no "assignment" object (node id → device)', { file });
  for (const [node, device] of Object.entries(plan.assignment)) {
    if (!Number.isInteger(device) || device < 0)
      throw new OpplaceError(`assignment: device must be an integer ≥ 0, got ${JSON.stringify(device)}`, { file, node });
  }
  plan.stages.forEach((s, i) => {
    if (!s || typeof s !== 'object' || !Number.isInteger(s.device) || !Array.isArray(s.nodes)) {
      throw new OpplaceError(`stages[${i}] needs a "device" and a "nodes" list`, { file });
    }
  });
  if (!Number.isInteger(plan.microbatches) || plan.microbatches < 1)
    throw new OpplaceError(`"microbatches" must be an integer ≥ 1, got ${JSON.stringify(plan.microbatches)}`, { file });
  if (plan.schedule !== 'gpipe' && plan.schedule !== '1f1b')
    throw new OpplaceError(`"schedule" must be gpipe or 1f1b, got ${JSON.stringify(plan.schedule)}`, { file });
  return plan;
}

/**
 * node id → device of either plan kind, after checking the plan is feasible and covers the graph
 * exactly. A pipeline plan of a `--training` graph also assigns the synthesised backward ops
 * (`v/grad`), which the model file does not have: those are skipped when their forward op is in
 * the graph (a framework runs the backward where autograd puts it, with its forward op).
 */
export function deviceByNode(graph: OpGraph, plan: AnyPlan, planFile?: string): Map<string, number> {
  if (!isPipelinePlan(plan)) return new Map([...scheduleByNode(graph, plan, planFile)].map(([id, op]) => [id, op.device]));
  const file = planWhere(plan, planFile);
  if (!plan.feasible) {
    throw new OpplaceError(`the plan is infeasible, nothing to export${plan.reason ? ` (${plan.reason})` : ''}`, { file, exitCode: 3 });
  }
  const ids = new Set(graph.nodes.map((n) => n.id));
  const out = new Map<string, number>();
  for (const [id, device] of Object.entries(plan.assignment)) {
    if (ids.has(id)) out.set(id, device);
    else if (!(id.endsWith(GRAD_SUFFIX) && ids.has(id.slice(0, -GRAD_SUFFIX.length)))) {
      throw new OpplaceError(`the plan places a node that ${graph.source?.file ?? graph.name} does not have — was the plan made for another model?`, {
        file,
        node: id,
      });
    }
  }
  for (const n of graph.nodes) {
    if (!out.has(n.id))
      throw new OpplaceError(`the plan does not place this node of ${graph.source?.file ?? graph.name} — was the plan made for another model?`, {
        file,
        node: n.id,
      });
  }
  return out;
}

/**
 * node id → scheduled op, after checking the plan is feasible and covers the graph exactly
 * (every node once, no unknown node).
 */
export function scheduleByNode(graph: OpGraph, plan: Plan, planFile?: string): Map<string, ScheduledOp> {
  const file = planWhere(plan, planFile);
  if (!plan.feasible) {
    throw new OpplaceError(`the plan is infeasible, nothing to export${plan.reason ? ` (${plan.reason})` : ''}`, { file, exitCode: 3 });
  }
  const ids = new Set(graph.nodes.map((n) => n.id));
  const byNode = new Map<string, ScheduledOp>();
  for (const op of plan.schedule) {
    if (!ids.has(op.node)) {
      throw new OpplaceError(`the plan places a node that ${graph.source?.file ?? graph.name} does not have — was the plan made for another model?`, {
        file,
        node: op.node,
      });
    }
    if (byNode.has(op.node)) throw new OpplaceError('the plan schedules this node twice', { file, node: op.node });
    byNode.set(op.node, op);
  }
  for (const n of graph.nodes) {
    if (!byNode.has(n.id)) {
      throw new OpplaceError(`the plan does not place this node of ${graph.source?.file ?? graph.name} — was the plan made for another model?`, {
        file,
        node: n.id,
      });
    }
  }
  return byNode;
}
