// The numerical checks behind `opplace diffusion bench`, the benchmark and the tests: pathwise error
// against the exact flow end point, exact TV of the output law, budgets for a TV target, fitted slopes.
import { OpplaceError } from '../errors';
import { SeededRng, type Rng } from './rng';
import { isotropicGaussian, type ScoreModel } from './scores';
import { SAMPLER_NAMES, Sampler, evalsForSteps, samplerConfig, samplerForBudget, type SamplerConfig, type SamplerName } from './samplers';
import { samplerTV } from './tv';

/** The isotropic test target N(μ·1, σ² I): μ = 1, σ² = 0.25 (the note's). */
export const TARGET_MEAN = 1;
export const TARGET_VARIANCE = 0.25;

/**
 * Root-mean-square per-coordinate distance between the sampler's end point and the exact flow end
 * point from the same start y0 ~ q_T, over `paths` independent runs on N(1, 0.25 I_d).
 */
export function pathwiseError(sampler: Sampler, paths: number, seed: number): number {
  const d = sampler.dim;
  const target = isotropicGaussian(d, TARGET_MEAN, TARGET_VARIANCE);
  const rng = new SeededRng(seed);
  const y0 = new Float64Array(d);
  const out = new Float64Array(d);
  const exact = new Float64Array(d);
  let sq = 0;
  for (let p = 0; p < paths; p++) {
    target.sampleMarginal(sampler.config.T, rng, y0);
    sampler.run(target, y0, rng, out);
    target.exactFlowEnd(y0, sampler.config.T, exact);
    for (let i = 0; i < d; i++) sq += (out[i] - exact[i]) ** 2;
  }
  return Math.sqrt(sq / (paths * d));
}

/** Paths to average over so that about `coordinates` coordinate errors enter the mean (at least 2). */
export function pathsForDim(d: number, coordinates = 4000): number {
  return Math.max(2, Math.ceil(coordinates / d));
}

/** TV of the output law on N(μ, 0.25 I_d) for a sampler with the given number of steps. */
export function tvForSteps(name: SamplerName, steps: number, d: number, config: SamplerConfig, seed: number, draws: number): number {
  return samplerTV(new Sampler(name, 1, steps, config), d, TARGET_VARIANCE, new SeededRng(seed), draws);
}

export interface BudgetResult {
  /** Evaluations of the smallest step count found with TV ≤ threshold; null when above `maxSteps`. */
  evals: number | null;
  steps: number | null;
  tv: number | null;
}

/**
 * Smallest number of steps (by doubling, then bisection; TV falls with the step count) whose output
 * law is within `threshold` in TV of N(μ, 0.25 I_d), as evaluations. Same seed for every step count.
 */
export function budgetForTV(
  name: SamplerName,
  d: number,
  threshold: number,
  options: { config?: Partial<SamplerConfig>; seed?: number; draws?: number; maxSteps?: number } = {},
): BudgetResult {
  const config = samplerConfig(options.config);
  const seed = options.seed ?? 1;
  const draws = options.draws ?? 1000;
  const maxSteps = options.maxSteps ?? 1 << 16;
  const tvAt = (n: number) => tvForSteps(name, n, d, config, seed, draws);
  let hi = 1;
  let tvHi = tvAt(hi);
  while (tvHi > threshold) {
    if (hi >= maxSteps) return { evals: null, steps: null, tv: null };
    hi = Math.min(hi * 2, maxSteps);
    tvHi = tvAt(hi);
  }
  let lo = hi === 1 ? 0 : hi >> 1; // TV(lo) > threshold
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const tv = tvAt(mid);
    if (tv <= threshold) {
      hi = mid;
      tvHi = tv;
    } else lo = mid;
  }
  return { evals: evalsForSteps(name, hi, config), steps: hi, tv: tvHi };
}

/** Least-squares slope of log y against log x (points with y ≤ 0 or non-finite are skipped). */
export function logLogSlope(xs: number[], ys: number[]): number {
  const px: number[] = [];
  const py: number[] = [];
  xs.forEach((x, i) => {
    if (x > 0 && ys[i] > 0 && Number.isFinite(ys[i])) {
      px.push(Math.log(x));
      py.push(Math.log(ys[i]));
    }
  });
  if (px.length < 2) return NaN;
  const mx = px.reduce((a, b) => a + b, 0) / px.length;
  const my = py.reduce((a, b) => a + b, 0) / py.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < px.length; i++) {
    sxy += (px[i] - mx) * (py[i] - my);
    sxx += (px[i] - mx) ** 2;
  }
  return sxy / sxx;
}

