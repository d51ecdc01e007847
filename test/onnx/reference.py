# Live reference for test/onnx/shapes.test.ts, run with /usr/bin/python3 (Debian's python3-onnx):
# for each ONNX file given, the shapes onnx.shape_inference.infer_shapes (with data propagation)
# infers and the parameter count computed the way data/README.md defines it (elements of
# initializers, Constant and ConstantOfShape outputs that some node consumes, of any type but
# int64/uint64/bool/string). Prints JSON.
import json
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import onnx.shape_inference

# Weights of these types are shapes, indices, masks or text: not parameters (every other type is).
NOT_PARAMETERS = {onnx.TensorProto.UNDEFINED, onnx.TensorProto.INT64, onnx.TensorProto.UINT64, onnx.TensorProto.BOOL, onnx.TensorProto.STRING}


def dims_of(vi):
    tt = vi.type.tensor_type
    if not tt.HasField('shape'):
        return None
    return [d.dim_value if d.HasField('dim_value') else (d.dim_param if d.HasField('dim_param') else None) for d in tt.shape.dim]


def constant_type_and_size(n):
    """(element type, element count) of a Constant node's output."""
    a = n.attribute[0]
    if a.name == 'value':
        return a.t.data_type, int(np.prod(a.t.dims, dtype=np.int64))
    if a.name in ('value_float', 'value_floats'):
        return onnx.TensorProto.FLOAT, 1 if a.name == 'value_float' else len(a.floats)
    if a.name in ('value_int', 'value_ints'):
        return onnx.TensorProto.INT64, 1 if a.name == 'value_int' else len(a.ints)
    return onnx.TensorProto.STRING, 0


def parameter_count(g):
    """Elements of the consumed weights (initializers, Constant and ConstantOfShape(constant shape)
    outputs) of any type but int64/uint64/bool/string."""
    consumed = {x for n in g.node for x in n.input}
    count = 0
    inits = {t.name: t for t in g.initializer}
    # a ConstantOfShape's shape may come from a Constant node too (torch's quantized exports)
    inits.update({n.output[0]: n.attribute[0].t for n in g.node if n.op_type == 'Constant' and n.attribute[0].name == 'value'})
    for t in g.initializer:
        if t.data_type not in NOT_PARAMETERS and t.name in consumed:
            count += int(np.prod(t.dims, dtype=np.int64))
    for n in g.node:
        if n.op_type == 'ConstantOfShape' and n.input[0] in inits and n.output[0] in consumed:
            value = next((a.t for a in n.attribute if a.name == 'value'), None)
            if value is None or value.data_type not in NOT_PARAMETERS:
                count += int(np.prod(onnx.numpy_helper.to_array(inits[n.input[0]]), dtype=np.int64))
        if n.op_type == 'Constant' and n.output[0] in consumed:
            dtype, size = constant_type_and_size(n)
            if dtype not in NOT_PARAMETERS:
                count += size
    return count


def inferred_shapes(model):
    g = onnx.shape_inference.infer_shapes(model, data_prop=True).graph
    return {vi.name: dims_of(vi) for vi in list(g.input) + list(g.value_info) + list(g.output) if vi.type.HasField('tensor_type')}


def with_batch(model, batch):
    """The model with the symbolic leading dim of every real graph input set to `batch` (as opplace's --batch does)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {t.name for t in m.graph.initializer}
    for vi in m.graph.input:
        dims = vi.type.tensor_type.shape.dim
        if vi.name not in inits and len(dims) > 0 and not dims[0].HasField('dim_value'):
            dims[0].dim_value = batch
    return m


out = {}
for path in sys.argv[1:]:
    model = onnx.load(path, load_external_data=False)
    out[path] = {
        'shapes': inferred_shapes(model),
        'shapesBatch1': inferred_shapes(with_batch(model, 1)),
        'parameterCount': parameter_count(model.graph),
        'nodes': len(model.graph.node),
    }
print(json.dumps(out))
