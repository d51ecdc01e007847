import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import { trainingGraph, trainingMemoryEstimate, optimizerSlots, trainingPersistentFactor, GRAD_SUFFIX, isBackwardOp } from '../../algorithms/training';
import { placeGraph } from '../../algorithms/placement/index';
import { OpGraph, OpNode, validateGraph, indexGraph } from '../../algorithms/graph';
import { REPO } from '../helpers/paths';

const RESNET50 = path.join(REPO, 'test', 'fixtures', 'training', 'torchvision_resnet50.onnx');

/**
 * ResNet-50 activation elements per sample at 224×224, from the architecture alone (torchvision
 * v1.5: stride on the 3×3 conv; the ONNX export fuses BatchNorm into Conv, so a block's ops are
 * conv1, relu, conv2, relu, conv3, [downsample conv], add, relu).
 * A bottleneck with width m, input side Sin and output side S produces
 *   conv1+relu 2·m·Sin² + conv2+relu 2·m·S² + conv3, add, relu 3·4m·S² (+ downsample 4m·S²).
 */
function resnet50ActivationElements(): number {
  const block = (m: number, sIn: number, s: number, downsample: boolean) =>
    2 * m * sIn * sIn + 2 * m * s * s + 3 * 4 * m * s * s + (downsample ? 4 * m * s * s : 0);
  const stage = (m: number, sIn: number, s: number, blocks: number) => block(m, sIn, s, true) + (blocks - 1) * block(m, s, s, false);
  const stem = 2 * 64 * 112 * 112 + 64 * 56 * 56; // conv1 + relu, maxpool
  const stages = stage(64, 56, 56, 3) + stage(128, 56, 28, 4) + stage(256, 28, 14, 6) + stage(512, 14, 7, 3);
  const head = 2048 + 2048 + 1000; // global average pool, flatten, fc
  return stem + stages + head; // = 26,447,848
}

describe('training memory model', () => {
  it('synthesises backward ops: 2× time, reversed edges, colocated with the forward op', () => {
    const node = (id: string, t: number, w: number): OpNode => ({
      id,
      name: id,
      opType: 'Op',
      namespace: [],
      computeUs: t,
      persistentBytes: w,
      temporaryBytes: 0,
      outputs: [{ name: id + ':0', bytes: 10, shape: [10] }],
    });
    const g: OpGraph = { name: 'chain', nodes: [node('a', 5, 100), node('b', 7, 0)], edges: [{ from: 'a', to: 'b', tensor: 'a:0', bytes: 10 }], warnings: [] };
    const t = trainingGraph(g, { optimizer: 'adam' });
    validateGraph(t);
    const byId = new Map(t.nodes.map((n) => [n.id, n]));
    assert.equal(t.nodes.length, 4);
    assert.equal(byId.get('a' + GRAD_SUFFIX)!.computeUs, 10);
    assert.equal(byId.get('b' + GRAD_SUFFIX)!.computeUs, 14);
    assert.equal(byId.get('a')!.persistentBytes, 100 * 4, 'weights + grads + 2 Adam moments');
    assert.equal(byId.get('a')!.colocationGroup, byId.get('a' + GRAD_SUFFIX)!.colocationGroup);
    assert.deepEqual(
      t.nodes.map((n) => [n.id, isBackwardOp(n)]),
      [
        ['a', false],
        ['b', false],
        ['b/grad', true],
        ['a/grad', true],
      ],
    );
    const edges = t.edges.map((e) => `${e.from}>${e.to}`).sort();
    assert.deepEqual(edges, ['a>a/grad', 'a>b', 'b/grad>a/grad', 'b>b/grad']);
    const order = indexGraph(t).topo.map((i) => t.nodes[i].id);
    assert.deepEqual(order, ['a', 'b', 'b/grad', 'a/grad']);
    assert.equal(optimizerSlots('sgd'), 0);
    assert.equal(optimizerSlots('momentum'), 1);
  });

  it('mixed precision keeps an fp32 master copy and fp32 optimizer slots: Adam is 16 bytes per parameter', () => {
    // fp32: 4 (weights) + 4 (grads) + 8 (two moments) = 16; fp16: 2 + 2 + 4 (master) + 8 = 16
    assert.equal(trainingPersistentFactor('adam', 'fp32') * 4, 16);
    assert.equal(trainingPersistentFactor('adam', 'fp16') * 2, 16);
    assert.equal(trainingPersistentFactor('adam', 'bf16') * 2, 16);
    assert.equal(trainingPersistentFactor('sgd', 'fp32') * 4, 8); // weights + grads
    assert.equal(trainingPersistentFactor('sgd', 'fp16') * 2, 8); // + fp32 master copy
    assert.equal(trainingPersistentFactor('momentum', 'fp16') * 2, 12);
    const w: OpNode = {
      id: 'w',
      name: 'w',
      opType: 'Gemm',
      namespace: [],
      computeUs: 1,
      persistentBytes: 2000,
      temporaryBytes: 0,
      outputs: [{ name: 'w:0', bytes: 2, shape: [1] }],
    };
    const t = trainingGraph({ name: 'one', nodes: [w], edges: [], warnings: [] }, { optimizer: 'adam', dtype: 'fp16' });
    assert.equal(t.nodes.find((n) => n.id === 'w')!.persistentBytes, 1000 * 16, '1000 fp16 parameters');
  });

  it('ResNet-50 at batch 32 with Adam: simulated peak within 15% of weights + grads + Adam + activations', async function () {
    this.timeout(120000);
    const fwd = prepareGraphFromFile(RESNET50, { batch: 32 });
    const P = fwd.stats!.parameterCount!;
    // torchvision's 25,557,032 parameters, less 26,560: the eval-mode export folds each BatchNorm
    // (γ and β, 2 × 26,560 elements) into its conv as one bias per channel (26,560 elements).
    assert.equal(P, 25557032 - 26560);
    const weights = P * 4; // fp32
    const grads = P * 4;
    const adam = 2 * P * 4; // first and second moments
    const activations = resnet50ActivationElements() * 32 * 4;
    const hand = weights + grads + adam + activations;
    // 102,121,888 + 102,121,888 + 204,243,776 + 3,385,324,544 (26,447,848 × 32 × 4) = 3,793,812,096 B ≈ 3.53 GiB
    assert.equal(hand, 3793812096);
    const est = trainingMemoryEstimate(fwd, 'adam');
    assert.ok(Math.abs(est.totalBytes / hand - 1) < 0.15, `estimate ${est.totalBytes} vs hand ${hand}`);
    const train = trainingGraph(fwd, { optimizer: 'adam' });
    const plan = await placeGraph(train, { algorithm: 'single', devices: 1, memoryLimits: [64 * 2 ** 30], comm: 'none', grouping: 'none', fuse: false });
    const peak = plan.devices[0].peakBytes;
    assert.ok(Math.abs(peak / hand - 1) < 0.15, `simulated peak ${peak} vs hand ${hand} (${((peak / hand - 1) * 100).toFixed(1)}%)`);
  });
});
