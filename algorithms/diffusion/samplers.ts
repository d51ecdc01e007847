// Samplers for the reverse probability-flow ODE of the OU process, dy/ds = y + ∇ln q_{T−s}(y),
// on a uniform grid of `steps` steps of size h = T/steps in reverse time. Formulas:
// docs/randomized-midpoint.md. A sampler is a fixed schedule of stages (one predictor per
// step, optionally corrector stages); all buffers are allocated when the sampler is built, so the
// step loop allocates nothing.
import { OpplaceError } from '../errors';
import type { Rng } from './rng';
import type { ScoreModel } from './scores';

export type SamplerName = 'ei' | 'rm' | 'mid' | 'sde' | 'rm+corrector' | 'prm';
export const SAMPLER_NAMES: SamplerName[] = ['ei', 'rm', 'mid', 'sde', 'rm+corrector', 'prm'];

export interface CorrectorOptions {
  /** Friction γ of the underdamped Langevin corrector. */
  gamma: number;
  /**
   * Langevin time per corrector substep as a multiple of the predictor step h: the corrector's own
   * bias then shrinks with h instead of putting a floor under the error.
   */
  stepRatio: number;
  /** Corrector substeps (score evaluations) each time the corrector runs. */
  substeps: number;
  /** Run the corrector after every `every`-th predictor step (and always after the last). */
  every: number;
}

export interface SamplerConfig {
  /** Horizon of the forward process. */
  T: number;
  /** Parallel RM: stratified midpoints R per step. */
  midpoints: number;
  /** Parallel RM: Picard rounds K. */
  rounds: number;
  corrector: CorrectorOptions;
  /**
   * Parallel RM only: solve the R-point midpoint system exactly, one point after the other (the
   * sequential R-point sampler that the Picard rounds converge to), instead of K Picard rounds.
   */
  prmSequential?: boolean;
}

export const DEFAULT_SAMPLER_CONFIG: SamplerConfig = {
  T: 6,
  midpoints: 4,
  rounds: 2,
  corrector: { gamma: 2, stepRatio: 1, substeps: 1, every: 4 },
};

/** Validates a (partial) configuration and fills in defaults. */
export function samplerConfig(partial: Partial<SamplerConfig> = {}): SamplerConfig {
  const c: SamplerConfig = {
    ...DEFAULT_SAMPLER_CONFIG,
    ...partial,
    corrector: { ...DEFAULT_SAMPLER_CONFIG.corrector, ...(partial.corrector ?? {}) },
  };
  if (!(c.T > 0) || !Number.isFinite(c.T)) throw new OpplaceError(`T must be a finite number > 0, got ${c.T}`);
  if (!Number.isInteger(c.midpoints) || c.midpoints < 1) throw new OpplaceError(`midpoints must be an integer ≥ 1, got ${c.midpoints}`);
  if (!Number.isInteger(c.rounds) || c.rounds < 0) throw new OpplaceError(`rounds must be an integer ≥ 0, got ${c.rounds}`);
  const k = c.corrector;
  if (!(k.gamma > 0) || !Number.isFinite(k.gamma)) throw new OpplaceError(`corrector gamma must be > 0, got ${k.gamma}`);
  if (!(k.stepRatio > 0) || !Number.isFinite(k.stepRatio)) throw new OpplaceError(`corrector step ratio must be > 0, got ${k.stepRatio}`);
  if (!Number.isInteger(k.substeps) || k.substeps < 1) throw new OpplaceError(`corrector substeps must be an integer ≥ 1, got ${k.substeps}`);
  if (!Number.isInteger(k.every) || k.every < 1) throw new OpplaceError(`corrector "every" must be an integer ≥ 1, got ${k.every}`);
  return c;
}

/** One kind of update of the state vector y, in place. */
export interface Stage {
  /** Score evaluations per application. */
  readonly evals: number;
  /**
   * Predictors move y from forward time t to t − h; correctors (h = 0) stay at time t.
   * The noise it adds (if any) is independent of y, with per-coordinate variance `noiseVariance(t, h)`.
   */
  apply(model: ScoreModel, y: Float64Array, t: number, h: number, rng: Rng): void;
  noiseVariance(t: number, h: number): number;
}

