// A plan's schedule fields from the simulator (simulatePlan + applySchedule), checked against the
// runs by checkPipelinePlan: stage order ≠ device order, the plan's comm spec, memory from the
// plan's stages, and a peak above a limit turning the plan infeasible with the stage named.
import { strict as assert } from 'node:assert';
import { checkPipelinePlan } from '../../algorithms/pipeline/checker';
import { planRuns, simulatePlan, stageMemoryReason } from '../../algorithms/pipeline/schedule';
import type { PipelinePlan, PipelineStage } from '../../algorithms/pipeline/types';
import { assertPlanChecked, trainingChain } from './scheduleHelpers';

type PlanGraph = ReturnType<typeof trainingChain>['graph'];

/** A 2-stage plan of the training chain, stage 0 on device 1 and stage 1 on device 0. */
function chainPlan(schedule: 'gpipe' | '1f1b', limit: number): { plan: PipelinePlan; graph: PlanGraph } {
  const { graph, stageOf } = trainingChain(2, 10, 20);
  const device = [1, 0];
  const stage = (index: number): PipelineStage => ({
    index,
    device: device[index],
    nodes: graph.nodes.filter((_, i) => stageOf[i] === index).map((v) => v.id),
    loadUs: 30,
    computeUs: 30,
    commUs: 0,
    forwardUs: 10,
    backwardUs: 20,
    memoryBytes: 1000 + 100 * (schedule === 'gpipe' ? 4 : 2 - index),
    persistentBytes: 1000,
    stashedBytes: 100 * (schedule === 'gpipe' ? 4 : 2 - index),
    activationBytesPerMicrobatch: 100,
    peakBytes: 0,
    memoryLimitBytes: limit,
    busyUs: 0,
  });
  const assignment: Record<string, number> = {};
  graph.nodes.forEach((v, i) => (assignment[v.id] = device[stageOf[i]]));
  const plan: PipelinePlan = {
    file: 'chain',
    objective: 'throughput',
    split: 'sequential',
    schedule,
    microbatches: 4,
    feasible: true,
    timePerSampleUs: 30,
    singleDeviceUs: 60,
    throughputSpeedup: 2,
    stepUs: 0,
    bubble: 0,
    stages: [stage(0), stage(1)],
    tasks: [],
    assignment,
    options: { devices: 2, memoryLimits: [limit, limit], comm: '5:1', split: 'sequential', microbatches: 4, schedule },
    placeMs: 0,
  };
  return { plan, graph };
}

/** The schedule fields of a plan from its simulated step, as planPipeline fills them. */
function applySchedule(plan: PipelinePlan, graph: PlanGraph): void {
  const { sim } = simulatePlan(graph, plan);
  plan.tasks = sim.tasks;
  plan.stepUs = sim.stepUs;
  plan.bubble = sim.bubble;
  for (const st of plan.stages) {
    st.busyUs = sim.busyUs[st.index];
    st.peakBytes = sim.peakBytes[st.index];
  }
  plan.reason = stageMemoryReason(plan.stages, plan.schedule, sim.peakInFlight);
  plan.feasible = plan.reason === undefined;
  if (plan.feasible) delete plan.reason;
}

describe('pipeline plan: schedule fields from the simulator, checked', () => {
  for (const schedule of ['gpipe', '1f1b'] as const) {
    it(`${schedule}: tasks, step, bubble, busy and peaks filled in and consistent with the runs`, () => {
      const { plan, graph } = chainPlan(schedule, 10_000);
      applySchedule(plan, graph);
      assertPlanChecked(graph, plan);
      assert.equal(plan.feasible, true);
      // link 5 µs + 4 B at 1 GB/s per crossing; two crossings per microbatch on the critical path
      const transfer = 5 + 4 / 1000;
      if (schedule === 'gpipe') assert.ok(Math.abs(plan.stepUs - ((4 + 1) * 30 + 2 * transfer)) < 1e-9, String(plan.stepUs));
      assert.deepEqual(
        plan.stages.map((st) => st.busyUs),
        [120, 120],
      );
      assert.deepEqual(
        plan.stages.map((st) => st.peakBytes),
        plan.stages.map((st) => st.memoryBytes),
      );
      assert.equal(plan.tasks.length, 16);
    });
  }

  it('a peak above a stage limit makes the plan infeasible, naming the stage and its memory', () => {
    const { plan, graph } = chainPlan('gpipe', 1300);
    // planned without the stashed activations (1000 B fits), simulated with 4 microbatches in flight
    plan.stages[0].stashedBytes = 0;
    plan.stages[0].memoryBytes = 1000;
    applySchedule(plan, graph);
    assert.equal(plan.feasible, false);
    assert.match(
      plan.reason!,
      /^stage 0 \(device 1\) peaks at 1\.37 KiB in the gpipe step \(1000 B held \+ 100 B of activations × 4 microbatches in flight\), above its limit of 1\.27 KiB$/,
    );
    assert.deepEqual(checkPipelinePlan(graph, plan, planRuns(graph, plan)), [], 'an infeasible plan with a reason still has a valid step');
    const planned = chainPlan('gpipe', 1300).plan;
    assert.match(
      stageMemoryReason(planned.stages, 'gpipe', [4, 4])!,
      /^stage 0 \(device 1\) holds 1\.37 KiB in the gpipe step \(1000 B held \+ 100 B of activations × 4 microbatches in flight\), above its limit/,
    );
  });

  it("the plan checker catches fields that are not the runs' own", () => {
    const { plan, graph } = chainPlan('1f1b', 10_000);
    applySchedule(plan, graph);
    const runs = planRuns(graph, plan);
    const broken = (patch: (p: PipelinePlan) => void) => {
      const copy: PipelinePlan = JSON.parse(JSON.stringify(plan));
      patch(copy);
      return checkPipelinePlan(graph, copy, runs).join('\n');
    };
    assert.match(
      broken((p) => (p.stepUs += 1)),
      /step time/,
    );
    assert.match(
      broken((p) => (p.stages[1].busyUs = 0)),
      /stage 1: busy 0 µs/,
    );
    assert.match(
      broken((p) => (p.stages[0].peakBytes = 1000)),
      /stage 0: peak 1000 B/,
    );
    assert.match(
      broken((p) => (p.tasks = p.tasks.slice(2))),
      /is not reported/,
    );
    assert.match(
      broken((p) => (p.assignment.f1 = 1)),
      /"f1" runs on stage 1, assigned to 0|node list/,
    );
    assert.match(
      broken((p) => (p.options.comm = '50:1')),
      /tensor arrives/,
    );
    assert.match(
      broken((p) => ((p.feasible = false), delete p.reason)),
      /infeasible plan without a reason/,
    );
    assert.match(
      broken((p) => ((p.feasible = false), (p.reason = 'x'), (p.stages = []))),
      /an infeasible plan without stages has a schedule/,
    );
  });
});
