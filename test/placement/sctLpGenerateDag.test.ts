// The seeded DNN-shaped DAG generator used by the m-SCT LP tests and benchmarks.
import * as assert from 'node:assert/strict';
import { validateGraph } from '../../algorithms/graph';
import { generateDnnDag } from '../helpers/generateDag';

describe('generateDnnDag', () => {
  it('same options → the same graph; another seed → another graph', () => {
    const a = generateDnnDag({ nodes: 500, seed: 3 });
    const b = generateDnnDag({ nodes: 500, seed: 3 });
    const c = generateDnnDag({ nodes: 500, seed: 4 });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.notEqual(JSON.stringify(a), JSON.stringify(c));
  });

  for (const training of [false, true]) {
    it(`gives a valid DAG of about the requested size (${training ? 'training' : 'inference'})`, () => {
      for (const nodes of [10, 300, 3000]) {
        const g = generateDnnDag({ nodes, seed: 1, training });
        validateGraph(g);
        const forward = g.nodes.filter((n) => !/Grad$|^ApplyGradient$/.test(n.opType)).length;
        assert.ok(forward >= nodes && forward <= nodes + 25, `${forward} forward nodes for ${nodes}`);
        if (training) assert.ok(g.nodes.length > 2 * forward, 'backward pass mirrors the forward one');
        for (const e of g.edges) assert.ok(e.bytes > 0);
      }
    });
  }

  it('has skip connections and branches (nodes with several inputs and several consumers)', () => {
    const g = generateDnnDag({ nodes: 400, seed: 2 });
    const indeg = new Map<string, number>();
    const outdeg = new Map<string, number>();
    for (const e of g.edges) {
      indeg.set(e.to, (indeg.get(e.to) ?? 0) + 1);
      outdeg.set(e.from, (outdeg.get(e.from) ?? 0) + 1);
    }
    assert.ok([...indeg.values()].filter((d) => d >= 2).length > 20);
    assert.ok([...outdeg.values()].filter((d) => d >= 2).length > 20);
  });
});
