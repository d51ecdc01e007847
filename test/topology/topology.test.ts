// Device topologies (hosts × GPUs, one link inside a host and one between hosts): parsing, the
// link per transfer in the core, the simulator and the checker, placers keeping chatty work inside
// one host, and the CLI flag.
import assert from 'node:assert/strict';
import { hostOf, linkBetween, parseTopology, topologyTransferUs } from '../../algorithms/cost/topology';
import { INTERCONNECT_PRESETS } from '../../algorithms/cost/interconnect';
import { isOpplaceError } from '../../algorithms/errors';
import { LIMITS } from '../../algorithms/options';
import { checkSchedule, placeGraph, simulateSchedule } from '../../algorithms/placement/index';
import type { OpGraph } from '../../algorithms/graph';
import type { AlgorithmName, Plan, PlacementOptions } from '../../algorithms/plan';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { makeGraph, NodeSpec } from '../placement/helpers';
import { dataPath } from '../helpers/paths';
import { loadModel } from '../../algorithms/loaders/readFile';

const MB = 1e6;
// 1 GB/s = 0.001 µs per byte: a 1 MB tensor takes 1000 µs of bandwidth plus the latency.
const SLOW_HOSTS = '2x2:10:10/100:1'; // inside a host 10 + 100 µs, between hosts 100 + 1000 µs per MB

