// User-facing texts the extension shows, built from engine results. Pure, unit-tested.
// The wording follows the CLI: an OpplaceError's message as is; an infeasible plan names the op
// (the engine's `reason`) and the smallest uniform per-device memory that would work.
import { formatBytes, formatBytesAtLeast } from '../algorithms/units';
import type { Plan } from '../algorithms/plan';
import { baseName } from '../algorithms/text';
import type { WirePlan } from '../webview/protocol';
import { isWirePlanForm } from '../webview/planWire';

/** A plan's own fields (a Plan, or a wire plan's summary) and how many ops it scheduled. */
function factsOf(plan: Plan | WirePlan): { summary: WirePlan['summary']; scheduledOps: number } {
  return isWirePlanForm(plan) ? { summary: plan.summary, scheduledOps: plan.schedule.node.length } : { summary: plan, scheduledOps: plan.schedule.length };
}

/**
 * Null when the plan is feasible; otherwise the notification text, in the CLI's words
 * (`opplace place`: "infeasible: <reason>" and "smallest uniform memory per device that works").
 */
export function infeasibleText(of: Plan | WirePlan): string | null {
  const { summary: plan, scheduledOps } = factsOf(of);
  if (plan.feasible) return null;
  const label = scheduledOps === 0 ? 'infeasible' : 'over the limit';
  let text = `${baseName(plan.file)} (${plan.algorithm}): ${label}: ${plan.reason ?? 'no placement fits the memory limits'}`;
  if (plan.minimumMemoryBytes !== undefined) {
    text += ` — smallest uniform memory per device that works: ${formatBytesAtLeast(plan.minimumMemoryBytes)}`;
  }
  return text;
}

export { baseName };

/** A short summary for the output channel: makespan, devices, peaks. */
export function planSummary(of: Plan | WirePlan): string {
  const plan = factsOf(of).summary;
  const peaks = plan.devices.map((d) => `gpu${d.index} ${formatBytes(d.peakBytes)}/${formatBytes(d.memoryLimitBytes)}`).join(', ');
  return `${baseName(plan.file)}: ${plan.algorithm} ${plan.feasible ? 'feasible' : 'INFEASIBLE'}, step ${plan.makespanUs.toFixed(1)} µs, placed in ${plan.placeMs.toFixed(0)} ms; ${peaks}`;
}
