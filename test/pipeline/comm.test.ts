// `--comm file` (issue 14): a tensor crossing devices costs its edge's own transfer time from the
// file (dnn-partitioning `cost`), for the pipeline model and for every latency placer alike.
import assert from 'node:assert/strict';
import { edgeTransferUs, parseComm, tensorTransferUs } from '../../algorithms/pipeline/comm';
import { parseTopology } from '../../algorithms/cost/topology';
import { checkSchedule, placeGraph } from '../../algorithms/placement/index';
import { ALGORITHMS } from '../../algorithms/options';
import { OpplaceError } from '../../algorithms/errors';
import { makeGraph, options } from '../placement/helpers';
import { FORK } from './helpers';

const fork = FORK;

describe('pipeline comm: the transfer time of one tensor', () => {
  it('file: the edge cost in µs between different devices, nothing on the same device', () => {
    const link = parseComm('file', fork);
    assert.deepEqual(
      fork.edges.map((e) => e.costUs),
      [5000, 5000, 7000, 11000],
    );
    assert.equal(edgeTransferUs(link, fork.edges[2], 0, 1), 7000);
    assert.equal(edgeTransferUs(link, fork.edges[2], 1, 1), 0);
    // the bytes do not matter under `file`; an edge without a cost is free
    assert.equal(tensorTransferUs(link, 1e12, 3, 0, 1), 3);
    assert.equal(tensorTransferUs(link, 1e12, undefined, 0, 1), 0);
  });
  it('a link: latency + bytes / bandwidth, whatever the file says', () => {
    const link = parseComm('10:25');
    assert.ok(Math.abs(tensorTransferUs(link, 1e9, 5000, 2, 0) - 40010) < 1e-6);
    assert.equal(tensorTransferUs(link, 1e9, 5000, 2, 2), 0);
  });
  it('refuses file for a graph without transfer costs, and in a topology', () => {
    const g = makeGraph(
      [
        { id: 'a', us: 1 },
        { id: 'b', us: 1 },
      ],
      [['a', 'b', 10]],
    );
    assert.throws(
      () => parseComm('file', g, 'm.onnx'),
      (e: unknown) => e instanceof OpplaceError && /^m\.onnx: --comm file uses the transfer cost of each edge/.test(e.message),
    );
    assert.throws(
      () => parseComm('warp', undefined, 'm.json'),
      (e: unknown) => e instanceof OpplaceError && /^m\.json: unknown interconnect "warp" \(presets: .*file/.test(e.message),
    );
    assert.throws(() => parseTopology('2x2:file/ib200', 4), /the intra-host link cannot be "file"/);
  });
});

describe('latency placers with --comm file', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: every transfer lasts its edge cost and the checker agrees`, async () => {
      const opts = options({ algorithm, devices: 2, comm: 'file', budgetMs: 20 });
      const plan = await placeGraph(fork, opts);
      assert.ok(plan.feasible, plan.reason);
      assert.deepEqual(checkSchedule(fork, plan, opts), []);
      const cost = new Map(fork.edges.map((e) => [e.from, e.costUs]));
      for (const t of plan.transfers) assert.equal(t.endUs - t.startUs, cost.get(t.from));
    });
  }
  it('m-etf spreads the two 10 ms branches when moving them costs less than running them in turn', async () => {
    const plan = await placeGraph(fork, options({ algorithm: 'm-etf', devices: 2, comm: 'file' }));
    // one branch moves: 1 + 5 (to the other device) + 10 + 11 or 7 (back) + 1 ≤ 1 + 10 + 10 + 1
    assert.ok(plan.transfers.length === 2 && plan.makespanUs <= 22000 + 1e-6, JSON.stringify(plan.transfers));
  });
  it('the placer refuses file for a graph without costs, naming the file', async () => {
    const g = makeGraph(
      [
        { id: 'a', us: 1 },
        { id: 'b', us: 1 },
      ],
      [['a', 'b', 10]],
      'plain',
    );
    await assert.rejects(placeGraph(g, options({ algorithm: 'm-etf', devices: 2, comm: 'file' })), /plain\.json: --comm file/);
  });
});
