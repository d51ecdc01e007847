// Score functions ∇ln q_t of the Ornstein–Uhlenbeck forward process x_t = e^{−t} x_0 + √(1 − e^{−2t}) z.
// A score is pluggable: anything with `dim` and `score(y, t, out)` (a learned network would be one);
// closed forms for Gaussian and Gaussian-mixture targets are provided for tests and benchmarks.
import { OpplaceError } from '../errors';
import type { Rng } from './rng';

export interface ScoreModel {
  readonly dim: number;
  /** Writes ∇ln q_t(y) into `out` (length dim). Must not allocate: it runs in the samplers' hot loop. */
  score(y: Float64Array, t: number, out: Float64Array): void;
}

/** Variance at forward time t of a coordinate that starts with variance σ². */
export function ouVariance(sigma2: number, t: number): number {
  const e2 = Math.exp(-2 * t);
  return e2 * sigma2 + 1 - e2;
}

function checkVector(v: Float64Array, dim: number, what: string): void {
  if (v.length !== dim) throw new OpplaceError(`${what} has length ${v.length}, expected ${dim}`);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new OpplaceError(`${what}[${i}] is not a finite number`);
  }
}

/** Target N(μ, diag σ²). */
export class GaussianScore implements ScoreModel {
  readonly dim: number;
  constructor(
    readonly mean: Float64Array,
    readonly variance: Float64Array,
  ) {
    this.dim = mean.length;
    if (this.dim === 0) throw new OpplaceError('a Gaussian target needs at least one dimension');
    checkVector(mean, this.dim, 'mean');
    checkVector(variance, this.dim, 'variance');
    for (let i = 0; i < this.dim; i++) {
      if (!(variance[i] > 0)) throw new OpplaceError(`variance[${i}] must be > 0, got ${variance[i]}`);
    }
  }

  score(y: Float64Array, t: number, out: Float64Array): void {
    const e1 = Math.exp(-t);
    const e2 = e1 * e1;
    const mu = this.mean;
    const s2 = this.variance;
    for (let i = 0; i < this.dim; i++) {
      out[i] = -(y[i] - e1 * mu[i]) / (e2 * s2[i] + 1 - e2);
    }
  }

  /** Largest Lipschitz constant of the score over t ≥ 0: max_i 1 / min(σ_i², 1). */
  lipschitz(): number {
    let m = 0;
    for (let i = 0; i < this.dim; i++) m = Math.max(m, 1 / Math.min(this.variance[i], 1));
    return m;
  }

  /** Exact end point of the probability-flow ODE started at y0 at forward time T. */
  exactFlowEnd(y0: Float64Array, T: number, out: Float64Array): void {
    const e1 = Math.exp(-T);
    for (let i = 0; i < this.dim; i++) {
      const s2 = this.variance[i];
      out[i] = this.mean[i] + Math.sqrt(s2 / ouVariance(s2, T)) * (y0[i] - e1 * this.mean[i]);
    }
  }

  /** An exact sample of q_t. */
  sampleMarginal(t: number, rng: Rng, out: Float64Array): void {
    const e1 = Math.exp(-t);
    for (let i = 0; i < this.dim; i++) {
      out[i] = e1 * this.mean[i] + Math.sqrt(ouVariance(this.variance[i], t)) * rng.normal();
    }
  }
}

/** N(μ·1, σ² I) in `dim` dimensions. */
export function isotropicGaussian(dim: number, mean: number, variance: number): GaussianScore {
  if (!Number.isInteger(dim) || dim < 1) throw new OpplaceError(`dimension must be an integer ≥ 1, got ${dim}`);
  return new GaussianScore(new Float64Array(dim).fill(mean), new Float64Array(dim).fill(variance));
}

export interface MixtureComponent {
  weight: number;
  mean: Float64Array;
  /** Diagonal covariance. */
  variance: Float64Array;
}

/**
 * Target Σ_k w_k N(μ_k, diag σ_k²). At time t component k is N(e^{−t}μ_k, e^{−2t}σ_k² + 1 − e^{−2t});
 * the score is the responsibility-weighted sum of component scores, responsibilities by log-sum-exp.
 */
export class GaussianMixtureScore implements ScoreModel {
  readonly dim: number;
  readonly components: MixtureComponent[];
  private readonly logW: Float64Array;
  private readonly logR: Float64Array;

