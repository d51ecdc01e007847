// Mutated real inputs must give a graph or one OpplaceError — never another exception.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseModel } from '../../algorithms/loaders/index';
import { isOpplaceError } from '../../algorithms/errors';
import { serializeOpgraph } from '../../algorithms/loaders/opgraph';
import { loadModel } from '../../algorithms/loaders/readFile';
import { dataPath } from '../helpers/paths';

const enc = (s: string) => new TextEncoder().encode(s);

/** Runs the loader; returns 'graph' or 'error', and fails the property on any non-OpplaceError. */
function outcome(bytes: Uint8Array, name: string): 'graph' | 'error' {
  try {
    const g = parseModel(bytes, name);
    assert.ok(g.nodes.length > 0);
    return 'graph';
  } catch (e) {
    if (isOpplaceError(e)) {
      assert.ok(!(e as Error).message.includes('\n'), 'one-line message');
      return 'error';
    }
    throw e;
  }
}

const byteMutation = (len: number) =>
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(len - 1), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(len - 1), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('dup' as const), at: fc.nat(len - 1), value: fc.nat(64) }),
    ),
    { minLength: 1, maxLength: 6 },
  );

function mutate(src: Uint8Array, ops: { kind: 'set' | 'cut' | 'dup'; at: number; value: number }[]): Uint8Array {
  let b = Uint8Array.from(src);
  for (const op of ops) {
    const at = Math.min(op.at, Math.max(0, b.length - 1));
    if (op.kind === 'set' && b.length) b[at] = op.value;
    else if (op.kind === 'cut') b = b.slice(0, at);
    else if (op.kind === 'dup') b = Uint8Array.from([...b.slice(0, at), ...b.slice(at, at + op.value), ...b.slice(at)]);
  }
  return b;
}

describe('loader fuzzing (mutated real files)', () => {
  const inputs: [string, Uint8Array][] = [
    ['rand0000.stg', new Uint8Array(readFileSync(dataPath('stg', '50', 'rand0000.stg')))],
    ['bert24_inference.json', new Uint8Array(readFileSync(dataPath('dnn-partitioning', 'latency-inputs', 'LayerGraphs', 'bert24_inference.json')))],
    ['bert24.opgraph.json', enc(serializeOpgraph(loadModel(dataPath('dnn-partitioning', 'latency-inputs', 'LayerGraphs', 'bert24_inference.json'))))],
  ];
  for (const [name, bytes] of inputs) {
    it(`byte mutations of ${name}: a graph or an OpplaceError, 1500 runs`, () => {
      let errors = 0;
      fc.assert(
        fc.property(byteMutation(bytes.length), (ops) => {
          if (outcome(mutate(bytes, ops), name) === 'error') errors++;
        }),
        { numRuns: 1500, seed: 42 },
      );
      assert.ok(errors > 100, `mutations should break the file often (${errors})`);
    });
  }

  it('structural mutations of JSON graphs (any JSON value in any field): a graph or an OpplaceError', () => {
    const dnn = JSON.parse(new TextDecoder().decode(inputs[1][1]));
    const og = JSON.parse(new TextDecoder().decode(inputs[2][1]));
    const field = fc.constantFrom('id', 'name', 'fpgaLatency', 'size', 'isBackwardNode', 'colorClass', 'computeUs', 'outputs', 'namespace', 'opType', 'shape', 'bytes');
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), field, fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (useDnn, pick, key, value, onEdge) => {
        const doc = structuredClone(useDnn ? dnn : og);
        const list = onEdge ? doc.edges : doc.nodes;
        const target = list[pick % list.length];
        if (!useDnn && key === 'shape' && target.outputs?.length) target.outputs[0].shape = value;
        else if (!useDnn && key === 'bytes' && target.outputs?.length) target.outputs[0].bytes = value;
        else target[key] = value;
        outcome(enc(JSON.stringify(doc)), useDnn ? 'm.json' : 'm.opgraph.json');
      }),
      { numRuns: 1500, seed: 7 },
    );
  });
});
