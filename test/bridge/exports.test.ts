// Pure exporter tests on hand-made graphs and plans (no Python).
import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  deviceFor,
  exportAccelerate,
  exportCsv,
  exportOnnx,
  exportPlan,
  exportTorchSplit,
  parsePlanJson,
  PLACEMENT_KEY,
  DEVICE_KEY,
} from '../../algorithms/export';
import { uniqueNodeIds } from '../../algorithms/onnx/naming';
import { parseModel } from '../../algorithms/loaders';
import { OpplaceError } from '../../algorithms/errors';
import { decodeOnnxModel } from '../../algorithms/onnx/proto';
import { OpGraph } from '../../algorithms/graph';
import { dataPath } from '../helpers/paths';
import { loadModel } from '../../algorithms/loaders/readFile';
import { run } from '../../cli/commands/export';
import { memoryIO } from '../../cli/io';
import { chain, node, pipelinePlanFor, planFor, tempDir } from './helpers';

const w = (path: string, bytes = 100) => ({ modulePath: path, namespace: path.split('.'), persistentBytes: bytes, opType: 'Linear' });

/** A small ResNet-like module tree: stem, two blocks of two layers each, a head. */
function moduleGraph(): OpGraph {
  return chain([
    node('x', { opType: 'placeholder', computeUs: 0 }),
    node('conv1', w('conv1')),
    node('relu', { opType: 'ReLU', modulePath: 'relu' }),
    node('layer1_0_conv1', w('layer1.0.conv1')),
    node('layer1_0_conv2', w('layer1.0.conv2')),
    node('add', { opType: 'add', namespace: ['layer1', '0'] }),
    node('layer1_1_conv1', w('layer1.1.conv1')),
    node('layer1_1_conv2', w('layer1.1.conv2')),
    node('flatten', { opType: 'flatten' }),
    node('fc', w('fc')),
    node('output', { opType: 'output', computeUs: 0, outputs: [] }),
  ]);
}

function throwsOpplace(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof OpplaceError && pattern.test(e.message));
}

describe('bridge: accelerate device_map', () => {
  it('collapses to one "" key when everything is on one device', () => {
    const g = moduleGraph();
    assert.deepEqual(
      exportAccelerate(
        g,
        planFor(g, () => 1),
      ),
      { '': 1 },
    );
  });

  it('keeps the shortest prefixes that are on one device, in module order', () => {
    const g = moduleGraph();
    const dev: Record<string, number> = { conv1: 0, layer1_0_conv1: 0, layer1_0_conv2: 0, layer1_1_conv1: 1, layer1_1_conv2: 1, fc: 1 };
    const map = exportAccelerate(
      g,
      planFor(g, (n) => dev[n.id] ?? 0),
    );
    assert.deepEqual(map, { conv1: 0, 'layer1.0': 0, 'layer1.1': 1, fc: 1 });
    assert.deepEqual(Object.keys(map), ['conv1', 'layer1.0', 'layer1.1', 'fc']);
  });

  it('every weighted module resolves to its plan device, for random plans', () => {
    const g = moduleGraph();
    for (let seed = 1; seed < 40; seed++) {
      const plan = planFor(g, (_n, i) => (seed * 7 + i * i * seed) % 3);
      const map = exportAccelerate(g, plan);
      for (const op of plan.schedule) {
        const n = g.nodes.find((x) => x.id === op.node)!;
        if (n.modulePath && n.persistentBytes > 0) assert.equal(deviceFor(map, n.modulePath + '.weight'), op.device, `${n.modulePath} seed ${seed}`);
      }
      // no key is a prefix of another (each parameter covered exactly once)
      const keys = Object.keys(map);
      for (const a of keys) for (const b of keys) if (a !== b) assert.ok(!(a === '' || b.startsWith(a + '.')), `${a} covers ${b}`);
    }
  });

  it('weight-free modules and functions do not split a prefix', () => {
    const g = moduleGraph();
    // relu (no weights) and add/flatten on device 1, all weights on device 0
    const map = exportAccelerate(
      g,
      planFor(g, (n) => (n.persistentBytes > 0 ? 0 : 1)),
    );
    assert.deepEqual(map, { '': 0 });
  });

  it('refuses a module called twice on two devices, naming the node', () => {
    const g = chain([node('lin', w('lin')), node('lin_1', { ...w('lin', 0), colocationGroup: 'shared:lin.weight' })]);
    throwsOpplace(
      () =>
        exportAccelerate(
          g,
          planFor(g, (_n, i) => i),
        ),
      /node "lin_1".*module "lin" is used by nodes "lin" \(device 0\) and "lin_1" \(device 1\)/,
    );
  });

  it('refuses graphs without module paths (e.g. ONNX) with a clear message', () => {
    const g = chain([node('a'), node('b')]);
    throwsOpplace(
      () =>
        exportAccelerate(
          g,
          planFor(g, () => 0),
        ),
      /no module paths.*opplace_profile\.py/,
    );
  });

  it('refuses an infeasible plan and a plan of another model', () => {
    const g = moduleGraph();
    const bad = { ...planFor(g, () => 0), feasible: false, reason: 'conv1 needs 2 GiB' };
    throwsOpplace(() => exportAccelerate(g, bad), /infeasible.*conv1 needs 2 GiB/);
    const other = planFor(g, () => 0);
    other.schedule[3] = { ...other.schedule[3], node: 'nope' };
    throwsOpplace(() => exportAccelerate(g, other), /node "nope".*does not have/);
    const missing = planFor(g, () => 0);
    missing.schedule.pop();
    throwsOpplace(() => exportAccelerate(g, missing), /node "output".*does not place/);
  });
});

