// User-facing texts the extension shows, built from engine results. Pure, unit-tested.
// The wording follows the CLI: an OpplaceError's message as is; an infeasible plan names the op
// (the engine's `reason`) and the smallest uniform per-device memory that would work.
import { formatBytes, formatBytesAtLeast } from '../algorithms/units';
import type { Plan } from '../algorithms/plan';
import { baseName } from '../algorithms/text';

/**
 * Null when the plan is feasible; otherwise the notification text, in the CLI's words
 * (`opplace place`: "infeasible: <reason>" and "smallest uniform memory per device that works").
 */
export function infeasibleText(plan: Plan): string | null {
  if (plan.feasible) return null;
  const label = plan.schedule.length === 0 ? 'infeasible' : 'over the limit';
  let text = `${baseName(plan.file)} (${plan.algorithm}): ${label}: ${plan.reason ?? 'no placement fits the memory limits'}`;
  if (plan.minimumMemoryBytes !== undefined) {
    text += ` — smallest uniform memory per device that works: ${formatBytesAtLeast(plan.minimumMemoryBytes)}`;
  }
  return text;
}

export { baseName };

/** A short summary for the output channel: makespan, devices, peaks. */
export function planSummary(plan: Plan): string {
  const peaks = plan.devices.map((d) => `gpu${d.index} ${formatBytes(d.peakBytes)}/${formatBytes(d.memoryLimitBytes)}`).join(', ');
  return `${baseName(plan.file)}: ${plan.algorithm} ${plan.feasible ? 'feasible' : 'INFEASIBLE'}, step ${plan.makespanUs.toFixed(1)} µs, placed in ${plan.placeMs.toFixed(0)} ms; ${peaks}`;
}
