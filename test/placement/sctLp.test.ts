import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isOpplaceError } from '../../algorithms/errors';
import {
  favouriteChildren,
  roundFavourites,
  setHighsLoader,
  setHighsLoaderOptions,
  solveFavouriteChildLpExact,
  SctLpInput,
} from '../../algorithms/placement/sctLp';
import { buildLpGraph, longestPathWithX } from '../../algorithms/placement/sctLp/graph';
import type { Highs } from 'highs';
import { loadHighs, solveCscLp } from '../../algorithms/placement/sctLp/highs';
import { assertValidFavourites } from './sctLpHelpers';

const TOL = 1e-6;

function input(p: number[], edges: [number, number, number][]): SctLpInput {
  return { n: p.length, p: Float64Array.from(p), edges: edges.map(([from, to, c]) => ({ from, to, c })) };
}

function assertClose(actual: number, expected: number, what = 'value') {
  assert.ok(Math.abs(actual - expected) <= TOL * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
}

const methods = ['exact', 'fast'] as const;

describe('m-SCT favourite-child LP: hand-made cases', () => {
  for (const method of methods) {
    describe(`method ${method}`, () => {
      it('single node: w = p, no favourites', async () => {
        const r = await favouriteChildren(input([7], []), 0.5, { method });
        assertClose(r.lpObjective, 7);
        assert.deepEqual([...r.favChild], [-1]);
        assert.deepEqual([...r.favParent], [-1]);
      });

      it('no edges: w = largest compute time', async () => {
        const r = await favouriteChildren(input([3, 9, 4], []), 0.5, { method });
        assertClose(r.lpObjective, 9);
        assert.deepEqual([...r.favChild], [-1, -1, -1]);
      });

      it('empty graph', async () => {
        const r = await favouriteChildren(input([], []), 0.5, { method });
        assert.equal(r.lpObjective, 0);
        assert.equal(r.favChild.length, 0);
      });

      it('chain: every edge favourite, w = Σp whatever the comm', async () => {
        const r = await favouriteChildren(
          input(
            [1, 2, 3],
            [
              [0, 1, 100],
              [1, 2, 100],
            ],
          ),
          0.5,
          { method },
        );
        assertClose(r.lpObjective, 6);
        assert.deepEqual([...r.favChild], [1, 2, -1]);
        assert.deepEqual([...r.favParent], [-1, 0, 1]);
      });

      it('fork: comm split between the branches (w = 8.5), the longer branch is favourite', async () => {
        // max(1 + 10a + 2, 1 + 10(1−a) + 3) is smallest at a = x01 = 0.55
        const r = await favouriteChildren(
          input(
            [1, 2, 3],
            [
              [0, 1, 10],
              [0, 2, 10],
            ],
          ),
          0.5,
          { method },
        );
        assertClose(r.lpObjective, 8.5);
        assert.deepEqual([...r.favChild], [2, -1, -1]);
        assert.deepEqual([...r.favParent], [-1, -1, 0]);
      });

      it('join: w = 8, the longer parent is favourite', async () => {
        // max(3 + 10a + 1, 1 + 10(1−a) + 1) is smallest at a = x02 = 0.4
        const r = await favouriteChildren(
          input(
            [3, 1, 1],
            [
              [0, 2, 10],
              [1, 2, 10],
            ],
          ),
          0.5,
          { method },
        );
        assertClose(r.lpObjective, 8);
        assert.deepEqual([...r.favParent], [-1, -1, 0]);
        assert.deepEqual([...r.favChild], [2, -1, -1]);
      });

      it('diamond: w = 9.5', async () => {
        // branches 4 + 5(2 − t) and 5 + 5t with t = x02 + x23: balanced at t = 0.9
        const inp = input(
          [1, 2, 3, 1],
          [
            [0, 1, 5],
            [0, 2, 5],
            [1, 3, 5],
            [2, 3, 5],
          ],
        );
        const r = await favouriteChildren(inp, 0.5, { method });
        assertClose(r.lpObjective, 9.5);
        assertValidFavourites(inp, r.favChild, r.favParent);
      });

      it('diamond with zero comm: w = longest compute path', async () => {
        const r = await favouriteChildren(
          input(
            [1, 2, 3, 1],
            [
              [0, 1, 0],
              [0, 2, 0],
              [1, 3, 0],
              [2, 3, 0],
            ],
          ),
          0.5,
          { method },
        );
        assertClose(r.lpObjective, 5);
      });

      it('fork with comm ≫ compute: w = 503.5', async () => {
        const r = await favouriteChildren(
          input(
            [1, 2, 3],
            [
              [0, 1, 1000],
              [0, 2, 1000],
            ],
          ),
          0.5,
          { method },
        );
        assertClose(r.lpObjective, 503.5);
      });

      it('zero-time nodes: w = half the comm of a fork', async () => {
        const r = await favouriteChildren(
          input(
            [0, 0, 0],
            [
              [0, 1, 10],
              [0, 2, 10],
            ],
          ),
          0.5,
          { method },
        );
        assertClose(r.lpObjective, 5);
      });

      it('parallel edges merge with the largest comm', async () => {
        const merged = await favouriteChildren(
          input(
            [1, 2, 3],
            [
              [0, 1, 2],
              [0, 1, 10],
              [0, 2, 10],
              [0, 2, 1],
            ],
          ),
          0.5,
          { method },
        );
        assertClose(merged.lpObjective, 8.5);
      });

      it('two independent components: w is the larger one', async () => {
        // fork (8.5) and a chain 3 → 4 with compute 5 + 5
        const r = await favouriteChildren(
          input(
            [1, 2, 3, 5, 5],
            [
              [0, 1, 10],
              [0, 2, 10],
              [3, 4, 50],
            ],
          ),
          0.5,
          { method },
        );
        assertClose(r.lpObjective, 10);
        assert.equal(r.favChild[3], 4);
      });
    });
  }

  it('θ = 0 gives no favourites; θ > 1 keeps at most one per node', async () => {
    const inp = input(
      [1, 2, 3, 1],
      [
        [0, 1, 5],
        [0, 2, 5],
        [1, 3, 5],
        [2, 3, 5],
      ],
    );
    const none = await favouriteChildren(inp, 0, { method: 'exact' });
    assert.ok([...none.favChild].every((v) => v === -1));
    const all = await favouriteChildren(inp, 1.5, { method: 'exact' });
    assertValidFavourites(inp, all.favChild, all.favParent);
    assert.equal([...all.favChild].filter((v) => v >= 0).length, 2);
  });

  it('the exact solution satisfies the LP and its longest path equals w', async () => {
    const inp = input(
      [1, 2, 3, 1, 4],
      [
        [0, 1, 5],
        [0, 2, 5],
        [1, 3, 5],
        [2, 3, 5],
        [0, 4, 7],
        [4, 3, 2],
      ],
    );
    const sol = await solveFavouriteChildLpExact(inp);
    const g = sol.graph;
    for (let i = 0; i < g.n; i++) {
      const outs = g.outStart[i + 1] - g.outStart[i];
      let sum = 0;
      for (let k = g.outStart[i]; k < g.outStart[i + 1]; k++) sum += sol.x[g.outEdge[k]];
      assert.ok(sum >= outs - 1 - 1e-7, `out row of ${i}`);
    }
    assertClose(longestPathWithX(g, sol.x), sol.objective, 'longest path');
  });
});

describe('m-SCT favourite rounding and repair', () => {
  it('keeps the smallest x when a node has two candidate children', () => {
    const g = buildLpGraph(
      input(
        [1, 1, 1],
        [
          [0, 1, 5],
          [0, 2, 5],
        ],
      ),
    );
    const r = roundFavourites(g, Float64Array.from([0.3, 0.1]), 0.5);
    assert.deepEqual([...r.favChild], [2, -1, -1]);
    assert.deepEqual([...r.favParent], [-1, -1, 0]);
  });

  it('ties in x go to the larger comm, then to the lower index', () => {
    const g = buildLpGraph(
      input(
        [1, 1, 1, 1],
        [
          [0, 1, 5],
          [0, 2, 9],
          [3, 1, 9],
        ],
      ),
    );
    // edges sorted (0,1) (0,2) (3,1); all x equal
    const r = roundFavourites(g, Float64Array.from([0.2, 0.2, 0.2]), 0.5);
    assert.equal(r.favChild[0], 2, 'larger comm wins for node 0');
    assert.equal(r.favChild[3], 1, 'node 1 keeps a favourite parent, 3');
    const same = buildLpGraph(
      input(
        [1, 1, 1],
        [
          [0, 2, 5],
          [0, 1, 5],
        ],
      ),
    );
    const r2 = roundFavourites(same, Float64Array.from([0.2, 0.2]), 0.5);
    assert.equal(r2.favChild[0], 1, 'equal x and comm → lower child index');
  });

  it('repairs a conflict on the parent side', () => {
    const g = buildLpGraph(
      input(
        [1, 1, 1],
        [
          [0, 2, 5],
          [1, 2, 5],
        ],
      ),
    );
    const r = roundFavourites(g, Float64Array.from([0.4, 0.0]), 0.5);
    assert.deepEqual([...r.favParent], [-1, -1, 1]);
    assert.deepEqual([...r.favChild], [-1, 2, -1]);
  });

  it('only x < θ counts', () => {
    const g = buildLpGraph(input([1, 1], [[0, 1, 5]]));
    assert.equal(roundFavourites(g, Float64Array.from([0.5]), 0.5).favChild[0], -1);
    assert.equal(roundFavourites(g, Float64Array.from([0.49]), 0.5).favChild[0], 1);
  });
});

describe('m-SCT LP input validation', () => {
  const bad: [string, () => SctLpInput, RegExp][] = [
    [
      'a cycle',
      () =>
        input(
          [1, 1, 1],
          [
            [0, 1, 1],
            [1, 2, 1],
            [2, 0, 1],
          ],
        ),
      /cycle/,
    ],
    ['a self-loop', () => input([1, 1], [[1, 1, 1]]), /self-loop/],
    ['an edge out of range', () => input([1, 1], [[0, 5, 1]]), /out of range/],
    ['a negative comm time', () => input([1, 1], [[0, 1, -3]]), /comm time/],
    ['a NaN compute time', () => input([1, NaN], []), /compute time/],
    ['a wrong-length p', () => ({ n: 3, p: new Float64Array(2), edges: [] }), /length 3/],
    ['a negative n', () => ({ n: -1, p: new Float64Array(0), edges: [] }), /non-negative integer/],
  ];
  for (const [what, make, pattern] of bad) {
    it(`rejects ${what} with one OpplaceError`, async () => {
      for (const method of methods) {
        await assert.rejects(favouriteChildren(make(), 0.5, { method }), (e: unknown) => isOpplaceError(e) && pattern.test((e as Error).message));
      }
    });
  }
  it('rejects a non-finite θ', async () => {
    await assert.rejects(favouriteChildren(input([1], []), NaN), (e: unknown) => isOpplaceError(e) && /θ/.test((e as Error).message));
  });
});

describe('HiGHS failures', () => {
  it('an LP without optimum (after the retries) is one OpplaceError naming the status', async () => {
    const highs = await loadHighs();
    // one column x ∈ [0, 1], one row x ≥ 2: infeasible
    const lp = {
      numCols: 1,
      numRows: 1,
      colCost: Float64Array.of(1),
      colLower: Float64Array.of(0),
      colUpper: Float64Array.of(1),
      rowLower: Float64Array.of(2),
      rowUpper: Float64Array.of(Infinity),
      starts: Int32Array.of(0, 1),
      indices: Int32Array.of(0),
      values: Float64Array.of(1),
    };
    assert.throws(
      () => solveCscLp(highs, lp, 'test LP'),
      (e: unknown) => isOpplaceError(e) && /test LP: HiGHS did not find an optimum \(model status \d+/.test((e as Error).message),
    );
  });
});

describe('fast path fall-back', () => {
  afterEach(() => setHighsLoader(undefined));

  it('when the reduced solves cannot be certified (here: a solver that lies on small LPs), the full exact solve answers', async () => {
    // two forks in series with a chain in between; times large so a fake w of 1 ms is far too small
    const inp = input(
      [1e5, 2e5, 3e5, 1e5, 1e5, 1e5, 2e5, 3e5],
      [
        [0, 1, 3e5],
        [0, 2, 3e5],
        [1, 3, 3e5],
        [2, 3, 3e5],
        [3, 4, 3e5],
        [4, 5, 3e5],
        [5, 6, 3e5],
        [5, 7, 3e5],
      ],
    );
    const expected = await favouriteChildren(inp, 0.5, { method: 'exact' });
    // the full LP (8 s + 8 x + w); the reduced ones are smaller (3 → 4 → 5 is contracted)
    const fullColumns = 8 + 8 + 1;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const realLoader = require('highs') as (o?: unknown) => Promise<Highs>;
    setHighsLoader(async (options) => {
      const real = await realLoader(options);
      const raw = {
        ...real.raw,
        lpCall: (model: Parameters<Highs['raw']['lpCall']>[0]) =>
          model.numCols === fullColumns
            ? real.raw.lpCall(model)
            : ({ status: 0, value: { modelStatus: 7, solution: { colValue: new Float64Array(model.numCols).fill(1) } } } as unknown as ReturnType<
                Highs['raw']['lpCall']
              >),
      };
      return new Proxy(real, { get: (target, key) => (key === 'raw' ? raw : Reflect.get(target, key)) });
    });
    const r = await favouriteChildren(inp, 0.5, { method: 'fast' });
    assert.match(r.method, /^highs-exact \(fallback/);
    assertClose(r.lpObjective, expected.lpObjective);
    assertValidFavourites(inp, r.favChild, r.favParent);
  });
});

describe('HiGHS loading', () => {
  afterEach(() => setHighsLoader(undefined));

  it('loads from supplied wasm bytes (the browser path)', async () => {
    const wasm = readFileSync(require.resolve('highs/runtime'));
    setHighsLoaderOptions({ wasmBinary: wasm, locateFile: () => '/nonexistent/highs.wasm' });
    try {
      const r = await favouriteChildren(
        input(
          [1, 2, 3],
          [
            [0, 1, 10],
            [0, 2, 10],
          ],
        ),
        0.5,
        { method: 'exact' },
      );
      assertClose(r.lpObjective, 8.5);
    } finally {
      setHighsLoaderOptions({});
    }
  });

  it('bad wasm bytes give an OpplaceError instead of hanging', async () => {
    setHighsLoaderOptions({ wasmBinary: new Uint8Array([0, 97, 115, 109, 9, 9]) });
    try {
      await assert.rejects(
        favouriteChildren(input([1, 2], [[0, 1, 1]]), 0.5, { method: 'exact' }),
        (e: unknown) => isOpplaceError(e) && /HiGHS/.test((e as Error).message),
      );
    } finally {
      setHighsLoaderOptions({});
    }
  });

  it('a failing loader becomes an OpplaceError, and the next call retries', async () => {
    setHighsLoader(() => Promise.reject(new Error('no wasm here')));
    await assert.rejects(
      favouriteChildren(
        input(
          [1, 2],
          [
            [0, 1, 1],
            [0, 1, 2],
          ],
        ),
        0.5,
        { method: 'exact' },
      ),
      (e: unknown) => isOpplaceError(e) && /no wasm here/.test((e as Error).message),
    );
    setHighsLoader(undefined);
    const r = await favouriteChildren(input([1, 2], [[0, 1, 1]]), 0.5, { method: 'exact' });
    assertClose(r.lpObjective, 3);
  });
});
