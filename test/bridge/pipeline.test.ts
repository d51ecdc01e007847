// A pipeline plan end to end with Debian's PyTorch (/usr/bin/python3): profile a small model,
// `opplace pipeline --out plan.json`, export the split for torch.distributed.pipelining and
// DeepSpeed, and run the plan with tools/opplace_apply.py: M microbatches through the stages in
// the order of the plan's simulated schedule, each microbatch's output checked against the unsplit
// model. A schedule that starts a stage before its input exists is refused, naming both.
import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PipelinePlan } from '../../algorithms/pipeline/types';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { FIXTURES, python, pythonFails, tempDir, TOOLS } from './helpers';

const PROFILE = path.join(TOOLS, 'opplace_profile.py');
const APPLY = path.join(TOOLS, 'opplace_apply.py');
const CHECK = path.join(FIXTURES, 'bridge_check.py');

/** The tasks as opplace_apply runs them: by start, end, forwards first, forwards down and backwards up the stages. */
function scheduleOrder(plan: PipelinePlan): string[] {
  const key = (t: PipelinePlan['tasks'][number]) => [t.startUs, t.endUs, t.kind === 'forward' ? 0 : 1, t.kind === 'forward' ? t.stage : -t.stage, t.microbatch];
  const cmp = (a: number[], b: number[]) => a.reduce((c, x, i) => c || x - b[i], 0);
  return [...plan.tasks].sort((a, b) => cmp(key(a), key(b))).map((t) => `${t.kind === 'forward' ? 'F' : 'B'}${t.stage}.${t.microbatch}`);
}