/** Exponential integrator (DDIM-like): y ← e^h y + (e^h − 1) ŝ_t(y). */
export class ExponentialIntegratorStage implements Stage {
  readonly evals = 1;
  private readonly g: Float64Array;
  constructor(dim: number) {
    this.g = new Float64Array(dim);
  }
  apply(model: ScoreModel, y: Float64Array, t: number, h: number): void {
    model.score(y, t, this.g);
    const eh = Math.exp(h);
    const c = Math.expm1(h);
    for (let i = 0; i < y.length; i++) y[i] = eh * y[i] + c * this.g[i];
  }
  noiseVariance(): number {
    return 0;
  }
}

/**
 * Randomized midpoint (α ~ U[0,1], one α shared by all coordinates) or, with a fixed α, the
 * deterministic exponential midpoint:
 *   y_mid = e^{αh} y + (e^{αh} − 1) ŝ_t(y);   y ← e^h y + h e^{(1−α)h} ŝ_{t−αh}(y_mid).
 */
export class MidpointStage implements Stage {
  readonly evals = 2;
  private readonly g: Float64Array;
  private readonly mid: Float64Array;
  /** α of the last application (tests read it). */
  lastAlpha = NaN;
  constructor(
    dim: number,
    private readonly fixedAlpha: number | null,
  ) {
    this.g = new Float64Array(dim);
    this.mid = new Float64Array(dim);
  }
  apply(model: ScoreModel, y: Float64Array, t: number, h: number, rng: Rng): void {
    const a = this.fixedAlpha ?? rng.uniform();
    this.lastAlpha = a;
    model.score(y, t, this.g);
    const ea = Math.exp(a * h);
    const ca = Math.expm1(a * h);
    for (let i = 0; i < y.length; i++) this.mid[i] = ea * y[i] + ca * this.g[i];
    model.score(this.mid, t - a * h, this.g);
    const eh = Math.exp(h);
    const w = h * Math.exp((1 - a) * h);
    for (let i = 0; i < y.length; i++) y[i] = eh * y[i] + w * this.g[i];
  }
  noiseVariance(): number {
    return 0;
  }
}

/** DDPM-style reverse SDE with the exponential integrator: y ← e^h y + 2(e^h − 1) ŝ + √(e^{2h} − 1) z. */
export class SdeStage implements Stage {
  readonly evals = 1;
  private readonly g: Float64Array;
  constructor(dim: number) {
    this.g = new Float64Array(dim);
  }
  apply(model: ScoreModel, y: Float64Array, t: number, h: number, rng: Rng): void {
    model.score(y, t, this.g);
    const eh = Math.exp(h);
    const c = 2 * Math.expm1(h);
    const sd = Math.sqrt(Math.expm1(2 * h));
    for (let i = 0; i < y.length; i++) y[i] = eh * y[i] + c * this.g[i] + sd * rng.normal();
  }
  noiseVariance(_t: number, h: number): number {
    return Math.expm1(2 * h);
  }
}

/** Coefficients of one underdamped Langevin step (friction γ, step h) with a frozen gradient. */
export interface UnderdampedCoefficients {
  gamma: number;
  h: number;
  /** e^{−γh}: velocity decay. */
  decay: number;
  /** (1 − e^{−γh})/γ: velocity → position, and gradient → velocity. */
  c1: number;
  /** (h − (1 − e^{−γh})/γ)/γ: gradient → position. */
  c2: number;
  varX: number;
  varV: number;
  covXV: number;
  /** Cholesky factor of [[varX, covXV], [covXV, varV]]. */
  l11: number;
  l21: number;
  l22: number;
}

/**
 * Closed forms (Itô isometry of dx = v ds, dv = −γv ds + g ds + √(2γ) dB over [0, h]):
 *   Var ξ_v = 1 − e^{−2γh},  Var ξ_x = (2/γ)[h − 2(1 − e^{−γh})/γ + (1 − e^{−2γh})/(2γ)],
 *   Cov(ξ_x, ξ_v) = (1 − e^{−γh})²/γ.
 */
