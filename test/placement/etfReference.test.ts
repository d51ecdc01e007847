// The heap-based scheduling core (placement/core/) against a naive transcription of Baechi's m-ETF: at
// every step evaluate every ready op on every device it may use (a pinned group's op only on its
// device), take the smallest (start, topological rank), ties to the lower device; transfers with
// Baechi's channels (send from max(producer end, source free), receive from max(send start,
// destination free), each channel busy for the transfer time; a tensor sent once per device).
// Without memory limits both must give the same plan op for op, whether the core's devices scan
// the ready ops or keep heaps (CorePolicy.scanReady).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildProblem, problemOptionsOf } from '../../algorithms/placement/problem';
import type { Problem } from '../../algorithms/placement/problem';
import { runCore } from '../../algorithms/placement/core';
import type { GroupingMode } from '../../algorithms/plan';
import { makeGraph, forwardEdges } from './helpers';

function naiveEtf(p: Problem, D: number): { device: Int32Array; start: Float64Array } {
  const device = new Int32Array(p.n).fill(-1);
  const start = new Float64Array(p.n);
  const end = new Float64Array(p.n);
  const devFree = new Float64Array(D);
  const chan = new Float64Array(D);
  const arrival = new Map<number, number>();
  const groupDevice = new Int32Array(p.groupCount).fill(-1);
  const waiting = p.pred.map((x) => x.length);
  const ready = new Set<number>();
  for (let v = 0; v < p.n; v++) if (waiting[v] === 0) ready.add(v);
  const startOn = (v: number, d: number, commit: boolean): number => {
    const ch = Float64Array.from(chan);
    let at = 0;
    for (const k of p.inTensors[v]) {
      const q = p.tProducer[k];
      let t: number;
      if (device[q] === d) t = end[q];
      else if (arrival.has(k * D + d)) t = arrival.get(k * D + d)!;
      else {
        const send = Math.max(end[q], ch[device[q]]);
        const recv = Math.max(send, ch[d]);
        t = recv + p.tCommUs[k];
        ch[device[q]] = send + p.tCommUs[k];
        ch[d] = t;
        if (commit) arrival.set(k * D + d, t);
      }
      at = Math.max(at, t);
    }
    if (commit) chan.set(ch);
    return Math.max(at, devFree[d]);
  };
  for (let step = 0; step < p.n; step++) {
    let bv = -1;
    let bd = -1;
    let bs = Infinity;
    for (const v of ready) {
      for (let d = 0; d < D; d++) {
        const g = p.group[v];
        if (g >= 0 && groupDevice[g] >= 0 && groupDevice[g] !== d) continue;
        const s = startOn(v, d, false);
        if (s < bs || (s === bs && p.topoRank[v] < p.topoRank[bv])) [bv, bd, bs] = [v, d, s];
      }
    }
    start[bv] = startOn(bv, bd, true);
    end[bv] = start[bv] + p.compute[bv];
    device[bv] = bd;
    devFree[bd] = end[bv];
    if (p.group[bv] >= 0 && groupDevice[p.group[bv]] < 0) groupDevice[p.group[bv]] = bd;
    ready.delete(bv);
    for (const c of p.succ[bv]) if (--waiting[c] === 0) ready.add(c);
  }
  return { device, start };
}

const specArb = fc.integer({ min: 1, max: 14 }).chain((n) =>
  fc.record({
    us: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: n, maxLength: n }),
    group: fc.array(fc.integer({ min: -3, max: 2 }), { minLength: n, maxLength: n }),
    edges: fc.array(fc.record({ a: fc.integer({ min: 0, max: n - 1 }), b: fc.integer({ min: 0, max: n - 1 }), kb: fc.integer({ min: 0, max: 8 }) }), {
      maxLength: 2 * n,
    }),
    devices: fc.integer({ min: 1, max: 4 }),
    comm: fc.constantFrom('none', '2:1', '0:4', 'baechi'),
    grouping: fc.constantFrom<GroupingMode>('none', 'colocation', 'coplace'),
  }),
);

describe('placement: the scheduling core equals a naive Baechi m-ETF', function () {
  this.timeout(60000);
  it('same device and start for every op on random DAGs (no memory limits)', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const edges = forwardEdges(spec.edges.map((e) => ({ a: e.a, b: e.b, bytes: e.kb * 1000 })));
        const graph = makeGraph(
          spec.us.map((us, i) => ({ id: `n${i}`, us, ...(spec.group[i] >= 0 ? { group: `g${spec.group[i]}` } : {}) })),
          edges,
          'random',
        );
        const problem = buildProblem(graph, problemOptionsOf({ grouping: spec.grouping, fuse: false, comm: spec.comm, devices: spec.devices }));
        const naive = naiveEtf(problem, spec.devices);
        // default, heaps always, scans always, and switching between them at 2 / 1 ready ops
        for (const scanReady of [undefined, 0, Infinity, 2]) {
          const core = runCore(problem, { devices: spec.devices, limits: Array(spec.devices).fill(Infinity), scanReady });
          assert.deepEqual(Array.from(core.device), Array.from(naive.device), `scanReady ${scanReady}`);
          assert.deepEqual(Array.from(core.start), Array.from(naive.start), `scanReady ${scanReady}`);
        }
      }),
      { numRuns: 4000, seed: 6 },
    );
  });
});