async function opplace(...argv: string[]) {
  const io = memoryIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('bridge: a pipeline plan of a profiled PyTorch model — plan → export → run', function () {
  this.timeout(180_000);
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  const graphFile = path.join(dir, 'mlp.opgraph.json');
  const planFile = path.join(dir, 'pipe.json');
  let plan: PipelinePlan;

  before(async () => {
    python([PROFILE, 'bridge_models:deep_mlp', '--input', '4,64', '--repeat', '2', '--out', graphFile]);
    // six 16.25 KiB layers on 3 devices of 40 KiB: at least 3 stages, whatever the measured times
    const r = await opplace(
      'pipeline',
      graphFile,
      '--devices',
      '3',
      '--memory',
      '40KiB',
      '--split',
      'sequential',
      '--microbatches',
      '5',
      '--comm',
      'nvlink4',
      '--out',
      planFile,
    );
    assert.equal(r.code, 0, r.err + r.out);
    plan = JSON.parse(readFileSync(planFile, 'utf-8'));
  });

  it('runs the microbatches through the stages in schedule order, each output allclose to the unsplit model', () => {
    assert.equal(plan.stages.filter((s) => s.nodes.length > 0).length, 3, JSON.stringify(plan.stages.map((s) => s.nodes)));
    const reportFile = path.join(dir, 'run.json');
    const out = python([APPLY, planFile, '--devices', 'cpu,cpu,cpu', '--check', '--report', reportFile]);
    assert.match(out, /^ran bridge_models:deep_mlp as a pipeline of 3 stages × 5 microbatches in 1f1b order/);
    assert.match(out, /check vs unsplit model: allclose on each of 5 microbatches/);
    const report = JSON.parse(readFileSync(reportFile, 'utf-8'));
    assert.equal(report.check.allclose, true);
    assert.equal(report.check.microbatches, 5);
    assert.deepEqual(
      report.pipeline.stages.map((s: { planDevice: number; nodes: number }) => [s.planDevice, s.nodes]),
      plan.stages.map((s) => [s.device, s.nodes.length]),
    );
    // the order run is the plan's own schedule (an inference plan: forwards only)
    assert.equal(report.pipeline.training, false);
    assert.deepEqual(report.pipeline.order, scheduleOrder(plan));
    assert.equal(report.crossStageEdges, 2, 'a chain in 3 stages crosses 2 stage boundaries');
    assert.deepEqual(report.outputs, [[4, 64]]);
  });

  it('refuses a schedule that runs a stage before the stage feeding it, naming both', () => {
    const bad = JSON.parse(JSON.stringify(plan)) as PipelinePlan;
    const first = bad.tasks.find((t) => t.kind === 'forward' && t.stage === 1 && t.microbatch === 0)!;
    first.startUs = -1; // stage 1 now starts microbatch 0 before stage 0 has run it
    const badFile = path.join(dir, 'bad.json');
    writeFileSync(badFile, JSON.stringify(bad));
    const r = pythonFails([APPLY, badFile, '--devices', 'cpu,cpu,cpu']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^opplace_apply: .*bad\.json: the schedule runs stage 1 on microbatch 0 before stage 0 produced "\w+" for it/);
  });

  it('runs a training plan: 1F1B forwards and backwards across the stages, gradients equal to one step of the unsplit model', async () => {
    const trainFile = path.join(dir, 'train.json');
    const r = await opplace(
      'pipeline',
      graphFile,
      '--training',
      'sgd',
      '--devices',
      '3',
      '--memory',
      '100KiB',
      '--microbatches',
      '4',
      '--comm',
      'nvlink4',
      '--out',
      trainFile,
    );
    assert.equal(r.code, 0, r.err + r.out);
    const train = JSON.parse(readFileSync(trainFile, 'utf-8')) as PipelinePlan;
    const used = train.stages.filter((s) => s.nodes.length > 0).length;
    assert.ok(used >= 2, `${used} stages`);
    const reportFile = path.join(dir, 'train-run.json');
    const out = python([APPLY, trainFile, '--devices', 'cpu,cpu,cpu', '--check', '--report', reportFile]);
    assert.match(out, /check vs unsplit model: allclose on each of 4 microbatches .*; gradients of 12 parameters allclose/);
    const report = JSON.parse(readFileSync(reportFile, 'utf-8'));
    assert.equal(report.pipeline.training, true);
    assert.deepEqual(report.pipeline.order, scheduleOrder(train));
    assert.equal(report.pipeline.order.filter((t: string) => t.startsWith('B')).length, used * 4, 'every stage runs a backward per microbatch');
    // 12 = six weights and six biases: every stage's parameters got the gradient the unsplit step gives
    assert.equal(report.check.gradients.parameters, 12);
    // a backward that runs before the stage after it has sent its gradient is refused
    const bad = JSON.parse(JSON.stringify(train)) as PipelinePlan;
    const b0 = bad.tasks.find((t) => t.kind === 'backward' && t.stage === 0 && t.microbatch === 0)!;
    const b1 = bad.tasks.find((t) => t.kind === 'backward' && t.stage === 1 && t.microbatch === 0)!;
    b0.startUs = b1.startUs - 1e-3;
    b0.endUs = b1.startUs - 1e-3;
    const badFile = path.join(dir, 'bad-train.json');
    writeFileSync(badFile, JSON.stringify(bad));
    const refused = pythonFails([APPLY, badFile, '--devices', 'cpu,cpu,cpu']);
    assert.match(refused.stderr, /the schedule runs the backward of stage 0 on microbatch 0 before that of stage 1, which needs "\w+" from it/);
  });

  it("exports split points that cut the real FX program into the plan's stages, and DeepSpeed parts", async () => {
    const split = await opplace('export', planFile, '--to', 'torch-split');
    assert.equal(split.code, 0, split.err);
    const spec = JSON.parse(split.out);
    assert.equal(spec.schedule, 'Schedule1F1B');
    assert.equal(spec.n_microbatches, 5);
    assert.equal(Object.keys(spec.split_spec).length, 2);
    const specFile = path.join(dir, 'split.json');
    writeFileSync(specFile, JSON.stringify(spec.split_spec));
    const cut = JSON.parse(python([CHECK, 'split', 'bridge_models:deep_mlp', specFile]));
    assert.deepEqual(cut.missing, []);
    for (const s of plan.stages) {
      for (const id of s.nodes) {
        const layer = /^layers_(\d)$/.exec(id);
        // every layer (the ops holding weights) is cut into the stage the plan gives it
        if (layer) assert.equal(spec.stage_devices[cut.stages[id]], s.device, id);
      }
    }
    const ds = await opplace('export', planFile, '--to', 'deepspeed');
    assert.equal(ds.code, 0, ds.err);
    const parts = JSON.parse(ds.out);
    assert.equal(parts.num_stages, 3);
    assert.equal(parts.gradient_accumulation_steps, 5);
    for (let s = 0; s < 3; s++) {
      for (const id of parts.layers.slice(parts.parts[s], parts.parts[s + 1])) assert.equal(plan.assignment[id], parts.stage_devices[s], id);
    }
  });
});
