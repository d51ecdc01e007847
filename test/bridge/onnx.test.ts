// The onnx export through the CLI, checked by Debian's python3-onnx (onnx.checker.check_model and
// the opplace.device annotations read back), on an onnx-light model and a torchvision export.
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { loadModel } from '../../algorithms/loaders/readFile';
import { placeGraph } from '../../algorithms/placement';
import { uniqueNodeIds } from '../../algorithms/onnx/naming';
import { decodeOnnxModel } from '../../algorithms/onnx/proto';
import { run as exportCommand } from '../../cli/commands/export';
import { memoryIO } from '../../cli/io';
import { dataPath } from '../helpers/paths';
import { python, tempDir } from './helpers';
import { modelBytes, node, valueInfo } from '../onnx/build';

const CHECK = path.join(__dirname, 'fixtures', 'bridge_check.py');

interface OnnxCheck {
  nodes: number;
  names: string[];
  opTypes: string[];
  placement: Record<string, number>;
  nodeDevices: (number | null)[];
  algorithm: string;
}

async function cli(argv: string[]) {
  const io = memoryIO();
  const code = await exportCommand(argv, io).catch((e: Error) => {
    io.err(e.message);
    return -1;
  });
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Checks the annotated copy in Python and against the plan: every node has its plan device. */
function checkAnnotated(modelFile: string, outFile: string, planDevice: Map<string, number> | undefined): OnnxCheck {
  const r = JSON.parse(python([CHECK, 'onnx', outFile])) as OnnxCheck; // throws if check_model fails
  const nodes = decodeOnnxModel(new Uint8Array(readFileSync(modelFile)), modelFile).graph!.node!;
  const ids = uniqueNodeIds(nodes, () => true) as string[];
  assert.equal(r.nodes, nodes.length);
  assert.deepEqual(
    r.opTypes,
    nodes.map((n) => n.op_type),
  );
  r.nodeDevices.forEach((d, i) => {
    assert.notEqual(d, null, `node ${ids[i]} has opplace.device`);
    assert.equal(r.placement[ids[i]], d, `model-level placement agrees for ${ids[i]}`);
    if (planDevice?.has(ids[i])) assert.equal(d, planDevice.get(ids[i]), ids[i]);
  });
  return r;
}

describe('bridge: onnx export checked by python3-onnx', function () {
  this.timeout(120_000);
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('annotates an onnx-light model placed by the export itself (model + place options)', async () => {
    const model = path.join(dir, 'squeezenet.onnx');
    copyFileSync(dataPath('onnx-light', 'light_squeezenet.onnx'), model);
    const out = path.join(dir, 'squeezenet.placed.onnx');
    const r = await cli([model, '--to', 'onnx', '--out', out, '--devices', '3', '--memory', '12MiB', '--algorithm', 'm-topo']);
    assert.equal(r.code, 0, r.stderr);
    const check = checkAnnotated(model, out, undefined);
    assert.equal(check.algorithm, 'm-topo');
    assert.ok(new Set(check.nodeDevices).size >= 2, "2 MiB per device spreads SqueezeNet's 4.7 MiB of weights");
  });

  it('annotates with the devices of a given plan; the default output is <model name>.placed.onnx in the working directory, not beside the model', async () => {
    const model = path.join(dir, 'resnet50.onnx');
    copyFileSync(dataPath('onnx-light', 'light_resnet50.onnx'), model);
    const graph = loadModel(model);
    const plan = await placeGraph(graph, {
      algorithm: 'm-etf',
      devices: 4,
      memoryLimits: Array(4).fill(40 * 2 ** 20),
      comm: 'pcie4',
      grouping: 'colocation',
      fuse: false,
    });
    assert.ok(plan.feasible, plan.reason);
    const planFile = path.join(dir, 'resnet50.plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
    const work = mkdtempSync(path.join(os.tmpdir(), 'opplace-cwd-'));
    const before = process.cwd();
    let r;
    try {
      process.chdir(work);
      r = await cli([planFile, '--to', 'onnx']);
    } finally {
      process.chdir(before);
    }
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(path.join(dir, 'resnet50.placed.onnx')), 'nothing written beside the model');
    const check = checkAnnotated(model, path.join(work, 'resnet50.placed.onnx'), new Map(plan.schedule.map((s) => [s.node, s.device])));
    rmSync(work, { recursive: true, force: true });
    assert.ok(new Set(check.nodeDevices).size >= 3);
  });

  it('annotates a torchvision ResNet-18 exported by torch.onnx', async () => {
    const model = path.join(dir, 'resnet18.onnx');
    python([
      '-c',
      `import torch, torchvision; torch.manual_seed(0); torch.onnx.export(torchvision.models.resnet18().eval(), torch.randn(1, 3, 64, 64), ${JSON.stringify(model)}, opset_version=13)`,
    ]);
    const graph = loadModel(model);
    const plan = await placeGraph(graph, {
      algorithm: 'm-sct',
      devices: 2,
      memoryLimits: [40 * 2 ** 20, 40 * 2 ** 20],
      comm: 'pcie4',
      grouping: 'colocation',
      fuse: false,
    });
    assert.ok(plan.feasible, plan.reason);
    const planFile = path.join(dir, 'r18.plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
    const out = path.join(dir, 'r18.placed.onnx');
    const r = await cli([model, '--plan', planFile, '--to', 'onnx', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    checkAnnotated(model, out, new Map(plan.schedule.map((s) => [s.node, s.device])));
  });

  it('never overwrites its input: --out equal to the model (or the plan) is refused', async () => {
    const model = path.join(dir, 'alexnet.onnx');
    copyFileSync(dataPath('onnx-light', 'light_bvlc_alexnet.onnx'), model);
    const before = sha(model);
    const r = await cli([model, '--to', 'onnx', '--out', path.join(dir, '.', 'alexnet.onnx'), '--devices', '2', '--memory', '1GiB']);
    assert.equal(r.code, -1);
    assert.match(r.stderr, /alexnet\.onnx: --out .* is an input file; opplace never overwrites its inputs/);
    assert.equal(sha(model), before);
    const csvOnModel = await cli([model, '--to', 'csv', '--out', model, '--devices', '2', '--memory', '1GiB']);
    assert.equal(csvOnModel.code, -1);
    assert.equal(sha(model), before);
  });

  it('external data: locations are rewritten for the folder of the copy (python3-onnx loads the weights); data outside it or missing is refused', async () => {
    const src = path.join(dir, 'ext-src');
    const modelDir = path.join(src, 'models');
    mkdirSync(modelDir, { recursive: true });
    const model = path.join(modelDir, 'ext.onnx');
    const weights = new Float32Array(16).map((_, i) => i + 0.5);
    writeFileSync(path.join(modelDir, 'w.bin'), new Uint8Array(weights.buffer));
    writeFileSync(
      model,
      modelBytes({
        inputs: [valueInfo('x', [1, 4])],
        outputs: [valueInfo('z', [1, 4])],
        initializers: [{ name: 'W', dims: [4, 4], data_type: 1, data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }] }],
        nodes: [node('MatMul', ['x', 'W'], ['y'], {}, 'mm'), node('Relu', ['y'], ['z'], {}, 'act')],
      }),
    );
    const place = ['--to', 'onnx', '--devices', '2', '--memory', '1GiB'];
    const out = path.join(src, 'placed.onnx'); // one folder up: the data is at models/w.bin from there
    const r = await cli([model, ...place, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: external data referenced from the copy's folder: w\.bin → models\/w\.bin/);
    const loc = decodeOnnxModel(new Uint8Array(readFileSync(out)), out).graph!.initializer![0].external_data!.find((e) => e.key === 'location')!.value;
    assert.equal(loc, 'models/w.bin');
    // onnx.load reads the external data relative to the copy: the weights come back
    const sum = python([
      '-c',
      `import onnx, onnx.numpy_helper as h; m = onnx.load(${JSON.stringify(out)}); onnx.checker.check_model(m); print(float(h.to_array(m.graph.initializer[0]).sum()))`,
    ]);
    assert.equal(
      Number(sum.trim()),
      weights.reduce((a, b) => a + b, 0),
    );

    // a copy in another folder could not reach the data: refused, nothing written
    const away = path.join(dir, 'ext-away', 'placed.onnx');
    mkdirSync(path.dirname(away), { recursive: true });
    const o = await cli([model, ...place, '--out', away]);
    assert.equal(o.code, -1);
    assert.match(
      o.stderr,
      /ext\.onnx: the external data file "w\.bin" of tensor "W" \(.*models\/w\.bin\) is outside the folder of --out .*ext-away\/placed\.onnx/,
    );
    assert.ok(!existsSync(away), 'nothing written');

    rmSync(path.join(modelDir, 'w.bin'));
    const m = await cli([model, ...place, '--out', path.join(modelDir, 'missing.onnx')]);
    assert.equal(m.code, -1);
    assert.match(
      m.stderr,
      /ext\.onnx: the external data file "w\.bin" of tensor "W" is not at .*models\/w\.bin: the exported copy would point at a missing file/,
    );
    assert.ok(!existsSync(path.join(modelDir, 'missing.onnx')), 'nothing written');
  });

  it('refuses the onnx export of a non-ONNX model, and unknown formats', async () => {
    const r = await cli([dataPath('stg', '50', 'rand0000.stg'), '--to', 'onnx', '--out', path.join(dir, 'x.onnx'), '--devices', '2', '--memory', '1GiB']);
    assert.equal(r.code, -1);
    assert.match(r.stderr, /rand0000\.stg: the onnx export needs an \.onnx model/);
    const u = await cli([dataPath('stg', '50', 'rand0000.stg'), '--to', 'tflite']);
    assert.match(u.stderr, /unknown export format "tflite" \(expected one of accelerate, torch-split, deepspeed, onnx, csv\)/);
  });
});
