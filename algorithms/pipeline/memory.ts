// Memory side of the planners: what a device holds under the throughput model (model.ts) —
// persistent bytes + its largest workspace + activations × microbatches in flight — with devices
// as pipeline positions (device d is stage d; an unused device leaves a gap, which only lowers
// the in-flight counts of the stages before it, so planning with the label is conservative).
import type { ThroughputModel } from './model';
import { inFlightMicrobatches } from './model';
import type { PipelineScheduleName } from './types';

export interface MemoryRule {
  limits: number[];
  /** Microbatches in flight on device d when it is stage d of D (conservative, see above). */
  inFlight: number[];
}

export function memoryRule(model: ThroughputModel, limits: number[], schedule: PipelineScheduleName, microbatches: number): MemoryRule {
  const D = limits.length;
  const inFlight = limits.map((_, d) => (model.training ? inFlightMicrobatches(schedule, d, D, microbatches) : 0));
  return { limits, inFlight };
}

/** Bytes device d needs for units with these sums. */
export function deviceBytes(rule: MemoryRule, d: number, persistent: number, temporary: number, activation: number): number {
  return persistent + temporary + activation * rule.inFlight[d];
}

/** Largest workspace over the units on device d (scan: only after a move is kept). */
export function largestTemporary(model: ThroughputModel, device: ArrayLike<number>, d: number): number {
  let m = 0;
  for (let u = 0; u < model.units.length; u++) if (device[u] === d) m = Math.max(m, model.unitTemporary[u]);
  return m;
}
