#!/usr/bin/python3
"""Exports the models of bench/README.md's "ONNX exports: the models of issue 11" table into a cache
folder (default .cache/bench-models/, git-ignored); `npx tsx bench/run.ts onnxModels` runs this when
the folder is missing and /usr/bin/python3 has torch. Needs Debian's python3-torch 1.13,
python3-torchvision and python3-onnx 1.12; no downloads (torchvision models with weights=None).

Weights are random (seeded), and large floating-point initializers are stripped the way the test
fixtures are (tools/make_onnx_fixtures.py strip_weights: dims kept, data replaced by a reference to
a missing external file), so the files stay small and the loader reads what a real export holds
except the float bytes. Integer (quantized) weights keep their data.

Writes <name>.onnx for each model and index.json: [{name, file, what, dims}], `dims` being the
--dim values the bench binds the free symbolic dims to. gated_if_loop.onnx (4 KB) is also committed as
test/fixtures/onnx-bench/gated_if_loop.onnx (copy it there after a change to GatedNet). Usage:
/usr/bin/python3 tools/make_bench_models.py [OUT_DIR]
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision
from onnx import helper, numpy_helper, TensorProto as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_onnx_fixtures import TinyGPTDecoder, quantized, strip_weights  # noqa: E402


class GatedNet(nn.Module):
    """Data-dependent control flow (torch.jit.script → ONNX If and Loop): a conv stem, then either a
    deep or a shallow conv branch chosen by the sign of the mean activation, then a refinement loop
    run once per image row band (`range(x.size(0))`, the batch: a Loop whose trip count is a shape)."""

    def __init__(self, c=64):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, stride=2, padding=1)
        self.deep = nn.Sequential(*[nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.ReLU()) for _ in range(4)])
        self.shallow = nn.Conv2d(c, c, 1)
        self.refine = nn.Conv2d(c, c, 3, padding=1)
        self.head = nn.Linear(c, 10)

    def forward(self, x):
        y = torch.relu(self.stem(x))
        if bool(y.mean() > 0):
            y = self.deep(y)
        else:
            y = self.shallow(y)
        for _ in range(x.size(0)):
            y = torch.relu(self.refine(y)) + y
        return self.head(y.mean(dim=(2, 3)))


def quantized_resnet18():
    """torchvision's quantizable ResNet-18, fused and statically quantized (fbgemm): torch exports
    QuantizeLinear/DequantizeLinear around float Conv/Gemm, int8 weights in Constant nodes."""
    m = torchvision.models.quantization.resnet18(weights=None, quantize=False)
    m.eval()
    m.fuse_model()
    return quantized(m, torch.randn(2, 3, 224, 224))


def dynamic_quantize(model):
    """onnxruntime's dynamic quantization pattern, done with onnx.helper: every MatMul whose weight is a
    float initializer becomes DynamicQuantizeLinear(x) → MatMulInteger(xq, w_int8, x_zp, 0) → Cast →
    Mul by x_scale · w_scale. Weights are quantized per tensor, symmetric (zero point 0)."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    nodes = []
    for n in g.node:
        w = inits.get(n.input[1]) if n.op_type == 'MatMul' else None
        if w is None or w.data_type != T.FLOAT:
            nodes.append(n)
            continue
        arr = numpy_helper.to_array(w)
        scale = float(np.abs(arr).max()) / 127 or 1.0
        p = n.name.replace('/', '_').strip('_') + '_q'
        g.initializer.extend([
            numpy_helper.from_array(np.clip(np.round(arr / scale), -127, 127).astype(np.int8), p + '_w'),
            numpy_helper.from_array(np.array(scale, dtype=np.float32), p + '_ws'),
            numpy_helper.from_array(np.array(0, dtype=np.int8), p + '_wzp'),
        ])
        nodes += [
            helper.make_node('DynamicQuantizeLinear', [n.input[0]], [p + '_x', p + '_xs', p + '_xzp'], name=p + '/DynamicQuantizeLinear'),
            helper.make_node('MatMulInteger', [p + '_x', p + '_w', p + '_xzp', p + '_wzp'], [p + '_i32'], name=p + '/MatMulInteger'),
            helper.make_node('Cast', [p + '_i32'], [p + '_f'], name=p + '/Cast', to=T.FLOAT),
            helper.make_node('Mul', [p + '_xs', p + '_ws'], [p + '_s'], name=p + '/Scale'),
            helper.make_node('Mul', [p + '_f', p + '_s'], list(n.output), name=p + '/Mul'),
        ]
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    return model


