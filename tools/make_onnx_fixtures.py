#!/usr/bin/python3
"""Makes the ONNX test fixtures in test/fixtures/onnx/ (run with /usr/bin/python3: Debian's
python3-torch 1.13, python3-torchvision and python3-onnx 1.12).

Each model is exported with torch.onnx.export (random weights, fixed seed), then its large
floating-point initializers are stripped: raw data removed and replaced by an external-data
reference to a file that does not exist (`<name>.weights.bin`), so the fixture keeps only dims and
stays small. The value_info torch writes is dropped too. Integer initializers and small tensors keep their data (shape inference needs them).
Next to each `<name>.onnx` goes `<name>.shapes.json`: the shapes onnx.shape_inference.infer_shapes
gives for every tensor (name -> list of dims; a symbolic dim is its dim_param string, an unknown
dim null). Usage: /usr/bin/python3 tools/make_onnx_fixtures.py [OUT_DIR]
"""
import json
import math
import os
import sys

import onnx
import onnx.shape_inference
import torch
import torch.nn as nn
import torchvision

STRIP_ABOVE_ELEMENTS = 16
DECODER_FIXTURES = {'tiny_gpt_op17'}


class TinyTransformer(nn.Module):
    """Token embedding (Gather) + 2 transformer encoder layers (LayerNorm, Softmax) + classifier."""

    def __init__(self, vocab=1000, d=64, heads=4, layers=2, classes=10):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, 16, d))
        layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=128, dropout=0.0, activation='gelu', batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos[:, : tokens.shape[1]]
        x = self.encoder(x)
        x = self.norm(x).mean(dim=1)
        return torch.softmax(self.head(x), dim=-1)


class TinyGPTDecoder(nn.Module):
    """GPT-2-like decoder on tokens [batch, seq]: positions from arange(seq), causal mask sliced from a
    buffer, heads split by view/permute on x.size() (the Shape/Gather/Unsqueeze/Concat chains of a
    Hugging Face export) and softmax in float with a cast back (a Cast to the type it already has)."""

    def __init__(self, vocab=256, d=32, heads=2, layers=2, ctx=64):
        super().__init__()
        self.heads = heads
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.register_buffer('bias', torch.tril(torch.ones(ctx, ctx, dtype=torch.bool)).view(1, 1, ctx, ctx))
        self.ln = nn.ModuleList(nn.LayerNorm(d) for _ in range(layers))
        self.qkv = nn.ModuleList(nn.Linear(d, 3 * d) for _ in range(layers))
        self.proj = nn.ModuleList(nn.Linear(d, d) for _ in range(layers))
        self.mlp = nn.ModuleList(nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d)) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, tokens):
        b, t = tokens.size()
        pos = torch.arange(0, t, dtype=torch.long, device=tokens.device).unsqueeze(0)
        x = self.wte(tokens) + self.wpe(pos)
        for ln, qkv, proj, mlp in zip(self.ln, self.qkv, self.proj, self.mlp):
            q, k, v = qkv(ln(x)).split(x.size(-1), dim=2)
            hd = x.size(-1) // self.heads
            q, k, v = (y.view(b, t, self.heads, hd).transpose(1, 2) for y in (q, k, v))
            w = torch.matmul(q, k.transpose(-1, -2)) / float(hd) ** 0.5
            mask = self.bias[:, :, :t, :t]
            w = torch.where(mask, w, torch.tensor(-1e4, dtype=w.dtype))
            w = torch.softmax(w.to(torch.float32), dim=-1).type(v.dtype)
            y = torch.matmul(w, v).transpose(1, 2).contiguous().view(b, t, x.size(-1))
            x = x + proj(y)
            x = x + mlp(x)
        return self.head(self.ln_f(x))


class TinySeq2Seq(nn.Module):
    """GNMT-style recurrent model: embedding, 2-layer LSTM encoder (bidirectional first layer), GRU decoder."""

    def __init__(self, vocab=500, d=32, hidden=48):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.enc1 = nn.LSTM(d, hidden, bidirectional=True)
        self.enc2 = nn.LSTM(2 * hidden, hidden)
        self.dec = nn.GRU(hidden, hidden)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, tokens):  # tokens: [seq, batch]
        x = self.embed(tokens)
        x, _ = self.enc1(x)
        x, _ = self.enc2(x)
        x, _ = self.dec(x)
        return torch.log_softmax(self.out(x), dim=-1)


