// Shape inference against ONNX's own (onnx.shape_inference.infer_shapes, Debian's python3-onnx):
// run live with /usr/bin/python3 on every fixture and onnx-light model, and against the JSON saved
// by tools/make_onnx_fixtures.py. Every dim both sides know must agree; parameter counts too.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseOnnx } from '../../algorithms/loaders/onnx';
import { OpGraph } from '../../algorithms/graph';
import { REPO, dataPath } from '../helpers/paths';

type RefDims = (number | string | null)[] | null;
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'onnx');
const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.onnx'))
  .sort()
  .map((f) => path.join(FIXTURES, f));
const lightFiles = readdirSync(dataPath('onnx-light'))
  .filter((f) => f.endsWith('.onnx'))
  .sort()
  .map((f) => dataPath('onnx-light', f));

const load = (file: string, batch?: number) => parseOnnx(new Uint8Array(readFileSync(file)), file, batch ? { batch } : {});

/**
 * Compares every numeric dim both know and fails when onnx knows a dim opplace leaves unknown;
 * returns how many dims were compared. Symbolic dims on the reference side are skipped.
 */
function compareShapes(file: string, g: OpGraph, ref: Record<string, RefDims>): number {
  let compared = 0;
  const problems: string[] = [];
  for (const [name, dims] of Object.entries(ref)) {
    const mine = g.tensors?.[name];
    if (!dims) continue;
    if (!mine) {
      if (dims.some((d) => typeof d === 'number')) problems.push(`${name}: unknown here, onnx infers [${dims}]`);
      continue;
    }
    if (mine.length !== dims.length) {
      problems.push(`${name}: rank ${mine.length} vs onnx ${dims.length} ([${mine}] vs [${dims}])`);
      continue;
    }
    dims.forEach((d, i) => {
      if (typeof d === 'number' && mine[i] === null) problems.push(`${name}[${i}]: unknown here, onnx infers ${d}`);
      if (typeof d !== 'number' || mine[i] === null) return;
      compared++;
      if (mine[i] !== d) problems.push(`${name}[${i}]: ${mine[i]} vs onnx ${d}`);
    });
  }
  assert.deepEqual(problems, [], `${path.basename(file)} disagrees with onnx.shape_inference`);
  return compared;
}

