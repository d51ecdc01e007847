// Shape inference rules, one op at a time (ONNX operator specs), and constant folding.
import { strict as assert } from 'node:assert';
import { inferNode } from '../../algorithms/onnx/infer';
import { Attrs } from '../../algorithms/onnx/tensorData';
import { TensorMeta } from '../../algorithms/onnx/values';
import { attr, node, intTensor } from './build';

const F = 1;
const I64 = 7;
const t = (shape: (number | null)[] | null, dtype = F, value?: number[]): TensorMeta => ({ shape, dtype, ...(value ? { value } : {}) });
const ints = (value: number[]) => t([value.length], I64, value);

function infer(op: string, inputs: (TensorMeta | undefined)[], attrs: Record<string, Parameters<typeof attr>[1]> = {}, nOutputs = 1, opset = 13) {
  const r = inferNode({ opType: op, attrs: new Attrs(node(op, [], [], attrs)), inputs, nOutputs, opset });
  return r;
}
const shapeOf = (op: string, inputs: (TensorMeta | undefined)[], attrs: Record<string, Parameters<typeof attr>[1]> = {}, nOutputs = 1, opset = 13) =>
  infer(op, inputs, attrs, nOutputs, opset).outputs.map((o) => o.shape);

describe('ONNX shape inference rules', () => {
  it('Conv: pads, strides, dilations, groups, auto_pad', () => {
    assert.deepEqual(shapeOf('Conv', [t([1, 3, 224, 224]), t([64, 3, 7, 7])], { strides: [2, 2], pads: [3, 3, 3, 3] }), [[1, 64, 112, 112]]);
    assert.deepEqual(shapeOf('Conv', [t([2, 32, 10, 10]), t([32, 1, 3, 3])], { group: 32, dilations: [2, 2] }), [[2, 32, 6, 6]]);
    assert.deepEqual(shapeOf('Conv', [t([1, 8, 15, 15]), t([4, 8, 3, 3])], { auto_pad: 'SAME_UPPER', strides: [2, 2] }), [[1, 4, 8, 8]]);
    assert.deepEqual(shapeOf('Conv', [t([1, 8, 15]), t([4, 8, 3])], { auto_pad: 'VALID' }), [[1, 4, 13]]);
    assert.deepEqual(shapeOf('Conv', [t([null, 3, 32, 32]), t([16, 3, 3, 3])], { pads: [1, 1, 1, 1] }), [[null, 16, 32, 32]]);
  });

  it('ConvTranspose: stride, output_padding, explicit output_shape', () => {
    assert.deepEqual(shapeOf('ConvTranspose', [t([1, 8, 16, 16]), t([8, 4, 4, 4])], { strides: [2, 2], pads: [1, 1, 1, 1] }), [[1, 4, 32, 32]]);
    assert.deepEqual(shapeOf('ConvTranspose', [t([1, 8, 5, 5]), t([8, 2, 3, 3])], { strides: [2, 2], output_padding: [1, 1], group: 2 }), [[1, 4, 12, 12]]);
    assert.deepEqual(shapeOf('ConvTranspose', [t([1, 8, 5, 5]), t([8, 2, 3, 3])], { output_shape: [10, 11] }), [[1, 2, 10, 11]]);
  });

  it('pooling: ceil_mode (with the last-window rule), global pools, indices output', () => {
    assert.deepEqual(shapeOf('MaxPool', [t([1, 64, 112, 112])], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), [[1, 64, 56, 56]]);
    assert.deepEqual(shapeOf('MaxPool', [t([1, 96, 109, 109])], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }), [[1, 96, 54, 54]]);
    // ceil would start a window entirely in the right padding: dropped (PyTorch/ONNX rule)
    assert.deepEqual(shapeOf('MaxPool', [t([1, 1, 5, 5])], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }), [[1, 1, 3, 3]]);
    assert.deepEqual(shapeOf('GlobalAveragePool', [t([4, 512, 7, 7])]), [[4, 512, 1, 1]]);
    const r = infer('MaxPool', [t([1, 2, 4, 4])], { kernel_shape: [2, 2], strides: [2, 2] }, 2);
    assert.deepEqual(r.outputs[1], { shape: [1, 2, 2, 2], dtype: I64 });
  });

  it('Gemm with transposes, MatMul with broadcasting and 1-D operands', () => {
    assert.deepEqual(shapeOf('Gemm', [t([8, 2048]), t([1000, 2048]), t([1000])], { transB: 1 }), [[8, 1000]]);
    assert.deepEqual(shapeOf('Gemm', [t([2048, 8]), t([2048, 1000])], { transA: 1 }), [[8, 1000]]);
    assert.deepEqual(shapeOf('MatMul', [t([2, 1, 16, 64]), t([4, 64, 32])]), [[2, 4, 16, 32]]);
    assert.deepEqual(shapeOf('MatMul', [t([64]), t([3, 64, 5])]), [[3, 5]]);
    assert.deepEqual(shapeOf('MatMul', [t([3, 7, 64]), t([64])]), [[3, 7]]);
  });

  it('elementwise broadcasting, comparisons give bool, Where broadcasts three inputs', () => {
    assert.deepEqual(shapeOf('Add', [t([2, 1, 5]), t([3, 1])]), [[2, 3, 5]]);
    assert.deepEqual(shapeOf('Sum', [t([4, 1]), t([1, 6]), t([6])]), [[4, 6]]);
    assert.equal(infer('Less', [t([3]), t([1])]).outputs[0].dtype, 9);
    assert.deepEqual(shapeOf('Where', [t([1, 4], 9), t([3, 1]), t([])]), [[3, 4]]);
    assert.deepEqual(shapeOf('Add', [t([2, 3]), t([4, 3])]), [null]); // cannot broadcast
  });

  it('Reshape: 0 copies, -1 is inferred, allowzero; unknown target keeps the rank', () => {
    assert.deepEqual(shapeOf('Reshape', [t([2, 3, 4]), ints([0, -1])]), [[2, 12]]);
    assert.deepEqual(shapeOf('Reshape', [t([2, 3, 4]), ints([-1, 2, 2])]), [[6, 2, 2]]);
    assert.deepEqual(shapeOf('Reshape', [t([0, 3]), ints([0, 3])], { allowzero: 1 }), [[0, 3]]);
    assert.deepEqual(shapeOf('Reshape', [t([2, 3, 4]), t([3], I64)]), [[null, null, null]]);
    assert.deepEqual(shapeOf('Reshape', [t([2, 3, 4])], { shape: [4, -1] }, 1, 4), [[4, 6]]);
  });

  it('Flatten, Transpose, Concat, Softmax, LayerNormalization, BatchNormalization', () => {
    assert.deepEqual(shapeOf('Flatten', [t([2, 3, 4, 5])], { axis: 2 }), [[6, 20]]);
    assert.deepEqual(shapeOf('Transpose', [t([2, 3, 4])], { perm: [0, 2, 1] }), [[2, 4, 3]]);
    assert.deepEqual(shapeOf('Transpose', [t([2, 3, 4])]), [[4, 3, 2]]);
    assert.deepEqual(shapeOf('Concat', [t([1, 64, 56, 56]), t([1, 32, 56, 56])], { axis: 1 }), [[1, 96, 56, 56]]);
    assert.deepEqual(shapeOf('Concat', [t([1, 64, 56, 56]), t([1, null, 56, 56])], { axis: -3 }), [[1, null, 56, 56]]);
    assert.deepEqual(shapeOf('Softmax', [t([2, 10])]), [[2, 10]]);
    assert.deepEqual(shapeOf('LayerNormalization', [t([2, 16, 64]), t([64]), t([64])], { axis: -1 }, 3), [
      [2, 16, 64],
      [2, 16, 1],
      [2, 16, 1],
    ]);
    assert.deepEqual(shapeOf('BatchNormalization', [t([2, 8, 4, 4]), t([8]), t([8]), t([8]), t([8])], {}, 1), [[2, 8, 4, 4]]);
  });

  it('Gather (shapes and folding), Split (attr, input, equal), Slice (attr and input forms)', () => {
    assert.deepEqual(shapeOf('Gather', [t([1000, 64]), t([2, 16], I64)]), [[2, 16, 64]]);
    const g = infer('Gather', [ints([4, 3, 224, 224]), t([], I64, [0])]);
    assert.deepEqual(g.outputs[0], { shape: [], dtype: I64, value: [4] });
    assert.deepEqual(infer('Gather', [ints([4, 3, 224, 224]), t([2], I64, [-1, 1])]).outputs[0].value, [224, 3]);
    assert.deepEqual(shapeOf('Split', [t([2, 16, 10])], { axis: 1, split: [6, 10] }, 2, 11), [
      [2, 6, 10],
      [2, 10, 10],
    ]);
    assert.deepEqual(shapeOf('Split', [t([2, 16, 10]), ints([4, 12])], { axis: 1 }, 2), [
      [2, 4, 10],
      [2, 12, 10],
    ]);
    assert.deepEqual(shapeOf('Split', [t([9, 2])], {}, 3), [
      [3, 2],
      [3, 2],
      [3, 2],
    ]);
    assert.deepEqual(shapeOf('Slice', [t([1, 16, 16, 16]), ints([1]), ints([-1]), ints([2]), ints([2])]), [[1, 16, 7, 16]]);
    assert.deepEqual(shapeOf('Slice', [t([10, 20]), ints([0, 5]), ints([9223372036854775807, 100])]), [[10, 15]]);
    assert.deepEqual(shapeOf('Slice', [t([10])], { starts: [8], ends: [1], axes: [0] }, 1, 9), [[0]]);
    assert.deepEqual(shapeOf('Slice', [t([10]), ints([-1]), ints([-100]), ints([0]), ints([-3])]), [[4]]);
    const sl = infer('Slice', [ints([2, 3, 8, 8]), ints([2]), ints([4])]);
    assert.deepEqual(sl.outputs[0].value, [8, 8]);
  });

  it('Squeeze / Unsqueeze: opset 9 attributes and opset 13 inputs', () => {
    assert.deepEqual(shapeOf('Squeeze', [t([1, 3, 1, 5])], { axes: [0, 2] }, 1, 9), [[3, 5]]);
    assert.deepEqual(shapeOf('Squeeze', [t([1, 3, 1, 5]), ints([-2])]), [[1, 3, 5]]);
    assert.deepEqual(shapeOf('Squeeze', [t([1, 3, 1, 5])]), [[3, 5]]);
    assert.deepEqual(shapeOf('Unsqueeze', [t([3, 5])], { axes: [0, 3] }, 1, 9), [[1, 3, 5, 1]]);
    assert.deepEqual(shapeOf('Unsqueeze', [t([3, 5]), ints([-1])]), [[3, 5, 1]]);
    assert.deepEqual(infer('Unsqueeze', [t([], I64, [7]), ints([0])]).outputs[0].value, [7]);
    // an axes input whose value is unknown must not be mistaken for "no axes"
    assert.deepEqual(shapeOf('Squeeze', [t([1, 3, 1, 5]), t([1], I64)]), [null]);
  });

  it('Expand, Tile, Pad (attr and input), Resize (scales, sizes), Upsample', () => {
    assert.deepEqual(shapeOf('Expand', [t([3, 1]), ints([2, 1, 6])]), [[2, 3, 6]]);
    assert.deepEqual(shapeOf('Tile', [t([2, 3]), ints([2, 2])]), [[4, 6]]);
    assert.deepEqual(shapeOf('Pad', [t([1, 3, 4, 4])], { pads: [0, 0, 1, 2, 0, 0, 3, 4] }, 1, 2), [[1, 3, 8, 10]]);
    assert.deepEqual(shapeOf('Pad', [t([1, 3, 4, 4]), ints([0, 0, 1, 1, 0, 0, 1, 1])]), [[1, 3, 6, 6]]);
    assert.deepEqual(shapeOf('Resize', [t([1, 8, 16, 16]), undefined, t([4], F, [1, 1, 2, 2])]), [[1, 8, 32, 32]]);
    assert.deepEqual(shapeOf('Resize', [t([1, 8, 16, 16]), t([0]), t([0]), ints([1, 8, 7, 9])]), [[1, 8, 7, 9]]);
    assert.deepEqual(shapeOf('Upsample', [t([1, 8, 16, 16]), t([4], F, [1, 1, 2, 3])], {}, 1, 9), [[1, 8, 32, 48]]);
    assert.deepEqual(shapeOf('Resize', [t([1, 8, 16, 16]), t([4], F, [1, 1, 0.5, 0.5])], {}, 1, 10), [[1, 8, 8, 8]]);
  });

  it('reductions with keepdims and axes in attribute or input form; ArgMax', () => {
    assert.deepEqual(shapeOf('ReduceMean', [t([2, 16, 64])], { axes: [-1] }), [[2, 16, 1]]);
    assert.deepEqual(shapeOf('ReduceMean', [t([2, 16, 64])], { axes: [1, 2], keepdims: 0 }), [[2]]);
    assert.deepEqual(shapeOf('ReduceSum', [t([2, 16, 64]), ints([1])], { keepdims: 0 }), [[2, 64]]);
    assert.deepEqual(shapeOf('ReduceMax', [t([2, 3])], { keepdims: 1 }), [[1, 1]]);
    assert.deepEqual(infer('ArgMax', [t([2, 3])], { axis: 1, keepdims: 0 }).outputs[0], { shape: [2], dtype: I64 });
  });

  it('LSTM / GRU: direction, layout, hidden size from W', () => {
    assert.deepEqual(shapeOf('LSTM', [t([12, 3, 32]), t([2, 192, 32]), t([2, 192, 48])], { hidden_size: 48, direction: 'bidirectional' }, 3), [
      [12, 2, 3, 48],
      [2, 3, 48],
      [2, 3, 48],
    ]);
    assert.deepEqual(shapeOf('GRU', [t([3, 12, 32]), t([1, 144, 32]), t([1, 144, 48])], { layout: 1 }, 2), [
      [3, 12, 1, 48],
      [3, 1, 48],
    ]);
  });

  it('folds Shape → Gather → Unsqueeze → Concat, Cast, Range, ConstantOfShape, Constant', () => {
    const shape = infer('Shape', [t([4, 3, 7])]).outputs[0];
    assert.deepEqual(shape, { shape: [3], dtype: I64, value: [4, 3, 7] });
    assert.deepEqual(infer('Shape', [t([4, 3, 7])], { start: 1 }).outputs[0].value, [3, 7]);
    const cat = infer('Concat', [ints([4]), ints([-1])], { axis: 0 }).outputs[0];
    assert.deepEqual(cat.value, [4, -1]);
    assert.deepEqual(infer('Cast', [t([2], F, [1.7, -2.5])], { to: I64 }).outputs[0], { shape: [2], dtype: I64, value: [1, -2] });
    assert.deepEqual(infer('Range', [t([], I64, [0]), t([], I64, [10]), t([], I64, [3])]).outputs[0], { shape: [4], dtype: I64, value: [0, 3, 6, 9] });
    assert.deepEqual(shapeOf('ConstantOfShape', [ints([2, 3])]), [[2, 3]]);
    assert.deepEqual(infer('Constant', [], { value: intTensor('c', [1, 2, 3]) }).outputs[0], { shape: [3], dtype: I64, value: [1, 2, 3] });
    assert.deepEqual(infer('Constant', [], { value_ints: [5, 6] }).outputs[0].value, [5, 6]);
    assert.deepEqual(infer('Div', [ints([7]), ints([2])]).outputs[0].value, [3]);
    assert.deepEqual(infer('Mul', [ints([2, 3]), t([], I64, [4])]).outputs[0].value, [8, 12]);
  });

  it('Einsum: explicit and implicit output, ellipsis broadcasting', () => {
    assert.deepEqual(shapeOf('Einsum', [t([2, 4, 16, 8]), t([2, 4, 32, 8])], { equation: 'bhid,bhjd->bhij' }), [[2, 4, 16, 32]]);
    assert.deepEqual(shapeOf('Einsum', [t([3, 5]), t([5, 7])], { equation: 'ij,jk' }), [[3, 7]]);
    assert.deepEqual(shapeOf('Einsum', [t([2, 1, 3, 5]), t([4, 5, 6])], { equation: '...ij,...jk->...ik' }), [[2, 4, 3, 6]]);
    assert.deepEqual(shapeOf('Einsum', [t([3, 5])], { equation: 'ii->i' }), [[3]]);
    assert.deepEqual(shapeOf('Einsum', [t([3, 5])], { equation: 'ijk->i' }), [null]);
  });

  it('folds Reduce*, Transpose, N-D Slice (negative step), constant Pad and Tile of constants; RoiAlign shapes', () => {
    const val = (op: string, inputs: (TensorMeta | undefined)[], attrs = {}) => infer(op, inputs, attrs).outputs[0].value;
    const m23 = t([2, 3], I64, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(val('ReduceMin', [ints([320, 240])], { keepdims: 0 }), [240]);
    assert.deepEqual(val('ReduceMax', [m23], { axes: [1] }), [3, 6]);
    assert.deepEqual(val('ReduceSum', [m23, ints([0])], { keepdims: 0 }), [5, 7, 9]);
    assert.deepEqual(val('ReduceProd', [m23]), [720]);
    assert.deepEqual(val('ReduceMean', [t([2, 2], F, [1, 2, 3, 6])], { axes: [0] }), [2, 4]);
    assert.deepEqual(val('Transpose', [m23], { perm: [1, 0] }), [1, 4, 2, 5, 3, 6]);
    // torchvision's pads: rows reversed with a step -1 Slice on axis 0 of a [3, 2] tensor
    const pairs = t([3, 2], I64, [0, 0, 0, 8, 0, 16]);
    assert.deepEqual(val('Slice', [pairs, ints([-1]), ints([-9223372036854775807]), ints([0]), ints([-1])]), [0, 16, 0, 8, 0, 0]);
    assert.deepEqual(val('Slice', [m23, ints([1]), ints([3]), ints([1])]), [2, 3, 5, 6]);
    assert.deepEqual(val('Pad', [ints([7, 8]), ints([1, 2]), t([], I64, [-1])]), [-1, 7, 8, -1, -1]);
    assert.equal(val('Pad', [ints([7, 8]), ints([1, 2])], { mode: 'reflect' }), undefined); // only constant mode folds
    assert.deepEqual(val('Tile', [ints([1, 2]), ints([3])]), [1, 2, 1, 2, 1, 2]);
    assert.deepEqual(shapeOf('RoiAlign', [t([2, 256, 50, 50]), t([100, 4]), t([100], I64)], { output_height: 7, output_width: 7 }), [[100, 256, 7, 7]]);
    assert.deepEqual(shapeOf('MaxRoiPool', [t([1, 64, 20, 20]), t([null, 5])], { pooled_shape: [6, 6] }), [[null, 64, 6, 6]]);
  });

  it('quantization ops: output types follow the zero point, the scale or output_dtype', () => {
    const [U8, I8, I32, F16] = [2, 3, 6, 10];
    const dt = (op: string, inputs: (TensorMeta | undefined)[], attrs = {}, n = 1) => infer(op, inputs, attrs, n).outputs.map((o) => o.dtype);
    assert.deepEqual(dt('QuantizeLinear', [t([2, 3]), t([]), t([], I8)]), [I8]);
    assert.deepEqual(dt('QuantizeLinear', [t([2, 3]), t([])]), [U8]); // no zero point: uint8
    assert.deepEqual(dt('QuantizeLinear', [t([2, 3]), t([])], { output_dtype: I8 }), [I8]); // opset 21 form
    assert.deepEqual(dt('DequantizeLinear', [t([2, 3], I8), t([], F16)]), [F16]);
    assert.deepEqual(dt('DynamicQuantizeLinear', [t([4, 5])], {}, 3), [U8, F, U8]);
    assert.deepEqual(
      infer('DynamicQuantizeLinear', [t([4, 5])], {}, 3).outputs.map((o) => o.shape),
      [[4, 5], [], []],
    );
    assert.deepEqual(dt('ConvInteger', [t([1, 3, 8, 8], U8), t([4, 3, 3, 3], I8)]), [I32]);
    assert.deepEqual(dt('MatMulInteger', [t([2, 3], U8), t([3, 4], I8)]), [I32]);
    const qconv = [t([1, 3, 8, 8], U8), t([]), t([], U8), t([4, 3, 3, 3], I8), t([4]), t([4], I8), t([]), t([], I8)];
    assert.deepEqual(infer('QLinearConv', qconv, { pads: [1, 1, 1, 1] }).outputs, [{ shape: [1, 4, 8, 8], dtype: I8 }]);
    const qmm = [t([5, 3], U8), t([]), t([], U8), t([3, 7], U8), t([]), t([], U8), t([]), t([], U8)];
    assert.deepEqual(infer('QLinearMatMul', qmm).outputs, [{ shape: [5, 7], dtype: U8 }]);
  });

  it('unknown ops are reported, and corrupt attributes never throw', () => {
    assert.equal(infer('FancyOp', [t([1])], {}, 2).known, false);
    assert.deepEqual(shapeOf('FancyOp', [t([1])], {}, 2), [null, null]);
    assert.deepEqual(shapeOf('Conv', [t([1, 3, 8, 8]), t([4, 3, 3, 3])], { strides: [0, 0] }), [[1, 4, null, null]]);
    assert.deepEqual(shapeOf('Transpose', [t([2, 3])], { perm: [5, 0] }), [[null, 2]]);
    assert.deepEqual(shapeOf('Reshape', [t([2, 3]), ints([-1, -1])]), [[null, null]]);
  });
});
