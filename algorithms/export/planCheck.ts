// Shared checks for the exporters: a plan read from JSON must be feasible and place exactly the
// nodes of the graph it is exported with (else the export would silently drop or invent ops).
import { OpplaceError } from '../errors';
import { OpGraph } from '../graph';
import { Plan, ScheduledOp } from '../plan';

/** Where a plan came from, for messages. */
export function planWhere(plan: Plan, planFile?: string): string {
  return planFile ?? `plan of ${plan.file}`;
}

/**
 * Parses and shape-checks a plan JSON (what `opplace place --json` writes). Throws one
 * OpplaceError naming the file and the first wrong field.
 */
export function parsePlanJson(text: string, file: string): Plan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new OpplaceError(`not valid JSON (${(e as Error).message})`, { file });
  }
  return planFromJson(data, file);
}

/** parsePlanJson of an already parsed document. */
export function planFromJson(data: unknown, file: string): Plan {
  if (!isPlanLike(data)) {
    throw new OpplaceError('not an opplace plan (expected an object with "algorithm" and a "schedule" list, as `opplace place --json` writes)', { file });
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

/** True for JSON that looks like a Plan (used to tell a plan from a model on the command line). */
export function isPlanLike(data: unknown): boolean {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  return typeof d.algorithm === 'string' && Array.isArray(d.schedule) && typeof d.feasible === 'boolean';
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
      throw new OpplaceError(`the plan places a node that ${graph.source?.file ?? graph.name} does not have — was the plan made for another model?`, { file, node: op.node });
    }
    if (byNode.has(op.node)) throw new OpplaceError('the plan schedules this node twice', { file, node: op.node });
    byNode.set(op.node, op);
  }
  for (const n of graph.nodes) {
    if (!byNode.has(n.id)) {
      throw new OpplaceError(`the plan does not place this node of ${graph.source?.file ?? graph.name} — was the plan made for another model?`, { file, node: n.id });
    }
  }
  return byNode;
}