def export(module, args, path, opset, dynamic=None, script=False):
    module.eval()
    if script:
        module = torch.jit.script(module)
    torch.onnx.export(module, args, path, opset_version=opset, input_names=['input'], output_names=['output'], dynamic_axes=dynamic, do_constant_folding=True)
    return onnx.load(path)


TOKENS = {'input': {0: 'batch', 1: 'seq'}, 'output': {0: 'batch', 1: 'seq'}}


def models():
    """name, what, build() → ModelProto (float weights still in), --dim values for the free dims."""
    return [
        ('gpt2_small_like', 'GPT-2-small-like decoder (12 layers, d 768, vocab 50,257), [batch, seq] tokens, opset 17',
         lambda p: export(TinyGPTDecoder(vocab=50257, d=768, heads=12, layers=12, ctx=1024), (torch.randint(0, 50257, (1, 16)),), p, 17, TOKENS), {'seq': 128}),
        ('fasterrcnn_mobilenet_v3_320', 'torchvision Faster R-CNN MobileNetV3-Large 320 FPN, one 3×320×320 image, opset 13',
         lambda p: export(torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None), ([torch.rand(3, 320, 320)],), p, 13), {}),
        ('ssdlite320_mobilenet_v3', 'torchvision SSDlite 320 MobileNetV3-Large, one 3×320×320 image, opset 13',
         lambda p: export(torchvision.models.detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None), ([torch.rand(3, 320, 320)],), p, 13), {}),
        ('resnet18_qdq', 'ResNet-18 statically quantized by torch (fbgemm, fused), QDQ with int8 weights in Constant nodes, opset 13',
         lambda p: export(quantized_resnet18(), (torch.randn(1, 3, 224, 224),), p, 13), {}),
        ('gpt_dynamic_int8', 'GPT-like decoder (4 layers, d 256, vocab 8,192) with every MatMul dynamically quantized (DynamicQuantizeLinear + MatMulInteger), opset 17',
         lambda p: dynamic_quantize(export(TinyGPTDecoder(vocab=8192, d=256, heads=4, layers=4, ctx=256), (torch.randint(0, 8192, (1, 16)),), p, 17, TOKENS)), {'seq': 128}),
        ('gated_if_loop', 'torch.jit.script conv net: If (4 convs or 1) on the mean activation, Loop over the batch, 1×3×128×128, opset 13',
         lambda p: export(GatedNet(), (torch.randn(1, 3, 128, 128),), p, 13, script=True), {}),
    ]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '.cache', 'bench-models')
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    index = []
    for name, what, build, dims in models():
        path = os.path.join(out_dir, name + '.onnx')
        model = build(path + '.full')
        os.remove(path + '.full')
        onnx.checker.check_model(model)  # before stripping: the checker opens external data
        strip_weights(model, name)  # also drops torch's value_info
        onnx.save(model, path)
        index.append({'name': name, 'file': name + '.onnx', 'what': what, 'dims': dims})
        print(f'{name}: {os.path.getsize(path)} bytes, {len(model.graph.node)} nodes', flush=True)
    with open(os.path.join(out_dir, 'index.json'), 'w') as f:
        json.dump(index, f, indent=1)


if __name__ == '__main__':
    main()