describe('ONNX shape inference vs onnx.shape_inference.infer_shapes', function () {
  this.timeout(120000);
  let live: Record<string, { shapes: Record<string, RefDims>; shapesBatch1: Record<string, RefDims>; parameterCount: number; nodes: number }>;

  before(() => {
    const out = execFileSync('/usr/bin/python3', [path.join(__dirname, 'reference.py'), ...fixtureFiles, ...lightFiles], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live = JSON.parse(out);
  });

  for (const file of [...fixtureFiles, ...lightFiles]) {
    it(`live: ${path.basename(file)} — shapes and parameter count agree`, () => {
      const ref = live[file];
      assert.ok(ref, 'python gave no result');
      const g = load(file);
      compareShapes(file, g, ref.shapes); // as exported: symbolic batch dims skipped
      const compared = compareShapes(file, g, ref.shapesBatch1); // batch fixed to 1 on both sides
      // (compareShapes also fails when onnx knows a dim that opplace does not)
      assert.ok(compared > 0, 'nothing compared');
      assert.equal(g.stats!.parameterCount, ref.parameterCount);
    });
  }

  for (const file of fixtureFiles) {
    it(`saved JSON: ${path.basename(file)} agrees and fixture is small`, () => {
      const ref = JSON.parse(readFileSync(file.replace(/\.onnx$/, '.shapes.json'), 'utf8'));
      assert.ok(compareShapes(file, load(file), ref) > 0);
      assert.ok(readFileSync(file).length < 200 * 1024);
    });
  }
});

describe('ONNX fixtures exported from PyTorch', () => {
  const fx = (name: string) => path.join(FIXTURES, `${name}.onnx`);

  it('resnet18: output 1x1000, weights from external data (dims only), Identity aliases folded', () => {
    const g = load(fx('resnet18'));
    assert.deepEqual(g.tensors!['output'], [1, 1000]);
    assert.equal(g.name, 'resnet18'); // torch's generic graph name 'torch_jit' gives way to the file name
    assert.ok(!g.nodes.some((n) => n.opType === 'Identity'));
    const convs = g.nodes.filter((n) => n.opType === 'Conv');
    assert.equal(convs.length, 20);
    assert.ok(convs.every((n) => n.persistentBytes > 0 && n.flops! > 0));
  });

  it('mobilenet_v2 has a dynamic batch axis that takes --batch', () => {
    const g1 = load(fx('mobilenet_v2'));
    const g4 = load(fx('mobilenet_v2'), 4);
    assert.deepEqual(g1.tensors!['output'], [1, 1000]);
    assert.deepEqual(g4.tensors!['input'], [4, 3, 224, 224]);
    assert.deepEqual(g4.tensors!['output'], [4, 1000]);
    const f1 = g1.nodes.reduce((s, n) => s + n.flops!, 0);
    const f4 = g4.nodes.reduce((s, n) => s + n.flops!, 0);
    assert.ok(Math.abs(f4 / f1 - 4) < 1e-9);
    assert.equal(g4.stats!.parameterCount, g1.stats!.parameterCount);
  });

  it('tiny_transformer: Shape→Gather→Unsqueeze→Concat chains fold so Reshape shapes are known', () => {
    const g = load(fx('tiny_transformer'), 3);
    assert.deepEqual(g.tensors!['output'], [3, 10]);
    for (const n of g.nodes.filter((x) => x.opType === 'Reshape' || x.opType === 'MatMul' || x.opType === 'Softmax')) {
      assert.ok(n.outputs[0].shape && n.outputs[0].shape.every((d) => d !== null), `${n.id} ${JSON.stringify(n.outputs[0].shape)}`);
    }
    assert.ok(g.nodes.some((n) => n.opType === 'Gather'));
    assert.deepEqual(g.warnings, []);
  });

  it('vit_tiny (torchvision VisionTransformer): every MatMul/Softmax shape known, output [batch, 1000]', () => {
    const g = load(fx('vit_tiny'), 2);
    assert.deepEqual(g.tensors!['output'], [2, 1000]);
    const attention = g.nodes.filter((n) => n.opType === 'Softmax');
    assert.equal(attention.length, 4);
    for (const n of attention) assert.deepEqual(n.outputs[0].shape, [2 * 3, 197, 197]); // torch folds heads into the batch
    for (const n of g.nodes.filter((x) => x.opType === 'MatMul' || x.opType === 'Reshape' || x.opType === 'Concat')) {
      assert.ok(n.outputs[0].shape && n.outputs[0].shape.every((d) => d !== null), `${n.id} ${JSON.stringify(n.outputs[0].shape)}`);
    }
    assert.deepEqual(g.warnings, []);
  });

  it('tiny_transformer_op17 uses LayerNormalization', () => {
    const g = load(fx('tiny_transformer_op17'));
    const ln = g.nodes.filter((n) => n.opType === 'LayerNormalization');
    assert.equal(ln.length, 5);
    for (const n of ln) assert.deepEqual(n.outputs[0].shape, [2, 16, 64]);
  });

  it('tiny_seq2seq: LSTM (bidirectional) and GRU output shapes and FLOPs', () => {
    const g = load(fx('tiny_seq2seq'));
    const lstm = g.nodes.filter((n) => n.opType === 'LSTM');
    assert.deepEqual(lstm[0].outputs[0].shape, [12, 2, 3, 48]);
    assert.deepEqual(lstm[1].outputs[0].shape, [12, 1, 3, 48]);
    const gru = g.nodes.find((n) => n.opType === 'GRU')!;
    assert.deepEqual(gru.outputs[0].shape, [12, 1, 3, 48]);
    // 12 steps × 3 batch × 2 dirs × 4 gates × 2 × 48 × (32 + 48) MACs dominate the first LSTM
    assert.ok(lstm[0].flops! >= 12 * 3 * 2 * 4 * 2 * 48 * (32 + 48));
    assert.deepEqual(g.tensors!['output'], [12, 3, 500]);
  });

  it('detector_front (torchvision detection transform): constant Reduce*, reversed pads and RoiAlign fold to known shapes', () => {
    const g = load(fx('detector_front'));
    const n = (id: string) => g.nodes.find((x) => x.id === id)!;
    // min side 40 → 32: scale 0.8 from ReduceMin/ReduceMax of the constant [40, 48] (unknown before issue 11 §5)
    assert.deepEqual(n('/transform/Resize').outputs[0].shape, [1, 3, 32, 38]);
    // batch_images pads to a multiple of 32 through Reshape [-1, 2] → Slice step -1 → Transpose → Reshape
    assert.deepEqual(n('/transform/Pad').outputs[0].shape, [3, 32, 64]);
    assert.deepEqual(n('/conv/Conv').outputs[0].shape, [1, 8, 16, 32]);
    assert.equal(n('/conv/Conv').flops, 2 * 8 * 16 * 32 * 27 + 8 * 16 * 32);
    assert.deepEqual(n('/RoiAlign').outputs[0].shape, [2, 8, 3, 3]);
    assert.equal(n('/RoiAlign').flops, 2 * 8 * 3 * 3 * (2 * 2) * 8); // sampling_ratio 2: 4 bilinear samples per bin
    assert.deepEqual(g.warnings, []);
  });

  it('quant_qdq (torch static int8): int8 weights, int32 biases and scales in Constant nodes are parameters at their stored width', () => {
    const g = load(fx('quant_qdq'));
    // conv 3→8 3×3, conv 8→16 3×3, linear 16→10: 1,528 int8 weights + 34 int32 biases = the float model's 1,562,
    // plus the per-channel weight scales (float32) and zero points (int8) of the three layers (34 + 34) and
    // the 10 scalar activation scales (float32) and zero points (uint8): 1,718 (0 before issue 11 §4)
    assert.equal(g.stats!.parameterCount, 1562 + 34 + 34 + 2 * 44);
    const bytes = g.nodes.reduce((a, n) => a + n.persistentBytes, 0);
    const dq = g.nodes.filter((n) => n.opType === 'DequantizeLinear');
    const c1 = dq.find((n) => n.persistentBytes >= 216 && n.persistentBytes < 4 * 216);
    assert.ok(c1, 'the int8 conv1 weight is held at 1 byte per element (216 B plus its scales), not 4');
    assert.ok(bytes < 4 * 1562, `persistent ${bytes} B`);
    assert.deepEqual(g.tensors!['output'], [1, 10]);
    assert.deepEqual(g.warnings, []);
  });

  it('quant_integer_ops: QLinearConv, ConvInteger, DynamicQuantizeLinear, MatMulInteger, QLinearMatMul shapes, dtypes, FLOPs', () => {
    const g = load(fx('quant_integer_ops'));
    assert.deepEqual(g.warnings, []);
    const n = (id: string) => g.nodes.find((x) => x.id === id)!;
    assert.deepEqual(n('qlinear_conv').outputs[0], { name: 'c1q', bytes: 8 * 16 * 16, shape: [1, 8, 16, 16], dtype: 'uint8' });
    assert.equal(n('qlinear_conv').flops, 2 * 8 * 16 * 16 * 27 + 8 * 16 * 16); // MACs + int32 bias
    assert.deepEqual(n('conv_integer').outputs[0], { name: 'c2i', bytes: 4 * 16 * 7 * 7, shape: [1, 16, 7, 7], dtype: 'int32' });
    assert.equal(n('conv_integer').flops, 2 * 16 * 7 * 7 * 72); // no bias input: x_zero_point is not one
    assert.deepEqual(
      n('dyn_quant').outputs.map((o) => [o.shape, o.dtype]),
      [
        [[1, 16], 'uint8'],
        [[], 'float32'],
        [[], 'uint8'],
      ],
    );
    assert.equal(n('dyn_quant').flops, 5 * 16);
    assert.deepEqual(n('matmul_integer').outputs[0].shape, [1, 12]);
    assert.equal(n('matmul_integer').flops, 2 * 12 * 16);
    assert.deepEqual([n('qlinear_matmul').outputs[0].shape, n('qlinear_matmul').outputs[0].dtype], [[1, 10], 'int8']);
    assert.equal(n('qlinear_matmul').flops, 2 * 10 * 12);
    // every initializer is consumed: int8/uint8 weights, int32 bias, float scales, zero points
    assert.equal(g.stats!.parameterCount, 216 + 1152 + 192 + 120 + 8 + 8 + 8 + 3);
    // w (int8), w_s, zp_w, b (int32), and its copies of s and zp_u8: small shared constants are
    // replicated to each consumer (quant_in reads them too), not a reason to colocate the two
    assert.equal(n('qlinear_conv').persistentBytes, 216 + 4 * 8 + 8 + 4 * 8 + 4 + 1);
    assert.equal(n('qlinear_conv').colocationGroup, undefined);
  });
});
