import { strict as assert } from 'node:assert';
import { validateGraph, topologicalOrder, findCycle, indexGraph, OpGraph, OpNode } from '../../algorithms/graph';
import { OpplaceError } from '../../algorithms/errors';

function node(id: string): OpNode {
  return { id, name: id, opType: 'Op', namespace: [], computeUs: 1, persistentBytes: 0, temporaryBytes: 0, outputs: [{ name: id, bytes: 4, shape: [1] }] };
}
function graph(ids: string[], edges: [string, string][]): OpGraph {
  return {
    name: 't',
    nodes: ids.map(node),
    edges: edges.map(([from, to]) => ({ from, to, tensor: from, bytes: 4 })),
    warnings: [],
    source: { file: 't.json' },
  };
}

describe('graph model', () => {
  it('gives a stable topological order that follows node order among ready nodes', () => {
    const g = graph(
      ['c', 'a', 'b', 'd'],
      [
        ['a', 'd'],
        ['b', 'd'],
        ['c', 'd'],
      ],
    );
    assert.deepEqual(
      topologicalOrder(g).map((i) => g.nodes[i].id),
      ['c', 'a', 'b', 'd'],
    );
    const g2 = graph(
      ['d', 'c', 'b', 'a'],
      [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'd'],
      ],
    );
    assert.deepEqual(
      topologicalOrder(g2).map((i) => g2.nodes[i].id),
      ['a', 'b', 'c', 'd'],
    );
  });
  it('names one cycle', () => {
    const g = graph(
      ['a', 'b', 'c', 'x'],
      [
        ['x', 'a'],
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
      ],
    );
    const cyc = findCycle(g)!;
    assert.deepEqual(cyc, ['a', 'b', 'c', 'a']);
    assert.throws(
      () => validateGraph(g),
      (e: unknown) => e instanceof OpplaceError && /cycle: a → b → c → a/.test(e.message) && /t\.json/.test(e.message),
    );
  });
  it('index: each producer–consumer pair once (two tensors a → b are one dependency), in the order of its first edge', () => {
    const g = graph(
      ['a', 'b', 'c', 'd'],
      [
        ['c', 'd'],
        ['a', 'b'],
        ['a', 'd'],
        ['a', 'b'],
        ['b', 'd'],
        ['a', 'd'],
        ['c', 'b'],
      ],
    );
    const ix = indexGraph(g);
    const ids = (list: number[]) => list.map((i) => g.nodes[i].id);
    assert.deepEqual(ix.succ.map(ids), [['b', 'd'], ['d'], ['d', 'b'], []]);
    assert.deepEqual(ix.pred.map(ids), [[], ['a', 'c'], [], ['c', 'a', 'b']]);
    assert.deepEqual(ids(ix.topo), ['a', 'c', 'b', 'd']);
    assert.equal(ix.outEdges[0].length, 4, 'the edge lists keep every edge');
  });

  it('rejects duplicate ids, dangling edges, negative sizes and empty graphs', () => {
    assert.throws(() => validateGraph(graph(['a', 'a'], [])), /duplicate node id "a"/);
    assert.throws(() => validateGraph(graph(['a'], [['a', 'zz']])), /missing node "zz"/);
    const g = graph(['a'], []);
    g.nodes[0].persistentBytes = -1;
    assert.throws(() => validateGraph(g), /node "a": persistentBytes must be a finite number ≥ 0/);
    assert.throws(() => validateGraph(graph([], [])), /no nodes/);
  });
});
