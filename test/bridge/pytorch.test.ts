// The framework bridge end to end with Debian's PyTorch (/usr/bin/python3): profile real models
// with tools/opplace_profile.py, load and place them, export the plans, and run them split with
// tools/opplace_apply.py. Small inputs (1x3x64x64) keep the suite fast on 2 cores.
import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { exportTorchSplit } from '../../algorithms/export';
import { OpGraph } from '../../algorithms/graph';
import { loadModel } from '../../algorithms/loaders/readFile';
import { placeGraph } from '../../algorithms/placement';
import { Plan, PlacementOptions } from '../../algorithms/plan';
import { run as exportCommand } from '../../cli/commands/export';
import { memoryIO } from '../../cli/io';
import { run as placeCommand } from '../../cli/commands/place';
import { FIXTURES, planFor, python, pythonFails, tempDir, TOOLS } from './helpers';

interface FxDump {
  nodes: string[];
  ops: Record<string, string>;
  targets: Record<string, string>;
  edges: [string, string][];
  parameterBytes: number;
  parameterCount: number;
  sameOutput?: boolean;
}

const PROFILE = path.join(TOOLS, 'opplace_profile.py');
const APPLY = path.join(TOOLS, 'opplace_apply.py');
const CHECK = path.join(__dirname, 'fixtures', 'bridge_check.py');

function profile(spec: string, input: string, out: string): OpGraph {
  python([PROFILE, spec, '--input', input, '--repeat', '2', '--out', out]);
  return loadModel(out);
}

function options(devices: number, memory: number, algorithm: PlacementOptions['algorithm'] = 'm-etf'): PlacementOptions {
  return { algorithm, devices, memoryLimits: Array(devices).fill(memory), comm: 'pcie4', grouping: 'colocation', fuse: false };
}

function savePlan(plan: Plan, file: string): string {
  writeFileSync(file, JSON.stringify(plan));
  return file;
}

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIO();
  const code = await exportCommand(argv, io).catch((e: Error) => {
    io.err(e.message);
    return -1;
  });
  return { code, stdout: io.stdout, stderr: io.stderr };
}

function devicesUsed(plan: Plan): number {
  return new Set(plan.schedule.map((s) => s.device)).size;
}

/** Graph edges whose ends the plan puts on different devices (what the applier must move). */
function crossDeviceEdges(graph: OpGraph, plan: Plan): number {
  const d = new Map(plan.schedule.map((s) => [s.node, s.device]));
  return graph.edges.filter((e) => d.get(e.from) !== d.get(e.to)).length;
}

function assertMatchesFx(graph: OpGraph, fx: FxDump): void {
  assert.deepEqual(
    graph.nodes.map((n) => n.id),
    fx.nodes,
    'node ids = FX node names, in FX order',
  );
  assert.deepEqual(
    graph.edges.map((e) => [e.from, e.to]),
    fx.edges,
    'one edge per FX input, in FX order',
  );
  for (const n of graph.nodes) {
    const op = fx.ops[n.id];
    if (op === 'call_module' || op === 'get_attr') assert.equal(n.modulePath, fx.targets[n.id], n.id);
    else assert.equal(n.modulePath, undefined, n.id);
    if (op === 'placeholder' || op === 'output') assert.equal(n.computeUs, 0, n.id);
    else assert.ok(n.computeUs > 0, `${n.id} has a measured time`);
  }
  const persistent = graph.nodes.reduce((s, n) => s + n.persistentBytes, 0);
  assert.equal(persistent, fx.parameterBytes, 'parameter bytes = sum(p.numel() * p.element_size())');
  assert.equal(graph.stats?.parameterBytes, fx.parameterBytes);
}

