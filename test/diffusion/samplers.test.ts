import { strict as assert } from 'node:assert';
import {
  GaussianMixtureScore,
  GaussianScore,
  MidpointStage,
  SAMPLER_NAMES,
  Sampler,
  SeededRng,
  evalsForSteps,
  logLogSlope,
  pathwiseError,
  samplerConfig,
  samplerForBudget,
  type ScoreModel,
} from '../../algorithms/diffusion';
import { isOpplaceError } from '../../algorithms/errors';

/** A score that ignores y: the ODE dy/ds = y + f(t) then has the exact step e^h y + ∫_0^h e^{h−u} f(t−u) du. */
class TimeOnlyScore implements ScoreModel {
  readonly dim = 1;
  calls = 0;
  constructor(readonly f: (t: number) => number) {}
  score(_y: Float64Array, t: number, out: Float64Array): void {
    this.calls++;
    out[0] = this.f(t);
  }
}

function simpson(g: (u: number) => number, a: number, b: number, n = 10_000): number {
  const dx = (b - a) / n;
  let s = g(a) + g(b);
  for (let k = 1; k < n; k++) s += (k % 2 ? 4 : 2) * g(a + k * dx);
  return (s * dx) / 3;
}

describe('diffusion: randomized midpoint is unbiased', () => {
  it('the RM increment averaged over α matches the exact integral; the exponential integrator does not', () => {
    const f = (t: number) => Math.cos(3 * t) + t * t;
    const model = new TimeOnlyScore(f);
    const t = 2;
    const h = 0.5;
    const y0 = 0.3;
    const exact = Math.exp(h) * y0 + simpson((u) => Math.exp(h - u) * f(t - u), 0, h);
    const stage = new MidpointStage(1, null);
    const rng = new SeededRng(11);
    const y = new Float64Array(1);
    const n = 100_000;
    let s1 = 0;
    let s2 = 0;
    for (let k = 0; k < n; k++) {
      y[0] = y0;
      stage.apply(model, y, t, h, rng);
      s1 += y[0];
      s2 += y[0] * y[0];
    }
    assert.equal(model.calls, 2 * n, 'two score evaluations per RM step');
    const mean = s1 / n;
    const se = Math.sqrt((s2 / n - mean * mean) / n);
    assert.ok(se > 0 && Math.abs(mean - exact) < 4 * se, `mean ${mean} vs exact ${exact} (se ${se})`);

    const ei = samplerForBudget('ei', 1, 1, { T: h })!;
    const out = new Float64Array(1);
    ei.run(model, Float64Array.of(y0), rng, out);
    assert.ok(Math.abs(out[0] - exact) > 100 * se, 'the exponential integrator freezes the score, so it is biased');
  });
});

describe('diffusion: pathwise convergence on N(1, 0.25)', () => {
  const budgets = [32, 64, 128, 256, 512];
  const errors = (name: 'ei' | 'rm' | 'mid') => budgets.map((b) => pathwiseError(samplerForBudget(name, 1, b)!, 2000, 5));

  it('exponential integrator: fitted slope ≈ 1.0 (±0.15) and the note’s magnitudes', () => {
    const e = errors('ei');
    const slope = -logLogSlope(budgets, e);
    assert.ok(Math.abs(slope - 1) <= 0.15, `slope ${slope}`);
    assert.ok(e[0] > 7.1e-2 * 0.8 && e[0] < 7.1e-2 * 1.2, `32 evals: ${e[0]}`);
    assert.ok(e[4] > 4.4e-3 * 0.8 && e[4] < 4.4e-3 * 1.2, `512 evals: ${e[4]}`);
  });

  it('randomized midpoint: fitted slope ≈ 1.5 (±0.15); deterministic midpoint at least second order', () => {
    const e = errors('rm');
    const slope = -logLogSlope(budgets, e);
    assert.ok(Math.abs(slope - 1.5) <= 0.15, `RM slope ${slope}`);
    assert.ok(e[4] > 1.5e-3 * 0.7 && e[4] < 1.5e-3 * 1.3, `RM 512 evals: ${e[4]}`);
    const m = errors('mid');
    const mslope = -logLogSlope(budgets, m);
    // second order, and steeper still over 32…512 (pre-asymptotic): the note's 2.3e−2 → 3.2e−5
    assert.ok(mslope >= 1.9, `midpoint slope ${mslope}`);
    assert.ok(m[0] > 2.3e-2 * 0.8 && m[0] < 2.3e-2 * 1.2, `midpoint 32 evals: ${m[0]}`);
    assert.ok(m[4] > 3.2e-5 * 0.8 && m[4] < 3.2e-5 * 1.2, `midpoint 512 evals: ${m[4]}`);
  });
});

