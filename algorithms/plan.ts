// The result of placing a graph: what `opplace place --json` prints, what the viewer draws and
// what the exporters read. Plain JSON data.

import type { AlgorithmName, PlacementOptions } from './options';

/** Placers that solve m-SCT's favourite-child LP (HiGHS): m-SCT, and refine, which starts from m-SCT among others. */
export function usesLp(algorithm: AlgorithmName): boolean {
  return algorithm === 'm-sct' || algorithm === 'refine';
}

// The option types live with their lists and checks in options.ts.
export type { AlgorithmName, GroupingMode, PlacementOptions } from './options';

export interface DevicePlan {
  index: number;
  memoryLimitBytes: number;
  peakBytes: number;
  busyUs: number;
  /** Breakdown of the peak for the memory panel. */
  persistentBytes?: number;
  /** Peak of output (activation) bytes alive at once. */
  peakActivationBytes?: number;
  /** Temporary bytes alive at the moment of the peak. */
  temporaryAtPeakBytes?: number;
  /** Memory over time: [timeUs, bytesInUse] steps, sorted by time. */
  memoryTimeline?: [number, number][];
}

export interface ScheduledOp {
  node: string;
  device: number;
  startUs: number;
  endUs: number;
}

export interface Transfer {
  from: string;
  to: string;
  /** Tensor name when known. */
  tensor?: string;
  bytes: number;
  srcDevice: number;
  dstDevice: number;
  /** Receive start: the destination channel is busy from here to `endUs` (the data is there then). */
  startUs: number;
  endUs: number;
  /**
   * Send start (Baechi's channel model): the source channel is busy from here for the transfer
   * time (endUs − startUs); ≤ startUs, which is later when the destination channel was busy.
   * Absent = startUs.
   */
  sendStartUs?: number;
}

export interface Plan {
  file: string;
  algorithm: AlgorithmName;
  feasible: boolean;
  makespanUs: number;
  lowerBoundUs: number;
  placeMs: number;
  devices: DevicePlan[];
  /** Every original node exactly once. Empty when infeasible. */
  schedule: ScheduledOp[];
  transfers: Transfer[];
  /** Node ids on the critical path, in time order. */
  criticalPath: string[];
  /** Indices into `transfers` of the transfers on the critical path, in time order. */
  criticalTransfers?: number[];
  /** m-SCT: how the favourite-child LP was solved and its optimum (µs). */
  lp?: { method: string; objectiveUs: number };
  /** When infeasible: which op/group did not fit where. */
  reason?: string;
  /** When infeasible: smallest uniform per-device memory for which the algorithm succeeds. */
  minimumMemoryBytes?: number;
  /**
   * Infeasible plans of the list schedulers: the ops placed before the placer stopped, with their
   * device, and the ops of the node that did not fit (a fused or grouped node: all its members).
   * The viewer draws them; `schedule` stays empty (nothing of a failed plan runs).
   */
  placedBeforeFailure?: { node: string; device: number }[];
  failedNodes?: string[];
  /** Time on one device (sum of compute) for the speed-up display. */
  singleDeviceUs?: number;
  /** The options the plan was made with. */
  options?: PlacementOptions;
  /** Refinement report (issue 6). */
  refine?: {
    startAlgorithm: AlgorithmName;
    startMakespanUs: number;
    gainPercent: number;
    movedOps: number;
    devicesChanged: number[];
    evaluations?: number;
    stoppedByClock?: boolean;
  };
}
