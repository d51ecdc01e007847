// The pipeline planner's plans and simulated steps on real graphs, pinned by hash (issue 15 §3):
// splitting the planner, the simulator and the checker into small functions must change no plan,
// no schedule and no infeasibility message. A change that is meant to change them regenerates the
// fixture in its own commit and says why:
//   OPPLACE_UPDATE_PIPELINE_HASHES=1 npx mocha test/pipeline/pipelineHashes.test.ts
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { OpGraph } from '../../algorithms/graph';
import { fileDefaults } from '../../algorithms/loaders/dnnPartitioning';
import { loadModel } from '../../algorithms/loaders/readFile';
import { edgeTransferUs, parseComm } from '../../algorithms/pipeline/comm';
import { evaluatePipeline, planPipeline } from '../../algorithms/pipeline/index';
import { simulatePipeline, simulatePlan, SimulatedPipeline } from '../../algorithms/pipeline/schedule';
import type { PipelineOptions, PipelinePlan } from '../../algorithms/pipeline/types';
import { dataPath, REPO } from '../helpers/paths';
import { assertPlanChecked, balancedStages } from './scheduleHelpers';

const FIXTURE = path.join(__dirname, 'pipelineHashes.json');
const UPDATE = process.env.OPPLACE_UPDATE_PIPELINE_HASHES === '1';

const throughput = (level: string, name: string) => dataPath('dnn-partitioning', 'throughput-inputs', level, `${name}.json`);
const GRAPHS: [string, string][] = [
  ['layer/bert24_training', throughput('LayerGraphs', 'bert24_training')],
  ['layer/gnmt_training', throughput('LayerGraphs', 'gnmt_training')],
  ['layer/inceptionv3_inference', throughput('LayerGraphs', 'inceptionv3_inference')],
  ['layer/resnet50_training', throughput('LayerGraphs', 'resnet50_training')],
  ['op/bert_l-3_training', throughput('OperatorGraphs', 'bert_l-3_training')],
  ['op/resnet50_inference', throughput('OperatorGraphs', 'resnet50_inference')],
];

const SPLITS = ['sequential', 'contiguous', 'any'] as const;
const SCHEDULES = ['gpipe', '1f1b'] as const;

/** The file's own setting, a generic interconnect without colocation, and memory too tight for any split (the infeasible report). */
function optionSets(graph: OpGraph): [string, Omit<PipelineOptions, 'split' | 'schedule'>][] {
  const { devices, memoryBytes } = fileDefaults(graph);
  const D = devices ?? 4;
  const limit = memoryBytes ?? 2 ** 40;
  let persistent = 0;
  for (const n of graph.nodes) persistent += n.persistentBytes;
  return [
    ['file', { devices: D, memoryLimits: Array(D).fill(limit), comm: 'file', microbatches: 8, budgetMs: 40, seed: 1 }],
    ['4 pcie4 none', { devices: 4, memoryLimits: Array(4).fill(2 ** 50), comm: 'pcie4', grouping: 'none', microbatches: 5, budgetMs: 40, seed: 3 }],
    ['3 tight', { devices: 3, memoryLimits: Array(3).fill(Math.floor(persistent / 4)), comm: 'file', microbatches: 4, budgetMs: 20 }],
  ];
}

const digest = (value: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(value, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)))
    .digest('hex')
    .slice(0, 16);

/** Everything of a plan but the measured wall time, with the file relative to the clone. */
function pipelinePlanHash(plan: PipelinePlan): string {
  const { placeMs: _placeMs, ...rest } = plan;
  const file = path.isAbsolute(rest.file) ? path.relative(REPO, rest.file).split(path.sep).join('/') : rest.file;
  return digest({ ...rest, file });
}

/** Every field of a simulated step, the start of each (op, microbatch) included. */
const stepHash = (sim: SimulatedPipeline) => digest(sim);

/**
 * The `any` and `contiguous` searches have a wall-clock cap (10 × budget + 1 s) as a safety net:
 * a run cut short by a loaded machine says so (stoppedByClock) and is repeated, up to three times.
 */
async function planUnclocked(graph: OpGraph, options: PipelineOptions): Promise<PipelinePlan> {
  for (let attempt = 1; ; attempt++) {
    const plan = await planPipeline(graph, options);
    if (!plan.search?.stoppedByClock) return plan;
    if (attempt === 3) throw new Error(`${options.split} stopped by its wall-clock cap three times: the machine is too loaded for this test`);
  }
}

describe('pipeline hashes: the restructure changes no pipeline plan and no simulated step', function () {
  this.timeout(600_000);
  const stored: Record<string, string> = existsSync(FIXTURE) ? (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, string>) : {};
  const seen: Record<string, string> = {};
  const record = (key: string, h: string, mismatches: string[]) => {
    seen[key] = h;
    if (!UPDATE && stored[key] !== h) mismatches.push(`${key}: ${stored[key] ?? '(none)'} → ${h}`);
  };

  for (const [name, file] of GRAPHS) {
    it(name, async () => {
      const graph = loadModel(file);
      const mismatches: string[] = [];
      let feasible = 0;
      for (const [setName, set] of optionSets(graph)) {
        for (const split of SPLITS) {
          for (const schedule of SCHEDULES) {
            const key = `${name} | ${split} | ${schedule} | ${setName}`;
            const plan = await planUnclocked(graph, { ...set, split, schedule });
            record(`${key} | plan`, pipelinePlanHash(plan), mismatches);
            if (!plan.feasible) continue;
            feasible++;
            assertPlanChecked(graph, plan);
            record(`${key} | step`, stepHash(simulatePlan(graph, plan).sim), mismatches);
            // the same split under the other schedule, through evaluatePipeline's path
            const other = schedule === 'gpipe' ? '1f1b' : 'gpipe';
            record(`${key} | evaluated ${other}`, pipelinePlanHash(evaluatePipeline(graph, { ...set, split, schedule: other }, plan.assignment)), mismatches);
          }
        }
      }
      // a stand-in assignment (balanced forward cut) on 6 stages, as bench/pipelineSchedule.bench.ts simulates it
      const stageOf = balancedStages(graph, 6);
      const link = parseComm('file', graph);
      for (const schedule of SCHEDULES) {
        const sim = simulatePipeline({
          graph,
          stageOf,
          stages: 6,
          microbatches: 7,
          schedule,
          transferUs: (k, a, b) => edgeTransferUs(link, graph.edges[k], a, b),
        });
        record(`${name} | balanced 6 stages | ${schedule} | step`, stepHash(sim), mismatches);
      }
      assert.ok(feasible > 0, `${name}: no feasible plan, so no step is pinned`);
      assert.deepEqual(mismatches, [], 'pipeline plans changed; regenerate with OPPLACE_UPDATE_PIPELINE_HASHES=1 only if that is intended');
    });
  }

  after(() => {
    if (UPDATE) writeFileSync(FIXTURE, JSON.stringify(Object.fromEntries(Object.entries(seen).sort()), null, 1) + '\n');
  });
});
