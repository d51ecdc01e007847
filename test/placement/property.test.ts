// Property tests over random DAGs: every placer's plan passes the independent checker, is never
// below the lower bound, and on tiny graphs never beats the exact optimum of the schedule model
// (found by exhaustive search over commit orders and devices).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkSchedule, lowerBound, placeGraph } from '../../algorithms/placement/index';
import { byStartThenRank } from '../../algorithms/placement/simulate';
import { parseInterconnect, transferTimeUs, Link } from '../../algorithms/cost/interconnect';
import { indexGraph } from '../../algorithms/graph';
import type { OpGraph } from '../../algorithms/graph';
import { generateDnnDag } from '../helpers/generateDag';
import type { PlacementOptions } from '../../algorithms/plan';
import { makeGraph, NodeSpec, PLACERS, forwardEdges } from './helpers';

interface DagSpec {
  nodes: { us: number; out: number; temp: number; persist: number; group: number }[];
  edges: { a: number; b: number; bytes: number }[];
}

const dagArb = (maxNodes: number, withMemory: boolean) =>
  fc.integer({ min: 1, max: maxNodes }).chain((n) =>
    fc.record({
      nodes: fc.array(
        fc.record({
          us: fc.integer({ min: 0, max: 20 }),
          out: withMemory ? fc.integer({ min: 0, max: 2000 }) : fc.constant(0),
          temp: withMemory ? fc.integer({ min: 0, max: 500 }) : fc.constant(0),
          persist: withMemory ? fc.integer({ min: 0, max: 300 }) : fc.constant(0),
          group: fc.integer({ min: -3, max: 2 }),
        }),
        { minLength: n, maxLength: n },
      ),
      edges: fc.array(
        fc.record({ a: fc.integer({ min: 0, max: n - 1 }), b: fc.integer({ min: 0, max: n - 1 }), bytes: fc.integer({ min: 0, max: 5 }).map((k) => k * 1000) }),
        { maxLength: n * 2 },
      ),
    }),
  );

function toGraph(spec: DagSpec): OpGraph {
  const nodes: NodeSpec[] = spec.nodes.map((x, i) => ({
    id: `n${i}`,
    us: x.us,
    out: x.out,
    temp: x.temp,
    persist: x.persist,
    ...(x.group >= 0 ? { group: `g${x.group}` } : {}),
  }));
  const edges = forwardEdges(spec.edges);
  // each producer sends one tensor whose size is its largest edge
  return makeGraph(nodes, edges, 'random');
}

/**
 * Exact optimum of the schedule model without memory limits: every schedule the placers can
 * produce commits ops one at a time, each at its earliest start on its device (transfers in input
 * order on the two channels, a tensor once per device). Depth-first over (ready op, device) with
 * branch and bound; devices are interchangeable, so a new device is only ever the next unused one.
 */
function exactOptimum(graph: OpGraph, D: number, link: Link): number {
  const n = graph.nodes.length;
  const idx = new Map(graph.nodes.map((x, i) => [x.id, i]));
  const inputs: { tensor: string; from: number; us: number }[][] = Array.from({ length: n }, () => []);
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const e of graph.edges) {
    const a = idx.get(e.from)!;
    const b = idx.get(e.to)!;
    if (!preds[b].includes(a)) preds[b].push(a);
    if (!inputs[b].some((t) => t.tensor === e.from + ':' + e.tensor))
      inputs[b].push({ tensor: e.from + ':' + e.tensor, from: a, us: transferTimeUs(e.bytes, link) });
  }
  const dev = new Int32Array(n).fill(-1);
  const end = new Float64Array(n);
  const devFree = new Float64Array(D);
  const chan = new Float64Array(D);
  const arrival = new Map<string, number>();
  let best = Infinity;
  const dfs = (placed: number, makespan: number, used: number) => {
    if (makespan >= best) return;
    if (placed === n) {
      best = makespan;
      return;
    }
    for (let v = 0; v < n; v++) {
      if (dev[v] >= 0 || preds[v].some((p) => dev[p] < 0)) continue;
      for (let d = 0; d < Math.min(D, used + 1); d++) {
        const savedChan = Float64Array.from(chan);
        const added: string[] = [];
        let ready = 0;
        for (const t of inputs[v]) {
          const pd = dev[t.from];
          let atTime: number;
          if (pd === d) atTime = end[t.from];
          else if (arrival.has(t.tensor + '@' + d)) atTime = arrival.get(t.tensor + '@' + d)!;
          else {
            // Baechi's channels: send from max(producer end, source free), receive from
            // max(send start, destination free), each channel busy for the transfer time
            const sendStart = Math.max(end[t.from], chan[pd]);
            const s = Math.max(sendStart, chan[d]);
            atTime = s + t.us;
            chan[pd] = sendStart + t.us;
            chan[d] = atTime;
            arrival.set(t.tensor + '@' + d, atTime);
            added.push(t.tensor + '@' + d);
          }
          ready = Math.max(ready, atTime);
        }
        const start = Math.max(ready, devFree[d]);
        const savedFree = devFree[d];
        dev[v] = d;
        end[v] = start + graph.nodes[v].computeUs;
        devFree[d] = end[v];
        let lastTransfer = 0;
        for (const k of added) lastTransfer = Math.max(lastTransfer, arrival.get(k)!);
        dfs(placed + 1, Math.max(makespan, end[v], lastTransfer), Math.max(used, d + 1));
        dev[v] = -1;
        devFree[d] = savedFree;
        chan.set(savedChan);
        for (const k of added) arrival.delete(k);
      }
    }
  };
  dfs(0, 0, 0);
  return best;
}

