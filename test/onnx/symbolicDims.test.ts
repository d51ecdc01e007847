// Symbolic dims (issue 11 §1–2): a free `seq` travels through shape arithmetic as a symbol, so a
// GPT-2-like decoder's shapes are all known in seq; binding it makes them numbers, and the costs
// of the free model are those at seq = 1, with one warning saying how much grows with seq.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { OpGraph, TensorDim } from '../../algorithms/graph';
import { parseOnnx } from '../../algorithms/loaders/onnx';
import { dimAdd, dimDiv, dimMul, dimSub, evalDim, symbol, symbolsOf } from '../../algorithms/onnx/symbolic';
import { REPO } from '../helpers/paths';
import { intTensor, modelBytes, node, valueInfo } from './build';

const GPT = path.join(REPO, 'test', 'fixtures', 'onnx-decoder', 'tiny_gpt_op17.onnx');
const load = (dims: Record<string, number> = {}) => parseOnnx(new Uint8Array(readFileSync(GPT)), GPT, { dims });
const flops = (g: OpGraph) => g.nodes.reduce((s, n) => s + (n.flops ?? 0), 0);
const unknownShapes = (g: OpGraph) => Object.entries(g.tensors!).filter(([, s]) => !s || s.includes(null));

/** A symbolic shape with every dim evaluated at `seq`. */
const at = (shape: TensorDim[] | null, seq: number) => shape && shape.map((d) => (typeof d === 'string' ? evalDim(d, () => seq) : d));

describe('symbolic dims: polynomial arithmetic on dims', () => {
  const seq = symbol('seq');
  const batch = symbol('batch');
  it('keeps canonical text, so equal dims are equal strings', () => {
    assert.equal(dimMul(seq, 2), '2*seq');
    assert.equal(dimMul(2, seq), dimMul(seq, 2));
    assert.equal(dimMul(batch, seq), dimMul(seq, batch));
    assert.equal(dimMul(dimMul(batch, seq), 32), '32*batch*seq');
    assert.equal(dimAdd(seq, 1), 'seq+1');
    assert.equal(dimSub(dimAdd(seq, 1), seq), 1, 'a constant result is a number');
    assert.equal(dimSub(seq, seq), 0);
    assert.equal(dimMul(dimSub(seq, 1), dimAdd(seq, 1)), 'seq*seq-1');
  });
  it('divides exactly or gives unknown', () => {
    assert.equal(dimDiv(dimMul(dimMul(batch, seq), 32), dimMul(batch, seq)), 32, 'Reshape -1: the element count over the other dims');
    assert.equal(dimDiv(dimMul(seq, 4), 2), '2*seq');
    assert.equal(dimDiv(seq, 2), null, 'seq / 2 has no integer coefficients');
    assert.equal(dimDiv(seq, batch), null);
    assert.equal(dimDiv(7, 2), 3, 'numbers divide as ONNX integer Div');
    assert.equal(dimAdd(seq, null), null);
  });
  it('names that are not identifiers stay one symbol', () => {
    const h = symbol('height / 2');
    assert.equal(h, '{height / 2}');
    assert.deepEqual(symbolsOf(dimMul(h, seq)).sort(), ['height / 2', 'seq']);
    assert.equal(
      evalDim(dimAdd(dimMul(h, 3), seq), (n) => (n === 'seq' ? 5 : 10)),
      35,
    );
  });
});

