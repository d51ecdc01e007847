// STG set: 360 graphs × 2/4/8/16 processors, no communication, no memory. No makespan may be
// below the published optimum (that would be a bug in the scheduler or the checker), and every
// plan passes the checker. m-SCT solves an LP per graph, so it runs on a sample.
import assert from 'node:assert/strict';
import type { AlgorithmName } from '../../algorithms/plan';
import { runStgCase, stgCases } from './stgSuite';

describe('placement: STG set against published optima', function () {
  this.timeout(180000);
  const cases = stgCases();

  it('has all 360 graphs × 4 processor counts', () => {
    assert.equal(cases.length, 1440);
    assert.equal(new Set(cases.map((c) => c.file)).size, 360);
  });

  for (const algorithm of ['m-etf', 'm-topo', 'sequential'] as AlgorithmName[]) {
    it(`${algorithm}: never below the optimum, every plan valid`, async () => {
      let gapSum = 0;
      for (const c of cases) {
        const r = await runStgCase(c, algorithm);
        assert.deepEqual(r.checkerProblems, [], `${c.file} on ${c.processors}`);
        assert.ok(r.makespan >= c.optimum, `${algorithm} ${c.file} on ${c.processors}: ${r.makespan} < optimum ${c.optimum}`);
        gapSum += r.gap;
      }
      if (algorithm === 'm-etf') assert.ok(gapSum / cases.length <= 0.03, `m-ETF mean gap ${((100 * gapSum) / cases.length).toFixed(2)}% > 3%`);
    });
  }

  it('m-sct (every 5th case): never below the optimum, every plan valid', async () => {
    const sample = cases.filter((_, i) => i % 5 === 0);
    assert.equal(sample.length, 288);
    for (const c of sample) {
      const r = await runStgCase(c, 'm-sct');
      assert.deepEqual(r.checkerProblems, [], `${c.file} on ${c.processors}`);
      assert.ok(r.makespan >= c.optimum, `m-sct ${c.file} on ${c.processors}: ${r.makespan} < optimum ${c.optimum}`);
    }
  });
});
