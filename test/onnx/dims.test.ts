// The symbolic dims a user may set (issue 11 §1): listed on the graph for the viewer's fields.
import { strict as assert } from 'node:assert';
import { parseOnnx } from '../../algorithms/loaders/onnx';
import type { LoadOptions } from '../../algorithms/loaders/types';
import { INT64, floatTensor, modelBytes, node, valueInfo } from './build';

// ids [batch, seq] and mask [batch, seq, past]: batch is the leading dim (the batch size sets it).
const bytes = modelBytes({
  inputs: [valueInfo('ids', ['batch', 'seq'], INT64), valueInfo('mask', ['batch', 'seq', 'past'])],
  initializers: [floatTensor('emb', [50, 8])],
  nodes: [node('Gather', ['emb', 'ids'], ['e'], {}, 'embed'), node('Relu', ['mask'], ['m'], {}, 'relu')],
});
const dimsOf = (options: LoadOptions) => parseOnnx(bytes, 'm.onnx', options).symbolicDims;

describe('ONNX symbolic dims listed on the graph', () => {
  it('every named dim but the batch, with its inputs, free (null) or the value given', () => {
    assert.deepEqual(dimsOf({}), [
      { name: 'seq', inputs: ['ids', 'mask'], value: null },
      { name: 'past', inputs: ['mask'], value: null },
    ]);
    assert.deepEqual(dimsOf({ dims: { seq: 16, batch: 4 } }), [
      { name: 'batch', inputs: ['ids', 'mask'], value: 4 },
      { name: 'seq', inputs: ['ids', 'mask'], value: 16 },
      { name: 'past', inputs: ['mask'], value: null },
    ]);
    // An input whose whole shape is given sets none of its dims.
    assert.deepEqual(dimsOf({ inputShapes: { mask: [1, 16, 3] } }), [{ name: 'seq', inputs: ['ids'], value: null }]);
    assert.equal(dimsOf({ inputShapes: { ids: [1, 16], mask: [1, 16, 3] } }), undefined, 'none left: no list');
  });
});
