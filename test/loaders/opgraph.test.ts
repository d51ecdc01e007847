import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseOpgraph, serializeOpgraph } from '../../algorithms/loaders/opgraph';
import { parseModel, detectFormat } from '../../algorithms/loaders/index';
import { loadModel } from '../../algorithms/loaders/readFile';
import { OpplaceError } from '../../algorithms/errors';
import { OpGraph } from '../../algorithms/graph';
import { dataPath, REPO } from '../helpers/paths';
import { validateAgainstSchema } from './jsonSchemaSubset';

const enc = (s: string) => new TextEncoder().encode(s);
const schema = JSON.parse(readFileSync(path.join(REPO, 'schema', 'opgraph.schema.json'), 'utf8'));

/** A graph that uses every optional field of the format. */
function richGraph(): OpGraph {
  return {
    name: 'tiny',
    nodes: [
      {
        id: 'x',
        name: 'input',
        opType: 'Input',
        namespace: [],
        computeUs: 0,
        persistentBytes: 0,
        temporaryBytes: 0,
        outputs: [{ name: 'x:0', bytes: 48, shape: [1, 3, null], dtype: 'float32' }],
      },
      {
        id: 'conv',
        name: 'conv1',
        opType: 'Conv',
        namespace: ['layer1', '0'],
        computeUs: 12.5,
        persistentBytes: 1024,
        temporaryBytes: 64,
        outputs: [{ name: 'y', bytes: 96, shape: null }],
        colocationGroup: 'g1',
        flops: 2e6,
        memoryAccessBytes: 4096,
        parameterCount: 256,
        modulePath: 'layer1.0.conv1',
      },
    ],
    edges: [{ from: 'x', to: 'conv', tensor: 'x:0', bytes: 48 }],
    warnings: ['something guessed'],
    stats: { parameterCount: 256, parameterBytes: 1024 },
    tensors: { 'x:0': [1, 3, null], y: null },
    meta: { profiler: 'test', batch: 1 },
  };
}

function strip(g: OpGraph) {
  const { source: _s, ...rest } = g;
  return rest;
}

