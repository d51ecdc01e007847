// The nine onnx-light models (data/onnx-light): parameter and node counts against the
// README (counted there with the onnx Python package), shapes, weights and cost inputs.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { parseOnnx } from '../../algorithms/loaders/onnx';
import { parseModel } from '../../algorithms/loaders/index';
import { OpGraph } from '../../algorithms/graph';
import { dataPath } from '../helpers/paths';
import { decodeOnnxModel } from '../../algorithms/onnx/proto';

// From data/README.md. Node counts are "without ConstantOfShape": the loader folds the
// ConstantOfShape weight producers away (their tensors become persistent weights of the consumer).
// `shapeFolded`: nodes the README counts that the loader also folds, constant-valued shape
// arithmetic (the Unsqueeze of a constant axes vector before each flatten Reshape).
const README: Record<string, { params: number; nodesAll: number; nodesFolded: number; shapeFolded?: number }> = {
  bvlc_alexnet: { params: 60_965_224, nodesAll: 40, nodesFolded: 24 },
  densenet121: { params: 8_146_152, nodesAll: 1746, nodesFolded: 910, shapeFolded: 4 },
  inception_v1: { params: 6_998_552, nodesAll: 237, nodesFolded: 144 },
  inception_v2: { params: 11_234_792, nodesAll: 916, nodesFolded: 509, shapeFolded: 26 },
  resnet50: { params: 25_610_152, nodesAll: 415, nodesFolded: 176 },
  shufflenet: { params: 1_420_152, nodesAll: 446, nodesFolded: 203 },
  squeezenet: { params: 1_235_496, nodesAll: 105, nodesFolded: 66 },
  vgg19: { params: 143_667_240, nodesAll: 82, nodesFolded: 46 },
  zfnet512: { params: 87_250_536, nodesAll: 38, nodesFolded: 22 },
};

const file = (model: string) => dataPath('onnx-light', `light_${model}.onnx`);
const cache = new Map<string, OpGraph>();
function load(model: string): OpGraph {
  if (!cache.has(model)) cache.set(model, parseOnnx(new Uint8Array(readFileSync(file(model))), file(model), {}));
  return cache.get(model)!;
}

