// The core's two ways of finding a device's candidate — scanning the ready ops or keeping heaps
// (core/etfSelection.ts, CorePolicy.scanReady) — must choose alike wherever they are used: under
// tight memory limits (waits, blocks and unblocks), colocation groups, fixed devices and m-SCT's
// awake rule, and when the core switches between them as the ready count crosses the limit.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildProblem, problemOptionsOf } from '../../algorithms/placement/problem';
import type { Problem } from '../../algorithms/placement/problem';
import { runCore } from '../../algorithms/placement/core';
import type { CorePolicy, CoreResult } from '../../algorithms/placement/core';
import { createState, releaseScratch } from '../../algorithms/placement/core/runState';
import type { CoreState } from '../../algorithms/placement/core/state';
import type { KeyedHeap } from '../../algorithms/placement/heap';
import { makeGraph, forwardEdges } from './helpers';

const specArb = fc.integer({ min: 2, max: 24 }).chain((n) =>
  fc.record({
    nodes: fc.array(
      fc.record({
        us: fc.integer({ min: 0, max: 20 }),
        out: fc.integer({ min: 0, max: 6 }),
        temp: fc.integer({ min: 0, max: 3 }),
        persist: fc.integer({ min: 0, max: 4 }),
        group: fc.integer({ min: -6, max: 2 }),
        fixed: fc.integer({ min: -8, max: 3 }),
        fav: fc.integer({ min: 0, max: 3 }),
      }),
      { minLength: n, maxLength: n },
    ),
    edges: fc.array(fc.record({ a: fc.integer({ min: 0, max: n - 1 }), b: fc.integer({ min: 0, max: n - 1 }) }), { maxLength: 3 * n }),
    devices: fc.integer({ min: 1, max: 4 }),
    comm: fc.constantFrom('none', '2:1', 'baechi'),
    /** Memory limit per device as a share of everything the graph holds, divided by the devices. */
    tightness: fc.double({ min: 0.5, max: 4, noNaN: true }),
    sct: fc.boolean(),
    fixed: fc.boolean(),
  }),
);

type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

function setup(spec: Spec): { run: (scanReady?: number) => CoreResult; unlimited: () => CoreResult; problem: Problem; policy: CorePolicy } {
  const edges = forwardEdges(spec.edges.map((e) => ({ ...e, bytes: 0 })));
  const graph = makeGraph(
    spec.nodes.map((x, i) => ({
      id: `n${i}`,
      us: x.us,
      out: x.out * 1000,
      temp: x.temp * 1000,
      persist: x.persist * 1000,
      ...(x.group >= 0 ? { group: `g${x.group}` } : {}),
    })),
    edges.map(([a, b]) => [a, b, 0]),
    'selection',
  );
  const problem = buildProblem(graph, problemOptionsOf({ grouping: 'colocation', fuse: false, comm: spec.comm, devices: spec.devices }));
  const D = spec.devices;
  let held = 0;
  for (let v = 0; v < problem.n; v++) held += problem.persistent[v] + problem.outBytes[v] + problem.temporary[v];
  const limits = Array(D).fill(Math.round((held * spec.tightness) / D));
  const policy: CorePolicy = { devices: D, limits };
  if (spec.fixed) policy.fixedDevice = Int32Array.from({ length: problem.n }, (_, v) => (spec.nodes[v].fixed < D ? spec.nodes[v].fixed : -1));
  if (spec.sct) {
    // a favourite child per node among its successors, each child the favourite of one parent at most
    const favChild = new Int32Array(problem.n).fill(-1);
    const favParent = new Int32Array(problem.n).fill(-1);
    const { start, list } = problem.adjacency.succ;
    for (let v = 0; v < problem.n; v++) {
      const count = start[v + 1] - start[v];
      if (count === 0) continue;
      const c = list[start[v] + (spec.nodes[v].fav % count)];
      if (favParent[c] >= 0) continue;
      favChild[v] = c;
      favParent[c] = v;
    }
    Object.assign(policy, { favChild, favParent });
  }
  return {
    problem,
    policy,
    run: (scanReady) => runCore(problem, { ...policy, scanReady }),
    unlimited: () => runCore(problem, { ...policy, limits: Array(D).fill(Infinity) }),
  };
}

const summary = (r: CoreResult) => ({
  feasible: r.feasible,
  reason: r.reason,
  failedNode: r.failedNode,
  device: Array.from(r.device),
  start: Array.from(r.start),
  end: Array.from(r.end),
  transfers: r.transfers,
  order: r.order,
});

