"""Reads a shipped TensorFlow.js model (written by export_tfjs.py) back into an EmotionNet
checkpoint, so the shipped model can teach (--teachers) or seed (--init) a training run on a machine
that no longer has the run's PyTorch checkpoints (they are not kept in git).

Export folded each batch-norm into its conv/dense layer; here the folded bias goes back into the
batch-norm with an identity transform (scale 1, mean 0, variance 1 - eps), so the net computes
exactly what the tfjs model computes (weights are as stored: float16 when exported so).

usage: python3 training/import_tfjs.py <model dir with model.json> <out.pt>
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import EmotionNet, arch_of_layers  # noqa: E402


def read_weights(model_dir):
    spec = json.load(open(os.path.join(model_dir, "model.json")))
    arrays, group = {}, spec["weightsManifest"][0]
    blob = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
    offset = 0
    for w in group["weights"]:
        dtype = "<f2" if w.get("quantization", {}).get("dtype") == "float16" else "<f4"
        count = int(np.prod(w["shape"])) if w["shape"] else 1
        size = count * np.dtype(dtype).itemsize
        arrays[w["name"]] = np.frombuffer(blob[offset:offset + size], dtype=dtype).astype(np.float32).reshape(w["shape"])
        offset += size
    if offset != len(blob):
        sys.exit(f"import_tfjs: weights.bin holds {len(blob)} bytes, the manifest describes {offset}")
    return spec, arrays


def set_identity_bn(bn, bias):
    bn.weight.fill_(1.0)
    bn.bias.copy_(torch.from_numpy(bias))
    bn.running_mean.zero_()
    bn.running_var.fill_(1.0 - bn.eps)  # sqrt(var + eps) == 1


def import_model(model_dir):
    spec, w = read_weights(model_dir)
    labels = spec["userDefinedMetadata"]["faceml"]["labels"]
    layers = spec["modelTopology"]["config"]["layers"]
    convs_cfg = [layer for layer in layers if layer["class_name"] in ("Conv2D", "SeparableConv2D")]
    try:
        arch = arch_of_layers([layer["config"]["filters"] for layer in convs_cfg],
                              any(layer["class_name"] == "SeparableConv2D" for layer in convs_cfg))
    except ValueError as err:
        sys.exit(f"import_tfjs: {err}")
    net = EmotionNet(num_classes=len(labels), arch=arch).eval()
    convs = [m for m in net.features if isinstance(m, nn.Sequential)]
    with torch.no_grad():
        for i, block in enumerate(convs):
            if len(block) == 4:  # separable: depthwise, pointwise, batch-norm, ReLU
                depthwise = w[f"conv{i + 1}/depthwise_kernel"]  # Keras [kh, kw, in, 1] -> PyTorch [in, 1, kh, kw]
                pointwise = w[f"conv{i + 1}/pointwise_kernel"]  # Keras [1, 1, in, out] -> PyTorch [out, in, 1, 1]
                block[0].weight.copy_(torch.from_numpy(depthwise).permute(2, 3, 0, 1))
                block[1].weight.copy_(torch.from_numpy(pointwise).permute(3, 2, 0, 1))
                set_identity_bn(block[2], w[f"conv{i + 1}/bias"])
                continue
            kernel = w[f"conv{i + 1}/kernel"]  # Keras [kh, kw, in, out] -> PyTorch [out, in, kh, kw]
            if tuple(block[0].weight.shape) != (kernel.shape[3], kernel.shape[2], kernel.shape[0], kernel.shape[1]):
                sys.exit(f"import_tfjs: conv{i + 1} has shape {kernel.shape}, model.py expects {tuple(block[0].weight.shape)}")
            block[0].weight.copy_(torch.from_numpy(kernel).permute(3, 2, 0, 1))
            set_identity_bn(block[1], w[f"conv{i + 1}/bias"])
        net.fc1.weight.copy_(torch.from_numpy(w["dense1/kernel"]).t())
        set_identity_bn(net.bn_fc1, w["dense1/bias"])
        net.fc2.weight.copy_(torch.from_numpy(w["scores/kernel"]).t())
        net.fc2.bias.copy_(torch.from_numpy(w["scores/bias"]))
    return net, spec, arch


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: python3 training/import_tfjs.py <model dir> <out.pt>")
    net, spec, arch = import_model(sys.argv[1])
    training = spec["userDefinedMetadata"]["faceml"].get("training", {})
    best = {"accuracy": training.get("validation_accuracy_pytorch_fp32", -1.0), "epoch": training.get("best_epoch"),
            "imported_from": os.path.abspath(sys.argv[1])}
    torch.save({"ema": net.state_dict(), "best": best, "arch": arch}, sys.argv[2])
    print(f"import_tfjs: wrote {sys.argv[2]} from {sys.argv[1]}")


if __name__ == "__main__":
    main()
