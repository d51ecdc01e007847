// Warnings on a pipeline plan (issue 14, follow-up): an `any` split optimises the steady-state
// time per sample (the largest stage load), but its stage graph may have a cycle — a stage feeds a
// later one and is fed back by it within one microbatch — and then microbatches wait on each other
// and the simulated step is far slower than the time per sample promises. Inception-v3 training,
// 4 devices × 64 GiB, 16 microbatches, 1F1B: `any` 178.2 ms per sample but 290.4 ms of step per
// microbatch; its contiguous start 184.1 ms and 216.4 ms.
//
// The cycle is looked for per pass: in a training graph forward edges run stage 0 → S − 1 and
// backward edges back again, so the stage graph of all edges is cyclic for every pipeline; what
// stalls a pipeline is a cycle among the forward edges (or among the backward ones).
import type { ThroughputModel } from './model';
import type { PipelinePlan } from './types';
import { firstCycle } from '../graph';
import { formatUs } from '../units';

/** A cycle of the stage graph: stages in order (the first not repeated), and the pass it is in. */
export interface StageCycle {
  stages: number[];
  pass: 'forward' | 'backward' | 'all';
}

/**
 * Warn when the stage graph has a cycle, step / M exceeds the time per sample by more than this
 * share, and the step exceeds an acyclic pipeline's fill and drain with the same stage loads,
 * (M − 1) × time per sample + Σ stage loads, by as much. The second test keeps the pipeline's
 * own fill from passing for a stall: at M = 16 on the 16 throughput graphs (6 devices, `any`),
 * bert24_inference, resnet50_inference and bert_l-12_inference are cyclic and 31 %, 36 % and
 * 17 % over their time per sample but within 1.04× of that fill, and their contiguous starts
 * simulate only 1–3 % shorter steps; the 10 graphs still warned are 1.11–2.2× over it (Inception
 * training, 4 × 64 GiB: 1.37×, the contiguous start 25 % shorter).
 */
export const CYCLE_SLOWDOWN_WARN = 0.1;

/** The step of an acyclic pipeline with these stage loads: the first microbatch through every stage, then one per time per sample. */
export function fillAndDrainUs(plan: Pick<PipelinePlan, 'stages' | 'timePerSampleUs' | 'microbatches'>): number {
  return (plan.microbatches - 1) * plan.timePerSampleUs + plan.stages.reduce((sum, s) => sum + s.loadUs, 0);
}

/** A cycle of the stage graph among forward edges, then among backward ones; null when both are acyclic. */
export function findStageCycle(model: ThroughputModel, stageOf: ArrayLike<number>, stages: number): StageCycle | null {
  const { graph, index, backward } = model;
  for (const pass of [0, 1]) {
    const succ: Set<number>[] = Array.from({ length: stages }, () => new Set());
    for (let a = 0; a < graph.nodes.length; a++) {
      if (backward[a] !== pass) continue;
      for (const b of index.succ[a]) if (backward[b] === pass && stageOf[a] !== stageOf[b]) succ[stageOf[a]].add(stageOf[b]);
    }
    const cycle = firstCycle(succ.map((s) => [...s].sort((x, y) => x - y)));
    if (cycle) return { stages: cycle, pass: !model.training ? 'all' : pass === 0 ? 'forward' : 'backward' };
  }
  return null;
}

/** The simulated step of an alternative the planner had (the contiguous start of `any`). */
export interface AlternativeStep {
  name: string;
  stepUs: number;
}

type StepSummary = Pick<PipelinePlan, 'stages' | 'stepUs' | 'timePerSampleUs' | 'microbatches' | 'schedule'>;

/** Whether the stage graph has a cycle and the step exceeds both M × time per sample and fillAndDrainUs by more than CYCLE_SLOWDOWN_WARN. */
export function stallsOnCycle(plan: StepSummary, cycle: StageCycle | null): cycle is StageCycle {
  const over = (us: number) => plan.stepUs > us * (1 + CYCLE_SLOWDOWN_WARN);
  return cycle !== null && plan.timePerSampleUs > 0 && over(plan.microbatches * plan.timePerSampleUs) && over(fillAndDrainUs(plan));
}

/**
 * One sentence when the stage graph has a cycle and the simulated step per microbatch exceeds the
 * time per sample by more than CYCLE_SLOWDOWN_WARN; undefined otherwise.
 */
export function cycleWarning(plan: StepSummary, cycle: StageCycle | null, alternative?: AlternativeStep): string | undefined {
  if (!stallsOnCycle(plan, cycle)) return undefined;
  const M = plan.microbatches;
  const perSample = plan.stepUs / M;
  const loop = [...cycle.stages, cycle.stages[0]];
  const stages = `stages ${loop.join(' → ')} on devices ${loop.map((s) => plan.stages[s]?.device ?? '?').join(' → ')}`;
  const where = cycle.pass === 'all' ? 'the stage graph' : `the stage graph of the ${cycle.pass} pass`;
  const more = ((perSample / plan.timePerSampleUs - 1) * 100).toFixed(0);
  let text =
    `${where} has a cycle (${stages}), so microbatches wait on each other: the simulated ${plan.schedule} step gives ` +
    `${formatUs(perSample)} per sample (${formatUs(plan.stepUs)} / ${M} microbatch${M > 1 ? 'es' : ''}), ${more} % more than ` +
    `the steady-state time per sample of ${formatUs(plan.timePerSampleUs)} (an acyclic pipeline with these stage loads would take about ` +
    `${formatUs(fillAndDrainUs(plan) / M)}); --split contiguous keeps the stage graph acyclic`;
  if (alternative && alternative.stepUs < plan.stepUs) {
    const saved = plan.stepUs - alternative.stepUs;
    text += ` (${alternative.name} simulates a ${formatUs(alternative.stepUs)} step, ${formatUs(saved)} or ${((saved / plan.stepUs) * 100).toFixed(0)} % shorter)`;
  }
  if (plan.schedule === '1f1b') text += ', and gpipe may do better than 1f1b here';
  return text + '.';
}
