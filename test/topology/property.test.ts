// Property tests: random DAGs on random topologies (1–3 hosts × 1–3 GPUs, random intra- and
// inter-host links). Every placer's plan passes the independent checker, which times each
// transfer with the link between its two devices; no plan is below the lower bound.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkSchedule, lowerBound, placeGraph, simulateSchedule } from '../../algorithms/placement/index';
import { parseTopology, topologyTransferUs } from '../../algorithms/cost/topology';
import type { OpGraph } from '../../algorithms/graph';
import type { PlacementOptions } from '../../algorithms/plan';
import { makeGraph, NodeSpec, PLACERS, forwardEdges } from '../placement/helpers';

interface DagSpec {
  nodes: { us: number; out: number; persist: number; group: number }[];
  edges: { a: number; b: number; bytes: number }[];
}

const dagArb = (maxNodes: number) =>
  fc.integer({ min: 1, max: maxNodes }).chain((n) =>
    fc.record({
      nodes: fc.array(
        fc.record({
          us: fc.integer({ min: 0, max: 50 }),
          out: fc.integer({ min: 0, max: 2000 }),
          persist: fc.integer({ min: 0, max: 300 }),
          group: fc.integer({ min: -4, max: 1 }),
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
    persist: x.persist,
    ...(x.group >= 0 ? { group: `g${x.group}` } : {}),
  }));
  const edges = forwardEdges(spec.edges);
  return makeGraph(nodes, edges, 'random');
}

// Links from free (none) to very slow (1 µs per byte), presets and custom ones.
const linkArb = fc.constantFrom('none', 'nvlink4', 'ib200', '0:1000', '2:1', '20:0.01', '50:0.001');
const topologyArb = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), linkArb, linkArb)
  .map(([h, g, intra, inter]) => `${h}x${g}:${intra}/${inter}`);

const tol = (t: number) => 1e-6 * Math.max(1, Math.abs(t));

describe('topology: properties over random DAGs and topologies', function () {
  this.timeout(180000);

  it('every placer: the plan passes the checker with the per-pair links and is never below the lower bound', async () => {
    const stats = { feasible: 0, infeasible: 0, crossHost: 0 };
    await fc.assert(
      fc.asyncProperty(
        dagArb(12),
        topologyArb,
        fc.constantFrom('none', 'colocation', 'coplace'),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 6000 }), { nil: undefined }),
        async (spec, topology, grouping, fuse, limit) => {
          const graph = toGraph(spec);
          const devices = parseTopology(topology).devices;
          const lb = lowerBound(graph, devices);
          for (const algorithm of PLACERS) {
            const options: PlacementOptions = {
              algorithm,
              devices,
              comm: 'baechi',
              topology,
              grouping,
              fuse,
              memoryLimits: Array(devices).fill(limit ?? Infinity),
            };
            const plan = await placeGraph(graph, options);
            assert.deepEqual(checkSchedule(graph, plan, options), [], `${algorithm} ${JSON.stringify(options)}`);
            assert.equal(plan.options!.topology, topology);
            stats[plan.feasible ? 'feasible' : 'infeasible']++;
            if (!plan.schedule.length) continue;
            assert.ok(plan.makespanUs >= lb - tol(lb), `${algorithm}: makespan ${plan.makespanUs} < lower bound ${lb}`);
            const t = parseTopology(topology);
            for (const tr of plan.transfers) if (Math.floor(tr.srcDevice / t.gpusPerHost) !== Math.floor(tr.dstDevice / t.gpusPerHost)) stats.crossHost++;
            if (limit === undefined && algorithm !== 'single') assert.equal(plan.feasible, true, `${algorithm} without limits`);
          }
        },
      ),
      { numRuns: 250, seed: 20261126 },
    );
    // the property must have exercised feasible and infeasible plans and transfers between hosts
    assert.ok(stats.feasible > 100 && stats.infeasible > 10 && stats.crossHost > 20, JSON.stringify(stats));
  });

  it('replaying a plan with simulateSchedule on the same topology reproduces the transfer times per pair', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb(10), topologyArb, async (spec, topology) => {
        const graph = toGraph(spec);
        const t = parseTopology(topology);
        const plan = await placeGraph(graph, {
          algorithm: 'm-etf',
          devices: t.devices,
          memoryLimits: Array(t.devices).fill(Infinity),
          comm: 'none',
          topology,
          grouping: 'none',
          fuse: false,
        });
        const assignment: Record<string, number> = {};
        const order: string[][] = Array.from({ length: t.devices }, () => []);
        for (const s of plan.schedule) {
          assignment[s.node] = s.device;
          order[s.device].push(s.node);
        }
        const replay = simulateSchedule(graph, { assignment, order, placement: plan.options! });
        for (const tr of replay.transfers) {
          const expect = topologyTransferUs(t, tr.bytes, tr.srcDevice, tr.dstDevice);
          assert.ok(Math.abs(tr.endUs - tr.startUs - expect) <= tol(tr.endUs), `${tr.from} ${tr.srcDevice}→${tr.dstDevice}`);
        }
        // Same devices and orders, same core: the replay cannot be slower than the plan.
        assert.ok(replay.makespanUs <= plan.makespanUs + tol(plan.makespanUs), `replay ${replay.makespanUs} vs plan ${plan.makespanUs}`);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('refine (small budget) on random topologies: plans pass the checker and never lose to m-ETF', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb(10), topologyArb, async (spec, topology) => {
        const graph = toGraph(spec);
        const devices = parseTopology(topology).devices;
        const base = { devices, memoryLimits: Array(devices).fill(Infinity), comm: 'baechi', topology, grouping: 'colocation' as const, fuse: false };
        const refined = await placeGraph(graph, { ...base, algorithm: 'refine', budgetMs: 20 });
        assert.deepEqual(checkSchedule(graph, refined, refined.options!), []);
        const etf = await placeGraph(graph, { ...base, algorithm: 'm-etf' });
        assert.ok(refined.makespanUs <= etf.makespanUs + tol(etf.makespanUs), `refine ${refined.makespanUs} vs m-etf ${etf.makespanUs}`);
      }),
      { numRuns: 25, seed: 11 },
    );
  });
});