  constructor(components: MixtureComponent[]) {
    if (components.length === 0) throw new OpplaceError('a Gaussian mixture needs at least one component');
    this.dim = components[0].mean.length;
    if (this.dim === 0) throw new OpplaceError('a Gaussian mixture needs at least one dimension');
    let total = 0;
    components.forEach((c, k) => {
      if (!(c.weight > 0) || !Number.isFinite(c.weight)) throw new OpplaceError(`mixture component ${k}: weight must be > 0, got ${c.weight}`);
      checkVector(c.mean, this.dim, `mixture component ${k}: mean`);
      checkVector(c.variance, this.dim, `mixture component ${k}: variance`);
      for (let i = 0; i < this.dim; i++) {
        if (!(c.variance[i] > 0)) throw new OpplaceError(`mixture component ${k}: variance[${i}] must be > 0`);
      }
      total += c.weight;
    });
    this.components = components.map((c) => ({ ...c, weight: c.weight / total }));
    this.logW = Float64Array.from(this.components, (c) => Math.log(c.weight));
    this.logR = new Float64Array(components.length);
  }

  score(y: Float64Array, t: number, out: Float64Array): void {
    const e1 = Math.exp(-t);
    const e2 = e1 * e1;
    const K = this.components.length;
    let maxL = -Infinity;
    for (let k = 0; k < K; k++) {
      const c = this.components[k];
      let l = this.logW[k];
      for (let i = 0; i < this.dim; i++) {
        const v = e2 * c.variance[i] + 1 - e2;
        const r = y[i] - e1 * c.mean[i];
        l -= 0.5 * ((r * r) / v + Math.log(v));
      }
      this.logR[k] = l;
      if (l > maxL) maxL = l;
    }
    let z = 0;
    for (let k = 0; k < K; k++) {
      this.logR[k] = Math.exp(this.logR[k] - maxL);
      z += this.logR[k];
    }
    out.fill(0);
    for (let k = 0; k < K; k++) {
      const c = this.components[k];
      const resp = this.logR[k] / z;
      for (let i = 0; i < this.dim; i++) {
        const v = e2 * c.variance[i] + 1 - e2;
        out[i] -= (resp * (y[i] - e1 * c.mean[i])) / v;
      }
    }
  }

  /** Density of q_t at a point (1-D targets: the histogram checks use it). */
  density(y: Float64Array, t: number): number {
    const e1 = Math.exp(-t);
    const e2 = e1 * e1;
    let p = 0;
    for (const c of this.components) {
      let l = Math.log(c.weight);
      for (let i = 0; i < this.dim; i++) {
        const v = e2 * c.variance[i] + 1 - e2;
        const r = y[i] - e1 * c.mean[i];
        l -= 0.5 * ((r * r) / v + Math.log(2 * Math.PI * v));
      }
      p += Math.exp(l);
    }
    return p;
  }

  /** An exact sample of q_t. */
  sampleMarginal(t: number, rng: Rng, out: Float64Array): void {
    let u = rng.uniform();
    let chosen = this.components[this.components.length - 1];
    for (const c of this.components) {
      if (u < c.weight) {
        chosen = c;
        break;
      }
      u -= c.weight;
    }
    const e1 = Math.exp(-t);
    for (let i = 0; i < this.dim; i++) {
      out[i] = e1 * chosen.mean[i] + Math.sqrt(ouVariance(chosen.variance[i], t)) * rng.normal();
    }
  }
}

/**
 * Reference end point of the probability-flow ODE dy/ds = y + ∇ln q_{T−s}(y) by classical RK4 with
 * `steps` uniform steps (≥ 2^14 for references).
 */
export function rk4FlowEnd(model: ScoreModel, y0: Float64Array, T: number, steps: number, out: Float64Array): void {
  const d = model.dim;
  const k1 = new Float64Array(d);
  const k2 = new Float64Array(d);
  const k3 = new Float64Array(d);
  const k4 = new Float64Array(d);
  const tmp = new Float64Array(d);
  const h = T / steps;
  out.set(y0);
  const field = (y: Float64Array, t: number, k: Float64Array) => {
    model.score(y, t, k);
    for (let i = 0; i < d; i++) k[i] += y[i];
  };
  for (let n = 0; n < steps; n++) {
    const t = T - n * h;
    field(out, t, k1);
    for (let i = 0; i < d; i++) tmp[i] = out[i] + 0.5 * h * k1[i];
    field(tmp, t - 0.5 * h, k2);
    for (let i = 0; i < d; i++) tmp[i] = out[i] + 0.5 * h * k2[i];
    field(tmp, t - 0.5 * h, k3);
    for (let i = 0; i < d; i++) tmp[i] = out[i] + h * k3[i];
    field(tmp, Math.max(t - h, 0), k4);
    for (let i = 0; i < d; i++) out[i] += (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
}
