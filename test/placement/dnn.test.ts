// dnn-partitioning graphs (real profiled DNNs, training and inference), Baechi's communication
// costs, 2–8 devices with limits from 1.1× to 2× of total memory / devices: every plan passes the
// checker (which includes the limits) and infeasible plans carry a reason and a minimum memory.
import { totalMemoryBytes } from '../../algorithms/graph';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dataPath } from '../helpers/paths';
import { loadModel } from '../../algorithms/loaders/readFile';
import { checkSchedule, placeGraph } from '../../algorithms/placement/index';
import type { AlgorithmName, PlacementOptions } from '../../algorithms/plan';

const FACTORS = [1.1, 1.5, 2];
const ALGORITHMS: AlgorithmName[] = ['m-etf', 'm-sct', 'm-topo', 'sequential'];

describe('placement: dnn-partitioning graphs under memory limits', function () {
  this.timeout(180000);
  const files: string[] = [];
  for (const kind of ['throughput-inputs', 'latency-inputs']) {
    for (const level of ['LayerGraphs', 'OperatorGraphs']) {
      for (const f of readdirSync(dataPath('dnn-partitioning', kind, level)).sort()) files.push(dataPath('dnn-partitioning', kind, level, f));
    }
  }

  it('covers training and inference graphs', () => {
    assert.ok(files.some((f) => f.includes('training')) && files.some((f) => f.includes('inference')));
    assert.ok(files.length >= 20);
  });

  it('same graph and options → the same plan, byte for byte (BERT-L3 training, every placer)', async () => {
    const graph = loadModel(dataPath('dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', 'bert_l-3_training.json'));
    const limit = Math.floor((totalMemoryBytes(graph) / 4) * 2);
    for (const algorithm of ['m-etf', 'm-sct', 'm-topo', 'sequential', 'single'] as AlgorithmName[]) {
      const options: PlacementOptions = { algorithm, devices: 4, memoryLimits: Array(4).fill(limit), comm: 'baechi', grouping: 'coplace', fuse: true };
      const a = await placeGraph(graph, options);
      const b = await placeGraph(loadModel(dataPath('dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', 'bert_l-3_training.json')), options);
      assert.equal(JSON.stringify({ ...a, placeMs: 0 }), JSON.stringify({ ...b, placeMs: 0 }), algorithm);
      assert.deepEqual(checkSchedule(graph, a, options), [], algorithm);
    }
  });

  let combo = 0;
  let feasibleTotal = 0;
  // Greedy m-ETF may legitimately fail on one graph (it piles ops onto one device and a big group
  // then has nowhere to go); over the whole set most placements must succeed.
  after(() => assert.ok(feasibleTotal > 200, `only ${feasibleTotal} feasible placements`));
  for (const file of files) {
    const short = file.split('dnn-partitioning/')[1];
    it(`${short}: every plan valid and within its limits`, async () => {
      const graph = loadModel(file);
      const big = graph.nodes.length > 600;
      const total = totalMemoryBytes(graph);
      let feasible = 0;
      // Small graphs: every device count 2–8 and factor; large ones: a rotating sample.
      const runs: [number, number][] = [];
      for (let d = 2; d <= 8; d++) for (const f of FACTORS) runs.push([d, f]);
      const chosen = big ? runs.filter(() => combo++ % 7 === 0) : runs.filter((_, i) => i % 3 === combo % 3);
      for (const [devices, factor] of chosen) {
        for (const algorithm of ALGORITHMS) {
          if (big && algorithm === 'm-sct' && devices % 2 === 1) continue;
          const limit = Math.floor((total / devices) * factor);
          const options: PlacementOptions = {
            algorithm,
            devices,
            memoryLimits: Array(devices).fill(limit),
            comm: 'baechi',
            grouping: 'colocation',
            fuse: false,
          };
          const plan = await placeGraph(graph, options);
          assert.deepEqual(checkSchedule(graph, plan, options), [], `${algorithm} on ${devices} × ${limit}`);
          if (plan.feasible) {
            feasible++;
            assert.equal(plan.schedule.length, graph.nodes.length);
            for (const d of plan.devices) assert.ok(d.peakBytes <= limit, `${algorithm}: device ${d.index} peaks at ${d.peakBytes} > ${limit}`);
          } else {
            assert.match(plan.reason!, /op "/);
            // fit's answer (memorySearch.ts): where the placer succeeds, so never the limit that failed
            // (greedy placers are not monotone: it may lie below the limit).
            assert.ok(plan.minimumMemoryBytes !== undefined && plan.minimumMemoryBytes !== limit, `${plan.minimumMemoryBytes} vs ${limit}`);
          }
        }
      }
      feasibleTotal += feasible;
    });
  }
});
