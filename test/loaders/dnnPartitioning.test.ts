import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseDnnPartitioning, dnnOpType, fileDefaults } from '../../algorithms/loaders/dnnPartitioning';
import { loadModel } from '../../algorithms/loaders/readFile';
import { parseModel } from '../../algorithms/loaders/index';
import { OpplaceError } from '../../algorithms/errors';
import { dataPath } from '../helpers/paths';

const enc = (s: string) => new TextEncoder().encode(s);

function allInputFiles(): string[] {
  const out: string[] = [];
  for (const top of ['throughput-inputs', 'latency-inputs']) {
    for (const kind of ['LayerGraphs', 'OperatorGraphs']) {
      const dir = dataPath('dnn-partitioning', top, kind);
      for (const f of readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort())
        out.push(path.join(dir, f));
    }
  }
  return out;
}

interface RawNode {
  id: number;
  name: string;
  fpgaLatency: number;
  size: number;
  colorClass?: number;
  isBackwardNode?: boolean | number;
}
interface RawEdge {
  sourceId: number;
  destId: number;
  size: number;
  cost?: number;
}

describe('dnn-partitioning loader', () => {
  const files = allInputFiles();

  it('finds all 24 input graphs', () => assert.equal(files.length, 24));

  for (const file of files) {
    const rel = path.relative(dataPath('dnn-partitioning'), file);
    it(`loads ${rel} with node/edge counts, times, sizes and groups from the file`, () => {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as { nodes: RawNode[]; edges: RawEdge[]; maxSizePerFPGA: number; maxFPGAs: number };
      const g = loadModel(file);
      assert.equal(g.nodes.length, raw.nodes.length);
      assert.equal(g.edges.length, raw.edges.length);
      assert.equal(g.meta?.maxSizePerFPGA, raw.maxSizePerFPGA);
      const byId = new Map(g.nodes.map((n) => [n.id, n]));
      const producers = new Set(raw.edges.map((e) => e.sourceId));
      for (const r of raw.nodes) {
        const n = byId.get(String(r.id))!;
        assert.ok(n, `node ${r.id}`);
        assert.equal(n.name, r.name);
        assert.ok(Math.abs(n.computeUs - r.fpgaLatency * 1000) <= 1e-9 * Math.max(1, n.computeUs));
        assert.equal(n.persistentBytes, r.size);
        assert.equal(n.colocationGroup, r.colorClass === undefined ? undefined : String(r.colorClass));
        assert.equal(n.isBackward, r.isBackwardNode === true || r.isBackwardNode === 1);
        // the paper's model: the node's size is all its memory, its output slot holds none of its own
        if (!producers.has(r.id)) assert.equal(n.outputs.length, 0);
        else
          assert.deepEqual(
            n.outputs.map((t) => t.bytes),
            [0],
          );
      }
      raw.edges.forEach((e, k) => {
        assert.equal(g.edges[k].from, String(e.sourceId));
        assert.equal(g.edges[k].to, String(e.destId));
        assert.equal(g.edges[k].bytes, e.size);
        assert.equal(g.edges[k].heldBytes, 0);
        assert.equal(g.edges[k].costUs, e.cost === undefined ? undefined : e.cost * 1000);
      });
      assert.deepEqual(fileDefaults(g), { devices: raw.maxFPGAs, memoryBytes: raw.maxSizePerFPGA });
    });
  }

  it('derives op types from layer and operator names', () => {
    assert.equal(dnnOpType('node77', false), 'Layer');
    assert.equal(dnnOpType('node77grad', true), 'Backward');
    assert.equal(dnnOpType('Reshape5', false), 'Reshape');
    assert.equal(dnnOpType('Gelu_3_Grad/GeluGrad_0', true), 'GeluGrad');
    assert.equal(dnnOpType('AdamOptimizer_bert.embeddings.LayerNorm.bias', true), 'AdamOptimizer');
    assert.equal(dnnOpType('bert.encoder.layer.1.output.dense.bias', false), 'Parameter');
    assert.equal(dnnOpType('99', false), 'Parameter');
  });

  const good = { id: 1, name: 'a', fpgaLatency: 1, size: 4, isBackwardNode: false, supportedOnFpga: 1 };
  const bad: [string, unknown, RegExp][] = [
    [
      'a string latency',
      { nodes: [{ ...good, fpgaLatency: 'fast' }], edges: [] },
      /x\.json: node "1": node #0 \(id 1\): field "fpgaLatency" must be a number ≥ 0, got the string "fast"/,
    ],
    ['a negative size', { nodes: [{ ...good, size: -3 }], edges: [] }, /node #0 \(id 1\): field "size" must be a number ≥ 0, got number -3/],
    ['a string id', { nodes: [{ ...good, id: 'x' }], edges: [] }, /node #0: field "id" must be an integer, got the string "x"/],
    ['a missing size', { nodes: [{ id: 1, fpgaLatency: 1 }], edges: [] }, /node #0 \(id 1\): missing field "size"/],
    ['a bad isBackwardNode', { nodes: [{ ...good, isBackwardNode: 'yes' }], edges: [] }, /field "isBackwardNode" must be true, false, 0 or 1/],
    ['nodes not an array', { nodes: {}, edges: [] }, /x\.json: field "nodes" must be an array, got an object/],
    ['an empty object', {}, /x\.json: field "nodes" must be an array, got nothing \(the field is missing\)$/],
    [
      'a human-expert split',
      { cpus: [{ load: 0, nodes: [] }], fpgas: [{ load: -1, nodes: [1, 2] }] },
      /x\.json: this is a dnn-partitioning human-expert split \(nodes per device\), not a graph/,
    ],
    ['a top-level array', [], /expected a JSON object with "nodes" and "edges", got an array/],
    [
      'an edge to a missing node',
      { nodes: [good], edges: [{ sourceId: 1, destId: 9, cost: 0, size: 1 }] },
      /edge #0 \(1 → 9\): destId 9 is not the id of any node/,
    ],
    ['a duplicate id', { nodes: [good, good], edges: [] }, /node #1 \(id 1\): duplicate id \(also node #0\)/],
    ['a 0-node graph', { nodes: [], edges: [] }, /x\.json: the graph has no nodes/],
    [
      'a cycle',
      {
        nodes: [good, { ...good, id: 2 }],
        edges: [
          { sourceId: 1, destId: 2, size: 0 },
          { sourceId: 2, destId: 1, size: 0 },
        ],
      },
      /cycle: 1 → 2 → 1/,
    ],
  ];
  for (const [what, doc, re] of bad) {
    it(`rejects ${what} with a message naming the file, node and field`, () => {
      assert.throws(
        () => parseModel(enc(JSON.stringify(doc)), 'x.json'),
        (e: unknown) => e instanceof OpplaceError && re.test(e.message),
      );
    });
  }
  it('rejects text that is not JSON', () => {
    assert.throws(() => parseDnnPartitioning(enc('{"nodes": ['), 'x.json'), /x\.json: not valid JSON/);
  });
});