export function underdampedCoefficients(gamma: number, h: number): UnderdampedCoefficients {
  if (!(gamma > 0) || !(h > 0)) throw new OpplaceError(`underdamped Langevin needs γ > 0 and h > 0, got γ=${gamma}, h=${h}`);
  const x = gamma * h;
  const oneMinusE = -Math.expm1(-x);
  const oneMinusE2 = -Math.expm1(-2 * x);
  const c1 = oneMinusE / gamma;
  // h − (1 − e^{−x})/γ cancels for small x; (x − (1 − e^{−x}))/γ via a series there.
  const hMinusC1 = x < 1e-3 ? ((x * x) / 2 - (x * x * x) / 6 + (x * x * x * x) / 24) / gamma : h - c1;
  const c2 = hMinusC1 / gamma;
  // ∫_0^h (1 − e^{−γτ})² dτ, series for small γh where the closed form cancels.
  const integral = x < 1e-3 ? ((x * x * x) / 3 - (x * x * x * x) / 4 + (7 * x ** 5) / 60) / gamma : h - (2 * oneMinusE) / gamma + oneMinusE2 / (2 * gamma);
  const varX = (2 / gamma) * integral;
  const varV = oneMinusE2;
  const covXV = (oneMinusE * oneMinusE) / gamma;
  const l11 = Math.sqrt(varX);
  const l21 = l11 > 0 ? covXV / l11 : 0;
  const l22 = Math.sqrt(Math.max(0, varV - l21 * l21));
  return { gamma, h, decay: Math.exp(-x), c1, c2, varX, varV, covXV, l11, l21, l22 };
}

/**
 * One underdamped Langevin step in place with frozen gradient g:
 *   v' = e^{−γh} v + c1 g + ξ_v,   x' = x + c1 v + c2 g + ξ_x.
 */
export function underdampedStep(x: Float64Array, v: Float64Array, g: Float64Array, co: UnderdampedCoefficients, rng: Rng): void {
  for (let i = 0; i < x.length; i++) {
    const z1 = rng.normal();
    const z2 = rng.normal();
    const xi = co.l11 * z1;
    const vi = v[i];
    x[i] += co.c1 * vi + co.c2 * g[i] + xi;
    v[i] = co.decay * vi + co.c1 * g[i] + co.l21 * z1 + co.l22 * z2;
  }
}

/**
 * Corrector: one underdamped Langevin step targeting q_t from a fresh velocity v ~ N(0, I).
 * Because the velocity is fresh, only the position carries over, and the step adds noise
 * c1·v + ξ_x of variance c1² + Var ξ_x.
 */
export class CorrectorStage implements Stage {
  readonly evals = 1;
  readonly coefficients: UnderdampedCoefficients;
  private readonly g: Float64Array;
  private readonly v: Float64Array;
  constructor(dim: number, gamma: number, stepSize: number) {
    this.coefficients = underdampedCoefficients(gamma, stepSize);
    this.g = new Float64Array(dim);
    this.v = new Float64Array(dim);
  }
  apply(model: ScoreModel, y: Float64Array, t: number, _h: number, rng: Rng): void {
    model.score(y, t, this.g);
    for (let i = 0; i < y.length; i++) this.v[i] = rng.normal();
    underdampedStep(y, this.v, this.g, this.coefficients, rng);
  }
  noiseVariance(): number {
    const c = this.coefficients;
    return c.c1 * c.c1 + c.varX;
  }
}

/**
 * Parallel randomized midpoint: R stratified midpoints α_i ~ U[(i−1)/R, i/R], the midpoint values
 * found by K Picard rounds (each round's R score evaluations are independent → run in parallel):
 *   round 0:  y_i = e^{α_i h} y_n + (e^{α_i h} − 1) ŝ_t(y_n)
 *   round k:  y_i = e^{α_i h} y_n + Σ_{j≤i} w_ij ŝ_{t−α_j h}(y_j of round k−1)
 *   final:    y_{n+1} = e^h y_n + (h/R) Σ_i e^{(1−α_i)h} ŝ_{t−α_i h}(y_i)
 * with w_ij = ∫ over cell j ∩ [0, α_i h] of e^{α_i h − u} du. With `sequential` the system is solved
 * exactly point after point instead (the answer the Picard rounds converge to).
 */
export class ParallelMidpointStage implements Stage {
  readonly evals: number;
  readonly alphas: Float64Array;
  private readonly w: Float64Array;
  private readonly s0: Float64Array;
  private readonly ys: Float64Array;
  private readonly scores: Float64Array;
  private readonly view: Float64Array[];
  private readonly scoreView: Float64Array[];
  private readonly tmp: Float64Array;

  constructor(
    private readonly dim: number,
    readonly R: number,
    readonly K: number,
    readonly sequential = false,
  ) {
    this.evals = sequential ? NaN : 1 + (K + 1) * R;
    this.alphas = new Float64Array(R);
    this.w = new Float64Array(R * R);
    this.s0 = new Float64Array(dim);
    this.ys = new Float64Array(R * dim);
    this.scores = new Float64Array(R * dim);
    this.tmp = new Float64Array(dim);
    this.view = Array.from({ length: R }, (_, i) => this.ys.subarray(i * dim, (i + 1) * dim));
    this.scoreView = Array.from({ length: R }, (_, i) => this.scores.subarray(i * dim, (i + 1) * dim));
  }

