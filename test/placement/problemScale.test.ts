// The tensor table and the coarse problem at scale (issue 15 item 6): distinct consumers and
// successors are found by marks / the shorter list, not by scanning a tensor's whole consumer list.
import * as assert from 'node:assert/strict';
import type { OpGraph } from '../../algorithms/graph';
import { indexGraph } from '../../algorithms/graph';
import { buildTensorTable } from '../../algorithms/placement/model';
import { buildProblem, problemOptionsOf } from '../../algorithms/placement/problem';
import { fanOut, randomWindowDag } from '../helpers/shapes';

const options = problemOptionsOf({ devices: 4, comm: 'baechi', grouping: 'none', fuse: false });

describe('placement: tensor table and problem at scale', () => {
  it('a repeated (tensor, consumer) edge counts once, whichever of the two lists is shorter', () => {
    // t0 of a has 3 consumers and b consumes 1 tensor (consumer list longer); c consumes 3 tensors of
    // different producers and each has 1 consumer (input list longer); every edge is given twice
    const node = (id: string) => ({
      id,
      name: id,
      opType: 'Op',
      namespace: [],
      computeUs: 1,
      persistentBytes: 0,
      temporaryBytes: 0,
      outputs: [{ name: `${id}:0`, bytes: 8, shape: null }],
    });
    const ids = ['a', 'b', 'x', 'y', 'p', 'q', 'c'];
    const edge = (from: string, to: string) => ({ from, to, tensor: `${from}:0`, bytes: 8 });
    const edges = [edge('a', 'b'), edge('a', 'x'), edge('a', 'y'), edge('p', 'c'), edge('q', 'c'), edge('b', 'c')];
    const graph: OpGraph = { name: 'dups', nodes: ids.map(node), edges: [...edges, ...edges], warnings: [] };
    const index = indexGraph(graph);
    const table = buildTensorTable(graph, index.indexOf);
    const at = (id: string) => index.indexOf.get(id)!;
    const tensorOf = (id: string) => table.producer.indexOf(at(id));
    assert.deepEqual(table.consumers[tensorOf('a')], [at('b'), at('x'), at('y')]);
    assert.deepEqual(table.inputs[at('c')], [tensorOf('p'), tensorOf('q'), tensorOf('b')]);
    for (const t of table.inputs.flat()) assert.ok(t >= 0);
    assert.equal(table.inputs.flat().length, edges.length);
  });

  it('one tensor with 10k consumers: one coarse tensor, 10k distinct successors', () => {
    const problem = buildProblem(fanOut(10_000), options);
    assert.equal(problem.tProducer.length, 1);
    assert.equal(problem.tConsumers[0].length, 10_000);
    assert.equal(new Set(problem.tConsumers[0]).size, 10_000);
    assert.equal(problem.succ[problem.tProducer[0]].length, 10_000);
  });

  it('succ and pred agree with the tensors on a random DAG', () => {
    const problem = buildProblem(randomWindowDag(1000, { seed: 9 }), options);
    for (let v = 0; v < problem.n; v++) {
      const fromTensors = new Set(problem.inTensors[v].map((k) => problem.tProducer[k]));
      assert.deepEqual(
        [...problem.pred[v]].sort((a, b) => a - b),
        [...fromTensors].sort((a, b) => a - b),
      );
      assert.equal(new Set(problem.succ[v]).size, problem.succ[v].length);
    }
  });
});
