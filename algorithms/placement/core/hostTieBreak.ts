// Topology tie-break between two devices where op v would start at the same time:
//   1. the host already holding more placed co-inputs of v's consumers (ops whose outputs meet
//      v's downstream), so data that will be combined is produced on one host;
//   2. the host with fewer devices busy at that time, so independent work spreads over hosts
//      and each piece can grow inside its own host.
// With one host both are always equal, so the plan is the uniform-link one.
import type { CoreState } from './state';

function hostBusyAt(s: CoreState, perHost: number, d: number, t: number): number {
  const first = d - (d % perHost);
  let busy = 0;
  for (let x = first; x < first + perHost; x++) if (s.devFree[x] > t) busy++;
  return busy;
}

function coInputsOnHost(s: CoreState, perHost: number, v: number, d: number): number {
  const host = Math.floor(d / perHost);
  const { succ, pred } = s.graph;
  let count = 0;
  for (let i = succ.start[v]; i < succ.start[v + 1]; i++) {
    const c = succ.list[i];
    for (let j = pred.start[c]; j < pred.start[c + 1]; j++) {
      const p = pred.list[j];
      if (p !== v && s.device[p] >= 0 && Math.floor(s.device[p] / perHost) === host) count++;
    }
  }
  return count;
}

/** Whether d is a better host than `than` for v starting at t. */
export function betterHost(s: CoreState, v: number, d: number, than: number, t: number): boolean {
  const perHost = s.problem.topology?.gpusPerHost ?? s.D;
  const a = coInputsOnHost(s, perHost, v, d);
  const b = coInputsOnHost(s, perHost, v, than);
  return a !== b ? a > b : hostBusyAt(s, perHost, d, t) < hostBusyAt(s, perHost, than, t);
}