  private drawAlphasAndWeights(h: number, rng: Rng): void {
    const R = this.R;
    for (let i = 0; i < R; i++) this.alphas[i] = (i + rng.uniform()) / R;
    for (let i = 0; i < R; i++) {
      const ai = this.alphas[i] * h;
      for (let j = 0; j <= i; j++) {
        const lo = (j * h) / R;
        const hi = Math.min(((j + 1) * h) / R, ai);
        // e^{ai − lo} − e^{ai − hi}, written to keep precision for small cells
        this.w[i * R + j] = Math.exp(ai - hi) * Math.expm1(hi - lo);
      }
    }
  }

  apply(model: ScoreModel, y: Float64Array, t: number, h: number, rng: Rng): void {
    const { R, dim } = this;
    this.drawAlphasAndWeights(h, rng);
    model.score(y, t, this.s0);
    for (let i = 0; i < R; i++) {
      const ea = Math.exp(this.alphas[i] * h);
      const ca = Math.expm1(this.alphas[i] * h);
      const yi = this.view[i];
      for (let c = 0; c < dim; c++) yi[c] = ea * y[c] + ca * this.s0[c];
    }
    if (this.sequential) this.solveSequentially(model, y, t, h);
    else {
      for (let k = 1; k <= this.K; k++) {
        this.evaluateMidpoints(model, t, h);
        this.picardRound(y, h);
      }
      this.evaluateMidpoints(model, t, h);
    }
    const eh = Math.exp(h);
    for (let c = 0; c < dim; c++) y[c] *= eh;
    for (let i = 0; i < R; i++) {
      const wi = (h / R) * Math.exp((1 - this.alphas[i]) * h);
      const si = this.scoreView[i];
      for (let c = 0; c < dim; c++) y[c] += wi * si[c];
    }
  }

  /** ŝ at every current midpoint value (the R independent evaluations of one round). */
  private evaluateMidpoints(model: ScoreModel, t: number, h: number): void {
    for (let i = 0; i < this.R; i++) model.score(this.view[i], t - this.alphas[i] * h, this.scoreView[i]);
  }

  private picardRound(y: Float64Array, h: number): void {
    const { R, dim } = this;
    for (let i = 0; i < R; i++) {
      const ea = Math.exp(this.alphas[i] * h);
      const yi = this.view[i];
      for (let c = 0; c < dim; c++) yi[c] = ea * y[c];
      for (let j = 0; j <= i; j++) {
        const wij = this.w[i * R + j];
        const sj = this.scoreView[j];
        for (let c = 0; c < dim; c++) yi[c] += wij * sj[c];
      }
    }
  }

  /** y_i = e^{α_i h} y + Σ_{j<i} w_ij s_j + w_ii ŝ(y_i), solved for i = 1..R in order by fixed-point iteration. */
  private solveSequentially(model: ScoreModel, y: Float64Array, t: number, h: number): void {
    const { R, dim } = this;
    for (let i = 0; i < R; i++) {
      const ea = Math.exp(this.alphas[i] * h);
      const ti = t - this.alphas[i] * h;
      const yi = this.view[i];
      const si = this.scoreView[i];
      for (let c = 0; c < dim; c++) {
        let b = ea * y[c];
        for (let j = 0; j < i; j++) b += this.w[i * R + j] * this.scoreView[j][c];
        this.tmp[c] = b;
      }
      const wii = this.w[i * R + i];
      for (let it = 0; it < 1000; it++) {
        model.score(yi, ti, si);
        let change = 0;
        let size = 1;
        for (let c = 0; c < dim; c++) {
          const next = this.tmp[c] + wii * si[c];
          change = Math.max(change, Math.abs(next - yi[c]));
          size = Math.max(size, Math.abs(next));
          yi[c] = next;
        }
        if (change <= 1e-15 * size) break;
      }
      model.score(yi, ti, si);
    }
  }

  noiseVariance(): number {
    return 0;
  }
}

/** Score evaluations a sampler spends for a given number of predictor steps. */
export function evalsForSteps(name: SamplerName, steps: number, config: SamplerConfig): number {
  switch (name) {
    case 'ei':
    case 'sde':
      return steps;
    case 'rm':
    case 'mid':
      return 2 * steps;
    case 'rm+corrector':
      return 2 * steps + config.corrector.substeps * correctorRuns(steps, config.corrector.every);
    case 'prm':
      return steps * (1 + (config.rounds + 1) * config.midpoints);
  }
}