describe('bridge: torch-split', () => {
  it('writes one BEGINNING per stage after the first, at the first module of the stage', () => {
    const g = moduleGraph();
    // stage 0: x..layer1_0_conv2 on device 0; stage 1: add..output on device 1 (add is a function)
    const split = exportTorchSplit(
      g,
      planFor(g, (_n, i) => (i < 5 ? 0 : 1)),
    );
    assert.deepEqual(split.splitSpec, { 'layer1.1.conv1': 'BEGINNING' });
    assert.deepEqual(
      split.stages.map((s) => s.device),
      [0, 1],
    );
    assert.equal(split.notes.length, 1);
    assert.match(split.notes[0], /"add".*end of stage 0.*layer1\.1\.conv1/);
  });

  it('maps stages to plan devices in order of execution (4 stages)', () => {
    const g = moduleGraph();
    const dev = [3, 3, 3, 2, 2, 2, 1, 1, 0, 0, 0];
    const split = exportTorchSplit(
      g,
      planFor(g, (_n, i) => dev[i]),
    );
    assert.deepEqual(Object.keys(split.splitSpec), ['layer1.0.conv1', 'layer1.1.conv1', 'fc']);
    assert.deepEqual(
      split.stages.map((s) => s.device),
      [3, 2, 1, 0],
    );
  });

  it('names the node where a device comes back (not a pipeline)', () => {
    const g = moduleGraph();
    const dev = [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0];
    throwsOpplace(
      () =>
        exportTorchSplit(
          g,
          planFor(g, (_n, i) => dev[i]),
        ),
      /node "add".*not a pipeline of contiguous stages.*returns to device 0/,
    );
  });

  it('ignores where the graph input/output nodes were put', () => {
    const g = moduleGraph();
    const split = exportTorchSplit(
      g,
      planFor(g, (n, i) => (n.opType === 'placeholder' ? 1 : n.opType === 'output' ? 0 : i < 6 ? 0 : 1)),
    );
    assert.deepEqual(split.splitSpec, { 'layer1.1.conv1': 'BEGINNING' });
  });

  it('refuses a stage that starts with a weighted non-module op', () => {
    const g = chain([node('a', w('a')), node('p', { opType: 'get_attr', modulePath: 'pos', persistentBytes: 8 }), node('b', w('b'))]);
    throwsOpplace(
      () =>
        exportTorchSplit(
          g,
          planFor(g, (_n, i) => (i === 0 ? 0 : 1)),
        ),
      /node "p".*holds weights but is not a module call/,
    );
  });

  it('does not split at a module called twice: moves it back and splits at the next module', () => {
    const g = chain([
      node('a', w('a')),
      node('r', { opType: 'ReLU', modulePath: 'act' }),
      node('b', w('b')),
      node('r_1', { opType: 'ReLU', modulePath: 'act' }),
    ]);
    const split = exportTorchSplit(
      g,
      planFor(g, (_n, i) => (i < 1 ? 0 : 1)),
    );
    assert.deepEqual(split.splitSpec, { b: 'BEGINNING' });
    assert.match(split.notes[0], /stage 1: "r" \(no weights\) runs at the end of stage 0/);
    // a stage made only of a module called twice has no split point
    throwsOpplace(
      () =>
        exportTorchSplit(
          g,
          planFor(g, (_n, i) => (i < 3 ? 0 : 1)),
        ),
      /node "r_1".*no call of a module that is called only once/,
    );
  });
});

