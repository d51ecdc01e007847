// Randomized-midpoint diffusion sampling: accuracy per evaluation budget and dimension (the same
// computation as `opplace diffusion bench`), plus the parallel sampler's DAG placed on 1, 2, 4, 8
// devices with m-ETF and no communication cost. Results are recorded in bench/README.md (## Diffusion).
import { formatBenchMarkdown, runDiffusionBench } from '../algorithms/diffusion/experiments';
import { parallelSamplerGraph } from '../algorithms/diffusion/graph';
import { samplerSpeedups } from '../algorithms/diffusion/speedup';
import { formatUs } from '../algorithms/units';

export async function bench(): Promise<string> {
  const started = Date.now();
  const result = runDiffusionBench({ dims: [10, 100, 1000, 10000], budgets: [32, 64, 128, 256, 512], draws: 1000, seed: 1 });
  const accuracySeconds = (Date.now() - started) / 1000;
  const lines = [formatBenchMarkdown(result), `(accuracy tables: ${accuracySeconds.toFixed(1)} s)`, ''];
  lines.push('### Parallel sampler DAG on several devices (m-ETF, no communication cost, 1 ms per score evaluation)', '');
  lines.push('| steps N | midpoints R | rounds K | nodes | 1 device | 2 | 4 | 8 |', '|---|---|---|---|---|---|---|---|');
  for (const [N, R, K] of [
    [16, 4, 2],
    [16, 8, 2],
    [16, 16, 2],
    [8, 8, 4],
  ]) {
    const g = parallelSamplerGraph({ steps: N, midpoints: R, rounds: K, scoreTimeUs: 1000, scoreBytes: 4 << 20 });
    const t0 = Date.now();
    const rows = await samplerSpeedups(g, [1, 2, 4, 8]);
    const cells = rows.map((r) => (r.devices === 1 ? formatUs(r.makespanUs) : `${r.speedup.toFixed(2)}×`));
    lines.push(`| ${N} | ${R} | ${K} | ${g.nodes.length} | ${cells.join(' | ')} |`);
    process.stderr.write(`  placed N=${N} R=${R} K=${K} on 1/2/4/8 devices in ${Date.now() - t0} ms\n`);
  }
  lines.push('', '### Same DAG (N = 16, R = 8, K = 2, 4 MiB score vectors) with communication costed', '');
  lines.push('| interconnect | 2 | 4 | 8 |', '|---|---|---|---|');
  const g = parallelSamplerGraph({ steps: 16, midpoints: 8, rounds: 2, scoreTimeUs: 1000, scoreBytes: 4 << 20 });
  for (const comm of ['nvlink3', 'pcie4', 'baechi']) {
    const rows = await samplerSpeedups(g, [2, 4, 8], comm);
    lines.push(`| ${comm} | ${rows.map((r) => `${r.speedup.toFixed(2)}×`).join(' | ')} |`);
  }
  return lines.join('\n');
}