describe('onnx-light models', () => {
  for (const [model, expected] of Object.entries(README)) {
    it(`${model}: parameter count and node count (ConstantOfShape folded) match the README`, () => {
      const g = load(model);
      assert.equal(g.stats?.parameterCount, expected.params);
      assert.equal(g.stats?.parameterBytes, expected.params * 4);
      assert.equal(g.nodes.length, expected.nodesFolded - (expected.shapeFolded ?? 0));
      assert.equal(g.stats?.folded?.constants, expected.shapeFolded ?? 0);
      assert.equal(g.stats?.folded?.casts, 0);
      assert.ok(!g.nodes.some((n) => n.opType === 'ConstantOfShape'));
      // per-node counts sit on the owning node and add up to the total
      assert.equal(
        g.nodes.reduce((s, n) => s + (n.parameterCount ?? 0), 0),
        expected.params,
      );
      // every weight byte is held by some node; integer weights (reshape shapes) add a little
      const persistent = g.nodes.reduce((s, n) => s + n.persistentBytes, 0);
      assert.ok(persistent >= expected.params * 4 && persistent <= expected.params * 4 + 4096, `${persistent}`);
      assert.deepEqual(g.warnings, []);
      // every activation tensor has a fully known shape (value_info is empty: all inferred)
      for (const n of g.nodes) for (const t of n.outputs) assert.ok(t.shape && t.shape.every((d) => d !== null), `${n.id}:${t.name}`);
    });
  }

  it('the all-node counts of the README are the ONNX node lists (folded + ConstantOfShape)', () => {
    for (const [model, expected] of Object.entries(README)) {
      const m = decodeOnnxModel(new Uint8Array(readFileSync(file(model))));
      assert.equal(m.graph!.node!.length, expected.nodesAll, model);
    }
  });

  it('resnet50: output 1x1000 and intermediate shapes', () => {
    const g = load('resnet50');
    const t = g.tensors!;
    assert.deepEqual(t['gpu_0/softmax_1'], [1, 1000]);
    assert.deepEqual(t['gpu_0/data_0'], [1, 3, 224, 224]);
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    assert.deepEqual(byId.get('n0')!.outputs[0].shape, [1, 64, 112, 112]); // conv1 7x7/2
    assert.deepEqual(byId.get('n3')!.outputs[0].shape, [1, 64, 56, 56]); // maxpool 3x3/2
    const convs = g.nodes.filter((n) => n.opType === 'Conv');
    assert.deepEqual(convs[convs.length - 1].outputs[0].shape, [1, 2048, 7, 7]);
    const pool = g.nodes.find((n) => n.opType === 'AveragePool')!;
    assert.deepEqual(pool.outputs[0].shape, [1, 2048, 1, 1]);
    const gemm = g.nodes.find((n) => n.opType === 'Gemm')!;
    assert.equal(gemm.parameterCount, 2048 * 1000 + 1000);
    assert.equal(gemm.outputs[0].bytes, 4000);
    // conv1: 64 × 3×7×7 weights, 112×112 outputs
    assert.equal(byId.get('n0')!.parameterCount, 64 * 3 * 7 * 7);
    assert.equal(byId.get('n0')!.flops, 2 * 64 * 112 * 112 * 3 * 7 * 7);
    assert.deepEqual(byId.get('n0')!.namespace, []);
  });

  it('resnet50 and vgg19 total FLOPs are the published ~4.1 and ~19.6 GMACs', () => {
    const gflops = (m: string) => load(m).nodes.reduce((s, n) => s + (n.flops ?? 0), 0) / 1e9;
    const r = gflops('resnet50');
    const v = gflops('vgg19');
    assert.ok(r > 7.8 && r < 8.6, `resnet50 ${r}`);
    assert.ok(v > 38.5 && v < 40, `vgg19 ${v}`);
  });

  it('edges carry the tensor name and its bytes; graph inputs and folded weights make no edges', () => {
    const g = load('resnet50');
    const ids = new Set(g.nodes.map((n) => n.id));
    for (const e of g.edges) {
      assert.ok(ids.has(e.from) && ids.has(e.to));
      const producer = g.nodes.find((n) => n.id === e.from)!;
      const out = producer.outputs.find((o) => o.name === e.tensor)!;
      assert.equal(e.bytes, out.bytes);
      assert.ok(e.bytes > 0);
    }
    assert.equal(g.edges.filter((e) => e.to === 'n0').length, 0);
  });

  it('densenet121: Concat growth and final shapes are inferred; memory access and FLOPs are set', () => {
    const g = load('densenet121');
    const concats = g.nodes.filter((n) => n.opType === 'Concat');
    assert.equal(concats.length, 58);
    assert.deepEqual(concats[0].outputs[0].shape, [1, 96, 56, 56]);
    assert.deepEqual(g.tensors!['fc6_1'], [1, 1000, 1, 1]);
    for (const n of g.nodes) {
      assert.equal(n.computeUs, 0);
      assert.ok((n.memoryAccessBytes ?? -1) >= 0);
      if (n.opType === 'Conv') assert.ok(n.flops! > 0 && n.memoryAccessBytes! > 0, n.id);
    }
  });

  it('dtype fp16 halves parameter bytes and activation bytes; counts unchanged', () => {
    const bytes = new Uint8Array(readFileSync(file('squeezenet')));
    const a = parseOnnx(bytes, 'squeezenet.onnx', {});
    const b = parseOnnx(bytes, 'squeezenet.onnx', { dtype: 'fp16' });
    assert.equal(b.stats!.parameterCount, a.stats!.parameterCount);
    assert.equal(b.stats!.parameterBytes! * 2, a.stats!.parameterBytes);
    assert.equal(b.nodes[0].outputs[0].bytes * 2, a.nodes[0].outputs[0].bytes);
    assert.equal(b.edges[0].bytes * 2, a.edges[0].bytes);
  });

  it('is deterministic and validates through parseModel', () => {
    const bytes = new Uint8Array(readFileSync(file('inception_v2')));
    const a = JSON.stringify(parseModel(bytes, 'light_inception_v2.onnx', {}));
    const b = JSON.stringify(parseModel(bytes, 'light_inception_v2.onnx', {}));
    assert.equal(a, b);
  });
});
