#!/usr/bin/env python3
"""Exports torchvision ResNet-50 (random weights, opset 13, dynamic batch) to ONNX with the
weights moved to an external data file that is then deleted: the graph keeps every weight's dims,
which is all opplace needs, and the fixture stays small. Run with /usr/bin/python3 (Debian torch).

    /usr/bin/python3 tools/make_training_fixture.py test/fixtures/training
"""
import os
import sys
import tempfile

import onnx
import torch
import torchvision


def main(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.resnet50()
    # Fresh BatchNorm layers (γ=1, β=0, mean 0, var 1) fold into all-zero conv biases, which the
    # exporter de-duplicates into shared initializers; random statistics keep every weight distinct.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        full = os.path.join(tmp, "resnet50.onnx")
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), full, opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        m = onnx.load(full)
        out = os.path.join(out_dir, "torchvision_resnet50.onnx")
        onnx.save_model(m, out, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="torchvision_resnet50.weights", size_threshold=0)
        os.remove(os.path.join(out_dir, "torchvision_resnet50.weights"))
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for n, b in model.named_buffers() if b.is_floating_point())
    print(f"wrote {out}: {os.path.getsize(out)} bytes; parameters {params}, float buffers {buffers}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/training")