const tol = (x: number) => 1e-6 * Math.max(1, x);

describe('placement: properties over random DAGs', function () {
  this.timeout(120000);

  it('every placer: plan passes the checker, never below the lower bound; infeasible plans say why and how much', async () => {
    const stats = { feasible: 0, infeasible: 0 };
    await fc.assert(
      fc.asyncProperty(
        dagArb(14, true),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('none', '2:1', '0:4'),
        fc.constantFrom('none', 'colocation', 'coplace'),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 6000 }), { nil: undefined }),
        fc.boolean(),
        async (spec, devices, comm, grouping, fuse, limit, unequal) => {
          const graph = toGraph(spec);
          const lb = lowerBound(graph, devices);
          for (const algorithm of PLACERS) {
            const options: PlacementOptions = {
              algorithm,
              devices,
              comm,
              grouping,
              fuse,
              // unequal: device d gets (1 + d/2)× the limit
              memoryLimits: Array.from({ length: devices }, (_, d) => (limit === undefined ? Infinity : unequal ? Math.round(limit * (1 + d / 2)) : limit)),
            };
            const plan = await placeGraph(graph, options);
            assert.deepEqual(checkSchedule(graph, plan, options), [], `${algorithm} ${JSON.stringify(options)}`);
            if (plan.schedule.length) {
              assert.equal(plan.schedule.length, graph.nodes.length);
              assert.ok(plan.makespanUs >= lb - tol(lb), `${algorithm}: makespan ${plan.makespanUs} < lower bound ${lb}`);
            }
            stats[plan.feasible ? 'feasible' : 'infeasible']++;
            if (!plan.feasible && algorithm !== 'single') {
              assert.ok(plan.reason && plan.reason.length > 10);
              assert.ok(plan.minimumMemoryBytes !== undefined, `${algorithm}: no minimum memory`);
              if (!unequal || devices === 1)
                assert.ok(plan.minimumMemoryBytes > (limit ?? 0), `${algorithm}: minimum ${plan.minimumMemoryBytes} vs limit ${limit}`);
              const retry = await placeGraph(graph, { ...options, memoryLimits: Array(devices).fill(plan.minimumMemoryBytes) });
              assert.equal(retry.feasible, true, `${algorithm} should fit with ${plan.minimumMemoryBytes}`);
            }
            if (limit === undefined && algorithm !== 'single') assert.equal(plan.feasible, true, `${algorithm} without limits`);
            if (limit === undefined) {
              // Without memory waits every start is explained by an op or a transfer ending then,
              // so the critical chain covers the whole step.
              const byId = new Map(plan.schedule.map((x) => [x.node, x]));
              let sum = 0;
              for (const id of plan.criticalPath) sum += byId.get(id)!.endUs - byId.get(id)!.startUs;
              for (const k of plan.criticalTransfers ?? []) sum += plan.transfers[k].endUs - plan.transfers[k].startUs;
              assert.ok(Math.abs(sum - plan.makespanUs) <= tol(plan.makespanUs), `${algorithm}: critical path sums to ${sum}, makespan ${plan.makespanUs}`);
            }
          }
        },
      ),
      { numRuns: 150, seed: 20261125 },
    );
    // both outcomes must have been exercised for the property to mean something
    assert.ok(stats.feasible > 100 && stats.infeasible > 20, JSON.stringify(stats));
  });

  it('the schedule is in start order, ties to the lower topological rank: a few devices (merged per device) and many (sorted)', async () => {
    // zero-time ops make ties, fusion makes nodes whose members' starts are summed one by one
    const generated = generateDnnDag({ nodes: 600, seed: 3 });
    const graph: OpGraph = { ...generated, nodes: generated.nodes.map((n, i) => (i % 4 === 0 ? { ...n, computeUs: 0 } : n)) };
    const { topoRank, indexOf } = indexGraph(graph);
    for (const devices of [3, 20]) {
      for (const fuse of [false, true]) {
        const plan = await placeGraph(graph, {
          algorithm: 'm-etf',
          devices,
          memoryLimits: Array(devices).fill(Infinity),
          comm: 'nvlink4',
          grouping: 'none',
          fuse,
        });
        assert.equal(plan.schedule.length, graph.nodes.length);
        let ties = 0;
        plan.schedule.slice(1).forEach((s, k) => {
          const prev = plan.schedule[k];
          if (s.startUs === prev.startUs) ties++;
          assert.ok(
            prev.startUs < s.startUs || (prev.startUs === s.startUs && topoRank[indexOf.get(prev.node)!] < topoRank[indexOf.get(s.node)!]),
            `${devices} devices, fuse ${fuse}: ${prev.node} before ${s.node}`,
          );
        });
        assert.ok(ties > 10, `${ties} ties`);
      }
    }
  });

  it('byStartThenRank: what a sort of all entries gives, also for long tie runs out of rank order (then sorted per device)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (devices, reversedRun) => {
          // per device non-decreasing starts from increments (0 = a tie), ranks a permutation
          const starts = devices.map((incs) => incs.map((_, k) => incs.slice(0, k + 1).reduce((a, b) => a + b, 0)));
          if (reversedRun) starts[0].push(...Array(500).fill((starts[0].at(-1) ?? 0) + 1));
          const startOf = Float64Array.from(starts.flat());
          const nodeOf = Int32Array.from(startOf, (_, k) => k);
          const rank = Int32Array.from(startOf, (_, k) => (reversedRun && k < starts[0].length ? startOf.length - k : (k * 7919) % startOf.length));
          let end = 0;
          const deviceEnd = starts.map((list) => (end += list.length));
          const sorted = Int32Array.from(startOf, (_, k) => k).sort((a, b) => startOf[a] - startOf[b] || rank[a] - rank[b]);
          assert.deepEqual(Array.from(byStartThenRank(startOf, nodeOf, rank, deviceEnd)), Array.from(sorted));
        },
      ),
      { numRuns: 300, seed: 5 },
    );
  });

  it('tiny graphs (≤ 8 nodes, 2–3 devices): no placer beats the exact optimum', async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(dagArb(8, false), fc.integer({ min: 2, max: 3 }), fc.constantFrom('none', '2:1'), async (spec, devices, comm) => {
        if (devices === 3 && spec.nodes.length > 7) spec.nodes = spec.nodes.slice(0, 7);
        spec.edges = spec.edges.filter((e) => e.a < spec.nodes.length && e.b < spec.nodes.length);
        const graph = toGraph(spec);
        const optimum = exactOptimum(graph, devices, parseInterconnect(comm));
        const lb = lowerBound(graph, devices);
        assert.ok(optimum >= lb - tol(lb), `optimum ${optimum} below the lower bound ${lb}`);
        for (const algorithm of PLACERS) {
          const options: PlacementOptions = { algorithm, devices, comm, grouping: 'none', fuse: false, memoryLimits: Array(devices).fill(Infinity) };
          const plan = await placeGraph(graph, options);
          assert.deepEqual(checkSchedule(graph, plan, options), []);
          assert.ok(plan.makespanUs >= optimum - tol(optimum), `${algorithm}: ${plan.makespanUs} beats the optimum ${optimum}`);
          // the search covers every schedule the core can produce, so m-ETF reaching it is possible
          if (algorithm === 'm-etf' && comm === 'none') assert.ok(plan.makespanUs <= 2 * optimum + tol(optimum));
        }
        compared++;
      }),
      { numRuns: 60, seed: 7 },
    );
    assert.ok(compared >= 60);
  });
});
