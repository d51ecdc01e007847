import { strict as assert } from 'node:assert';
import {
  GaussianMixtureScore,
  SeededRng,
  histogramTV1D,
  sampleEndPoints,
  samplerForBudget,
  underdampedCoefficients,
  underdampedStep,
} from '../../algorithms/diffusion';

function simpson(g: (u: number) => number, a: number, b: number, n = 20_000): number {
  const dx = (b - a) / n;
  let s = g(a) + g(b);
  for (let k = 1; k < n; k++) s += (k % 2 ? 4 : 2) * g(a + k * dx);
  return (s * dx) / 3;
}

const cases: [number, number][] = [
  [2, 0.1],
  [0.5, 0.5],
  [4, 1.5],
  [1, 1e-4],
];

describe('diffusion: underdamped Langevin corrector', () => {
  it('closed-form noise covariances equal the Itô-isometry integrals of dx = v ds, dv = −γv ds + √(2γ) dB', () => {
    for (const [gamma, h] of cases) {
      const c = underdampedCoefficients(gamma, h);
      // ξ_v = √(2γ)∫ e^{−γ(h−u)} dB_u,  ξ_x = √(2γ)∫ (1 − e^{−γ(h−u)})/γ dB_u  (τ = h − u)
      const varV = simpson((tau) => 2 * gamma * Math.exp(-2 * gamma * tau), 0, h);
      const varX = simpson((tau) => 2 * gamma * ((1 - Math.exp(-gamma * tau)) / gamma) ** 2, 0, h);
      const cov = simpson((tau) => 2 * gamma * Math.exp(-gamma * tau) * ((1 - Math.exp(-gamma * tau)) / gamma), 0, h);
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      assert.ok(rel(c.varV, varV) < 1e-9, `γ=${gamma} h=${h}: Var ξ_v ${c.varV} vs ${varV}`);
      assert.ok(rel(c.varX, varX) < 1e-8, `γ=${gamma} h=${h}: Var ξ_x ${c.varX} vs ${varX}`);
      assert.ok(rel(c.covXV, cov) < 1e-9, `γ=${gamma} h=${h}: Cov ${c.covXV} vs ${cov}`);
      // deterministic coefficients: ∫_0^h e^{−γτ} dτ and ∫_0^h (1 − e^{−γτ})/γ dτ
      assert.ok(
        rel(
          c.c1,
          simpson((tau) => Math.exp(-gamma * tau), 0, h),
        ) < 1e-9,
      );
      assert.ok(
        rel(
          c.c2,
          simpson((tau) => (1 - Math.exp(-gamma * tau)) / gamma, 0, h),
        ) < 1e-8,
      );
      assert.ok(c.varX * c.varV - c.covXV ** 2 > 0, 'the covariance is positive definite');
    }
  });

  it('the sampled step noise has those covariances (statistically)', () => {
    const [gamma, h] = [2, 0.3];
    const co = underdampedCoefficients(gamma, h);
    const d = 100_000;
    const x = new Float64Array(d);
    const v = new Float64Array(d);
    underdampedStep(x, v, new Float64Array(d), co, new SeededRng(8)); // x = v = g = 0: x', v' are the noise alone
    let sxx = 0,
      svv = 0,
      sxv = 0;
    for (let i = 0; i < d; i++) {
      sxx += x[i] * x[i];
      svv += v[i] * v[i];
      sxv += x[i] * v[i];
    }
    sxx /= d;
    svv /= d;
    sxv /= d;
    const se = (a: number, b: number, c: number) => Math.sqrt((a * b + c * c) / d); // SE of a sample (co)variance
    assert.ok(Math.abs(sxx - co.varX) < 4 * se(co.varX, co.varX, co.varX), `Var ξ_x ${sxx} vs ${co.varX}`);
    assert.ok(Math.abs(svv - co.varV) < 4 * se(co.varV, co.varV, co.varV), `Var ξ_v ${svv} vs ${co.varV}`);
    assert.ok(Math.abs(sxv - co.covXV) < 4 * se(co.varX, co.varV, co.covXV), `Cov ${sxv} vs ${co.covXV}`);
    // and the deterministic part: from v = 1, g = 1 with the noise averaged out
    const x1 = new Float64Array(d);
    const v1 = new Float64Array(d).fill(1);
    underdampedStep(x1, v1, new Float64Array(d).fill(1), co, new SeededRng(9));
    const mx = x1.reduce((a, b) => a + b, 0) / d;
    const mv = v1.reduce((a, b) => a + b, 0) / d;
    assert.ok(Math.abs(mx - (co.c1 + co.c2)) < 4 * Math.sqrt(co.varX / d));
    assert.ok(Math.abs(mv - (co.decay + co.c1)) < 4 * Math.sqrt(co.varV / d));
  });

  it('lowers the 1-D histogram TV on a two-component mixture at an equal evaluation budget', () => {
    const mix = new GaussianMixtureScore([
      { weight: 0.3, mean: Float64Array.of(-2), variance: Float64Array.of(0.25) },
      { weight: 0.7, mean: Float64Array.of(2), variance: Float64Array.of(0.25) },
    ]);
    const density = (x: number) => mix.density(Float64Array.of(x), 0);
    const n = 20_000;
    for (const budget of [24, 48]) {
      const plain = samplerForBudget('rm', 1, budget)!;
      const corrected = samplerForBudget('rm+corrector', 1, budget)!;
      assert.ok(corrected.evals <= budget && plain.evals === budget, 'equal budgets');
      const tvPlain = histogramTV1D(sampleEndPoints(plain, mix, n, 7), density, -5, 5, 50);
      const tvCorrected = histogramTV1D(sampleEndPoints(corrected, mix, n, 7), density, -5, 5, 50);
      // histogram noise at n = 20000 and 50 bins is ≈ 0.01: at 24 evaluations the gap is far above it
      const margin = budget === 24 ? 0.04 : 0;
      assert.ok(tvCorrected < tvPlain - margin, `budget ${budget}: with corrector ${tvCorrected}, without ${tvPlain}`);
    }
  });
});