describe('bridge: csv', () => {
  it('writes header, rows in time order, CRLF and RFC 4180 quoting', () => {
    const g = chain([node('a,b', { opType: 'say "hi"', persistentBytes: 10, temporaryBytes: 5 }), node('c')]);
    const plan = planFor(g, (_n, i) => i);
    plan.schedule[0] = { ...plan.schedule[0], startUs: 2.5, endUs: 3.25 };
    const text = exportCsv(g, plan);
    assert.equal(text, 'node,op,device,start_us,end_us,memory_bytes\r\nc,Op,1,1,2,4\r\n"a,b","say ""hi""",0,2.5,3.25,19\r\n');
  });
});

describe('bridge: plan files', () => {
  it('rejects non-plans and bad schedule entries with the file named', () => {
    throwsOpplace(() => parsePlanJson('{', 'p.json'), /^p\.json: not valid JSON/);
    throwsOpplace(() => parsePlanJson('{"format":"opgraph"}', 'p.json'), /^p\.json: not an opplace plan/);
    throwsOpplace(
      () => parsePlanJson('{"algorithm":"m-etf","feasible":true,"schedule":[{"node":"a","device":-1,"startUs":0,"endUs":1}]}', 'p.json'),
      /node "a".*device must be an integer/,
    );
  });
});

describe('bridge: onnx export (pure)', () => {
  const file = dataPath('onnx-light', 'light_squeezenet.onnx');
  const bytes = new Uint8Array(readFileSync(file));
  const g = parseModel(bytes, file); // the real loader: folds the weight-producing ConstantOfShape nodes
  const onnxNodes = decodeOnnxModel(bytes, file).graph!.node!;
  const allIds = uniqueNodeIds(onnxNodes, () => true) as string[];

  it("puts opplace.device on every node (folded constants take their consumer's) and leaves the input bytes alone", () => {
    assert.ok(g.nodes.length < onnxNodes.length, 'the loader folds some nodes');
    const before = Buffer.from(bytes);
    const plan = planFor(g, (_n, i) => i % 4);
    const r = exportOnnx(bytes, file, g, plan);
    assert.ok(Buffer.from(bytes).equals(before));
    const out = decodeOnnxModel(r.bytes, 'out.onnx');
    const want = new Map(plan.schedule.map((s) => [s.node, s.device]));
    const placement = JSON.parse(out.metadata_props!.find((e) => e.key === PLACEMENT_KEY)!.value!);
    let placed = 0;
    out.graph!.node!.forEach((n, i) => {
      const id = allIds[i];
      const d = Number(n.metadata_props!.find((e) => e.key === DEVICE_KEY)!.value);
      assert.equal(placement[id], d);
      if (want.has(id)) {
        assert.equal(d, want.get(id), id);
        placed++;
      } else {
        // folded: runs where the node consuming its output runs
        const consumer = out.graph!.node!.findIndex((c) => c.input?.includes(n.output![0]));
        assert.equal(d, placement[allIds[consumer]], id);
      }
    });
    assert.equal(placed, g.nodes.length);
    assert.equal(r.annotated, g.nodes.length);
    assert.equal(r.inherited, onnxNodes.length - g.nodes.length);
  });

  it('refuses a plan that matches no ONNX node', () => {
    const other = chain([node('a'), node('b')]);
    throwsOpplace(
      () =>
        exportOnnx(
          bytes,
          file,
          other,
          planFor(other, () => 0),
        ),
      /light_squeezenet\.onnx: no node of the ONNX model is in the plan/,
    );
  });
});