describe('opgraph format', () => {
  it('round-trips a graph with every optional field, byte-for-byte deterministic', () => {
    const g = richGraph();
    const text = serializeOpgraph(g);
    assert.equal(serializeOpgraph(g), text);
    const back = parseOpgraph(enc(text), 'tiny.opgraph.json');
    assert.deepEqual(strip(back), strip(g));
    assert.equal(serializeOpgraph(back), text);
  });

  it('round-trips a real dnn-partitioning graph', () => {
    const g = loadModel(dataPath('dnn-partitioning', 'throughput-inputs', 'OperatorGraphs', 'bert_l-3_training.json'));
    const text = serializeOpgraph(g);
    const back = parseModel(enc(text), 'bert.opgraph.json');
    assert.equal(back.source?.format, 'opgraph');
    assert.deepEqual(strip(back), strip(g));
  });

  it('round-trips ONNX graphs: symbolic dims, folded nodes and their counts, If/Loop bodies, the input dims', () => {
    const files = [
      ...readdirSync(path.join(REPO, 'test', 'fixtures', 'onnx'))
        .filter((f) => f.endsWith('.onnx'))
        .map((f) => path.join(REPO, 'test', 'fixtures', 'onnx', f)),
      path.join(REPO, 'test', 'fixtures', 'onnx-bench', 'gated_if_loop.onnx'),
    ];
    const decoder = path.join(REPO, 'test', 'fixtures', 'onnx-decoder', 'tiny_gpt_op17.onnx');
    const graphs = [...files.map((f) => loadModel(f)), loadModel(decoder), loadModel(decoder, { dims: { seq: 16 } })];
    const seen = { symbolic: 0, folded: 0, bodies: 0, dims: 0 };
    for (const g of graphs) {
      const text = serializeOpgraph(g);
      assert.deepEqual(validateAgainstSchema(JSON.parse(text), schema), [], g.name);
      const back = parseOpgraph(enc(text), `${g.name}.opgraph.json`);
      assert.deepEqual(strip(back), strip(g), g.name);
      seen.symbolic += Object.values(g.tensors ?? {}).filter((d) => d?.some((x) => typeof x === 'string')).length;
      seen.folded += g.nodes.filter((n) => n.foldedNodes?.length).length;
      seen.bodies += g.nodes.filter((n) => n.body).length;
      seen.dims += g.symbolicDims?.length ?? 0;
    }
    // each feature is really in the graphs that went through the file
    assert.ok(seen.symbolic > 0 && seen.folded > 0 && seen.bodies > 0 && seen.dims > 0, JSON.stringify(seen));
  });

  it('refuses a malformed folded list, body or symbolic dim with one message naming the place', () => {
    const doc = JSON.parse(serializeOpgraph(richGraph()));
    const bad = (edit: (d: typeof doc) => void) => {
      const d = JSON.parse(JSON.stringify(doc));
      edit(d);
      return () => parseOpgraph(enc(JSON.stringify(d)), 'bad.opgraph.json');
    };
    assert.throws(
      bad((d) => (d.nodes[1].foldedNodes = [3])),
      /node #1: field "foldedNodes" must be an array of strings/,
    );
    assert.throws(
      bad((d) => (d.nodes[1].body = { opType: 'If', branches: [{ name: 'then_branch', ops: [{ name: 'a', opType: 'Relu', inputs: [0] }] }] })),
      /node #1 body branch #0 op #0: field "inputs" must be an array of indices of earlier ops/,
    );
    assert.throws(
      bad((d) => (d.symbolicDims = [{ name: 'seq', inputs: [] }])),
      /symbolicDims #0: missing field "value"/,
    );
    assert.throws(
      bad((d) => (d.tensors['x:0'] = [1, '', 3])),
      /tensors\["x:0"\]\[1\]/,
    );
  });

  it('writes files that validate against schema/opgraph.schema.json', () => {
    for (const g of [
      richGraph(),
      loadModel(dataPath('stg', '50', 'rand0001.stg')),
      loadModel(dataPath('dnn-partitioning', 'latency-inputs', 'LayerGraphs', 'gnmt_inference.json')),
    ]) {
      assert.deepEqual(validateAgainstSchema(JSON.parse(serializeOpgraph(g)), schema), [], g.name);
    }
  });

  it('the schema check itself rejects wrong documents', () => {
    const doc = JSON.parse(serializeOpgraph(richGraph()));
    doc.nodes[1].computeUs = -1;
    doc.nodes[0].bogus = 1;
    doc.edges[0].bytes = 'many';
    doc.version = 2;
    const errors = validateAgainstSchema(doc, schema);
    assert.ok(
      errors.some((e) => /\$\.nodes\[1\]\.computeUs: -1 < minimum 0/.test(e)),
      errors.join('\n'),
    );
    assert.ok(errors.some((e) => /\$\.nodes\[0\]: unknown property "bogus"/.test(e)));
    assert.ok(errors.some((e) => /\$\.edges\[0\]\.bytes: expected number, got string/.test(e)));
    assert.ok(errors.some((e) => /\$\.version: expected 1/.test(e)));
  });

  it('fills defaults for optional fields and adds outputs implied by edges', () => {
    const g = parseModel(
      enc(
        JSON.stringify({
          format: 'opgraph',
          version: 1,
          nodes: [{ id: 'a', computeUs: 3 }, { id: 'b' }, { id: 'c' }],
          edges: [
            { from: 'a', to: 'b', bytes: 10 },
            { from: 'a', to: 'c', bytes: 30 },
          ],
        }),
      ),
      'm/small.opgraph.json',
    );
    assert.equal(g.name, 'small');
    const [a, b] = g.nodes;
    assert.deepEqual(b, { id: 'b', name: 'b', opType: 'Op', namespace: [], computeUs: 0, persistentBytes: 0, temporaryBytes: 0, outputs: [] });
    assert.deepEqual(a.outputs, [{ name: 'a', bytes: 30, shape: null }]);
    assert.deepEqual(
      g.edges.map((e) => e.tensor),
      ['a', 'a'],
    );
    assert.deepEqual(g.warnings, []);
  });

  it('takes edge bytes from the named output when the edge has none', () => {
    const g = parseOpgraph(
      enc(
        JSON.stringify({
          format: 'opgraph',
          version: 1,
          nodes: [{ id: 'a', outputs: [{ name: 'o', bytes: 7 }] }, { id: 'b' }],
          edges: [{ from: 'a', to: 'b' }],
        }),
      ),
      'x.opgraph.json',
    );
    assert.deepEqual(g.edges[0], { from: 'a', to: 'b', tensor: 'o', bytes: 7 });
  });

  it('is detected from the extension and from the content of a plain .json', () => {
    assert.equal(detectFormat('a.opgraph.json'), 'opgraph');
    assert.equal(detectFormat('a.json', enc('{"format": "opgraph", "version": 1}')), 'opgraph');
    assert.equal(detectFormat('a.json', enc('{"nodes": []}')), 'dnn-partitioning');
  });

  const base = () => ({
    format: 'opgraph',
    version: 1,
    nodes: [{ id: 'a' }, { id: 'b' }] as Record<string, unknown>[],
    edges: [{ from: 'a', to: 'b' }] as Record<string, unknown>[],
  });
  const bad: [string, (d: ReturnType<typeof base>) => unknown, RegExp][] = [
    [
      'a string computeUs',
      (d) => ((d.nodes[1].computeUs = 'slow'), d),
      /g\.opgraph\.json: node "b": node #1: field "computeUs" must be a number ≥ 0, got the string "slow"/,
    ],
    [
      'a negative persistentBytes',
      (d) => ((d.nodes[0].persistentBytes = -5), d),
      /node "a": node #0: field "persistentBytes" must be a number ≥ 0, got number -5/,
    ],
    ['a numeric id', (d) => ((d.nodes[0].id = 7), d), /node #0: field "id" must be a string, got number 7/],
    ['a misspelt field', (d) => ((d.nodes[1].computeUS = 3), d), /node #1: unknown field "computeUS"/],
    [
      'a bad shape',
      (d) => ((d.nodes[0].outputs = [{ name: 'o', bytes: 4, shape: [1, -2] }]), d),
      /node #0 output #0: field "shape\[1\]" must be an integer ≥ 0, a symbolic dim \(a non-empty string\) or null/,
    ],
    ['an edge to a missing node', (d) => ((d.edges[0].to = 'zz'), d), /edge #0 \(a → zz\): "to" names a missing node "zz"/],
    ['a cycle', (d) => (d.edges.push({ from: 'b', to: 'a' }), d), /the graph has a cycle: a → b → a/],
    ['a duplicate id', (d) => ((d.nodes[1].id = 'a'), d), /node #1: duplicate node id "a"/],
    ['a 0-node graph', (d) => ((d.nodes = []), (d.edges = []), d), /g\.opgraph\.json: the graph has no nodes/],
    ['a newer version', (d) => ((d.version = 2), d), /opgraph version 2 \(written by a newer opplace\); this opplace reads version 1/],
    [
      'a missing version',
      (d) => {
        const { version: _v, ...rest } = d;
        return rest;
      },
      /missing field "version"/,
    ],
    ['nodes as an object', (d) => ({ ...d, nodes: {} }), /top level: field "nodes" must be an array, got an object/],
    ['a wrong format tag', (d) => ({ ...d, format: 'onnx' }), /field "format" must be "opgraph", got the string "onnx"/],
    ['a bare array', () => [], /expected a JSON object/],
  ];
  for (const [what, mutate, re] of bad) {
    it(`rejects ${what} with a message naming the file, node and field`, () => {
      const text = JSON.stringify(mutate(base()));
      assert.throws(
        () => parseModel(enc(text), 'g.opgraph.json'),
        (e: unknown) => e instanceof OpplaceError && re.test(e.message),
        text,
      );
    });
  }
  it('rejects truncated JSON', () => {
    assert.throws(() => parseModel(enc('{"format": "opgraph", "nodes": ['), 'g.opgraph.json'), /g\.opgraph\.json: not valid JSON/);
  });
});