class TinyGPT(nn.Module):
    """GPT-like decoder, 4 layers: one causal mask buffer read by every layer, token embedding tied to
    the LM head, fresh LayerNorms (torch dedups their identical ones/zeros): the shared constants of
    issue 11 item 2."""

    def __init__(self, vocab=1000, d=64, heads=4, layers=4, seq=16):
        super().__init__()
        self.heads = heads
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(seq, d) * 0.02)
        self.register_buffer('causal', torch.tril(torch.ones(seq, seq, dtype=torch.bool)))
        self.ln1 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.qkv = nn.ModuleList([nn.Linear(d, 3 * d) for _ in range(layers)])
        self.proj = nn.ModuleList([nn.Linear(d, d) for _ in range(layers)])
        self.ln2 = nn.ModuleList([nn.LayerNorm(d) for _ in range(layers)])
        self.mlp = nn.ModuleList([nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d)) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens):  # [batch, seq]
        b, t = tokens.shape
        x = self.embed(tokens) + self.pos[:t]
        mask = self.causal[:t, :t]
        for ln1, qkv, proj, ln2, mlp in zip(self.ln1, self.qkv, self.proj, self.ln2, self.mlp):
            q, k, v = qkv(ln1(x)).split(x.shape[-1], dim=-1)
            q, k, v = (z.reshape(b, t, self.heads, -1).transpose(1, 2) for z in (q, k, v))
            att = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
            att = torch.softmax(att.masked_fill(~mask, float('-inf')), dim=-1)
            x = x + proj((att @ v).transpose(1, 2).reshape(b, t, -1))
            x = x + mlp(ln2(x))
        return self.head(self.ln_f(x))


