// The independent pipeline checker catches deliberately broken schedules: each case breaks one
// rule of a valid simulated step and expects the checker to name it.
import { strict as assert } from 'node:assert';
import { checkPipelineSchedule } from '../../algorithms/pipeline/checker';
import { pipelineRuns, PipelineScheduleInput, simulatePipeline } from '../../algorithms/pipeline/schedule';
import type { PipelineRun } from '../../algorithms/pipeline/types';
import { claimOf, setupOf, trainingChain } from './scheduleHelpers';

function valid(schedule: 'gpipe' | '1f1b', transfer = 2) {
  const { graph, stageOf } = trainingChain(3, 4, 8);
  const input: PipelineScheduleInput = {
    graph,
    stageOf,
    stages: 3,
    microbatches: 4,
    schedule,
    transferUs: () => transfer,
    activationBytesPerMicrobatch: [10, 10, 10],
  };
  const sim = simulatePipeline(input);
  return { input, sim, runs: pipelineRuns(graph, stageOf, sim) };
}

const find = (runs: PipelineRun[], node: string, m: number) => runs.find((r) => r.node === node && r.microbatch === m)!;

function expectProblem(problems: string[], pattern: RegExp): void {
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected ${pattern}, got ${JSON.stringify(problems.slice(0, 5))}`,
  );
}

describe('pipeline checker: catches broken schedules', () => {
  for (const schedule of ['gpipe', '1f1b'] as const) {
    it(`accepts the simulated ${schedule} step`, () => {
      const { input, sim } = valid(schedule);
      assert.deepEqual(checkPipelineSchedule(input.graph, setupOf(input), claimOf(input, sim)), []);
    });
  }

  it('a missing run, a run twice, an unknown node or microbatch', () => {
    const { input, sim, runs } = valid('gpipe');
    const check = (r: PipelineRun[]) => checkPipelineSchedule(input.graph, setupOf(input), claimOf(input, sim, r));
    expectProblem(check(runs.filter((r) => !(r.node === 'f1' && r.microbatch === 2))), /"f1" microbatch 2 never runs/);
    expectProblem(check([...runs, { ...find(runs, 'b0', 3) }]), /"b0" microbatch 3 runs twice/);
    expectProblem(check([...runs, { ...runs[0], node: 'zz' }]), /unknown node "zz"/);
    expectProblem(check([...runs, { ...runs[0], microbatch: 4 }]), /"f0" microbatch 4: no such microbatch/);
  });

  it('a run on the wrong stage or for the wrong time', () => {
    const { input, sim, runs } = valid('gpipe');
    const check = (r: PipelineRun[]) => checkPipelineSchedule(input.graph, setupOf(input), claimOf(input, sim, r));
    expectProblem(check(runs.map((r) => (r.node === 'f2' && r.microbatch === 0 ? { ...r, stage: 1 } : r))), /"f2" microbatch 0 runs on stage 1, assigned to 2/);
    expectProblem(
      check(runs.map((r) => (r.node === 'f2' && r.microbatch === 0 ? { ...r, endUs: r.endUs - 1 } : r))),
      /"f2" microbatch 0 runs 3 µs, expected 4/,
    );
  });

  it('a consumer before its producer, or before the transfer lands', () => {
    const { input, sim, runs } = valid('gpipe');
    const check = (r: PipelineRun[]) => checkPipelineSchedule(input.graph, setupOf(input), claimOf(input, sim, r));
    // f1 mb 0 starts at 4 + 2 (transfer): 1 µs earlier is after f0 ends but before the tensor arrives
    const early = runs.map((r) => (r.node === 'f1' && r.microbatch === 0 ? { ...r, startUs: r.startUs - 1, endUs: r.endUs - 1 } : r));
    expectProblem(check(early), /microbatch 0: "f1" starts at 5 before "f0"'s tensor arrives at 6/);
    // the same step is fine without the transfer time …
    const free = { ...input, transferUs: undefined };
    assert.deepEqual(checkPipelineSchedule(input.graph, setupOf(free), claimOf(free, sim)), []);
    // … and a step simulated without it violates it
    const noComm = simulatePipeline(free);
    expectProblem(checkPipelineSchedule(input.graph, setupOf(input), claimOf(input, noComm)), /before "f0"'s tensor arrives/);
  });

  it('two runs overlapping on one stage', () => {
    const { input, sim, runs } = valid('gpipe');
    const r0 = find(runs, 'f0', 1);
    const moved = runs.map((r) => (r === r0 ? { ...r, startUs: r.startUs - 2, endUs: r.endUs - 2 } : r));
    expectProblem(
      checkPipelineSchedule(input.graph, setupOf(input), claimOf(input, sim, moved)),
      /stage 0: "f0" mb 1 starts at 2 while "f0" mb 0 runs until 4/,
    );
  });

  it("GPipe's rule: a 1F1B step is no GPipe step (backward before the stage's last forward)", () => {
    const { input, sim } = valid('1f1b');
    const asGpipe = { ...input, schedule: 'gpipe' as const };
    expectProblem(
      checkPipelineSchedule(input.graph, setupOf(asGpipe), claimOf(asGpipe, sim)),
      /stage 0 \(gpipe\): backward "b0" mb 0 starts at \d+, before the stage's last forward ends/,
    );
  });

  it("1F1B's rule: a GPipe step holds more than S − s microbatches in flight", () => {
    const { input, sim } = valid('gpipe');
    const as1f1b = { ...input, schedule: '1f1b' as const };
    const problems = checkPipelineSchedule(input.graph, setupOf(as1f1b), claimOf(as1f1b, sim));
    expectProblem(problems, /stage 1 \(1f1b\): 4 microbatches in flight at once, at most 2 allowed/);
    expectProblem(problems, /stage 2 \(1f1b\): 4 microbatches in flight at once, at most 1 allowed/);
  });

  it("1F1B's rule: no backward run on a stage before its microbatch's first forward there", () => {
    const { input, sim, runs } = valid('1f1b');
    // b2 of microbatch 3 moved to end where f2 of microbatch 3 (same stage) starts
    const f = find(runs, 'f2', 3);
    const moved = runs.map((r) => (r.node === 'b2' && r.microbatch === 3 ? { ...r, startUs: f.startUs - 8, endUs: f.startUs } : r));
    expectProblem(
      checkPipelineSchedule(input.graph, setupOf(input), claimOf(input, sim, moved)),
      /stage 2 \(1f1b\): backward "b2" mb 3 starts at \d+, before the microbatch's first forward there/,
    );
  });

  it("1F1B's rule: microbatches enter a stage in order", () => {
    const { graph, stageOf } = trainingChain(1, 1, 1);
    const input: PipelineScheduleInput = { graph, stageOf, stages: 1, microbatches: 2, schedule: '1f1b' };
    const runs: PipelineRun[] = [
      { node: 'f0', microbatch: 1, stage: 0, startUs: 0, endUs: 1 },
      { node: 'b0', microbatch: 1, stage: 0, startUs: 1, endUs: 2 },
      { node: 'f0', microbatch: 0, stage: 0, startUs: 2, endUs: 3 },
      { node: 'b0', microbatch: 0, stage: 0, startUs: 3, endUs: 4 },
    ];
    const sim = simulatePipeline(input);
    const claim = {
      ...claimOf(input, sim, runs),
      tasks: [0, 1].flatMap((m) =>
        ['forward', 'backward'].map((kind) => {
          const rs = runs.filter((r) => r.microbatch === m && (kind === 'forward') === (r.node === 'f0'));
          return { stage: 0, microbatch: m, kind: kind as 'forward' | 'backward', startUs: rs[0].startUs, endUs: rs[0].endUs };
        }),
      ),
    };
    expectProblem(checkPipelineSchedule(graph, setupOf(input), claim), /stage 0 \(1f1b\): microbatch 1 enters at 0, before microbatch 0 at 2/);
  });

  it('wrong spans, step time, busy time, bubble', () => {
    const { input, sim } = valid('1f1b');
    const check = (patch: object) => checkPipelineSchedule(input.graph, setupOf(input), { ...claimOf(input, sim), ...patch });
    expectProblem(check({ tasks: sim.tasks.slice(1) }), /span 0\/0\/forward is not reported/);
    expectProblem(check({ tasks: sim.tasks.map((t, k) => (k === 3 ? { ...t, endUs: t.endUs + 1 } : t)) }), /span .* reported .*, runs give/);
    expectProblem(check({ tasks: [...sim.tasks, { ...sim.tasks[0], microbatch: 9 }] }), /span 0\/9\/forward is reported but nothing runs in it/);
    expectProblem(check({ stepUs: sim.stepUs - 1 }), new RegExp(`step time ${sim.stepUs - 1} µs, last run ends at ${sim.stepUs}`));
    expectProblem(check({ busyUs: [1, ...sim.busyUs.slice(1)] }), /stage 0: busy 1 µs, runs give 48/);
    expectProblem(check({ bubble: sim.bubble + 0.01 }), /bubble .*, runs give/);
  });

  it('memory: a peak that is not persistent + stashed, and a peak above the limit', () => {
    const { input, sim } = valid('1f1b');
    expectProblem(
      checkPipelineSchedule(input.graph, setupOf(input), { ...claimOf(input, sim), peakBytes: [30, 30, 10] }),
      /stage 1: peak 30 B, but 0 B persistent \+ 10 B × 2 microbatches in flight/,
    );
    const limited = { ...setupOf(input), memoryLimits: [25, 100, 100] };
    expectProblem(checkPipelineSchedule(input.graph, limited, claimOf(input, sim)), /stage 0: peak 30 B above the limit 25 B/);
  });
});
