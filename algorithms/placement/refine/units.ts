// Placement units of the refinement search: a colocation group, or an ungrouped coarse node. The
// search moves units, not coarse nodes, so a group never straddles devices.
import type { CoreResult } from '../core';
import type { Problem } from '../problem';

export interface Units {
  count: number;
  /** Unit of each coarse node. */
  of: Int32Array;
  /** Coarse nodes of each unit. */
  members: number[][];
}

/** Units numbered in the order their first coarse node appears. */
export function placementUnits(problem: Problem): Units {
  const of = new Int32Array(problem.n);
  const members: number[][] = [];
  const unitOfGroup = new Int32Array(problem.groupCount).fill(-1);
  for (let c = 0; c < problem.n; c++) {
    const g = problem.group[c];
    if (g >= 0) {
      if (unitOfGroup[g] < 0) {
        unitOfGroup[g] = members.length;
        members.push([]);
      }
      of[c] = unitOfGroup[g];
    } else {
      of[c] = members.length;
      members.push([]);
    }
    members[of[c]].push(c);
  }
  return { count: members.length, of, members };
}

/** Unit → device of a core result. */
export function unitDevices(units: Units, result: CoreResult): Int32Array {
  const assign = new Int32Array(units.count);
  for (let c = 0; c < units.of.length; c++) assign[units.of[c]] = result.device[c];
  return assign;
}

/** Coarse node → device of a unit → device assignment: the core's `fixedDevice`. */
export function nodeDevices(units: Units, assign: Int32Array): Int32Array {
  const fixed = new Int32Array(units.of.length);
  for (let c = 0; c < units.of.length; c++) fixed[c] = assign[units.of[c]];
  return fixed;
}