class UpsampleNet(nn.Module):
    """ConvTranspose, Resize, Pad, Concat, Split/Slice, Transpose, ReduceMean, Where, Expand, Clip."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(8, 8, 4, stride=2, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = torch.relu(self.down(x))
        u = self.up(y)
        r = nn.functional.interpolate(y, scale_factor=2.0, mode='nearest')
        z = torch.cat([u, r], dim=1)
        a, b = torch.split(z, [6, 10], dim=1)
        p = nn.functional.pad(a, (1, 1, 2, 2))
        m = self.pool(p).mean(dim=(2, 3))
        t = b[:, :, 1:-1:2, :].transpose(2, 3).clamp(-1.0, 1.0)
        s = torch.where(m > 0, m, torch.zeros_like(m))
        return self.fc(s[:, :4]), t.flatten(1).unsqueeze(0).squeeze(0)


class DetectorFront(nn.Module):
    """torchvision's detection transform (normalize, Resize sized by ReduceMin/ReduceMax of the constant
    image size, the batch_images Pad whose pads go through Slice step -1 and Transpose), a conv and RoiAlign."""

    def __init__(self):
        super().__init__()
        self.transform = torchvision.models.detection.transform.GeneralizedRCNNTransform(32, 64, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], size_divisible=32)
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)

    def forward(self, x):
        images, _ = self.transform([x])
        boxes = torch.tensor([[0, 1.0, 1.0, 10.0, 12.0], [0, 4.0, 2.0, 20.0, 30.0]])
        return torchvision.ops.roi_align(self.conv(images.tensors), boxes, output_size=(3, 3), spatial_scale=0.5, sampling_ratio=2)


class QuantNet(nn.Module):
    """Eager-mode static int8 quantization (fbgemm): torch exports QuantizeLinear/DequantizeLinear pairs
    around float Conv/Gemm, with the int8 weights, int32 biases and per-channel scales in Constant nodes."""

    def __init__(self):
        super().__init__()
        self.quant = torch.quantization.QuantStub()
        self.dequant = torch.quantization.DeQuantStub()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.relu = nn.ReLU()
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.c2(self.relu(self.c1(self.quant(x))))
        return self.dequant(self.fc(x.mean(dim=(2, 3))))


def quantized(module, example):
    module.eval()
    module.qconfig = torch.quantization.get_default_qconfig('fbgemm')
    torch.quantization.prepare(module, inplace=True)
    module(example)  # calibration
    return torch.quantization.convert(module, inplace=True)


def integer_ops_model():
    """The integer-arithmetic ops no torch 1.13 export emits, as onnxruntime's quantizer writes them:
    DynamicQuantizeLinear → MatMulInteger (dynamic quantization), ConvInteger, QLinearConv, QLinearMatMul."""
    from onnx import helper, TensorProto as T

    def tensor(name, dtype, dims, fill):
        return helper.make_tensor(name, dtype, dims, [fill(k) for k in range(math.prod(dims))])

    inits = [
        tensor('w_conv', T.INT8, [8, 3, 3, 3], lambda k: k % 7 - 3),
        tensor('zp_i8', T.INT8, [], lambda k: 0),
        tensor('zp_u8', T.UINT8, [], lambda k: 128),
        tensor('s', T.FLOAT, [], lambda k: 0.05),
        tensor('w_s', T.FLOAT, [8], lambda k: 0.01 * (k + 1)),
        tensor('zp_w', T.INT8, [8], lambda k: 0),
        tensor('b_conv', T.INT32, [8], lambda k: k),
        tensor('w_int', T.INT8, [16, 8, 3, 3], lambda k: k % 5 - 2),
        tensor('w_mm', T.UINT8, [16, 12], lambda k: k % 251),
        tensor('w_qmm', T.INT8, [12, 10], lambda k: k % 9 - 4),
    ]
    nodes = [
        helper.make_node('QuantizeLinear', ['input', 's', 'zp_u8'], ['xq'], name='quant_in'),
        helper.make_node('QLinearConv', ['xq', 's', 'zp_u8', 'w_conv', 'w_s', 'zp_w', 's', 'zp_u8', 'b_conv'], ['c1q'], name='qlinear_conv', pads=[1, 1, 1, 1]),
        helper.make_node('ConvInteger', ['c1q', 'w_int', 'zp_u8'], ['c2i'], name='conv_integer', strides=[2, 2]),
        helper.make_node('Cast', ['c2i'], ['c2f'], name='cast_conv', to=T.FLOAT),
        helper.make_node('GlobalAveragePool', ['c2f'], ['pooled'], name='pool'),
        helper.make_node('Flatten', ['pooled'], ['flat'], name='flatten'),
        helper.make_node('DynamicQuantizeLinear', ['flat'], ['fq', 'fq_s', 'fq_zp'], name='dyn_quant'),
        helper.make_node('MatMulInteger', ['fq', 'w_mm', 'fq_zp'], ['mmi'], name='matmul_integer'),
        helper.make_node('Cast', ['mmi'], ['mmf'], name='cast_mm', to=T.FLOAT),
        helper.make_node('Mul', ['mmf', 'fq_s'], ['mm'], name='rescale'),
        helper.make_node('QuantizeLinear', ['mm', 's', 'zp_i8'], ['mmq'], name='quant_mm'),
        helper.make_node('QLinearMatMul', ['mmq', 's', 'zp_i8', 'w_qmm', 's', 'zp_i8', 's', 'zp_i8'], ['outq'], name='qlinear_matmul'),
        helper.make_node('DequantizeLinear', ['outq', 's', 'zp_i8'], ['output'], name='dequant_out'),
    ]
    g = helper.make_graph(nodes, 'integer_ops', [helper.make_tensor_value_info('input', T.FLOAT, [1, 3, 16, 16])],
                          [helper.make_tensor_value_info('output', T.FLOAT, [1, 10])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='opplace-fixtures')


def fixtures():
    torch.manual_seed(0)
    return [
        # name, module, example inputs, dynamic axes, opset
        ('resnet18', torchvision.models.resnet18(), (torch.randn(1, 3, 224, 224),), None, 13),
        ('mobilenet_v2', torchvision.models.mobilenet_v2(), (torch.randn(2, 3, 224, 224),), {'input': {0: 'batch'}, 'output': {0: 'batch'}}, 13),
        ('squeezenet1_0', torchvision.models.squeezenet1_0(), (torch.randn(1, 3, 224, 224),), None, 13),
        ('tiny_transformer', TinyTransformer(), (torch.randint(0, 1000, (2, 16)),), {'input': {0: 'batch'}, 'output': {0: 'batch'}}, 13),
        ('tiny_transformer_op17', TinyTransformer(), (torch.randint(0, 1000, (2, 16)),), None, 17),
        ('tiny_seq2seq', TinySeq2Seq(), (torch.randint(0, 500, (12, 3)),), None, 13),
        ('upsample_net', UpsampleNet(), (torch.randn(1, 3, 32, 32),), None, 13),
        # torchvision's VisionTransformer at ViT-Tiny size, 4 layers (ViT-B/16 would be > 200 KB even stripped)
        ('vit_tiny', torchvision.models.vision_transformer.VisionTransformer(image_size=224, patch_size=16, num_layers=4, num_heads=3, hidden_dim=192, mlp_dim=768),
         (torch.randn(1, 3, 224, 224),), {'input': {0: 'batch'}, 'output': {0: 'batch'}}, 13),
        ('quant_qdq', quantized(QuantNet(), torch.randn(4, 3, 16, 16)), (torch.randn(1, 3, 16, 16),), None, 13),
        ('detector_front', DetectorFront(), (torch.randn(3, 40, 48),), None, 13),
        ('tiny_gpt', TinyGPT(), (torch.randint(0, 1000, (1, 16)),), None, 13),
        ('tiny_gpt_op17', TinyGPTDecoder(), (torch.randint(0, 256, (2, 16)),), {'input': {0: 'batch', 1: 'seq'}, 'output': {0: 'batch', 1: 'seq'}}, 17),
    ]


def strip_weights(model, name):
    # torch writes its own inferred shapes as value_info; drop them so both onnx and opplace infer from scratch
    del model.graph.value_info[:]
    for t in model.graph.initializer:
        n = 1
        for d in t.dims:
            n *= d
        floating = t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE, onnx.TensorProto.BFLOAT16)
        if not floating or n <= STRIP_ABOVE_ELEMENTS:
            continue
        size = len(t.raw_data) if t.HasField('raw_data') else n * 4
        t.ClearField('raw_data')
        t.ClearField('float_data')
        t.ClearField('double_data')
        t.ClearField('int32_data')
        t.data_location = onnx.TensorProto.EXTERNAL
        del t.external_data[:]
        for k, v in (('location', name + '.weights.bin'), ('offset', '0'), ('length', str(size))):
            e = t.external_data.add()
            e.key = k
            e.value = v


def dims_of(value_info):
    tt = value_info.type.tensor_type
    if not tt.HasField('shape'):
        return None
    out = []
    for d in tt.shape.dim:
        if d.HasField('dim_value'):
            out.append(d.dim_value)
        elif d.HasField('dim_param'):
            out.append(d.dim_param)
        else:
            out.append(None)
    return out


def reference_shapes(model):
    """Shapes from ONNX's own shape inference (with data propagation) for every tensor it knows."""
    inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    g = inferred.graph
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        if vi.type.HasField('tensor_type'):
            shapes[vi.name] = dims_of(vi)
    return shapes


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx')
    os.makedirs(out_dir, exist_ok=True)
    for name, module, args, dynamic, opset in fixtures():
        module.eval()
        # the decoder with a free `seq` goes to onnx-decoder/: with seq unknown, a dim onnx's data
        # propagation knows (x.size(-1) of a [batch, seq, d] tensor) is unknown to opplace, which
        # folds only fully known shape values; test/onnx/shapes.test.ts checks every file in onnx/
        dest = os.path.join(out_dir, '..', 'onnx-decoder') if name in DECODER_FIXTURES else out_dir
        os.makedirs(dest, exist_ok=True)
        path = os.path.join(dest, name + '.onnx')
        tmp = path + '.full'
        torch.onnx.export(module, args, tmp, opset_version=opset, input_names=['input'], output_names=['output'] if name != 'upsample_net' else ['output', 'output2'],
                          dynamic_axes=dynamic, do_constant_folding=True)
        model = onnx.load(tmp)
        os.remove(tmp)
        strip_weights(model, name)
        onnx.save(model, path)
        with open(os.path.join(dest, name + '.shapes.json'), 'w') as f:
            json.dump(reference_shapes(model), f, indent=0, sort_keys=True)
        print(f'{name}: {os.path.getsize(path)} bytes, {len(model.graph.node)} nodes, opset {opset}')
    save_built(out_dir, 'quant_integer_ops', integer_ops_model())


def save_built(out_dir, name, model):
    """A model built with onnx.helper (ops no torch export emits), checked and saved like the exports."""
    onnx.checker.check_model(model)
    path = os.path.join(out_dir, name + '.onnx')
    onnx.save(model, path)
    with open(os.path.join(out_dir, name + '.shapes.json'), 'w') as f:
        json.dump(reference_shapes(model), f, indent=0, sort_keys=True)
    print(f'{name}: {os.path.getsize(path)} bytes, {len(model.graph.node)} nodes, built')


if __name__ == '__main__':
    main()
