# Live reference for test/onnx/shapes.test.ts, run with /usr/bin/python3 (Debian's python3-onnx):
# for each ONNX file given, the shapes onnx.shape_inference.infer_shapes (with data propagation)
# infers and the parameter count computed the way data/README.md defines it (elements of
# floating-point initializers and ConstantOfShape outputs that some node consumes). Prints JSON.
import json
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import onnx.shape_inference

FLOATS = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE, onnx.TensorProto.BFLOAT16}


def dims_of(vi):
    tt = vi.type.tensor_type
    if not tt.HasField('shape'):
        return None
    return [d.dim_value if d.HasField('dim_value') else (d.dim_param if d.HasField('dim_param') else None) for d in tt.shape.dim]


def parameter_count(g):
    consumed = {x for n in g.node for x in n.input}
    count = 0
    inits = {t.name: t for t in g.initializer}
    for t in g.initializer:
        if t.data_type in FLOATS and t.name in consumed:
            count += int(np.prod(t.dims, dtype=np.int64))
    for n in g.node:
        if n.op_type == 'ConstantOfShape' and n.input[0] in inits and n.output[0] in consumed:
            value = next((a.t for a in n.attribute if a.name == 'value'), None)
            if value is None or value.data_type in FLOATS:
                count += int(np.prod(onnx.numpy_helper.to_array(inits[n.input[0]]), dtype=np.int64))
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
