import { strict as assert } from 'node:assert';
import { DEVICE_PRESETS, getDevicePreset, parseDtype, DEFAULT_DEVICE } from '../../algorithms/cost/devices';
import { applyCostModel, rooflineUs, estimateSingleDeviceUs, needsEstimate } from '../../algorithms/cost/roofline';
import { prepareGraph, prepareGraphFromFile, summarizeGraph } from '../../algorithms/prepare';
import { serializeOpgraph } from '../../algorithms/loaders/opgraph';
import { OpGraph, OpNode } from '../../algorithms/graph';
import { OpplaceError } from '../../algorithms/errors';
import { dataPath } from '../helpers/paths';

function op(id: string, extra: Partial<OpNode>): OpNode {
  return { id, name: id, opType: 'Op', namespace: [], computeUs: 0, persistentBytes: 0, temporaryBytes: 0, outputs: [], ...extra };
}
const graphOf = (...nodes: OpNode[]): OpGraph => ({ name: 'g', nodes, edges: [], warnings: [] });

describe('device presets', () => {
  it('has the datasheet GPUs the issue asks for, with sane figures', () => {
    for (const id of ['h100-sxm', 'a100-80gb', 'v100-16gb', 'l4', 't4', 'rtx4090']) {
      const d = DEVICE_PRESETS[id];
      assert.ok(d, id);
      assert.ok(d.peakTflops.fp32 > 1 && d.peakTflops.fp32 < 100, id);
      assert.ok(d.peakTflops.fp16 >= d.peakTflops.fp32, id);
      assert.ok(d.memoryBandwidthGBps >= 300 && d.memoryBandwidthGBps <= 3350, id);
      assert.ok(d.memoryBytes >= 16e9 && d.memoryBytes <= 80e9 + 1, id);
    }
    assert.equal(DEVICE_PRESETS['h100-sxm'].peakTflops.fp32, 67);
    assert.equal(DEVICE_PRESETS['a100-80gb'].peakTflops.bf16, 312);
    assert.equal(DEVICE_PRESETS['a100-80gb'].memoryBandwidthGBps, 2039);
    assert.equal(DEVICE_PRESETS['v100-16gb'].peakTflops.fp16, 125);
  });
  it('looks presets up leniently and rejects unknown ones clearly', () => {
    assert.equal(getDevicePreset('A100_80GB').id, 'a100-80gb');
    assert.equal(getDevicePreset('H100').id, 'h100-sxm');
    assert.equal(getDevicePreset('RTX4090').id, 'rtx4090');
    assert.throws(
      () => getDevicePreset('tpu'),
      (e: unknown) => e instanceof OpplaceError && /unknown device type "tpu" \(presets: h100-sxm/.test(e.message),
    );
    assert.equal(parseDtype('BF16'), 'bf16');
    assert.throws(() => parseDtype('int8'), /unknown dtype "int8" \(expected fp32, fp16, bf16\)/);
  });
});

describe('roofline cost model', () => {
  const a100 = DEVICE_PRESETS['a100-80gb'];
  it('times a compute-bound op by FLOPs / peak plus launch overhead', () => {
    // 1 TFLOP with 1 MB of traffic: 1e12 / 19.5e12 s = 51282.05 µs ≫ 1e6 / 2039e9 s
    const r = rooflineUs(1e12, 1e6, a100, 'fp32');
    assert.equal(r.boundBy, 'compute');
    assert.ok(Math.abs(r.computeUs - (1e12 / 19.5e12) * 1e6 - 5) < 1e-6);
  });
  it('times a memory-bound op by bytes / bandwidth plus launch overhead', () => {
    // elementwise add over 1 GiB: 2^30 B / 2039 GB/s = 526.6 µs; 2.7e8 FLOPs would take 13.8 µs
    const r = rooflineUs(2 ** 28, 2 ** 30, a100, 'fp32');
    assert.equal(r.boundBy, 'memory');
    assert.ok(Math.abs(r.computeUs - (2 ** 30 / 2039e9) * 1e6 - 5) < 1e-6);
  });
  it('uses the dtype to pick the peak: fp16 tensor cores are 16× faster on A100', () => {
    const g = graphOf(op('mm', { flops: 1e12, memoryAccessBytes: 1e3 }));
    const fp32 = applyCostModel(g, { device: 'a100-80gb', dtype: 'fp32', launchOverheadUs: 0 }).nodes[0].computeUs;
    const fp16 = applyCostModel(g, { device: 'a100-80gb', dtype: 'fp16', launchOverheadUs: 0 }).nodes[0].computeUs;
    assert.ok(Math.abs(fp32 / fp16 - 312 / 19.5) < 1e-9);
    // …but a memory-bound op does not care about dtype
    const m = graphOf(op('add', { flops: 1e3, memoryAccessBytes: 1e9 }));
    assert.equal(
      applyCostModel(m, { device: 'a100-80gb', dtype: 'fp32' }).nodes[0].computeUs,
      applyCostModel(m, { device: 'a100-80gb', dtype: 'bf16' }).nodes[0].computeUs,
    );
  });
  it('keeps measured times, leaves metadata ops at zero and does not mutate its input', () => {
    const g = graphOf(
      op('measured', { computeUs: 42, flops: 1e15 }),
      op('view', { flops: 0, memoryAccessBytes: 0 }),
      op('plain', {}),
      op('conv', { flops: 2e9, memoryAccessBytes: 1e7 }),
    );
    const out = applyCostModel(g, { device: 'h100-sxm' });
    assert.deepEqual(
      out.nodes.slice(0, 3).map((n) => n.computeUs),
      [42, 0, 0],
    );
    assert.ok(out.nodes[3].computeUs > 5);
    assert.equal(g.nodes[3].computeUs, 0);
    assert.equal(needsEstimate(out.nodes[3]), false);
    assert.deepEqual(out.meta?.costModel, {
      device: 'h100-sxm',
      deviceName: DEVICE_PRESETS['h100-sxm'].name,
      dtype: 'fp32',
      launchOverheadUs: 5,
      estimatedNodes: 2,
      measuredNodes: 1,
    });
    assert.equal(estimateSingleDeviceUs(out), 42 + out.nodes[3].computeUs);
  });
  it('a slower device gives a longer single-device estimate for the same graph', () => {
    const g = graphOf(op('a', { flops: 5e10, memoryAccessBytes: 1e8 }), op('b', { flops: 1e6, memoryAccessBytes: 4e8 }));
    const t = (d: string) => estimateSingleDeviceUs(applyCostModel(g, { device: d }));
    assert.ok(t('t4') > t('v100-16gb') && t('v100-16gb') > t('a100-80gb') && t('a100-80gb') > t('h100-sxm'));
  });
});

describe('pipeline', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('prepares an opgraph with FLOPs on the default device and summarises it', () => {
    const g = graphOf(
      op('a', { flops: 67e9, memoryAccessBytes: 1, outputs: [{ name: 'y', bytes: 400, shape: [100] }], parameterCount: 10, persistentBytes: 40 }),
      op('b', { computeUs: 3 }),
    );
    g.edges.push({ from: 'a', to: 'b', tensor: 'y', bytes: 400 });
    const prepared = prepareGraph(enc(serializeOpgraph(g)), 'x.opgraph.json');
    // 67 GFLOP at 67 TFLOPS (H100 SXM fp32) = 1000 µs, + 5 µs launch
    assert.equal(DEFAULT_DEVICE, 'h100-sxm');
    assert.ok(Math.abs(prepared.nodes[0].computeUs - 1005) < 1e-6);
    const s = summarizeGraph(prepared);
    assert.equal(s.nodes, 2);
    assert.equal(s.edges, 1);
    assert.equal(s.parameterCount, 10);
    assert.equal(s.flops, 67e9);
    assert.equal(s.activationBytes, 400);
    assert.ok(Math.abs(s.estimatedSingleDeviceUs - 1008) < 1e-6);
    assert.deepEqual(s.opTypes, { Op: 2 });
  });
  it('keeps the measured times of a dnn-partitioning graph', () => {
    const g = prepareGraphFromFile(dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'resnet50_inference.json'), { device: 't4' });
    const s = summarizeGraph(g);
    assert.equal(s.nodes, 177);
    assert.equal(s.flops, null);
    assert.equal(s.parameterCount, null);
    assert.equal((g.meta?.costModel as { estimatedNodes: number }).estimatedNodes, 0);
    assert.ok(s.estimatedSingleDeviceUs > 1000);
  });
});