describe('bridge: PyTorch ResNet-18 — profile → place → export → apply', function () {
  this.timeout(180_000);
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  const graphFile = path.join(dir, 'resnet18.opgraph.json');
  let graph: OpGraph;
  let fx: FxDump;

  before(() => {
    graph = profile('torchvision.models:resnet18', '1,3,64,64', graphFile);
    fx = JSON.parse(python([CHECK, 'fx', 'torchvision.models:resnet18']));
  });

  it('profiles into a graph equal to torch.fx.symbolic_trace, with the real parameter bytes', () => {
    assert.equal(graph.warnings.length, 0);
    assert.equal(graph.nodes.length, fx.nodes.length);
    assertMatchesFx(graph, fx);
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    assert.deepEqual(
      byId.get('fc')!.outputs.map((t) => [t.shape, t.bytes, t.dtype]),
      [[[1, 1000], 4000, 'float32']],
    );
    assert.deepEqual(byId.get('layer1_0_conv1')!.namespace, ['layer1', '0', 'conv1']);
    assert.deepEqual(byId.get('add')!.namespace, ['layer1', '0'], 'a function node lives in the module that called it');
    assert.equal(byId.get('conv1')!.persistentBytes, 64 * 3 * 7 * 7 * 4);
    for (const e of graph.edges) {
      assert.equal(
        e.bytes,
        byId.get(e.from)!.outputs.reduce((s, t) => s + t.bytes, 0),
        `${e.from} → ${e.to}`,
      );
    }
  });

  it('places on memory-limited devices and exports a device_map that covers the real model exactly', async () => {
    // 20 MiB per device cannot hold ResNet-18's 44.6 MiB of weights on fewer than 3 devices
    const plan = await placeGraph(graph, options(4, 20 * 2 ** 20));
    assert.ok(plan.feasible, plan.reason);
    assert.ok(devicesUsed(plan) >= 3, `uses ${devicesUsed(plan)} devices`);
    const planFile = savePlan(plan, path.join(dir, 'plan-etf4.json'));
    const mapFile = path.join(dir, 'device_map.json');
    const r = await cli([graphFile, '--plan', planFile, '--to', 'accelerate', '--out', mapFile]);
    assert.equal(r.code, 0, r.stderr);
    const map = JSON.parse(readFileSync(mapFile, 'utf-8')) as Record<string, number>;
    assert.ok(Object.keys(map).length >= 3 && Object.keys(map).length < 62, `collapsed: ${JSON.stringify(map)}`);
    const check = JSON.parse(python([CHECK, 'accelerate', 'torchvision.models:resnet18', mapFile, graphFile, planFile]));
    assert.deepEqual(check.problems, []);
    assert.equal(check.checkedParameters, 62, 'every parameter of every module node checked');
    assert.equal(check.tensors, 122, 'parameters and buffers of resnet18');
  });

  it('exports the same device_map when given a plan file as PLAN_OR_MODEL (model from plan.file)', async () => {
    const plan = await placeGraph(graph, options(2, 30 * 2 ** 20));
    const planFile = savePlan(plan, path.join(dir, 'plan-etf2.json'));
    const viaPlan = await cli([planFile, '--to', 'accelerate']);
    const viaModel = await cli([graphFile, '--plan', planFile, '--to', 'accelerate']);
    assert.equal(viaPlan.code, 0, viaPlan.stderr);
    assert.equal(viaPlan.stdout, viaModel.stdout);
    const csv = await cli([planFile, '--to', 'csv']);
    assert.equal(csv.stdout.trimEnd().split('\r\n').length, graph.nodes.length + 1);
  });

  it('writes torch-split points for a pipeline plan and names the node of a non-pipeline one', async () => {
    const seq = await placeGraph(graph, options(4, 20 * 2 ** 20, 'sequential'));
    assert.ok(seq.feasible, seq.reason);
    const split = await cli([graphFile, '--plan', savePlan(seq, path.join(dir, 'plan-seq.json')), '--to', 'torch-split']);
    assert.equal(split.code, 0, split.stderr);
    const spec = JSON.parse(split.stdout) as Record<string, string>;
    assert.equal(Object.keys(spec).length, devicesUsed(seq) - 1);
    for (const [fqn, where] of Object.entries(spec)) {
      assert.equal(where, 'BEGINNING');
      assert.ok(
        Object.entries(fx.targets).some(([id, t]) => t === fqn && fx.ops[id] === 'call_module'),
        `${fqn} is a submodule call`,
      );
    }
    // cutting the real FX program at those modules gives every weighted op its plan device
    const specFile = path.join(dir, 'split.json');
    writeFileSync(specFile, split.stdout);
    const cut = JSON.parse(python([CHECK, 'split', 'torchvision.models:resnet18', specFile]));
    assert.deepEqual(cut.missing, []);
    assert.deepEqual(cut.order, Object.keys(spec), 'split points in program order');
    const stages = exportTorchSplit(graph, seq).stages;
    const dev = new Map(seq.schedule.map((s) => [s.node, s.device]));
    let weighted = 0;
    for (const n of graph.nodes) {
      if (n.persistentBytes === 0) continue;
      weighted++;
      assert.equal(stages[cut.stages[n.id]].device, dev.get(n.id), `${n.id} runs in stage ${cut.stages[n.id]}`);
    }
    assert.equal(weighted, 41, 'ResNet-18 has 20 conv + 20 bn + fc with weights');
    const interleaved = planFor(graph, (_n, i) => i % 2);
    const bad = await cli([graphFile, '--plan', savePlan(interleaved, path.join(dir, 'plan-bad.json')), '--to', 'torch-split']);
    assert.equal(bad.code, -1);
    assert.match(bad.stderr, /node "[a-z0-9_]+".*not a pipeline of contiguous stages/);
  });

  it('runs the README loop through the CLI: opplace place --out plan.json → export → opplace_apply', async () => {
    const planFile = path.join(dir, 'cli-plan.json');
    const placed = memoryIO();
    const code = await placeCommand([graphFile, '--devices', '4', '--memory', '20MiB', '--comm', 'pcie4', '--json', '--out', planFile], placed);
    assert.equal(code, 0, placed.stderr);
    assert.equal(JSON.parse(placed.stdout).feasible, true);
    const exported = memoryIO();
    assert.equal(await exportCommand([planFile, '--to', 'accelerate', '--out', path.join(dir, 'cli-map.json')], exported), 0, exported.stderr);
    const check = JSON.parse(python([CHECK, 'accelerate', 'torchvision.models:resnet18', path.join(dir, 'cli-map.json'), graphFile, planFile]));
    assert.deepEqual(check.problems, []);
    // opplace_apply finds the model, input shape and seed in the profiled graph the plan names
    const out = python([APPLY, planFile, '--devices', 'cpu,cpu,cpu,cpu', '--check']);
    assert.match(out, /ran torchvision\.models:resnet18 split over [2-4] devices.*\n.*check vs unsplit model: allclose/);
  });

  for (const k of [2, 4]) {
    it(`runs ${k}-device plans (placed and interleaved) on cpu with outputs allclose to the unsplit model`, async () => {
      // 44.6 MiB of weights: 30 MiB devices need both of 2; 16 MiB devices need at least 3 of 4
      // (which of 3 or 4 depends on the measured times, so the interleaved plan covers all k)
      const placed = await placeGraph(graph, options(k, (k === 2 ? 30 : 16) * 2 ** 20));
      assert.ok(placed.feasible && devicesUsed(placed) >= Math.min(k, 3), `${placed.reason ?? ''} uses ${devicesUsed(placed)}`);
      // every node on another device than its predecessor: the worst case for moving tensors
      const interleaved = { ...planFor(graph, (_n, i) => i % k), file: graphFile };
      assert.equal(devicesUsed(interleaved), k);
      for (const [name, plan] of [
        ['placed', placed],
        ['interleaved', interleaved],
      ] as const) {
        const planFile = savePlan(plan, path.join(dir, `apply-${name}-${k}.json`));
        const reportFile = path.join(dir, `report-${name}-${k}.json`);
        const out = python([APPLY, planFile, '--devices', Array(k).fill('cpu').join(','), '--check', '--report', reportFile]);
        assert.match(out, /check vs unsplit model: allclose/);
        const report = JSON.parse(readFileSync(reportFile, 'utf-8'));
        assert.equal(report.check.allclose, true);
        assert.deepEqual(report.planDevicesUsed, [...new Set(plan.schedule.map((x) => x.device))].sort());
        assert.equal(report.crossDeviceEdges, crossDeviceEdges(graph, plan), `${name}: moves at every cross-device edge`);
        assert.ok(report.crossDeviceEdges >= k - 1);
        assert.deepEqual(report.outputs, [[1, 1000]]);
      }
    });
  }
});

