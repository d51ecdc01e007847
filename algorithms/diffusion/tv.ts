// Exact total variation of a sampler's output law on an isotropic Gaussian target N(μ, σ² I).
// For such a target every sampler here is linear and keeps the mean, so given its random
// midpoints the output is N(μ, s² I); its law is the mixture of these over the midpoint draws.
// Both that mixture and the target are radial around μ, so their TV equals the TV of the law of
// r = |x − μ|²: scaled χ²_d densities. We integrate over u = log r (every component is then a
// smooth bump of width ≈ √(2/d)) with log-space densities and composite Simpson — no sampling noise.
import { OpplaceError } from '../errors';
import { withoutNoise, type Rng } from './rng';
import { isotropicGaussian, ouVariance } from './scores';
import type { Sampler } from './samplers';

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Offset w (in u = log r) from the mode of a log-χ²_d density where its log density has dropped
 * by `drop`: solves (d/2)(e^w − 1 − w) = drop on the side given by `sign`.
 */
function tailOffset(d: number, drop: number, sign: 1 | -1): number {
  const f = (w: number) => (d / 2) * (Math.expm1(w) - w) - drop;
  let lo = 0;
  let hi: number = sign;
  while (f(hi) < 0) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < 0) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The mixture in log space: ln s_m² and ln of the normalized weights, after checking the inputs. */
function logComponents(variances: ArrayLike<number>, targetVariance: number, d: number, weights?: ArrayLike<number>) {
  const M = variances.length;
  if (M === 0) throw new OpplaceError('the output law needs at least one component');
  if (!Number.isInteger(d) || d < 1) throw new OpplaceError(`dimension must be an integer ≥ 1, got ${d}`);
  if (!(targetVariance > 0)) throw new OpplaceError(`target variance must be > 0, got ${targetVariance}`);
  const logS2 = new Float64Array(M);
  const logW = new Float64Array(M);
  let wSum = 0;
  for (let m = 0; m < M; m++) {
    const s2 = variances[m];
    if (!(s2 > 0) || !Number.isFinite(s2)) throw new OpplaceError(`output variance ${m} is ${s2}; the sampler diverged`);
    logS2[m] = Math.log(s2);
    wSum += weights ? weights[m] : 1;
  }
  for (let m = 0; m < M; m++) logW[m] = Math.log((weights ? weights[m] : 1) / wSum);
  return { logS2, logW };
}

/** The Simpson grid in u: from below the smallest to above the largest component, ~24 points per bump width, n even. */
function integrationGrid(logS2: Float64Array, logT: number, d: number): { lo: number; n: number; du: number } {
  let minC = logT;
  let maxC = logT;
  for (let m = 0; m < logS2.length; m++) {
    minC = Math.min(minC, logS2[m]);
    maxC = Math.max(maxC, logS2[m]);
  }
  // Mode of log-χ²_d in u − log s² is log d; integrate out to where every density has dropped by e^{-60}.
  const lo = minC + Math.log(d) + tailOffset(d, 60, -1);
  const hi = maxC + Math.log(d) + tailOffset(d, 60, 1);
  const width = Math.min(Math.sqrt(2 / d), 2);
  let n = Math.ceil(((hi - lo) / width) * 24);
  n = Math.max(1000, Math.min(n, 400_000));
  if (n % 2 === 1) n++;
  return { lo, n, du: (hi - lo) / n };
}

/** u ↦ mixture density minus target density of u = log r, the mixture summed in log space (log-sum-exp). */
function densityDifference(logS2: Float64Array, logW: Float64Array, logT: number, d: number): (u: number) => number {
  const M = logS2.length;
  // log density of u = log r when r = s² χ²_d:  (d/2)(u − log s²) − e^{u − log s²}/2 − (d/2) ln 2 − ln Γ(d/2)
  const norm = -(d / 2) * Math.LN2 - logGamma(d / 2);
  const logDensity = (u: number, ls2: number) => (d / 2) * (u - ls2) - 0.5 * Math.exp(u - ls2) + norm;
  const terms = new Float64Array(M);
  return (u: number): number => {
    let maxL = -Infinity;
    for (let m = 0; m < M; m++) {
      const l = logW[m] + logDensity(u, logS2[m]);
      terms[m] = l;
      if (l > maxL) maxL = l;
    }
    let mix = 0;
    if (maxL > -745) {
      let s = 0;
      for (let m = 0; m < M; m++) s += Math.exp(terms[m] - maxL);
      mix = Math.exp(maxL) * s;
    }
    return mix - Math.exp(logDensity(u, logT));
  };
}

