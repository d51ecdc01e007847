// Bad ONNX input: one OpplaceError naming the file (and node when relevant), never another
// exception or a hang — including thousands of random mutations of real model bytes.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { OpplaceError, isOpplaceError } from '../../algorithms/errors';
import { parseOnnx } from '../../algorithms/loaders/onnx';
import { parseModel } from '../../algorithms/loaders/index';
import { decodeOnnxModel, encodeOnnxModel } from '../../algorithms/onnx/proto';
import { REPO, dataPath } from '../helpers/paths';
import { intTensor, modelBytes, node, valueInfo } from './build';

function expectError(bytes: Uint8Array, file: string, pattern: RegExp, nodeName?: string): OpplaceError {
  try {
    parseModel(bytes, file, {});
  } catch (e) {
    assert.ok(isOpplaceError(e), `expected OpplaceError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.message, pattern);
    assert.ok(e.message.startsWith(file));
    if (nodeName) assert.equal(e.node, nodeName);
    return e;
  }
  assert.fail('no error');
}

const real = (name: string) => new Uint8Array(readFileSync(dataPath('onnx-light', `light_${name}.onnx`)));

describe('ONNX bad input', () => {
  it('empty file', () => expectError(new Uint8Array(0), 'empty.onnx', /empty/));

  it('truncated ONNX', () => {
    const b = real('squeezenet');
    expectError(b.subarray(0, Math.floor(b.length / 2)), 'cut.onnx', /truncated or corrupt/);
  });

  it('random bytes named .onnx', () => {
    let seed = 12345;
    const rnd = new Uint8Array(4096).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff);
    expectError(rnd, 'random.onnx', /not a valid ONNX file|no ONNX graph|no nodes|op_type/);
  });

  it('text named .onnx', () => expectError(new TextEncoder().encode('hello, this is not a model\n'), 'hello.onnx', /ONNX/));

  it('a Git LFS pointer instead of the model: what it is and how to fetch it (not "invalid wire type 6")', () => {
    const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'ab'.repeat(32) + '\nsize 1604321987\n';
    const bytes = new TextEncoder().encode(pointer);
    const want = /^silero_vad\.onnx: is a Git LFS pointer of a 1\.49 GiB file, not the model itself: fetch the content with `git lfs pull`/;
    expectError(bytes, 'silero_vad.onnx', want);
    assert.throws(
      () => decodeOnnxModel(bytes, 'silero_vad.onnx'),
      (e: Error) => isOpplaceError(e) && want.test(e.message),
    ); // the export's own decode says the same
    expectError(bytes, 'graph.opgraph.json', /is a Git LFS pointer of a 1\.49 GiB file/); // any format
  });

  it('shape data in an external file: one warning naming the tensor and its reader; dims still load', () => {
    const shape = { ...intTensor('target', [1, 8]), int64_data: [], data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }] };
    const g = parseModel(
      modelBytes({
        inputs: [valueInfo('x', [2, 4])],
        initializers: [shape],
        nodes: [node('Reshape', ['x', 'target'], ['y'], {}, 'flat'), node('Relu', ['y'], ['z'], {}, 'act')],
      }),
      'ext.onnx',
      {},
    );
    const w = g.warnings.filter((x) => /external file/.test(x));
    assert.deepEqual(w, [
      'the data of integer tensor "target" (read by Reshape "flat") is in an external file, which opplace does not read: shapes computed from it stay unknown (save the model with small tensors inline, e.g. onnx\'s default size_threshold=1024)',
    ]);
    assert.deepEqual(g.nodes[0].outputs[0].shape, [null, null]); // rank from the tensor's dims, values unknown
  });

  it('protobuf that decodes but has no graph', () => {
    const bytes = encodeOnnxModel({ ir_version: 8, producer_name: 'x' });
    expectError(bytes, 'nograph.onnx', /no ONNX graph/);
  });

  it('a graph with 0 nodes', () => {
    const bytes = encodeOnnxModel({ ir_version: 8, graph: { name: 'g', input: [valueInfo('x', [1])] } });
    expectError(bytes, 'empty-graph.onnx', /no nodes/);
  });

  it('a graph of constants only', () => {
    const bytes = modelBytes({ nodes: [node('Constant', [], ['c'], { value_ints: [1, 2] })], outputs: [valueInfo('c', [2], 7)] });
    expectError(bytes, 'consts.onnx', /only constant-producing nodes/);
  });

  it('a cycle names a node in it', () => {
    const bytes = modelBytes({ nodes: [node('Relu', ['b'], ['a'], {}, 'first'), node('Relu', ['a'], ['b'], {}, 'second')] });
    expectError(bytes, 'cycle.onnx', /cycle/, 'first');
  });

  it('a tensor produced twice names the node', () => {
    const bytes = modelBytes({ inputs: [valueInfo('x', [1])], nodes: [node('Relu', ['x'], ['y'], {}, 'a'), node('Relu', ['x'], ['y'], {}, 'b')] });
    expectError(bytes, 'twice.onnx', /produced twice/, 'b');
  });

  it('an initializer with a negative dim', () => {
    const bytes = modelBytes({ initializers: [{ ...intTensor('s', [1]), dims: [-3] }], nodes: [node('Relu', ['s'], ['y'])] });
    expectError(bytes, 'dims.onnx', /invalid dims/);
  });

  it('an invalid batch option', () => {
    assert.throws(
      () => parseOnnx(real('bvlc_alexnet'), 'a.onnx', { batch: 0 }),
      (e: unknown) => isOpplaceError(e) && /batch/.test((e as Error).message),
    );
  });
});

describe('ONNX fuzz: mutated real models', function () {
  this.timeout(60000);
  const bases = [
    real('bvlc_alexnet'),
    real('squeezenet'),
    real('zfnet512'),
    new Uint8Array(readFileSync(path.join(REPO, 'test/fixtures/onnx/upsample_net.onnx'))),
    new Uint8Array(readFileSync(path.join(REPO, 'test/fixtures/onnx/tiny_seq2seq.onnx'))),
  ];

  type Mutation =
    | { kind: 'flip'; at: number; bit: number }
    | { kind: 'byte'; at: number; value: number }
    | { kind: 'truncate'; at: number }
    | { kind: 'splice'; from: number; len: number; to: number; other: number }
    | { kind: 'delete'; at: number; len: number }
    | { kind: 'insert'; at: number; bytes: number[] };

  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('splice' as const), from: fc.nat(), len: fc.integer({ min: 1, max: 400 }), to: fc.nat(), other: fc.nat() }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }),
  );

  function apply(base: Uint8Array, muts: Mutation[]): Uint8Array {
    let b = base.slice();
    for (const m of muts) {
      if (b.length === 0) break;
      switch (m.kind) {
        case 'flip':
          b[m.at % b.length] ^= 1 << m.bit;
          break;
        case 'byte':
          b[m.at % b.length] = m.value;
          break;
        case 'truncate':
          b = b.slice(0, m.at % b.length);
          break;
        case 'splice': {
          const src = bases[m.other % bases.length];
          const from = m.from % src.length;
          const chunk = src.subarray(from, from + m.len);
          const to = m.to % b.length;
          const out = new Uint8Array(b.length + chunk.length);
          out.set(b.subarray(0, to));
          out.set(chunk, to);
          out.set(b.subarray(to), to + chunk.length);
          b = out;
          break;
        }
        case 'delete': {
          const at = m.at % b.length;
          b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + m.len)]);
          break;
        }
        case 'insert': {
          const at = m.at % b.length;
          b = new Uint8Array([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
          break;
        }
      }
    }
    return b;
  }

  it('always gives an OpplaceError or a valid graph, never another exception or a slow parse', () => {
    let graphs = 0;
    let errors = 0;
    let slowest = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom<'fp32' | 'fp16' | undefined>(undefined, 'fp16'),
        (which, muts, dtype) => {
          const bytes = apply(bases[which], muts);
          const started = performance.now();
          try {
            const g = parseModel(bytes, 'mutated.onnx', { dtype, batch: 2 });
            assert.ok(g.nodes.length > 0);
            JSON.stringify(g); // plain data
            graphs++;
          } catch (e) {
            if (!isOpplaceError(e)) throw e;
            assert.match((e as Error).message, /^mutated\.onnx/);
            errors++;
          }
          slowest = Math.max(slowest, performance.now() - started);
        },
      ),
      { numRuns: 5000, seed: 20261125 },
    );
    // both outcomes happen, and no input takes long (a hang would show up here or time the test out)
    assert.ok(graphs > 100 && errors > 100, `graphs ${graphs}, errors ${errors}`);
    assert.ok(slowest < 2000, `slowest parse ${slowest} ms`);
  });
});
