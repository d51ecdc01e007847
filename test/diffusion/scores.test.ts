import { strict as assert } from 'node:assert';
import { GaussianMixtureScore, GaussianScore, SeededRng, isotropicGaussian, rk4FlowEnd, ouVariance, withoutNoise } from '../../algorithms/diffusion';
import { isOpplaceError } from '../../algorithms/errors';

function throwsOpplace(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => isOpplaceError(e) && pattern.test((e as Error).message));
}

describe('diffusion: seeded RNG', () => {
  it('repeats the same stream for the same seed and differs between seeds', () => {
    const a = new SeededRng(42);
    const b = new SeededRng(42);
    const c = new SeededRng(43);
    const xa = Array.from({ length: 50 }, () => a.uniform());
    const xb = Array.from({ length: 50 }, () => b.uniform());
    const xc = Array.from({ length: 50 }, () => c.uniform());
    assert.deepEqual(xa, xb);
    assert.notDeepEqual(xa, xc);
    for (const x of xa) assert.ok(x >= 0 && x < 1);
  });

  it('draws standard normals (mean 0, variance 1, kurtosis 3 within sampling error)', () => {
    const rng = new SeededRng(7);
    const n = 200_000;
    let s1 = 0,
      s2 = 0,
      s4 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s1 += z;
      s2 += z * z;
      s4 += z ** 4;
    }
    assert.ok(Math.abs(s1 / n) < 4 / Math.sqrt(n));
    assert.ok(Math.abs(s2 / n - 1) < 4 * Math.sqrt(2 / n));
    assert.ok(Math.abs(s4 / n - 3) < 4 * Math.sqrt(96 / n));
  });

  it('withoutNoise passes uniforms and zeroes normals', () => {
    const q = withoutNoise(new SeededRng(1));
    assert.equal(q.normal(), 0);
    assert.equal(q.uniform(), new SeededRng(1).uniform());
  });
});

/** Central finite-difference gradient of ln q_t for a 1-D mixture. */
function numericScore(m: GaussianMixtureScore, y: number, t: number): number {
  const e = 1e-5;
  const lp = (x: number) => Math.log(m.density(Float64Array.of(x), t));
  return (lp(y + e) - lp(y - e)) / (2 * e);
}

describe('diffusion: closed-form scores', () => {
  it('Gaussian score is −(y − e^{−t}μ)/v_t and the mixture score matches the gradient of its log density', () => {
    const g = new GaussianScore(Float64Array.of(1, -2), Float64Array.of(0.25, 3));
    const out = new Float64Array(2);
    g.score(Float64Array.of(0.5, 0.5), 0.7, out);
    const e = Math.exp(-0.7);
    assert.ok(Math.abs(out[0] - -(0.5 - e) / ouVariance(0.25, 0.7)) < 1e-14);
    assert.ok(Math.abs(out[1] - -(0.5 + 2 * e) / ouVariance(3, 0.7)) < 1e-14);

    const m = new GaussianMixtureScore([
      { weight: 1, mean: Float64Array.of(-2), variance: Float64Array.of(0.25) },
      { weight: 3, mean: Float64Array.of(2), variance: Float64Array.of(0.5) },
    ]);
    const s = new Float64Array(1);
    for (const t of [0, 0.3, 2]) {
      for (const y of [-3, -0.4, 0, 1.1, 2.5, 30]) {
        m.score(Float64Array.of(y), t, s);
        if (Math.abs(y) < 10) assert.ok(Math.abs(s[0] - numericScore(m, y, t)) < 1e-5 * (1 + Math.abs(s[0])), `t=${t} y=${y}`);
        assert.ok(Number.isFinite(s[0]), 'log-sum-exp keeps far points finite');
      }
    }
  });

  it('exact Gaussian flow end point agrees with an RK4 reference (2^14 steps)', () => {
    const g = new GaussianScore(Float64Array.of(1, -0.5), Float64Array.of(0.25, 2));
    const y0 = Float64Array.of(0.3, -1.2);
    const exact = new Float64Array(2);
    const rk = new Float64Array(2);
    g.exactFlowEnd(y0, 6, exact);
    rk4FlowEnd(g, y0, 6, 1 << 14, rk);
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(exact[i] - rk[i]) < 1e-10, `${exact[i]} vs ${rk[i]}`);
  });

  it('rejects bad targets with one clear error', () => {
    throwsOpplace(() => new GaussianScore(Float64Array.of(0), Float64Array.of(-1)), /variance\[0\] must be > 0/);
    throwsOpplace(() => new GaussianScore(Float64Array.of(0, 1), Float64Array.of(1)), /variance has length 1, expected 2/);
    throwsOpplace(() => new GaussianMixtureScore([]), /at least one component/);
    throwsOpplace(() => new GaussianMixtureScore([{ weight: 0, mean: Float64Array.of(0), variance: Float64Array.of(1) }]), /weight must be > 0/);
    throwsOpplace(() => isotropicGaussian(0, 0, 1), /dimension must be an integer ≥ 1/);
  });
});