describe('bridge: opplace export (CLI, in-process)', () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  const g = moduleGraph();
  const graphFile = path.join(dir, 'net.opgraph.json');
  writeFileSync(graphFile, JSON.stringify({ format: 'opgraph', version: 1, name: 'net', nodes: g.nodes, edges: g.edges }));
  const plan = { ...planFor(g, (_n, i) => (i < 5 ? 0 : 1)), file: 'net.opgraph.json' }; // relative: beside the plan
  const planFile = path.join(dir, 'net.plan.json');
  writeFileSync(planFile, JSON.stringify(plan));

  async function cli(argv: string[]) {
    const io = memoryIO();
    try {
      return { code: await run(argv, io), stdout: io.stdout, stderr: io.stderr, error: '' };
    } catch (e) {
      assert.ok(e instanceof OpplaceError, String(e));
      return { code: e.exitCode, stdout: io.stdout, stderr: io.stderr, error: e.message };
    }
  }

  it('reads a plan whose model path is relative to the plan, and prints text formats', async () => {
    const r = await cli([planFile, '--to', 'accelerate']);
    assert.equal(r.code, 0, r.error);
    assert.deepEqual(JSON.parse(r.stdout), exportAccelerate(loadModel(graphFile), plan));
    const split = await cli([planFile, '--to', 'torch-split']);
    assert.deepEqual(JSON.parse(split.stdout), { 'layer1.1.conv1': 'BEGINNING' });
    assert.match(split.stderr, /note: stage 1 → plan device 1/);
  });

  it('places a model itself with the options of opplace place', async () => {
    const r = await cli([graphFile, '--to', 'csv', '--devices', '2', '--memory', '400', '--algorithm', 'm-topo']);
    assert.equal(r.code, 0, r.error);
    const rows = r.stdout
      .trimEnd()
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(','));
    assert.equal(rows.length, g.nodes.length);
    assert.deepEqual([...new Set(rows.map((row) => row[2]))].sort(), ['0', '1'], '400 bytes per device cannot hold 500 bytes of weights');
  });

  it('gives one clear error for bad command lines', async () => {
    assert.match((await cli([])).error, /expected one PLAN_OR_MODEL file, got none/);
    assert.match((await cli([planFile])).error, /--to is required: one of accelerate, torch-split, deepspeed, onnx, csv/);
    assert.match(
      (await cli([planFile, '--to', 'csv', '--devices', '2'])).error,
      /--devices is a placement option; it applies only when PLAN_OR_MODEL is a model given without --plan/,
    );
    assert.match((await cli([planFile, '--to', 'csv', '--plan', planFile])).error, /is already a plan; --plan is for a model/);
    assert.match((await cli([graphFile, '--to', 'csv', '--memory', '1GiB', '--theta', '7'])).error, /--theta must be a number in \(0, 1\]/);
    assert.match((await cli([path.join(dir, 'nope.json'), '--to', 'csv'])).error, /nope\.json: no such file/);
    const infeasible = await cli([graphFile, '--to', 'csv', '--devices', '2', '--memory', '50']);
    assert.equal(infeasible.code, 3);
    assert.match(infeasible.error, /net\.opgraph\.json: the placement is infeasible, nothing to export/);
    const plansFile = path.join(dir, 'two.json');
    writeFileSync(plansFile, JSON.stringify([plan, plan]));
    assert.match((await cli([plansFile, '--to', 'csv'])).error, /two\.json: holds 2 plans; export takes one/);
    // a plan whose model is gone: the plan is named, both places looked at, and --model suggested
    const lostPlan = path.join(dir, 'lost.plan.json');
    writeFileSync(lostPlan, JSON.stringify({ ...plan, file: 'gone.opgraph.json' }));
    assert.match(
      (await cli([lostPlan, '--to', 'csv'])).error,
      /lost\.plan\.json: the plan's model "gone\.opgraph\.json" is not there \(looked at gone\.opgraph\.json or .*gone\.opgraph\.json\); pass --model FILE/,
    );
    assert.equal((await cli([lostPlan, '--to', 'csv', '--model', graphFile])).code, 0);
    const before = readFileSync(planFile, 'utf-8');
    assert.match(
      (await cli([planFile, '--to', 'csv', '--out', planFile])).error,
      /net\.plan\.json: --out .* is an input file; opplace never overwrites its inputs/,
    );
    assert.equal(readFileSync(planFile, 'utf-8'), before);
  });

  it('--help documents every format', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const f of ['accelerate', 'torch-split', 'deepspeed', 'onnx', 'csv']) assert.match(r.stdout, new RegExp(`^  ${f} `, 'm'));
  });
});