describe('symbolic dims through an ONNX graph', () => {
  it('Shape → Gather → Unsqueeze → Concat → Reshape with a free dim: the target is [b, seq, 2, 16], the chain folds', () => {
    const g = parseOnnx(
      modelBytes({
        inputs: [valueInfo('x', ['b', 'seq', 32])],
        initializers: [intTensor('i0', [0], []), intTensor('i1', [1], []), intTensor('ax', [0]), intTensor('heads', [2, 16]), intTensor('minus1', [-1])],
        nodes: [
          node('Shape', ['x'], ['s'], {}, 'shape'),
          node('Gather', ['s', 'i0'], ['d0'], { axis: 0 }, 'g0'),
          node('Gather', ['s', 'i1'], ['d1'], { axis: 0 }, 'g1'),
          node('Unsqueeze', ['d0', 'ax'], ['u0'], {}, 'u0'),
          node('Unsqueeze', ['d1', 'ax'], ['u1'], {}, 'u1'),
          node('Concat', ['u0', 'u1', 'heads'], ['target'], { axis: 0 }, 'cat'),
          node('Reshape', ['x', 'target'], ['y'], {}, 'reshape'),
          // flatten back with -1 and a product of dims: [b * seq, -1]
          node('Mul', ['d0', 'd1'], ['bs'], {}, 'mul'),
          node('Unsqueeze', ['bs', 'ax'], ['ubs'], {}, 'ubs'),
          node('Concat', ['ubs', 'minus1'], ['flat'], { axis: 0 }, 'cat2'),
          node('Reshape', ['y', 'flat'], ['z'], {}, 'flatten'),
        ],
      }),
      'm.onnx',
      { batch: 3 },
    );
    assert.deepEqual(g.tensors!['y'], [3, 'seq', 2, 16]);
    assert.deepEqual(g.tensors!['z'], ['3*seq', 32]);
    assert.deepEqual(
      g.nodes.map((n) => n.id),
      ['reshape', 'flatten'],
      'the shape arithmetic is known before the step runs',
    );
  });

  it('Range to a symbolic limit, Slice to a symbolic end, Split and Flatten of symbolic dims', () => {
    const g = parseOnnx(
      modelBytes({
        inputs: [valueInfo('x', [1, 'seq', 8]), valueInfo('mask', [1, 1, 64, 64], 9)],
        initializers: [
          intTensor('i1', [1], []),
          intTensor('zero', [0], []),
          intTensor('one', [1], []),
          intTensor('z2', [0, 0]),
          intTensor('axes', [2, 3]),
          intTensor('zero1', [0]),
        ],
        nodes: [
          node('Shape', ['x'], ['s'], {}, 'shape'),
          node('Gather', ['s', 'i1'], ['seq'], { axis: 0 }, 'g'),
          node('Range', ['zero', 'seq', 'one'], ['pos'], {}, 'range'),
          node('Unsqueeze', ['seq', 'zero1'], ['useq'], {}, 'u'),
          node('Concat', ['useq', 'useq'], ['ends'], { axis: 0 }, 'cat'),
          node('Slice', ['mask', 'z2', 'ends', 'axes'], ['m'], {}, 'slice'),
          node('Split', ['x'], ['a', 'b'], { axis: 2 }, 'split'),
          node('Flatten', ['x'], ['f'], { axis: 2 }, 'flat'),
        ],
      }),
      'm.onnx',
    );
    assert.deepEqual(g.tensors!['pos'], ['seq']);
    assert.deepEqual(g.tensors!['m'], [1, 1, 'seq', 'seq'], 'a symbolic end inside the dim (seq ≤ 64 for the model to run)');
    assert.deepEqual(g.tensors!['a'], [1, 'seq', 4]);
    assert.deepEqual(g.tensors!['f'], ['seq', 8]);
  });
});

