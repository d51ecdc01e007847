import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { loadModel } from '../../algorithms/loaders/readFile';
import { placeGraph } from '../../algorithms/placement/index';
import { totalMemoryBytes } from '../../algorithms/graph';
import { parseSize } from '../../algorithms/units';
import { dataPath } from '../helpers/paths';

// An infeasible plan's reason must not contradict itself: what the op needs is more than what
// the named device has free (both as printed).
describe('placement: infeasibility reasons are consistent', function () {
  this.timeout(120000);
  const dir = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    it(`${file}: "needs X … at most Y free" has X > Y`, async () => {
      const graph = loadModel(`${dir}/${file}`);
      let checked = 0;
      for (const devices of [2, 4])
        for (const factor of [0.2, 0.4, 0.6]) {
          for (const algorithm of ['m-etf', 'm-sct'] as const) {
            const limit = Math.floor((factor * totalMemoryBytes(graph)) / devices);
            const plan = await placeGraph(graph, {
              algorithm,
              devices,
              memoryLimits: Array(devices).fill(limit),
              comm: 'baechi',
              grouping: 'colocation',
              fuse: false,
            });
            if (plan.feasible) continue;
            const m = /needs ([0-9.]+ [KMGT]?i?B)\b.*?at most ([0-9.]+ [KMGT]?i?B) free/.exec(plan.reason ?? '');
            assert.ok(m, `unexpected reason: ${plan.reason}`);
            checked++;
            assert.ok(parseSize(m[1].replace(' ', '')) > parseSize(m[2].replace(' ', '')), `${algorithm} ${devices}: ${plan.reason}`);
          }
        }
      assert.ok(checked > 0, 'no infeasible plan to check');
    });
  }
});