describe('bridge: exports of pipeline plans (opplace pipeline)', () => {
  // stage 0 = x … layer1_0_conv2 on device 2, stage 1 = add … fc on device 0 (output on 0)
  const g = moduleGraph();
  const devs = [2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0];
  const latency = planFor(g, (_n, i) => devs[i]);

  it('torch-split writes the split points, the schedule class and n_microbatches', () => {
    for (const [schedule, cls] of [
      ['1f1b', 'Schedule1F1B'],
      ['gpipe', 'ScheduleGPipe'],
    ] as const) {
      const plan = pipelinePlanFor(g, (_n, i) => devs[i], { schedule, microbatches: 12 });
      const r = exportPlan('torch-split', { graph: g, plan });
      assert.deepEqual(JSON.parse(r.data as string), {
        split_spec: { 'layer1.1.conv1': 'BEGINNING' },
        schedule: cls,
        n_microbatches: 12,
        stage_devices: [2, 0],
      });
      // the same split points as the latency plan with the same devices, which prints the spec alone
      assert.deepEqual(JSON.parse(exportPlan('torch-split', { graph: g, plan: latency }).data as string), { 'layer1.1.conv1': 'BEGINNING' });
    }
  });

  it('deepspeed writes parts: stage s holds layers[parts[s]:parts[s+1]], forward ops in program order', () => {
    const dev = [3, 3, 3, 2, 2, 2, 1, 1, 0, 0, 0];
    const plan = pipelinePlanFor(g, (_n, i) => dev[i], { microbatches: 8 });
    const r = exportPlan('deepspeed', { graph: g, plan });
    const p = JSON.parse(r.data as string);
    // placeholder x and output are not layers: conv1 relu | l1.0.conv1 l1.0.conv2 add | l1.1.conv1 l1.1.conv2 | flatten fc
    assert.deepEqual(p.layers, ['conv1', 'relu', 'layer1_0_conv1', 'layer1_0_conv2', 'add', 'layer1_1_conv1', 'layer1_1_conv2', 'flatten', 'fc']);
    assert.deepEqual(p.parts, [0, 2, 5, 7, 9]);
    assert.equal(p.num_stages, 4);
    assert.deepEqual(p.stage_devices, [3, 2, 1, 0]);
    assert.equal(p.gradient_accumulation_steps, 8);
    for (let s = 0; s < p.num_stages; s++) {
      for (const id of p.layers.slice(p.parts[s], p.parts[s + 1])) assert.equal(plan.assignment[id], p.stage_devices[s], id);
    }
    assert.match(r.notes.join('\n'), /self\.parts = parts/);
    // a latency plan that is a pipeline exports the same parts, without a microbatch count
    const fromLatency = JSON.parse(exportPlan('deepspeed', { graph: g, plan: planFor(g, (_n, i) => dev[i]) }).data as string);
    assert.deepEqual(fromLatency.parts, p.parts);
    assert.equal(fromLatency.gradient_accumulation_steps, undefined);
  });

  it('accelerate writes the same device_map as for a latency plan, and says it runs unpipelined', () => {
    const plan = pipelinePlanFor(g, (_n, i) => devs[i]);
    const r = exportPlan('accelerate', { graph: g, plan });
    assert.deepEqual(JSON.parse(r.data as string), exportAccelerate(g, latency));
    assert.match(r.notes[0], /one after the other.*not as a pipeline of 4 microbatches/);
  });

  it('skips the synthesised backward ops of a --training plan, and refuses other unknown nodes', () => {
    const plan = pipelinePlanFor(g, (_n, i) => devs[i]);
    for (const n of g.nodes) plan.assignment[`${n.id}/grad`] = plan.assignment[n.id];
    assert.deepEqual(JSON.parse(exportPlan('torch-split', { graph: g, plan }).data as string).split_spec, { 'layer1.1.conv1': 'BEGINNING' });
    throwsOpplace(() => exportPlan('deepspeed', { graph: g, plan: { ...plan, assignment: { ...plan.assignment, ghost: 0 } } }), /node "ghost".*does not have/);
    const missing = { ...plan.assignment };
    delete missing.fc;
    throwsOpplace(() => exportPlan('accelerate', { graph: g, plan: { ...plan, assignment: missing } }), /node "fc".*does not place/);
  });

  it('refuses a plan whose device returns (names the node), an infeasible plan, and csv', () => {
    const dev = [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0];
    for (const to of ['torch-split', 'deepspeed'] as const) {
      throwsOpplace(
        () => exportPlan(to, { graph: g, plan: pipelinePlanFor(g, (_n, i) => dev[i]) }),
        /node "add".*not a pipeline of contiguous stages.*--split sequential/,
      );
    }
    throwsOpplace(
      () => exportPlan('deepspeed', { graph: g, plan: pipelinePlanFor(g, () => 0, { feasible: false, reason: 'op "fc" needs 2 GiB' }) }),
      /infeasible.*op "fc" needs 2 GiB/,
    );
    throwsOpplace(
      () => exportPlan('csv', { graph: g, plan: pipelinePlanFor(g, () => 0) }),
      /pipeline plan has stages.*--to torch-split, deepspeed or accelerate/,
    );
  });

  it('opplace export reads a pipeline plan file (model from its "file") and checks its fields', async () => {
    const dir = tempDir();
    try {
      const graphFile = path.join(dir, 'net.opgraph.json');
      writeFileSync(graphFile, JSON.stringify({ format: 'opgraph', version: 1, name: 'net', nodes: g.nodes, edges: g.edges }));
      const planFile = path.join(dir, 'pipe.json');
      writeFileSync(planFile, JSON.stringify(pipelinePlanFor(g, (_n, i) => devs[i], { file: 'net.opgraph.json', schedule: 'gpipe' })));
      const io = memoryIO();
      assert.equal(await run([planFile, '--to', 'deepspeed'], io), 0, io.stderr);
      assert.deepEqual(JSON.parse(io.stdout).parts, [0, 4, 9]);
      assert.match(io.stderr, /DeepSpeed runs its 1F1B TrainSchedule; the plan was made for GPipe/);
      const bad = path.join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ ...pipelinePlanFor(g, () => 0), file: 'net.opgraph.json', microbatches: 0 }));
      await assert.rejects(run([bad, '--to', 'deepspeed'], memoryIO()), /bad\.json: "microbatches" must be an integer ≥ 1, got 0/);
      writeFileSync(bad, JSON.stringify({ ...pipelinePlanFor(g, () => 0), file: 'net.opgraph.json', assignment: { conv1: -1 } }));
      await assert.rejects(run([bad, '--to', 'accelerate'], memoryIO()), /bad\.json: node "conv1": assignment: device must be an integer ≥ 0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