/**
 * ∫|diff| by composite Simpson on the grid; a panel where diff changes sign holds a kink of |diff|,
 * so it is integrated again on 64 sub-panels (the kink's error shrinks by 64²).
 */
function simpsonOfAbs(diff: (u: number) => number, { lo, n, du }: { lo: number; n: number; du: number }): number {
  const f = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) f[k] = diff(lo + k * du);
  let sum = 0;
  for (let k = 0; k < n; k += 2) {
    const a = f[k];
    const b = f[k + 1];
    const c = f[k + 2];
    if ((a >= 0 && b >= 0 && c >= 0) || (a <= 0 && b <= 0 && c <= 0)) {
      sum += (du / 3) * (Math.abs(a) + 4 * Math.abs(b) + Math.abs(c));
    } else {
      const sub = 64;
      const dx = (2 * du) / sub;
      const u0 = lo + k * du;
      let s = Math.abs(a) + Math.abs(c);
      for (let q = 1; q < sub; q++) s += (q % 2 ? 4 : 2) * Math.abs(diff(u0 + q * dx));
      sum += (dx / 3) * s;
    }
  }
  return sum;
}

/**
 * TV between the mixture Σ_m weight_m N(0, s_m² I_d) and N(0, σ² I_d).
 * `variances` are the s_m²; `weights` default to equal.
 */
export function isotropicMixtureTV(variances: ArrayLike<number>, targetVariance: number, d: number, weights?: ArrayLike<number>): number {
  const { logS2, logW } = logComponents(variances, targetVariance, d, weights);
  const logT = Math.log(targetVariance);
  const diff = densityDifference(logS2, logW, logT, d);
  return Math.min(1, 0.5 * simpsonOfAbs(diff, integrationGrid(logS2, logT, d)));
}

/**
 * Per-coordinate output variance of a sampler on the isotropic target N(0, σ² I) started from the
 * exact q_T (or from any start variance, e.g. 1 for y_0 ~ N(0, I)), for one draw of its random midpoints. Uses the sampler's own stages on a 1-D state:
 * with the noise switched off a stage maps y = 1 to its linear coefficient a (drawing its midpoints
 * from `rng`), and Var ← a²·Var + (noise variance the stage adds).
 */
export function isotropicOutputVariance(sampler: Sampler, targetVariance: number, rng: Rng, startVariance?: number): number {
  if (sampler.dim !== 1) throw new OpplaceError('the exact-law computation needs a 1-D sampler (coordinates evolve alike)');
  const model = isotropicGaussian(1, 0, targetVariance);
  const quiet = withoutNoise(rng);
  const y = new Float64Array(1);
  let variance = startVariance ?? ouVariance(targetVariance, sampler.config.T);
  for (const e of sampler.schedule) {
    y[0] = 1;
    e.stage.apply(model, y, e.t, e.h, quiet);
    variance = y[0] * y[0] * variance + e.stage.noiseVariance(e.t, e.h);
  }
  return variance;
}

/** Whether a sampler draws random midpoints (so its law is a mixture over draws). */
export function hasRandomMidpoints(sampler: Sampler): boolean {
  return sampler.name === 'rm' || sampler.name === 'rm+corrector' || sampler.name === 'prm';
}

/**
 * TV of the sampler's output law on N(μ, σ² I_d): the mixture over `draws` midpoint draws (one
 * component for deterministic schedules) against the target.
 */
export function samplerTV(sampler: Sampler, d: number, targetVariance: number, rng: Rng, draws = 200): number {
  const M = hasRandomMidpoints(sampler) ? draws : 1;
  const variances = new Float64Array(M);
  for (let m = 0; m < M; m++) variances[m] = isotropicOutputVariance(sampler, targetVariance, rng);
  return isotropicMixtureTV(variances, targetVariance, d);
}