function correctorRuns(steps: number, every: number): number {
  // after every `every`-th step, and after the last one
  return Math.floor(steps / every) + (steps % every === 0 ? 0 : 1);
}

/** Most predictor steps whose evaluations fit in `budget` (0 when not even one step fits). */
export function stepsForBudget(name: SamplerName, budget: number, config: SamplerConfig): number {
  let lo = 0;
  let hi = Math.max(1, Math.floor(budget));
  if (evalsForSteps(name, hi, config) <= budget) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (evalsForSteps(name, mid, config) <= budget) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** One entry of a sampler's schedule: the stage, the forward time it starts at and its span (0 for correctors). */
export interface ScheduleEntry {
  stage: Stage;
  t: number;
  h: number;
}

export class Sampler {
  readonly stages: Stage[];
  readonly schedule: ScheduleEntry[];
  readonly evals: number;
  readonly config: SamplerConfig;

  constructor(
    readonly name: SamplerName,
    readonly dim: number,
    readonly steps: number,
    config: Partial<SamplerConfig> = {},
  ) {
    if (!SAMPLER_NAMES.includes(name)) throw new OpplaceError(`unknown sampler "${String(name)}" (expected one of ${SAMPLER_NAMES.join(', ')})`);
    if (!Number.isInteger(dim) || dim < 1) throw new OpplaceError(`dimension must be an integer ≥ 1, got ${dim}`);
    if (!Number.isInteger(steps) || steps < 1) throw new OpplaceError(`steps must be an integer ≥ 1, got ${steps}`);
    this.config = samplerConfig(config);
    const c = this.config;
    const predictor = makePredictor(name, dim, c);
    this.stages = [predictor];
    let corrector: Stage | null = null;
    if (name === 'rm+corrector') {
      corrector = new CorrectorStage(dim, c.corrector.gamma, c.corrector.stepRatio * (c.T / steps));
      this.stages.push(corrector);
    }
    const h = c.T / steps;
    this.schedule = [];
    for (let n = 0; n < steps; n++) {
      const t = c.T - n * h;
      // the last step ends exactly at 0 (no round-off below the target time)
      this.schedule.push({ stage: predictor, t, h: n === steps - 1 ? t : h });
      if (corrector && ((n + 1) % c.corrector.every === 0 || n === steps - 1)) {
        const tc = n === steps - 1 ? 0 : c.T - (n + 1) * h;
        for (let k = 0; k < c.corrector.substeps; k++) this.schedule.push({ stage: corrector, t: tc, h: 0 });
      }
    }
    this.evals = c.prmSequential && name === 'prm' ? NaN : this.schedule.reduce((s, e) => s + e.stage.evals, 0);
  }

  /** Runs the whole schedule from y0 (a sample of q_T, or N(0, I)) and writes the end point to out. */
  run(model: ScoreModel, y0: Float64Array, rng: Rng, out: Float64Array): void {
    if (model.dim !== this.dim) throw new OpplaceError(`the score has dimension ${model.dim} but the sampler was built for ${this.dim}`);
    if (y0.length !== this.dim || out.length !== this.dim) throw new OpplaceError(`start and output vectors must have length ${this.dim}`);
    out.set(y0);
    for (const e of this.schedule) e.stage.apply(model, out, e.t, e.h, rng);
  }
}

function makePredictor(name: SamplerName, dim: number, c: SamplerConfig): Stage {
  switch (name) {
    case 'ei':
      return new ExponentialIntegratorStage(dim);
    case 'rm':
    case 'rm+corrector':
      return new MidpointStage(dim, null);
    case 'mid':
      return new MidpointStage(dim, 0.5);
    case 'sde':
      return new SdeStage(dim);
    case 'prm':
      return new ParallelMidpointStage(dim, c.midpoints, c.rounds, c.prmSequential ?? false);
  }
}

/** A sampler that spends at most `budget` score evaluations (null when even one step is too many). */
export function samplerForBudget(name: SamplerName, dim: number, budget: number, config: Partial<SamplerConfig> = {}): Sampler | null {
  const c = samplerConfig(config);
  const steps = stepsForBudget(name, budget, c);
  return steps >= 1 ? new Sampler(name, dim, steps, c) : null;
}