describe('diffusion: samplers', () => {
  it('spend the evaluations they report, are deterministic per seed, and share α across coordinates', () => {
    const target = new GaussianScore(new Float64Array(3).fill(1), new Float64Array(3).fill(0.25));
    let calls = 0;
    const counting: ScoreModel = {
      dim: 3,
      score: (y, t, out) => {
        calls++;
        target.score(y, t, out);
      },
    };
    const y0 = Float64Array.of(0.2, 0.2, 0.2);
    for (const name of SAMPLER_NAMES) {
      const s = samplerForBudget(name, 3, 100)!;
      assert.ok(s.evals <= 100 && s.evals > 0, name);
      assert.equal(s.evals, evalsForSteps(name, s.steps, s.config));
      assert.ok(evalsForSteps(name, s.steps + 1, s.config) > 100, `${name} uses the largest step count that fits`);
      calls = 0;
      const a = new Float64Array(3);
      const b = new Float64Array(3);
      s.run(counting, y0, new SeededRng(3), a);
      assert.equal(calls, s.evals, `${name} calls the score ${s.evals} times`);
      s.run(counting, y0, new SeededRng(3), b);
      assert.deepEqual(Array.from(a), Array.from(b), `${name} is deterministic for a seed`);
      if (name !== 'sde' && name !== 'rm+corrector') {
        assert.equal(a[0], a[1], `${name}: equal coordinates stay equal (one α per step)`);
        assert.equal(a[1], a[2]);
      }
    }
  });

  it('parallel RM with R = 1 and K = 0 is the randomized midpoint sampler', () => {
    const target = new GaussianMixtureScore([
      { weight: 1, mean: Float64Array.of(-1.5, 0), variance: Float64Array.of(0.3, 0.5) },
      { weight: 2, mean: Float64Array.of(1.5, 1), variance: Float64Array.of(0.4, 0.2) },
    ]);
    const y0 = Float64Array.of(0.4, -0.7);
    const rm = new Sampler('rm', 2, 20);
    const prm = new Sampler('prm', 2, 20, { midpoints: 1, rounds: 0 });
    const a = new Float64Array(2);
    const b = new Float64Array(2);
    rm.run(target, y0, new SeededRng(9), a);
    prm.run(target, y0, new SeededRng(9), b);
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-12, `${a[i]} vs ${b[i]}`);
  });

  it('rejects bad configurations with one clear error', () => {
    const bad: [() => unknown, RegExp][] = [
      [() => new Sampler('ei', 1, 0), /steps must be an integer ≥ 1/],
      [() => new Sampler('nope' as never, 1, 4), /unknown sampler "nope"/],
      [() => samplerConfig({ T: -1 }), /T must be a finite number > 0/],
      [() => samplerConfig({ midpoints: 0 }), /midpoints must be an integer ≥ 1/],
      [() => samplerConfig({ corrector: { gamma: 0, stepRatio: 1, substeps: 1, every: 1 } }), /gamma must be > 0/],
      [
        () => new Sampler('ei', 2, 4).run(new GaussianScore(Float64Array.of(0), Float64Array.of(1)), Float64Array.of(0), new SeededRng(1), new Float64Array(1)),
        /dimension 1 but the sampler was built for 2/,
      ],
    ];
    for (const [fn, re] of bad) assert.throws(fn, (e: unknown) => isOpplaceError(e) && re.test((e as Error).message), String(re));
  });
});

describe('diffusion: parallel RM converges geometrically in the Picard rounds', () => {
  // Gaussian target with L = max 1/min(σ², 1) = 4; 96 steps on T = 6 give h = 1/16, L·h = 0.25.
  const gauss = new GaussianScore(Float64Array.of(1, -1, 0.5, 2), Float64Array.of(0.25, 0.5, 1, 2));
  const mixture = new GaussianMixtureScore([
    { weight: 1, mean: Float64Array.of(-1, 0.5), variance: Float64Array.of(0.5, 0.5) },
    { weight: 1, mean: Float64Array.of(1, -0.5), variance: Float64Array.of(0.5, 0.5) },
  ]);

  function picardErrors(model: ScoreModel, R: number, steps: number): number[] {
    const d = model.dim;
    const y0 = new Float64Array(d).map((_, i) => 0.3 - 0.4 * i);
    const reference = new Float64Array(d);
    new Sampler('prm', d, steps, { midpoints: R, prmSequential: true }).run(model, y0, new SeededRng(21), reference);
    const errs: number[] = [];
    for (let K = 0; K <= 6; K++) {
      const out = new Float64Array(d);
      new Sampler('prm', d, steps, { midpoints: R, rounds: K }).run(model, y0, new SeededRng(21), out);
      let e = 0;
      for (let i = 0; i < d; i++) e = Math.max(e, Math.abs(out[i] - reference[i]));
      errs.push(e);
    }
    return errs;
  }

  for (const R of [4, 8]) {
    it(`Gaussian target, R = ${R}, L·h = 0.25: error ratio per round < 0.5`, () => {
      assert.ok(gauss.lipschitz() * (6 / 96) <= 0.25);
      const errs = picardErrors(gauss, R, 96);
      assert.ok(errs[0] > 1e-6, `round-0 error ${errs[0]} is large enough to measure`);
      for (let K = 0; K + 1 < errs.length && errs[K] > 1e-13; K++) {
        assert.ok(errs[K + 1] / errs[K] < 0.5, `K=${K}: ${errs[K]} → ${errs[K + 1]}`);
      }
      assert.ok(errs[6] < 1e-9 * Math.max(1, errs[0]), `after 6 rounds: ${errs[6]}`);
    });
  }

  it('Gaussian-mixture target: error ratio per round < 0.5', () => {
    const errs = picardErrors(mixture, 8, 96);
    for (let K = 0; K + 1 < errs.length && errs[K] > 1e-13; K++) {
      assert.ok(errs[K + 1] / errs[K] < 0.5, `K=${K}: ${errs[K]} → ${errs[K + 1]}`);
    }
  });
});
