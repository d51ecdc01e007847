// Pipeline planner (issue 14 item 3): the 16 throughput graphs of dnn-partitioning at their own
// settings (maxFPGAs devices × maxSizePerFPGA, --comm file, as the paper's code ran them), our
// three splits: time per sample and plan time (planPipeline, incl. the simulated step of
// 8 microbatches under 1F1B; best of 5 runs, the plan is the same each time; wall clock and the
// process's CPU time, which the other work on a shared machine disturbs less), next to the paper's
// numbers from issue 14 for the LayerGraphs it lists; every plan passes the schedule checker.
// `npx tsx bench/run.ts pipeline`.
import { readdirSync } from 'node:fs';
import { loadModel } from '../algorithms/loaders/readFile';
import { fileDefaults } from '../algorithms/loaders/dnnPartitioning';
import { planPipeline } from '../algorithms/pipeline/index';
import { checkPipelinePlan } from '../algorithms/pipeline/checker';
import { planRuns } from '../algorithms/pipeline/schedule';
import type { PipelinePlan, PipelineSplit } from '../algorithms/pipeline/types';
import { dataPath } from '../test/helpers/paths';

/** Issue 14: the paper's code on these files, ms per sample: PipeDream, DP (contiguous optimum), local search. */
const PAPER: Record<string, [number, number, number]> = {
  bert24_inference: [17.79, 17.79, 17.78],
  bert24_training: [187.91, 41.75, 39.94],
  gnmt_inference: [33.03, 32.91, 31.78],
  gnmt_training: [294.91, 107.0, 90.95],
  resnet50_inference: [39.4, 34.22, 35.89],
  resnet50_training: [83.67, 80.46, 81.6],
};

const SPLITS: PipelineSplit[] = ['sequential', 'contiguous', 'any'];

export async function bench(): Promise<string> {
  const lines = [
    '| graph | ops | devices | one device | paper: PipeDream / DP / local search | sequential | contiguous | any | plan time seq / contig / any (wall, CPU) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const goals: string[] = [];
  for (const level of ['LayerGraphs', 'OperatorGraphs']) {
    for (const f of readdirSync(dataPath('dnn-partitioning', 'throughput-inputs', level)).sort()) {
      const graph = loadModel(dataPath('dnn-partitioning', 'throughput-inputs', level, f));
      const { devices, memoryBytes } = fileDefaults(graph);
      const name = f.replace(/\.json$/, '');
      const plans: PipelinePlan[] = [];
      const times: number[] = [];
      const cpus: number[] = [];
      for (const split of SPLITS) {
        let plan!: PipelinePlan;
        let ms = Infinity;
        let cpu = Infinity;
        for (let r = 0; r < 5; r++) {
          const c0 = process.cpuUsage();
          plan = await planPipeline(graph, {
            devices: devices!,
            memoryLimits: Array(devices).fill(memoryBytes!),
            comm: 'file',
            split,
            microbatches: 8,
            schedule: '1f1b',
          });
          const c = process.cpuUsage(c0);
          cpu = Math.min(cpu, (c.user + c.system) / 1000);
          ms = Math.min(ms, plan.placeMs);
        }
        if (!plan.feasible) throw new Error(`${name} ${split}: ${plan.reason}`);
        const problems = checkPipelinePlan(graph, plan, planRuns(graph, plan));
        if (problems.length) throw new Error(`${name} ${split}: the schedule checker: ${problems.slice(0, 3).join('; ')}`);
        plans.push(plan);
        times.push(ms);
        cpus.push(cpu);
      }
      const ms = (us: number) => (us / 1000).toFixed(2);
      const paper = level === 'LayerGraphs' ? PAPER[name] : undefined;
      lines.push(
        `| ${level === 'LayerGraphs' ? 'Layer' : 'Operator'}/${name} | ${graph.nodes.length} | ${devices} | ${ms(plans[0].singleDeviceUs)} | ${paper ? paper.map((x) => x.toFixed(2)).join(' / ') : '–'} | ${plans.map((p) => ms(p.timePerSampleUs)).join(' | ')} | ${times.map((t) => t.toFixed(0)).join(' / ')} ms (CPU ${cpus.map((t) => t.toFixed(0)).join(' / ')} ms) |`,
      );
      if (paper) {
        const [contiguous, any] = [plans[1].timePerSampleUs / 1000, plans[2].timePerSampleUs / 1000];
        if (contiguous > paper[1] + 5e-3) goals.push(`${name}: contiguous ${contiguous.toFixed(2)} > DP ${paper[1]}`);
        if (any > Math.min(...paper) + 5e-3) goals.push(`${name}: any ${any.toFixed(2)} > best ${Math.min(...paper)}`);
      }
      if (Math.max(...times) > 2000) goals.push(`${name}: planned in ${Math.max(...times).toFixed(0)} ms wall (${Math.max(...cpus).toFixed(0)} ms CPU)`);
    }
  }
  lines.push(
    '',
    goals.length
      ? `Goals missed: ${goals.join('; ')}.`
      : "Goals met: contiguous ≤ the paper's DP and any ≤ its best column on every listed graph, every graph planned in < 2 s.",
  );
  return lines.join('\n');
}