function throwsOpplace(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isOpplaceError(e), `expected an OpplaceError, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

function opts(partial: Partial<PlacementOptions> & Pick<PlacementOptions, 'algorithm' | 'devices'>): PlacementOptions {
  return { memoryLimits: Array(partial.devices).fill(Infinity), comm: 'none', grouping: 'colocation', fuse: false, ...partial };
}

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

/** Two independent fork-join ladders: each stage forks into two 1 ms ops that swap 1 MB tensors. */
function twoLadders(stages: number): OpGraph {
  const nodes: NodeSpec[] = [];
  const edges: [string, string, number][] = [];
  for (const p of ['a', 'b']) {
    nodes.push({ id: `${p}0`, us: 100 });
    for (let s = 1; s <= stages; s++) {
      nodes.push({ id: `${p}${s}l`, us: 1000 }, { id: `${p}${s}r`, us: 1000 }, { id: `${p}${s}`, us: 100 });
      edges.push([`${p}${s - 1}`, `${p}${s}l`, MB], [`${p}${s - 1}`, `${p}${s}r`, MB], [`${p}${s}l`, `${p}${s}`, MB], [`${p}${s}r`, `${p}${s}`, MB]);
    }
  }
  return makeGraph(nodes, edges, 'ladders');
}

describe('topology: parsing', () => {
  it('reads hosts × GPUs with presets and custom LATENCY_US:GBPS links', () => {
    const t = parseTopology('2x4:nvlink4/ib200');
    assert.equal(t.hosts, 2);
    assert.equal(t.gpusPerHost, 4);
    assert.equal(t.devices, 8);
    assert.deepEqual(
      [0, 3, 4, 7].map((d) => hostOf(t, d)),
      [0, 0, 1, 1],
    );
    assert.equal(linkBetween(t, 0, 3), INTERCONNECT_PRESETS.nvlink4);
    assert.equal(linkBetween(t, 3, 4), INTERCONNECT_PRESETS.ib200);
    assert.equal(linkBetween(t, 7, 0), INTERCONNECT_PRESETS.ib200);
    const c = parseTopology(' 2x2:5:450/5:25 ');
    assert.equal(c.spec, '2x2:5:450/5:25');
    assert.equal(linkBetween(c, 0, 1).latencyUs, 5);
    assert.ok(near(linkBetween(c, 0, 1).usPerByte, 1e6 / 450e9));
    assert.ok(near(linkBetween(c, 1, 2).usPerByte, 1e6 / 25e9));
    // 1 MB between hosts on ib200: 5 µs + 1e6 B / 25 GB/s = 45 µs
    assert.ok(near(topologyTransferUs(t, MB, 0, 4), 45));
    assert.throws(() => linkBetween(t, 2, 2), /no link/);
  });

  it('one link is enough when only one kind of pair exists', () => {
    assert.equal(linkBetween(parseTopology('1x8:nvlink4'), 0, 7), INTERCONNECT_PRESETS.nvlink4);
    assert.equal(linkBetween(parseTopology('8x1:ib200'), 0, 7), INTERCONNECT_PRESETS.ib200);
    assert.equal(parseTopology('1x1:none').devices, 1);
  });

  it('bad specs give one clear OpplaceError', () => {
    throwsOpplace(() => parseTopology('2x4'), /topology "2x4": expected HOSTSxGPUS:INTRA\/INTER/);
    throwsOpplace(() => parseTopology('nvlink4'), /expected HOSTSxGPUS/);
    throwsOpplace(() => parseTopology('0x4:nvlink4/ib200'), /at least 1, got 0x4/);
    throwsOpplace(() => parseTopology('2x-1:nvlink4/ib200'), /expected HOSTSxGPUS/);
    throwsOpplace(() => parseTopology('64x64:nvlink4/ib200', undefined, LIMITS.maxDevices), /4096 devices, at most 1024/);
    throwsOpplace(() => parseTopology('2x4:nvlink4'), /2 hosts of 4 GPUs need a link inside a host and one between hosts, e\.g\. 2x4:nvlink4\/ib200/);
    throwsOpplace(() => parseTopology('2x4:nvlink9/ib200'), /bad intra-host link "nvlink9"/);
    throwsOpplace(() => parseTopology('2x4:nvlink4/5:0'), /bad inter-host link "5:0".*GBPS > 0/);
    throwsOpplace(() => parseTopology('2x4:nvlink4/'), /the inter-host link is empty/);
    throwsOpplace(() => parseTopology('2x4:a/b/c'), /at most two links/);
    throwsOpplace(() => parseTopology('2x4:nvlink4/ib200', 4), /2 × 4 = 8 devices but 4 devices were asked for/);
  });

  it('placement options: a topology must match the device count (error names the file)', async () => {
    const g = makeGraph([{ id: 'a', us: 1 }], []);
    await assert.rejects(
      placeGraph(g, opts({ algorithm: 'm-etf', devices: 4, topology: '2x4:nvlink4/ib200' }), 'model.onnx'),
      /^OpplaceError: model\.onnx: topology "2x4:nvlink4\/ib200" has 2 × 4 = 8 devices but 4/,
    );
    await assert.rejects(placeGraph(g, opts({ algorithm: 'm-etf', devices: 2, topology: '2x1:warp9' })), /bad inter-host link "warp9"/);
  });
});

describe('topology: the right link per transfer', () => {
  // a → b (1 MB) with b fixed on another device: inside the host 10 + 100 µs, across 100 + 1000 µs.
  const g = makeGraph(
    [
      { id: 'a', us: 10 },
      { id: 'b', us: 5 },
    ],
    [['a', 'b', MB]],
    'pair',
  );

  for (const [dst, expect] of [
    [1, 110],
    [2, 1100],
    [3, 1100],
  ] as const) {
    it(`simulator: a on device 0, b on device ${dst} → the transfer takes ${expect} µs`, () => {
      const pieces = simulateSchedule(g, { assignment: { a: 0, b: dst }, placement: opts({ algorithm: 'm-etf', devices: 4, topology: SLOW_HOSTS }) });
      assert.equal(pieces.transfers.length, 1);
      const tr = pieces.transfers[0];
      assert.deepEqual([tr.srcDevice, tr.dstDevice], [0, dst]);
      assert.ok(near(tr.startUs, 10) && near(tr.endUs, 10 + expect), `${tr.startUs}…${tr.endUs}`);
      const b = pieces.schedule.find((s) => s.node === 'b')!;
      assert.ok(near(b.startUs, 10 + expect));
      assert.ok(near(pieces.makespanUs, 15 + expect));
      const plan = { ...pieces, file: 'pair', algorithm: 'm-etf', lowerBoundUs: 0, placeMs: 0 } as Plan;
      assert.deepEqual(checkSchedule(g, plan, opts({ algorithm: 'm-etf', devices: 4, topology: SLOW_HOSTS })), []);
    });
  }

  it('the checker rejects a transfer timed with the wrong link', () => {
    const pieces = simulateSchedule(g, { assignment: { a: 0, b: 2 }, placement: opts({ algorithm: 'm-etf', devices: 4, topology: SLOW_HOSTS }) });
    const plan = { ...pieces, file: 'pair', algorithm: 'm-etf', lowerBoundUs: 0, placeMs: 0 } as Plan;
    // Same plan, checked as if all links were the intra-host one: the 1100 µs transfer is wrong.
    const asUniform = checkSchedule(g, plan, opts({ algorithm: 'm-etf', devices: 4, comm: '10:10' }));
    assert.ok(
      asUniform.some((p) => /lasts 1100(\.\d+)? µs, the link needs 110/.test(p)),
      asUniform.join('\n'),
    );
    // A transfer that claims the fast link across hosts.
    const fast = simulateSchedule(g, { assignment: { a: 0, b: 1 }, placement: opts({ algorithm: 'm-etf', devices: 4, topology: SLOW_HOSTS }) });
    const moved = { ...fast, file: 'pair', algorithm: 'm-etf', lowerBoundUs: 0, placeMs: 0 } as Plan;
    moved.schedule = moved.schedule.map((s) => (s.node === 'b' ? { ...s, device: 2 } : s));
    moved.transfers = moved.transfers.map((t) => ({ ...t, dstDevice: 2 }));
    const problems = checkSchedule(g, moved, opts({ algorithm: 'm-etf', devices: 4, topology: SLOW_HOSTS }));
    assert.ok(
      problems.some((p) => /0→2: lasts 110(\.\d+)? µs, the link needs 1100/.test(p)),
      problems.join('\n'),
    );
  });

  it('m-ETF sends a fan-out to the GPU next door: a → {b, c}, 1 MB each, c lands on device 1 at 120 µs', async () => {
    const fan = makeGraph(
      [
        { id: 'a', us: 10 },
        { id: 'b', us: 5000 },
        { id: 'c', us: 5000 },
      ],
      [
        ['a', 'b', MB],
        ['a', 'c', MB],
      ],
      'fan',
    );
    const plan = await placeGraph(fan, opts({ algorithm: 'm-etf', devices: 4, topology: SLOW_HOSTS }));
    const at = (id: string) => plan.schedule.find((s) => s.node === id)!;
    assert.equal(at('a').device, 0);
    assert.equal(at('b').device, 0);
    assert.equal(at('c').device, 1);
    assert.ok(near(at('c').startUs, 10 + 110));
    assert.equal(plan.transfers.length, 1);
    assert.ok(near(plan.transfers[0].endUs - plan.transfers[0].startUs, 110));
    assert.equal(plan.options!.topology, SLOW_HOSTS);
    assert.deepEqual(checkSchedule(fan, plan, plan.options!), []);
    // Devices 2 and 3 are on the other host: with only them free for c, the transfer pays 1100 µs.
    const far = simulateSchedule(fan, { assignment: { a: 0, b: 0, c: 3 }, placement: opts({ algorithm: 'm-etf', devices: 4, topology: SLOW_HOSTS }) });
    assert.ok(near(far.schedule.find((s) => s.node === 'c')!.startUs, 10 + 1100));
  });
});

describe('topology: placers keep chatty work inside one host', function () {
  this.timeout(60000);
  const g = twoLadders(4);
  const hostOfDevice = (d: number) => Math.floor(d / 2);

  for (const algorithm of ['m-etf', 'm-sct', 'refine'] as AlgorithmName[]) {
    it(`${algorithm}: two fork-join ladders on 2x2 with a slow inter-host link → one ladder per host, no transfer between hosts`, async () => {
      const plan = await placeGraph(g, opts({ algorithm, devices: 4, topology: SLOW_HOSTS, budgetMs: 100 }));
      assert.deepEqual(checkSchedule(g, plan, plan.options!), []);
      const hostsOf = (p: string) => new Set(plan.schedule.filter((s) => s.node[0] === p).map((s) => hostOfDevice(s.device)));
      assert.equal(hostsOf('a').size, 1, 'ladder a spans hosts');
      assert.equal(hostsOf('b').size, 1, 'ladder b spans hosts');
      assert.notDeepEqual([...hostsOf('a')], [...hostsOf('b')], 'both ladders share a host while the other idles');
      assert.equal(plan.transfers.filter((t) => hostOfDevice(t.srcDevice) !== hostOfDevice(t.dstDevice)).length, 0);
      // Each ladder runs its branches in parallel on its host's two GPUs: per stage 110 + 1000 + 110 + 100 µs.
      assert.ok(plan.makespanUs <= 100 + 4 * (110 + 1000 + 110 + 100) + 1e-6, `makespan ${plan.makespanUs}`);
    });
  }

  it('a plan made for a uniform fast link is slower when replayed on the real topology', async () => {
    const aware = await placeGraph(g, opts({ algorithm: 'm-etf', devices: 4, topology: SLOW_HOSTS }));
    const unaware = await placeGraph(g, opts({ algorithm: 'm-etf', devices: 4, comm: '10:10' }));
    const order: string[][] = [[], [], [], []];
    const assignment: Record<string, number> = {};
    for (const s of unaware.schedule) {
      order[s.device].push(s.node);
      assignment[s.node] = s.device;
    }
    const replayed = simulateSchedule(g, { assignment, order, placement: opts({ algorithm: 'm-etf', devices: 4, topology: SLOW_HOSTS }) });
    assert.ok(aware.makespanUs < replayed.makespanUs, `aware ${aware.makespanUs} vs unaware replayed ${replayed.makespanUs}`);
  });

  it('m-topo and sequential fill hosts in order (device d on host ⌊d / G⌋)', async () => {
    const chain = makeGraph(
      Array.from({ length: 8 }, (_, i) => ({ id: `n${i}`, us: 10, persist: 50 })),
      Array.from({ length: 7 }, (_, i) => [`n${i}`, `n${i + 1}`, 100] as [string, string, number]),
      'chain',
    );
    for (const algorithm of ['m-topo', 'sequential'] as AlgorithmName[]) {
      const plan = await placeGraph(chain, opts({ algorithm, devices: 4, memoryLimits: [300, 300, 300, 300], topology: SLOW_HOSTS }));
      assert.ok(plan.feasible, plan.reason);
      assert.deepEqual(checkSchedule(chain, plan, plan.options!), []);
      assert.deepEqual(
        plan.schedule.map((s) => s.device),
        [0, 0, 1, 1, 2, 2, 3, 3],
      );
      // 150 B per op (persistent + output) against 300 B: two ops per device. Exactly one hop
      // between hosts (device 1 → 2), at the inter-host price 100 µs + 100 B × 0.001 µs/B.
      const cross = plan.transfers.filter((t) => hostOfDevice(t.srcDevice) !== hostOfDevice(t.dstDevice));
      assert.equal(cross.length, 1);
      assert.ok(near(cross[0].endUs - cross[0].startUs, 100.1));
    }
  });
});

describe('topology: one host behaves like the uniform link', function () {
  this.timeout(60000);
  it('on a dnn-partitioning graph, every placer gives the same schedule for 1x4:nvlink4 and --comm nvlink4', async () => {
    const graph = loadModel(dataPath('dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', 'bert_l-3_training.json'), {});
    for (const algorithm of ['m-topo', 'm-etf', 'm-sct', 'sequential'] as AlgorithmName[]) {
      const limits = Array(4).fill(64 * 2 ** 30);
      const uniform = await placeGraph(graph, opts({ algorithm, devices: 4, memoryLimits: limits, comm: 'nvlink4' }));
      const oneHost = await placeGraph(graph, opts({ algorithm, devices: 4, memoryLimits: limits, topology: '1x4:nvlink4' }));
      assert.ok(uniform.feasible && oneHost.feasible);
      assert.equal(JSON.stringify(oneHost.schedule), JSON.stringify(uniform.schedule), algorithm);
      assert.equal(JSON.stringify(oneHost.transfers), JSON.stringify(uniform.transfers), algorithm);
      assert.deepEqual(checkSchedule(graph, oneHost, oneHost.options!), []);
      assert.equal('topology' in uniform.options!, false);
    }
  });
});

describe('topology: opplace place --topology', function () {
  this.timeout(60000);
  const STG = dataPath('stg', '50', 'rand0000.stg');

  it('derives --devices from the topology, records it in the plan and prints it in the header', async () => {
    const io = memoryIO();
    const code = await main(['place', STG, '--topology', '2x4:nvlink4/ib200'], io);
    assert.equal(code, 0, io.stderr);
    assert.match(io.stdout, /\(m-etf, 8 devices, topology 2x4:nvlink4\/ib200, grouping/);
    const json = memoryIO();
    assert.equal(await main(['place', STG, '--topology', '2x4:nvlink4/ib200', '--devices', '8', '--json'], json), 0, json.stderr);
    const rec = JSON.parse(json.stdout);
    assert.equal(rec.devices.length, 8);
  });

  it('bad combinations exit 2 with one message', async () => {
    for (const [args, pattern] of [
      [['--topology', '2x4:nvlink4/ib200', '--devices', '4'], /has 2 × 4 = 8 devices but 4 devices were asked for/],
      [['--topology', '2x4:nvlink4/ib200', '--comm', 'pcie4'], /--comm cannot be given with it/],
      [['--topology', '2x4:nvlink4'], /need a link inside a host and one between hosts/],
      [['--topology', 'eight'], /topology "eight": expected/],
    ] as [string[], RegExp][]) {
      const io = memoryIO();
      assert.equal(await main(['place', STG, ...args], io), 2, io.stdout);
      assert.match(io.stderr, pattern);
      assert.equal(io.stderr.trim().split('\n').length, 1, io.stderr);
    }
  });
});