describe('symbolic dims: Slice lengths', () => {
  const sliced = (dims: (number | string | null)[], start: number, end: number) => {
    const vi = valueInfo(
      'x',
      dims.map((d) => d ?? 'placeholder'),
    );
    dims.forEach((d, i) => {
      if (d === null) vi.type!.tensor_type!.shape!.dim![i] = {};
    });
    const g = parseOnnx(
      modelBytes({
        inputs: [vi],
        initializers: [intTensor('s', [start]), intTensor('e', [end]), intTensor('a', [1])],
        nodes: [node('Slice', ['x', 's', 'e', 'a'], ['y'], {}, 'slice')],
      }),
      'm.onnx',
    );
    return g.tensors!['y']![1];
  };
  const END = 2 ** 62;
  it('from or to the end of a symbolic dim is exact; a number end on it is min(seq, end): unknown', () => {
    assert.equal(sliced([1, 'seq'], 1, END), 'seq-1');
    assert.equal(sliced([1, 'seq'], -1, END), 1);
    assert.equal(sliced([1, 'seq'], 0, -1), 'seq-1');
    assert.equal(sliced([1, 'seq'], 0, 4), null);
  });
  it('a dim unknown even as a symbol stays unknown (a Faster R-CNN proposal count is ≤ 150, not 150)', () => {
    assert.equal(sliced([1, null], 0, 150), null);
    assert.equal(sliced([1, 200], 0, 150), 150);
  });
});

describe('GPT-2-like decoder with seq free (test/fixtures/onnx-decoder)', function () {
  this.timeout(60000);
  const free = load();

  it('every tensor shape is known, in seq', () => {
    assert.deepEqual(unknownShapes(free), []);
    assert.ok(Object.values(free.tensors!).some((s) => s?.includes('seq')));
  });

  it('the symbolic shapes at seq = 16, 32, 64 are the shapes --dim seq=… infers', () => {
    for (const seq of [16, 32, 64]) {
      const bound = load({ seq });
      assert.deepEqual(unknownShapes(bound), []);
      const wrong = Object.entries(bound.tensors!).filter(([name, s]) => JSON.stringify(at(free.tensors![name], seq)) !== JSON.stringify(s));
      assert.deepEqual(wrong, [], `seq = ${seq}`);
    }
  });

  it('agrees with onnx.shape_inference (data propagation) on every dim onnx names seq or knows as a number', () => {
    const ref = JSON.parse(readFileSync(GPT.replace(/\.onnx$/, '.shapes.json'), 'utf8')) as Record<string, (number | string | null)[] | null>;
    let seqDims = 0;
    const problems: string[] = [];
    for (const [name, dims] of Object.entries(ref)) {
      const mine = free.tensors![name];
      if (!dims || !mine) continue;
      dims.forEach((d, i) => {
        if (d === 'seq') seqDims++;
        // onnx's "batch" is 1 here (the default --batch); its "unk__N" are dims it could not name
        if ((d === 'seq' || typeof d === 'number') && mine[i] !== d) problems.push(`${name}[${i}]: ${mine[i]} vs onnx ${d}`);
      });
    }
    assert.deepEqual(problems, []);
    assert.ok(seqDims > 0);
  });

  it('FLOPs grow with seq as the model says: 284·seq² of attention scores on top of a linear part, and the free model counts seq = 1', () => {
    // F(seq) = A·seq + B·seq²; per layer the scores cost q·kᵀ 2·2·16 + w·v 2·2·16 + Div 2 + Where 2 +
    // Softmax 2·5 per position pair: B = 2 layers × 142 = 284
    const [f16, f32, f64] = [16, 32, 64].map((seq) => flops(load({ seq })));
    const B = (f64 - 2 * f32) / (2 * 32 * 32);
    const A = (f32 - B * 32 * 32) / 32;
    assert.equal(B, 284);
    assert.equal(f16, A * 16 + B * 16 * 16, 'quadratic in seq, nothing else');
    assert.equal(flops(free), A + B, 'seq free: the model at seq = 1, not 0');
    assert.ok(f64 > 2 * f32, 'superlinear: the scores');
  });

  it('one warning names the free dim, what the totals are and how much grows with it', () => {
    assert.equal(free.warnings.length, 1, free.warnings.join('\n'));
    assert.match(
      free.warnings[0],
      /^symbolic dims left free: "seq" \(input "input"\); shapes keep them as symbols and FLOPs and bytes are counted at seq = 1 \(70\.40 kFLOP, [\d.]+ KiB of activations\); 100% of those FLOPs and 100% of those bytes grow with them/,
    );
    assert.deepEqual(load({ seq: 64 }).warnings, []);
  });
});
