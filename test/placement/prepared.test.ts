// A prepared graph (placePrepared) gives placeGraph's plans while building each problem and
// solving each m-SCT LP once: what the extension's per-view engine and compare rely on.
import { strict as assert } from 'node:assert';
import { compareAlgorithms } from '../../algorithms/compare';
import type { PlacementOptions, Plan } from '../../algorithms/plan';
import { placeGraph, placePrepared, prepareForPlacement } from '../../algorithms/placement/index';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import { dataPath } from '../helpers/paths';

const timeless = (p: Plan) => JSON.stringify({ ...p, placeMs: 0 });

describe('placement: a prepared graph', function () {
  this.timeout(60_000);
  const graph = prepareGraphFromFile(dataPath('stg', '100', 'rand0007.stg'));
  const base: PlacementOptions = { algorithm: 'm-etf', devices: 4, memoryLimits: Array(4).fill(2 ** 40), comm: 'baechi', grouping: 'colocation', fuse: false };

  it('places as placeGraph does, building a problem only when grouping, fusion or links change', async () => {
    const prepared = prepareForPlacement(graph);
    const sequence: PlacementOptions[] = [
      { ...base, algorithm: 'm-sct' },
      { ...base, algorithm: 'm-etf', devices: 2, memoryLimits: [2 ** 40, 2 ** 40] },
      { ...base, algorithm: 'm-sct', devices: 3, memoryLimits: Array(3).fill(2 ** 40) },
      { ...base, algorithm: 'm-topo', memoryLimits: Array(4).fill(1e6) },
      { ...base, algorithm: 'm-etf', comm: 'pcie4' },
      { ...base, algorithm: 'm-sct', fuse: true },
      { ...base, algorithm: 'm-sct', theta: 0.3 },
      { ...base, algorithm: 'refine', budgetMs: 50 },
      { ...base, algorithm: 'm-sct', topology: '2x2:nvlink4/ib200' },
    ];
    for (const options of sequence) {
      assert.equal(timeless(await placePrepared(prepared, options)), timeless(await placeGraph(graph, options)), JSON.stringify(options));
    }
    // problems: base, pcie4, fused, topology; LPs: base, fused, topology (θ 0.3 rounds base's LP
    // again — the LP does not read θ —, refine reuses base's, other limits and devices read neither)
    assert.deepEqual(prepared.counts, { problems: 4, lps: 3 });
    assert.deepEqual([...prepared.favourites.keys()].filter((k) => k.startsWith('colocation|unfused|link')).length, 2, 'θ 0.5 and θ 0.3 of one LP');
  });

  it("compare solves m-SCT's LP once for m-SCT and refine, and builds one problem", async () => {
    const prepared = prepareForPlacement(graph);
    const { comparison, plans } = await compareAlgorithms(prepared, { ...base, budgetMs: 50 });
    assert.deepEqual(prepared.counts, { problems: 1, lps: 1 });
    assert.deepEqual(
      comparison.rows.map((r) => r.algorithm),
      ['m-topo', 'm-etf', 'm-sct', 'refine', 'single', 'sequential'],
    );
    for (const [i, row] of comparison.rows.entries()) {
      const alone = await placeGraph(graph, { ...base, budgetMs: 50, algorithm: row.algorithm });
      assert.equal(timeless(plans[i]!), timeless(alone), row.algorithm);
      assert.equal(row.makespanUs, alone.makespanUs);
    }
  });

  it('keeps the last few problems only', async () => {
    const prepared = prepareForPlacement(graph);
    for (const latency of [1, 2, 3, 4, 5, 6]) await placePrepared(prepared, { ...base, algorithm: 'm-sct', comm: `${latency}:10` });
    assert.equal(prepared.problems.size, 4);
    assert.equal(prepared.lps.size, 4, 'LP solutions go with their problem');
    assert.equal(prepared.favourites.size, 4);
    await placePrepared(prepared, { ...base, algorithm: 'm-sct', comm: '1:10' });
    assert.deepEqual(prepared.counts, { problems: 7, lps: 7 }, 'an evicted problem is built again');
  });
});
