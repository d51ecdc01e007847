// `opplace fit` through the CLI entry point: the smallest uniform memory per device and the
// makespan there; the answer really is a threshold (a bit less fails); errors are clear.
import { strict as assert } from 'node:assert';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import * as path from 'node:path';
import { dataPath, REPO } from '../helpers/paths';
import { loadModel } from '../../algorithms/loaders/readFile';
import { checkSchedule, placeGraph } from '../../algorithms/placement/index';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import type { PlacementOptions } from '../../algorithms/plan';

const layer = (f: string) => dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', f);
const squeezenet = path.join(REPO, 'test', 'fixtures', 'onnx', 'squeezenet1_0.onnx');

async function cli(...argv: string[]) {
  const io = memoryIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('cli: opplace fit', function () {
  this.timeout(120000);

  it('finds the smallest uniform memory for m-etf: it fits there and not 1% below', async () => {
    const file = layer('resnet50_inference.json');
    const { code, out, err } = await cli('fit', file, '--devices', '4', '--algorithm', 'm-etf', '--json');
    assert.equal(code, 0, err);
    const r = JSON.parse(out.trim());
    assert.equal(r.algorithm, 'm-etf');
    assert.equal(r.devices, 4);
    assert.equal(r.feasible, true);
    assert.ok(r.minimumMemoryBytes > 0 && r.minimumMemoryBytes < r.totalMemoryBytes);
    assert.equal(r.peakBytes.length, 4);
    for (const p of r.peakBytes) assert.ok(p <= r.minimumMemoryBytes);
    assert.ok(r.makespanUs >= r.lowerBoundUs);
    // independently: the plan at that limit is valid; 1% less does not fit
    const graph = loadModel(file);
    const at = (limit: number): PlacementOptions => ({
      algorithm: 'm-etf',
      devices: 4,
      memoryLimits: Array(4).fill(limit),
      comm: 'baechi',
      grouping: 'colocation',
      fuse: false,
    });
    const plan = await placeGraph(graph, at(r.minimumMemoryBytes));
    assert.equal(plan.feasible, true);
    assert.equal(plan.makespanUs, r.makespanUs);
    assert.deepEqual(checkSchedule(graph, plan, at(r.minimumMemoryBytes)), []);
    const below = await placeGraph(graph, at(Math.floor(r.minimumMemoryBytes * 0.99)));
    assert.equal(below.feasible, false);
  });

  it('returns the smallest limit at which place succeeds, to its stated tolerance (greedy placers are not monotone in the limit)', async function () {
    this.timeout(240_000);
    // Inception-v3 training: sequential succeeds at 34, 40, 50 and 65 GiB and fails between; the
    // old bisection answered 65 GiB. m-ETF succeeds at 10.25 GiB, fails at 10.75, succeeds from 11.75.
    const file = path.join(REPO, 'examples', 'inceptionv3_training.json');
    const graph = prepareGraphFromFile(file);
    for (const algorithm of ['sequential', 'm-etf'] as const) {
      const { code, out, err } = await cli('fit', file, '--devices', '4', '--algorithm', algorithm, '--json');
      assert.equal(code, 0, err);
      const r = JSON.parse(out.trim());
      const at = (limit: number): PlacementOptions => ({
        algorithm,
        devices: 4,
        memoryLimits: Array(4).fill(limit),
        comm: 'baechi',
        grouping: 'colocation',
        fuse: false,
      });
      const fits = async (limit: number) => (await placeGraph(graph, at(limit))).feasible;
      assert.equal(await fits(r.minimumMemoryBytes), true, `${algorithm}: place succeeds at fit's answer`);
      assert.equal(r.toleranceFraction, 0.01);
      if (r.failedBelowBytes > 0) {
        assert.equal(await fits(r.failedBelowBytes), false, `${algorithm}: fails at the probe just below`);
        assert.ok(r.minimumMemoryBytes / r.failedBelowBytes - 1 <= r.toleranceFraction + 1e-9);
      }
      // Independently of the search's own probes: a 0.7 % grid down to two thirds of the answer.
      for (let limit = r.minimumMemoryBytes / 1.01; limit > (r.minimumMemoryBytes * 2) / 3; limit /= 1.007) {
        assert.equal(await fits(Math.floor(limit)), false, `${algorithm}: place succeeds at ${Math.floor(limit)}, below fit's ${r.minimumMemoryBytes}`);
      }
      // An infeasible plan states the same number (one number for "fits with" and fit).
      const plan = await placeGraph(graph, at(Math.floor(r.minimumMemoryBytes * 0.9)));
      assert.equal(plan.feasible, false);
      assert.equal(plan.minimumMemoryBytes, r.minimumMemoryBytes, `${algorithm}: the infeasible plan's minimum is fit's`);
      assert.doesNotMatch(plan.reason ?? '', /fit with/, 'the reason does not carry a second size');
    }
  });

  it('more devices never need more memory per device on a chain-like model (m-topo)', async () => {
    const file = layer('gnmt_inference.json');
    const mins: number[] = [];
    for (const d of ['1', '2', '4']) {
      const { code, out } = await cli('fit', file, '--devices', d, '--algorithm', 'm-topo', '--json');
      assert.equal(code, 0);
      mins.push(JSON.parse(out).minimumMemoryBytes);
    }
    assert.ok(mins[1] < mins[0] && mins[2] < mins[1], mins.join(' > '));
  });

  it('refine fits at least as small as its start placers allow, and prints a table', async () => {
    const file = layer('inceptionv3_inference.json');
    const { code, out } = await cli('fit', file, '--devices', '2', '--algorithm', 'refine', '--budget-ms', '100');
    assert.equal(code, 0);
    assert.match(out, /smallest memory per device: [\d.]+ [KMG]iB/);
    assert.match(out, /makespan at that limit/);
    const etf = JSON.parse((await cli('fit', file, '--devices', '2', '--algorithm', 'm-etf', '--json')).out);
    const refine = JSON.parse((await cli('fit', file, '--devices', '2', '--algorithm', 'refine', '--budget-ms', '100', '--json')).out);
    assert.ok(refine.minimumMemoryBytes <= etf.minimumMemoryBytes * 1.002, `${refine.minimumMemoryBytes} vs ${etf.minimumMemoryBytes}`);
  });

  it('--training: on one device Adam needs two more copies of the weights than SGD', async () => {
    // One device: the same op order for every optimizer, so the minimum is the peak and the
    // optimizers differ by their persistent state only (Adam keeps 2 moments per weight, SGD none).
    const fit = async (...extra: string[]) => JSON.parse((await cli('fit', squeezenet, '--devices', '1', '--algorithm', 'm-etf', '--json', ...extra)).out);
    const fwd = await fit();
    const sgd = await fit('--training', 'sgd');
    const momentum = await fit('--training', 'momentum');
    const adam = await fit('--training', 'adam');
    let weights = 0;
    for (const n of prepareGraphFromFile(squeezenet, {}).nodes) weights += n.persistentBytes;
    assert.ok(weights > 1e6);
    const tol = 0.002 * adam.minimumMemoryBytes;
    assert.ok(
      Math.abs(adam.minimumMemoryBytes - sgd.minimumMemoryBytes - 2 * weights) <= tol,
      `${adam.minimumMemoryBytes} - ${sgd.minimumMemoryBytes} vs 2 × ${weights}`,
    );
    assert.ok(Math.abs(momentum.minimumMemoryBytes - sgd.minimumMemoryBytes - weights) <= tol);
    assert.ok(sgd.minimumMemoryBytes > fwd.minimumMemoryBytes + weights * 0.99, 'gradients and saved activations on top of the weights');
    assert.ok(sgd.makespanUs > 2.5 * fwd.makespanUs, 'backward ops take twice the forward time');
  });

  it('single: the minimum is the peak of everything on one device', async () => {
    const file = dataPath('stg', '50', 'rand0000.stg');
    const { code, out } = await cli('fit', file, '--devices', '2', '--algorithm', 'single', '--json');
    assert.equal(code, 0);
    assert.equal(JSON.parse(out).feasible, true);
  });

  it('bad input: one clear error and exit code 2', async () => {
    let r = await cli('fit', layer('gnmt_inference.json'), '--memory', '1GiB');
    assert.equal(r.code, 2);
    assert.match(r.err, /--memory/);
    r = await cli('fit', layer('gnmt_inference.json'), '--training', 'rmsprop');
    assert.equal(r.code, 2);
    assert.match(r.err, /--training must be one of sgd, momentum, adam/);
    r = await cli('fit', layer('gnmt_inference.json'), '--algorithm', 'refine', '--budget-ms', 'soon');
    assert.equal(r.code, 2);
    assert.match(r.err, /--budget-ms/);
    r = await cli('fit', '/nonexistent/model.onnx');
    assert.equal(r.code, 2);
    assert.match(r.err, /model\.onnx/);
    r = await cli('fit');
    assert.equal(r.code, 2);
    assert.match(r.err, /no model file/);
    r = await cli('fit', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /usage: opplace fit/);
  });
});
