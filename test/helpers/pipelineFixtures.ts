// A hand-made training graph and a pipeline plan of it, worked out by hand, for the tests of the
// viewer's throughput mode and of the extension's pipeline plumbing (inputs, not expected results).
import type { OpGraph, OpNode } from '../../algorithms/graph';
import type { PipelinePlan, PipelineStage, PipelineTask } from '../../algorithms/pipeline/types';

const MiB = 2 ** 20;

function trainingNode(id: string, computeUs: number, isBackward = false): OpNode {
  return {
    id,
    name: id,
    opType: isBackward ? 'Backward' : 'Layer',
    namespace: [],
    computeUs,
    persistentBytes: MiB,
    temporaryBytes: 0,
    outputs: [],
    ...(isBackward ? { isBackward } : {}),
  };
}

/** f1 → f2 → b2 → b1 (forward then backward), with the skip edge f1 → b1 (stashed activation). */
export function trainingGraph(): OpGraph {
  const nodes = [trainingNode('f1', 10), trainingNode('f2', 20), trainingNode('b2', 40, true), trainingNode('b1', 20, true)];
  const e = (from: string, to: string) => ({ from, to, tensor: `${from}:0`, bytes: 1000 });
  return { name: 'toy', nodes, edges: [e('f1', 'f2'), e('f2', 'b2'), e('b2', 'b1'), e('f1', 'b1')], warnings: [] };
}

function stage(index: number, device: number, nodes: string[], forwardUs: number, backwardUs: number, persistent: number, stashed: number): PipelineStage {
  return {
    index,
    device,
    nodes,
    loadUs: forwardUs + backwardUs,
    computeUs: forwardUs + backwardUs,
    commUs: 0,
    forwardUs,
    backwardUs,
    memoryBytes: persistent + stashed,
    persistentBytes: persistent,
    stashedBytes: stashed,
    activationBytesPerMicrobatch: stashed / 2,
    peakBytes: persistent + stashed,
    memoryLimitBytes: 4 * MiB,
    busyUs: 2 * (forwardUs + backwardUs),
  };
}

/**
 * Two stages on devices 1 and 0 (pipeline order ≠ device order), M = 2, GPipe, worked by hand:
 * stage 0 = f1+b1 (F 10 µs, B 20 µs), stage 1 = f2+b2 (F 20, B 40).
 *   S0: F0 0–10, F1 10–20,                      B0 90–110,  B1 130–150
 *   S1:          F0 10–30, F1 30–50, B0 50–90, B1 90–130
 * Step 150 µs.
 */
export function toyPlan(): PipelinePlan {
  const t = (s: number, m: number, kind: PipelineTask['kind'], startUs: number, endUs: number): PipelineTask => ({
    stage: s,
    microbatch: m,
    kind,
    startUs,
    endUs,
  });
  const tasks = [
    t(0, 0, 'forward', 0, 10),
    t(0, 1, 'forward', 10, 20),
    t(1, 0, 'forward', 10, 30),
    t(1, 1, 'forward', 30, 50),
    t(1, 0, 'backward', 50, 90),
    t(1, 1, 'backward', 90, 130),
    t(0, 0, 'backward', 90, 110),
    t(0, 1, 'backward', 130, 150),
  ];
  // Busy: S0 60, S1 120 of 2 × 150 → bubble 1 − 180/300 = 0.4.
  return {
    file: 'toy.json',
    objective: 'throughput',
    split: 'sequential',
    schedule: 'gpipe',
    microbatches: 2,
    feasible: true,
    timePerSampleUs: 60,
    singleDeviceUs: 90,
    throughputSpeedup: 1.5,
    stepUs: 150,
    bubble: 0.4,
    stages: [stage(0, 1, ['f1', 'b1'], 10, 20, MiB, 2 * MiB), stage(1, 0, ['f2', 'b2'], 20, 40, MiB, MiB)],
    tasks,
    assignment: { f1: 1, b1: 1, f2: 0, b2: 0 },
    options: { devices: 2, memoryLimits: [4 * MiB, 4 * MiB], comm: 'none', split: 'sequential', microbatches: 2, schedule: 'gpipe' },
    placeMs: 1.5,
  };
}