export interface BenchRow {
  sampler: SamplerName;
  dim: number;
  /** Evaluations actually spent (the most that fit in the budget). */
  evals: number;
  tv: number;
  pathwiseError: number;
}

export interface BenchOptions {
  dims: number[];
  budgets: number[];
  samplers?: SamplerName[];
  config?: Partial<SamplerConfig>;
  seed?: number;
  /** Midpoint draws for the exact-law TV. */
  draws?: number;
  /** TV target for the budget table (0.05). */
  threshold?: number;
  /** Skip the budget-for-TV search (it is the slow part). */
  skipBudgets?: boolean;
  /** Called after each unit of work with (done, total, label). */
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface BenchResult {
  rows: BenchRow[];
  /** Per sampler and dim: fitted order = −slope of log pathwise error (and of log TV) against log evals. */
  slopes: { sampler: SamplerName; dim: number; pathwiseOrder: number; tvOrder: number }[];
  /** Per sampler: evaluations for TV ≤ threshold at each dim, and the fitted exponent in d. */
  budgets: { sampler: SamplerName; evals: (number | null)[]; exponent: number }[];
  dims: number[];
  budgetsAsked: number[];
  threshold: number;
}

export function checkDimsAndBudgets(dims: number[], budgets: number[]): void {
  for (const d of dims) if (!Number.isInteger(d) || d < 1 || d > 1_000_000) throw new OpplaceError(`dimension must be an integer in 1…1000000, got ${d}`);
  for (const b of budgets) if (!Number.isInteger(b) || b < 1 || b > 1_000_000) throw new OpplaceError(`budget must be an integer in 1…1000000, got ${b}`);
  if (dims.length === 0 || budgets.length === 0) throw new OpplaceError('need at least one dimension and one budget');
}

export function runDiffusionBench(options: BenchOptions): BenchResult {
  const { dims, budgets } = options;
  checkDimsAndBudgets(dims, budgets);
  const samplers = options.samplers ?? SAMPLER_NAMES;
  const config = samplerConfig(options.config);
  const seed = options.seed ?? 1;
  const draws = options.draws ?? 1000;
  const threshold = options.threshold ?? 0.05;
  const total = samplers.length * dims.length * (budgets.length + (options.skipBudgets ? 0 : 1));
  let done = 0;
  const tick = (label: string) => options.onProgress?.(++done, total, label);
  const rows: BenchRow[] = [];
  const slopes: BenchResult['slopes'] = [];
  for (const name of samplers) {
    for (const d of dims) {
      const evals: number[] = [];
      const errs: number[] = [];
      const tvs: number[] = [];
      for (const budget of budgets) {
        const sampler = samplerForBudget(name, d, budget, config);
        if (!sampler) {
          tick(`${name} d=${d} budget ${budget}`);
          continue;
        }
        const err = pathwiseError(sampler, pathsForDim(d), seed);
        const tv = tvForSteps(name, sampler.steps, d, config, seed, draws);
        rows.push({ sampler: name, dim: d, evals: sampler.evals, tv, pathwiseError: err });
        evals.push(sampler.evals);
        errs.push(err);
        tvs.push(tv);
        tick(`${name} d=${d} budget ${budget}`);
      }
      slopes.push({ sampler: name, dim: d, pathwiseOrder: -logLogSlope(evals, errs), tvOrder: -logLogSlope(evals, tvs) });
    }
  }
  const budgetRows: BenchResult['budgets'] = [];
  if (!options.skipBudgets) {
    for (const name of samplers) {
      const found = dims.map((d) => {
        const r = budgetForTV(name, d, threshold, { config, seed, draws });
        tick(`${name} d=${d} budget for TV ≤ ${threshold}`);
        return r.evals;
      });
      const ok = dims.map((d, i) => [d, found[i]] as const).filter(([, e]) => e !== null) as [number, number][];
      budgetRows.push({
        sampler: name,
        evals: found,
        exponent: logLogSlope(
          ok.map((p) => p[0]),
          ok.map((p) => p[1]),
        ),
      });
    }
  }
  return { rows, slopes, budgets: budgetRows, dims, budgetsAsked: budgets, threshold };
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  return Math.abs(x) >= 0.01 && Math.abs(x) < 1000 ? x.toPrecision(3) : x.toExponential(2);
}

/** Markdown tables for a bench result. */
export function formatBenchMarkdown(r: BenchResult): string {
  const out: string[] = [];
  const samplers = [...new Set(r.rows.map((x) => x.sampler).concat(r.budgets.map((b) => b.sampler)))];
  for (const d of r.dims) {
    out.push(`### d = ${d}: TV of the output law / pathwise RMS error per coordinate`, '');
    out.push(`| sampler | ${r.budgetsAsked.map((b) => `≤${b} evals`).join(' | ')} | order (pathwise) | order (TV) |`);
    out.push(`|---|${r.budgetsAsked.map(() => '---').join('|')}|---|---|`);
    for (const s of samplers) {
      const cells = r.budgetsAsked.map((b) => {
        const row = r.rows.filter((x) => x.sampler === s && x.dim === d && x.evals <= b).sort((a, c) => c.evals - a.evals)[0];
        return row ? `${fmt(row.tv)} / ${fmt(row.pathwiseError)} (${row.evals})` : '—';
      });
      const sl = r.slopes.find((x) => x.sampler === s && x.dim === d);
      out.push(`| ${s} | ${cells.join(' | ')} | ${sl ? fmt(sl.pathwiseOrder) : '—'} | ${sl ? fmt(sl.tvOrder) : '—'} |`);
    }
    out.push('');
  }
  if (r.budgets.length) {
    out.push(`### Evaluations needed for TV ≤ ${r.threshold}`, '');
    out.push(`| sampler | ${r.dims.map((d) => `d=${d}`).join(' | ')} | exponent in d |`);
    out.push(`|---|${r.dims.map(() => '---').join('|')}|---|`);
    for (const b of r.budgets) {
      out.push(`| ${b.sampler} | ${b.evals.map((e) => (e === null ? '>max' : String(e))).join(' | ')} | ${fmt(b.exponent)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/**
 * Histogram TV in 1-D: ½ Σ_bins |empirical mass − exact mass| + ½ |mass outside [lo, hi] difference|.
 * Exact bin masses by composite Simpson on the density (16 panels per bin).
 */
export function histogramTV1D(samples: Float64Array, density: (x: number) => number, lo: number, hi: number, bins: number): number {
  if (!(hi > lo) || !Number.isInteger(bins) || bins < 1) throw new OpplaceError(`histogram needs lo < hi and bins ≥ 1, got [${lo}, ${hi}], ${bins}`);
  const counts = new Float64Array(bins);
  let outside = 0;
  const width = (hi - lo) / bins;
  for (const x of samples) {
    const b = Math.floor((x - lo) / width);
    if (b >= 0 && b < bins) counts[b]++;
    else outside++;
  }
  const n = samples.length;
  let tv = 0;
  let inside = 0;
  for (let b = 0; b < bins; b++) {
    const a = lo + b * width;
    const panels = 16;
    const dx = width / panels;
    let s = density(a) + density(a + width);
    for (let k = 1; k < panels; k++) s += (k % 2 ? 4 : 2) * density(a + k * dx);
    const mass = (s * dx) / 3;
    inside += mass;
    tv += Math.abs(counts[b] / n - mass);
  }
  tv += Math.abs(outside / n - Math.max(0, 1 - inside));
  return 0.5 * tv;
}

/** A target whose marginals q_t can be sampled exactly (start points for the samplers). */
export interface SampledTarget extends ScoreModel {
  sampleMarginal(t: number, rng: Rng, out: Float64Array): void;
}

/** End points of `count` runs of a 1-D sampler, each from an exact sample of q_T. */
export function sampleEndPoints(sampler: Sampler, target: SampledTarget, count: number, seed: number): Float64Array {
  if (sampler.dim !== 1 || target.dim !== 1) throw new OpplaceError('sampleEndPoints works on 1-D targets');
  const rng = new SeededRng(seed);
  const y0 = new Float64Array(1);
  const out = new Float64Array(1);
  const res = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    target.sampleMarginal(sampler.config.T, rng, y0);
    sampler.run(target, y0, rng, out);
    res[k] = out[0];
  }
  return res;
}