describe('bridge: PyTorch nn.TransformerEncoder and tied weights', function () {
  this.timeout(120_000);
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  let tied: OpGraph;

  before(() => {
    tied = profile('bridge_models:tied_mlp', '2,16', path.join(dir, 'tied.opgraph.json'));
  });

  it('profiles a small TransformerEncoder into a graph that equals its FX graph and places on 2 devices', async () => {
    const graph = profile('bridge_models:small_transformer', '8,2,32', path.join(dir, 'tr.opgraph.json'));
    const fx = JSON.parse(python([CHECK, 'fx', 'bridge_models:small_transformer', 'opplace', '8,2,32'])) as FxDump;
    assert.equal(fx.sameOutput, true, 'the traced graph computes the model');
    assertMatchesFx(graph, fx);
    assert.deepEqual(
      graph.nodes.filter((n) => n.opType === 'TransformerEncoderLayer').map((n) => n.modulePath),
      ['layers.0', 'layers.1'],
    );
    // each layer holds 34 KiB of weights: 48 KiB per device forces one layer per device
    const plan = await placeGraph(graph, options(2, 48 * 1024));
    assert.ok(plan.feasible, plan.reason);
    assert.equal(devicesUsed(plan), 2);
    const planFile = savePlan(plan, path.join(dir, 'tr-plan.json'));
    const map = await cli([path.join(dir, 'tr.opgraph.json'), '--plan', planFile, '--to', 'accelerate']);
    const d = new Map(plan.schedule.map((s) => [s.node, s.device]));
    assert.deepEqual(JSON.parse(map.stdout), { 'layers.0': d.get('layers_0'), 'layers.1': d.get('layers_1') });
    assert.match(python([APPLY, planFile, '--devices', 'cpu,cpu', '--check']), /split over 2 devices.*1 transfers\n.*allclose/);
  });

  it('traces a batch-first TransformerEncoder (eval fast-path checks) in training mode, and runs it split', async () => {
    const file = path.join(dir, 'bf.opgraph.json');
    const graph = profile('bridge_models:batch_first_transformer', '2,8,32', file);
    assert.match(graph.warnings.join('\n'), /TransformerEncoder was traced in training mode/);
    const fx = JSON.parse(python([CHECK, 'fx', 'bridge_models:batch_first_transformer', 'opplace', '2,8,32'])) as FxDump;
    assert.equal(fx.sameOutput, true, 'the training-mode trace computes the eval-mode model');
    assertMatchesFx(graph, fx);
    const plan = planFor(graph, (_n, i) => i % 3, file);
    assert.match(python([APPLY, savePlan(plan, path.join(dir, 'bf-plan.json')), '--devices', 'cpu,cpu,cpu', '--check']), /split over 3 devices.*\n.*allclose/);
  });

  it('the Python tools fail with one clear line (exit 2, no traceback) on bad input', () => {
    const cases: [string[], RegExp][] = [
      [
        [PROFILE, 'no_such_module:net', '--input', '1,3', '--out', path.join(dir, 'x.json')],
        /^opplace_profile: "no_such_module:net": cannot import module "no_such_module"/,
      ],
      [
        [PROFILE, 'bridge_models:tied_mlp', '--input', '2,15', '--out', path.join(dir, 'x.json')],
        /^opplace_profile: running bridge_models:tied_mlp on --input 2,15 failed at node 'inp': .*shapes cannot be multiplied/,
      ],
      [
        [PROFILE, 'bridge_models:tied_mlp', '--input', '2,-1', '--out', path.join(dir, 'x.json')],
        /^opplace_profile: --input "2,-1": every size must be a positive integer/,
      ],
      [[APPLY, path.join(dir, 'missing.json')], /^opplace_apply: .*missing\.json: cannot read the plan/],
      // output paths are checked before profiling; an existing non-JSON file (the user's source) is never overwritten
      [
        [PROFILE, 'bridge_models:tied_mlp', '--input', '2,16', '--out', path.join(dir, 'no', 'x.json')],
        /^opplace_profile: .*x\.json: --out: the folder .*no does not exist/,
      ],
      [[PROFILE, 'bridge_models:tied_mlp', '--input', '2,16', '--out', dir], /^opplace_profile: .*: --out is a directory/],
      [
        [PROFILE, 'bridge_models:tied_mlp', '--input', '2,16', '--out', path.join(FIXTURES, 'bridge_models.py')],
        /^opplace_profile: .*bridge_models\.py: --out names an existing file that is not JSON/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = pythonFails(args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.match(readFileSync(path.join(FIXTURES, 'bridge_models.py'), 'utf8'), /def tied_mlp/, 'the model source is untouched');
    // a plan of another model names the first node that does not match
    const planFile = savePlan(
      planFor(tied, () => 0),
      path.join(dir, 'tied-plan.json'),
    );
    const r = pythonFails([APPLY, planFile, 'torchvision.models:resnet18', '--input', '1,3,32,32']);
    assert.match(r.stderr, /^opplace_apply: plan node "inp" is not in the traced model/);
  });

  it('counts a tied weight once and puts its users in one colocation group', () => {
    const fx = JSON.parse(python([CHECK, 'fx', 'bridge_models:tied_mlp'])) as FxDump;
    assertMatchesFx(tied, fx);
    const byId = new Map(tied.nodes.map((n) => [n.id, n]));
    assert.equal(byId.get('inp')!.colocationGroup, 'shared:inp.weight');
    assert.equal(byId.get('out')!.colocationGroup, 'shared:inp.weight');
    assert.equal(byId.get('hidden')!.colocationGroup, undefined);
    assert.equal(byId.get('inp')!.persistentBytes, (16 * 16 + 16) * 4);
    assert.equal(byId.get('out')!.persistentBytes, 16 * 4, 'only its own bias: the tied weight is counted on inp');
  });
});
