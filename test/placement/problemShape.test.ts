// A process builds many problems (a view re-placed with other options, the bench, a test run): each must
// keep V8's fast properties, shared by problems of one kind. Problems and graph indexes once carried
// their lazy lists as getters of their own, and every one after a process's first went to
// dictionary mode — the core's reads of s.problem.x became hash lookups (generated 10k after
// BERT-L12: m-SCT 4.6 → 6.0 ms a run). V8's own answer, through its natives syntax.
import * as assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { indexGraph } from '../../algorithms/graph';
import { buildProblem, problemOptionsOf } from '../../algorithms/placement/problem';
import { generateDnnDag } from '../helpers/generateDag';

setFlagsFromString('--allow-natives-syntax');
const fastProperties = new Function('x', 'return %HasFastProperties(x)') as (x: object) => boolean;
const sameShape = new Function('x', 'y', 'return %HaveSameMap(x, y)') as (x: object, y: object) => boolean;

describe('placement: problems and graph indexes keep one shape', () => {
  it('the third of three problems built in one process still has fast properties and the second one’s shape', () => {
    const options = problemOptionsOf({ devices: 4, comm: 'baechi', grouping: 'none', fuse: false });
    const problems = [1, 2, 3].map((seed) => buildProblem(generateDnnDag({ nodes: 60, seed }), options));
    for (const [i, p] of problems.entries()) {
      assert.ok(fastProperties(p), `problem ${i + 1}: dictionary mode`);
      assert.ok(fastProperties(p.index), `graph index ${i + 1}: dictionary mode`);
    }
    assert.ok(sameShape(problems[1], problems[2]), 'problems 2 and 3 differ in shape');
    assert.ok(sameShape(problems[1].index, problems[2].index), 'graph indexes 2 and 3 differ in shape');
    // the lists are still made on first read, once, from the CSR
    const p = problems[2];
    assert.equal(p.succ, p.succ);
    assert.deepEqual(p.succ[0], Array.from(p.adjacency.succ.list.subarray(p.adjacency.succ.start[0], p.adjacency.succ.start[1])));
    assert.equal(p.index.outEdges, p.index.outEdges);
    assert.equal(p.index.outEdges.flat().length, p.index.graph.edges.length);
  });

  it('a graph index built alone has fast properties too', () => {
    const index = indexGraph(generateDnnDag({ nodes: 30, seed: 9 }));
    assert.ok(fastProperties(index));
    assert.ok(fastProperties(indexGraph(generateDnnDag({ nodes: 30, seed: 10 }))));
  });
});
