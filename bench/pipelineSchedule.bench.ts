// Pipeline schedule simulator speed (issue 14 item 4): the operator graphs of dnn-partitioning
// (up to 2,012 ops) on 6 stages × 16 microbatches, both schedules, file comm costs. The stages are
// a simple balanced cut of the forward topological order with each backward op on its forward
// op's stage (colorClass; balancedStages in test/pipeline/scheduleHelpers.ts), a stand-in for a
// planner's assignment; every step is also checked by
// the independent checker (its time is shown too). Best of 10 runs after 5 warm-up runs.
// `npx tsx bench/run.ts pipelineSchedule`.
import { readdirSync } from 'node:fs';
import { indexGraph } from '../algorithms/graph';
import { loadModel } from '../algorithms/loaders/readFile';
import { checkPipelineSchedule } from '../algorithms/pipeline/checker';
import { edgeTransferUs, parseComm } from '../algorithms/pipeline/comm';
import { pipelineRuns, simulatePipeline } from '../algorithms/pipeline/schedule';
import { dataPath } from '../test/helpers/paths';
import { balancedStages } from '../test/pipeline/scheduleHelpers';

const STAGES = 6;
const MICROBATCHES = 16;

function best(f: () => void, runs = 5): number {
  let t = Infinity;
  for (let k = 0; k < runs; k++) {
    const s = process.hrtime.bigint();
    f();
    t = Math.min(t, Number(process.hrtime.bigint() - s) / 1e6);
  }
  return t;
}

export async function bench(): Promise<string> {
  const rows = ['| graph | ops | schedule | step (ms) | bubble | simulate (ms, best of 10) | check (ms) |', '|---|---|---|---|---|---|---|'];
  const dir = dataPath('dnn-partitioning', 'throughput-inputs', 'OperatorGraphs');
  for (const f of readdirSync(dir).sort()) {
    const graph = loadModel(`${dir}/${f}`);
    const index = indexGraph(graph);
    const stageOf = balancedStages(graph, STAGES);
    const link = parseComm('file', graph);
    const transferUs = (k: number, a: number, b: number) => edgeTransferUs(link, graph.edges[k], a, b);
    for (const schedule of ['gpipe', '1f1b'] as const) {
      const input = { graph, index, stageOf, stages: STAGES, microbatches: MICROBATCHES, schedule, transferUs };
      let sim = simulatePipeline(input);
      for (let k = 0; k < 5; k++) simulatePipeline(input); // warm the JIT: the first graph paid for it
      const simMs = best(() => (sim = simulatePipeline(input)), 10);
      const stageById: Record<string, number> = {};
      graph.nodes.forEach((v, i) => (stageById[v.id] = stageOf[i]));
      const runs = pipelineRuns(graph, stageOf, sim);
      let problems: string[] = [];
      const checkMs = best(
        () =>
          (problems = checkPipelineSchedule(graph, { stages: STAGES, microbatches: MICROBATCHES, schedule, stageOf: stageById, transferUs }, { ...sim, runs })),
        1,
      );
      if (problems.length) throw new Error(`${f} ${schedule}: ${problems.slice(0, 3).join('; ')}`);
      rows.push(
        `| ${f.replace('.json', '')} | ${graph.nodes.length} | ${schedule} | ${(sim.stepUs / 1000).toFixed(1)} | ${sim.bubble.toFixed(3)} | ${simMs.toFixed(1)} | ${checkMs.toFixed(0)} |`,
      );
    }
  }
  return rows.join('\n');
}