/**
 * Found by 60,000 runs (run 24,101): n4 made the ready ops too many to scan, the heaps took them
 * all, but device 0 kept its candidate n6 without n4 being offered, so n5 (offered next) ran
 * before n4. Rare in random cases, so kept as one.
 */
const WIDE_ENTRY_CASE: Spec = {
  nodes: [1, 1, 0, 0, 0, 0, 0].map((fixed, i) => ({ us: i === 1 ? 1 : 0, out: 0, temp: 0, persist: 0, group: i < 2 ? -1 : 0, fixed, fav: 0 })),
  edges: [
    { a: 3, b: 1 },
    { a: 0, b: 6 },
    { a: 0, b: 4 },
    { a: 1, b: 2 },
    { a: 0, b: 5 },
  ],
  devices: 2,
  comm: 'none',
  tightness: 0.5,
  sct: false,
  fixed: true,
};

/**
 * Found by 9,296 runs comparing a run with every device asked (askEveryDevice): memory binds, an
 * unblock makes ops usable on a device again with earlier starts than its candLow, and with that
 * bound kept (invalidate not resetting it) device 1 was not asked and n4 failed on device 3.
 */
const CANDLOW_RESET_CASE: Spec = {
  nodes: [0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].map((us, i) => ({
    us,
    out: [0, 0, 0, 2, 5, 0, 5, 4, 0, 4, 4, 3, 6][i],
    temp: [0, 0, 0, 2, 2, 3, 1, 0, 1, 0, 2, 1, 2][i],
    persist: [0, 1, 0, 0, 3, 4, 2, 0, 4, 0, 1, 1, 1][i],
    group: [0, 0, 2, -1, -1, -1, 0, 1, 0, -1, 2, -1, -1][i],
    fixed: 0,
    fav: 0,
  })),
  edges: [
    { a: 8, b: 3 },
    { a: 1, b: 4 },
    { a: 4, b: 2 },
    { a: 7, b: 9 },
  ],
  devices: 4,
  comm: 'baechi',
  tightness: 0.5,
  sct: false,
  fixed: false,
};

