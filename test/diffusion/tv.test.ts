import { strict as assert } from 'node:assert';
import {
  Sampler,
  SeededRng,
  budgetForTV,
  isotropicGaussian,
  isotropicMixtureTV,
  isotropicOutputVariance,
  logGamma,
  logLogSlope,
  samplerForBudget,
  samplerTV,
} from '../../algorithms/diffusion';
import { isOpplaceError } from '../../algorithms/errors';

const within = (x: number, expected: number, rel: number) => Math.abs(x - expected) <= rel * expected;

describe('diffusion: exact TV of isotropic Gaussian laws', () => {
  it('logGamma matches known values', () => {
    assert.ok(Math.abs(logGamma(1)) < 1e-14);
    assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-14);
    assert.ok(Math.abs(logGamma(11) - Math.log(3628800)) < 1e-12);
    // Stirling with three correction terms at 5000
    const x = 5000;
    const stirling = (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3);
    assert.ok(Math.abs(logGamma(x) - stirling) < 1e-9);
  });

  it('is 0 for the target itself and matches the closed form in d = 2 (r = |x|² is exponential)', () => {
    assert.ok(isotropicMixtureTV([0.25], 0.25, 1000) < 1e-9);
    for (const [a, b] of [
      [1, 1.3],
      [0.25, 0.2],
      [2, 0.5],
    ]) {
      // r ~ Exp(rate 1/(2a)) vs Exp(rate 1/(2b)); crossing at r*, TV = |e^{−λ2 r*} − e^{−λ1 r*}|
      const l1 = 1 / (2 * a);
      const l2 = 1 / (2 * b);
      const r = Math.log(l1 / l2) / (l1 - l2);
      const closed = Math.abs(Math.exp(-l2 * r) - Math.exp(-l1 * r));
      const tv = isotropicMixtureTV([a], b, 2);
      assert.ok(Math.abs(tv - closed) < 1e-7, `${tv} vs ${closed}`);
    }
  });

  it('equals the mixture TV computed by brute force in d = 1 (direct integral over x)', () => {
    const vars = [0.2, 0.3, 0.26];
    const target = 0.25;
    const pdf = (x: number, v: number) => Math.exp((-x * x) / (2 * v)) / Math.sqrt(2 * Math.PI * v);
    let s = 0;
    const n = 200_000;
    const L = 6;
    const dx = (2 * L) / n;
    for (let k = 0; k <= n; k++) {
      const x = -L + k * dx;
      const mix = vars.reduce((a, v) => a + pdf(x, v), 0) / vars.length;
      s += (k === 0 || k === n ? 0.5 : 1) * Math.abs(mix - pdf(x, target));
    }
    const brute = 0.5 * s * dx;
    const tv = isotropicMixtureTV(vars, target, 1);
    assert.ok(Math.abs(tv - brute) < 1e-6, `${tv} vs ${brute}`);
  });

  it('rejects a diverged sampler and bad dimensions with one clear error', () => {
    assert.throws(
      () => isotropicMixtureTV([Infinity], 0.25, 10),
      (e: unknown) => isOpplaceError(e) && /diverged/.test((e as Error).message),
    );
    assert.throws(
      () => isotropicMixtureTV([1], 0.25, 0),
      (e: unknown) => isOpplaceError(e) && /dimension/.test((e as Error).message),
    );
  });

  it('the exact law matches the sampled output variance (SDE and RM + corrector, noise included)', () => {
    for (const name of ['sde', 'rm+corrector'] as const) {
      const sampler = new Sampler(name, 1, 12);
      const target = isotropicGaussian(1, 0, 0.25);
      const rng = new SeededRng(4);
      const n = 40_000;
      const y0 = new Float64Array(1);
      const out = new Float64Array(1);
      let s2 = 0;
      for (let k = 0; k < n; k++) {
        target.sampleMarginal(6, rng, y0);
        sampler.run(target, y0, rng, out);
        s2 += out[0] * out[0];
      }
      const sampled = s2 / n;
      let law = 0;
      const lawRng = new SeededRng(5);
      const draws = name === 'sde' ? 1 : 20_000;
      for (let m = 0; m < draws; m++) law += isotropicOutputVariance(sampler, 0.25, lawRng) / draws;
      const se = law * Math.sqrt(2 / n) * 1.5; // ×1.5: the α mixture has slightly heavier tails than a Gaussian
      assert.ok(Math.abs(sampled - law) < 4 * se, `${name}: sampled ${sampled} vs law ${law}`);
      assert.ok(Math.abs(law - 0.25) > 4 * se, `${name}: 12 steps are coarse enough for the test to have power`);
      // a start from N(0, I) instead of the exact q_T = N(0, v_T) changes the law only by (1 − v_T)·a²
      const a2 =
        isotropicOutputVariance(new Sampler('ei', 1, 12), 0.25, new SeededRng(1), 1) -
        isotropicOutputVariance(new Sampler('ei', 1, 12), 0.25, new SeededRng(1), 0);
      assert.ok(a2 > 0 && a2 < 1);
    }
  });
});

describe('diffusion: TV of the output law on N(0, 0.25 I)', () => {
  it('d = 1000, 256 evaluations: EI ≈ 0.305, RM ≈ 0.040 (within 20%), α = ½ ≈ 0.005', () => {
    const tv = (name: 'ei' | 'rm' | 'mid', draws: number) => samplerTV(samplerForBudget(name, 1, 256)!, 1000, 0.25, new SeededRng(1), draws);
    const ei = tv('ei', 1);
    const rm = tv('rm', 3000);
    const mid = tv('mid', 1);
    assert.ok(within(ei, 0.305, 0.2), `EI ${ei}`);
    assert.ok(within(rm, 0.04, 0.2), `RM ${rm}`);
    assert.ok(within(mid, 0.005, 0.3), `mid ${mid}`);
    // the mean of the components' own TVs is not the law's TV: it is much larger (note: 0.127)
    const rng = new SeededRng(1);
    const s = samplerForBudget('rm', 1, 256)!;
    let meanOwn = 0;
    for (let m = 0; m < 400; m++) meanOwn += isotropicMixtureTV([isotropicOutputVariance(s, 0.25, rng)], 0.25, 1000) / 400;
    assert.ok(within(meanOwn, 0.127, 0.2) && meanOwn > 2 * rm, `mean of component TVs ${meanOwn}`);
  });

  it('evaluations for TV ≤ 0.05 grow like d^0.22…0.40 (RM) and d^0.42…0.58 (EI) over d = 10…10000', () => {
    const dims = [10, 100, 1000, 10000];
    const budgets = (name: 'ei' | 'rm', draws: number) => dims.map((d) => budgetForTV(name, d, 0.05, { draws, seed: 2 }).evals!);
    const ei = budgets('ei', 1);
    const rm = budgets('rm', 600);
    const eiExp = logLogSlope(dims, ei);
    const rmExp = logLogSlope(dims, rm);
    assert.ok(eiExp >= 0.42 && eiExp <= 0.58, `EI exponent ${eiExp} (${ei})`);
    assert.ok(rmExp >= 0.22 && rmExp <= 0.4, `RM exponent ${rmExp} (${rm})`);
    // the note's budgets, within 25%: EI 159 … 5364, RM 71 … 507
    assert.ok(within(ei[0], 159, 0.25) && within(ei[3], 5364, 0.25), `EI budgets ${ei}`);
    assert.ok(within(rm[0], 71, 0.25) && within(rm[3], 507, 0.25), `RM budgets ${rm}`);
  });
});