describe('placement core: scanning the ready ops and keeping heaps choose alike', function () {
  this.timeout(120000);
  it('same outcome with heaps always, scans always, and switching at 2 or 5 ready ops (memory, groups, fixed devices, m-SCT)', () => {
    let memoryShaped = 0;
    let infeasible = 0;
    fc.assert(
      fc.property(specArb, (spec) => {
        const { run, unlimited, problem, policy } = setup(spec);
        const heaps = summary(run(0));
        if (!heaps.feasible) infeasible++;
        else if (JSON.stringify(summary(unlimited()).start) !== JSON.stringify(heaps.start)) memoryShaped++;
        for (const scanReady of [Infinity, 2, 5, undefined]) assert.deepEqual(summary(run(scanReady)), heaps, `scanReady ${scanReady}`);
        // devices not asked while their candidate cannot start in time (candLow) change nothing
        for (const scanReady of [0, undefined]) {
          assert.deepEqual(summary(runCore(problem, { ...policy, scanReady, askEveryDevice: true })), heaps, `every device asked, scanReady ${scanReady}`);
        }
      }),
      { numRuns: 3000, seed: 15, examples: [[WIDE_ENTRY_CASE], [CANDLOW_RESET_CASE]] },
    );
    // the cases reach what they are for: some plans are infeasible, and memory moves many of the others
    assert.ok(infeasible > 100 && infeasible < 2900, `${infeasible} of 3000 infeasible`);
    assert.ok(memoryShaped > 50, `${memoryShaped} of 3000 plans shaped by memory`);
  });

  it('a run on a problem the core has run before (its working arrays reused) gives what a first run gives', () => {
    // one problem, runs of different kinds in turn — m-SCT or not, memory binding or ample, fixed
    // devices, a replay, heaps, another device count — each against the same run on a new problem
    fc.assert(
      fc.property(specArb, (spec) => {
        const shared = setup(spec);
        const { devices: D, limits } = shared.policy;
        const first = runCore(shared.problem, shared.policy);
        // every op moved to the next device: groups, memory and transfers land elsewhere than before
        const rotated = first.device.map((d) => (d + 1) % D);
        const policies: CorePolicy[] = [
          { devices: D, limits, fixedDevice: rotated },
          { ...shared.policy, limits: limits.map((l) => l * 1.5) },
          { devices: D, limits: Array(D).fill(Infinity), fixedDevice: rotated },
          { devices: D, limits: Array(D).fill(Infinity) },
          { ...shared.policy, scanReady: 0 },
          { devices: D, limits },
          { devices: D + 1, limits: [...limits, limits[0]] },
          { devices: D, limits: Array(D).fill(Infinity), fixedDevice: first.device },
          ...(first.feasible ? [{ devices: D, limits: Array(D).fill(Infinity), deviceOrder: first.order, ignoreMemory: true }] : []),
          // memory binds in few random cases: limits around the spec's, each run after another
          ...[0.8, 1.2, 0.9, 1.1].map((x) => ({ ...shared.policy, limits: limits.map((l) => Math.round(l * x)) })),
          ...(first.feasible ? [{ devices: D, limits: Array(D).fill(Infinity), deviceOrder: first.order.map((l) => [...l]), ignoreMemory: true }] : []),
          shared.policy,
        ];
        for (const policy of policies) assert.deepEqual(summary(runCore(shared.problem, policy)), summary(runCore(setup(spec).problem, policy)));
      }),
      { numRuns: 1000, seed: 16 },
    );
  });

  it('a reused run starts from the arrays a new one starts from (all but those guarded by keys, stamps and epochs)', () => {
    // guarded: read only where memoKey, candValid, scratchStamp, urgentEpochOf or the ready count
    // say they were written this run; the held-memory arrays only where memory can bind, the
    // urgent epochs only under m-SCT; heaps by the entries they hold
    const guarded = new Set(['memoAt', 'memoReady', 'memoChannels', 'candStart', 'candChannels', 'readyList', 'readyPos', 'urgentLow', 'scratchChan']);
    const held = new Set(['lastUse', 'succPending', 'tensorPending', 'copyLastUse']);
    const read = (s: CoreState, k: string) => !guarded.has(k) && (s.checkMemory || !held.has(k)) && (s.sct || k !== 'urgentEpochOf');
    const startArrays = (s: CoreState): Record<string, number[]> =>
      Object.fromEntries(
        Object.entries(s.scratch.arrays)
          .filter(([k]) => read(s, k))
          .map(([k, a]) => [
            k,
            k === 'pending' || k === 'avail' ? [(a as KeyedHeap[]).reduce((sum, h) => sum + h.size, 0)] : Array.from(a as ArrayLike<number>),
          ]),
      );
    fc.assert(
      fc.property(specArb, (spec) => {
        const shared = setup(spec);
        const { devices: D, limits } = shared.policy;
        const first = runCore(shared.problem, { ...shared.policy, scanReady: 0 });
        const next: CorePolicy[] = [
          { devices: D, limits: Array(D).fill(Infinity), fixedDevice: first.device.map((d) => (d + 1) % D) },
          ...(first.feasible ? [{ devices: D, limits, deviceOrder: first.order }] : []),
          { ...shared.policy, limits: limits.map((l) => l / 2) },
        ];
        for (const policy of next) {
          const reused = createState(shared.problem, policy);
          const fresh = createState(setup(spec).problem, policy);
          const [ra, fa] = [startArrays(reused), startArrays(fresh)];
          for (const k of Object.keys(fa)) assert.deepEqual(ra[k], fa[k], k);
          releaseScratch(reused);
          runCore(shared.problem, { ...policy, scanReady: 0 });
        }
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it('a ready op whose input reached its device for another consumer is costed again, not skipped by its old bound', () => {
    // Devices 0–2, every op fixed, 2 µs a transfer. c (n4) needs j from n0 (dev 1, ends 20) and k
    // from n1 (dev 2, ends 0); costed first with k queued behind j, it is ready on device 0 at 24.
    // Then v (n5) takes k to device 0 at 0–2, so c is ready at 22 — before w (n3, its input from
    // n2 there at 23), which ranks lower and is scanned first: with c's stale 24 as its bound,
    // w would win.
    const graph = makeGraph(
      [20, 0, 21, 0, 0, 1].map((us, i) => ({ id: `n${i}`, us })),
      [
        ['n0', 'n4', 0],
        ['n1', 'n4', 0],
        ['n1', 'n5', 0],
        ['n2', 'n3', 0],
      ],
      'arrival',
    );
    const problem = buildProblem(graph, problemOptionsOf({ grouping: 'none', fuse: false, comm: '2:1', devices: 3 }));
    const fixedDevice = Int32Array.from([1, 2, 2, 0, 0, 0]);
    const run = (scanReady: number) => runCore(problem, { devices: 3, limits: [Infinity, Infinity, Infinity], fixedDevice, scanReady });
    const scan = run(Infinity);
    assert.deepEqual(scan.order[0], [5, 4, 3]);
    assert.equal(scan.start[4], 22);
    assert.deepEqual(summary(scan), summary(run(0)));
  });
});
