"""Writes an EmotionNet as a TensorFlow.js layers model (model.json + weights bin).

No TensorFlow or tensorflowjs converter is needed: the topology is the Keras JSON that
tf.loadLayersModel reads, and weights are written in the tfjs weights-manifest format. Batch-norm
is folded into the preceding conv/dense layer. Weights are stored as float16 (the manifest's
"quantization" field), which tfjs dequantises on load; the eval command measures what that costs.
"""
import json
import os

import numpy as np
import torch
from torch import nn

from model import EmotionNet


def fold_bn(weight, bn):
    """Returns (weight, bias) of a bias-free layer followed by batch-norm, as one layer."""
    std = torch.sqrt(bn.running_var + bn.eps)
    scale = bn.weight / std
    shape = [-1] + [1] * (weight.dim() - 1)
    return weight * scale.reshape(shape), bn.bias - bn.running_mean * scale


def _conv_layer(name, filters, first, input_size, separable=False):
    cfg = {
        "name": name, "trainable": False, "dtype": "float32", "filters": filters,
        "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
        "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "relu", "use_bias": True,
    }
    if separable:
        cfg["depth_multiplier"] = 1
    if first:
        cfg["batch_input_shape"] = [None, input_size, input_size, 1]
    return {"class_name": "SeparableConv2D" if separable else "Conv2D", "config": cfg}


def export(model: EmotionNet, out_dir: str, metadata: dict, input_size=48, float16=True):
    with torch.no_grad():
        _export(model.eval().cpu().float(), out_dir, metadata, input_size, float16)


def _export(model, out_dir, metadata, input_size, float16):
    layers, weights = [], []  # weights: list of (name, np.ndarray)
    convs = [m for m in model.features if isinstance(m, nn.Sequential)]
    pool_after = {i for i, m in enumerate(model.features) if isinstance(m, nn.MaxPool2d)}
    seq = list(model.features)
    conv_index = 0
    for i, m in enumerate(seq):
        if isinstance(m, nn.Sequential) and len(m) == 4:
            # Separable: depthwise 3x3, pointwise 1x1, batch-norm (folded into the pointwise).
            depthwise, pointwise, bn = m[0], m[1], m[2]
            w, b = fold_bn(pointwise.weight.detach(), bn)
            name = f"conv{conv_index + 1}"
            layers.append(_conv_layer(name, pointwise.out_channels, conv_index == 0, input_size, separable=True))
            # PyTorch depthwise [in, 1, kh, kw] -> Keras [kh, kw, in, 1]; pointwise [out, in, 1, 1] -> [1, 1, in, out]
            weights.append((f"{name}/depthwise_kernel", depthwise.weight.detach().permute(2, 3, 0, 1).contiguous().numpy()))
            weights.append((f"{name}/pointwise_kernel", w.permute(2, 3, 1, 0).contiguous().numpy()))
            weights.append((f"{name}/bias", b.detach().numpy()))
            conv_index += 1
        elif isinstance(m, nn.Sequential):
            conv, bn = m[0], m[1]
            w, b = fold_bn(conv.weight.detach(), bn)
            name = f"conv{conv_index + 1}"
            layers.append(_conv_layer(name, conv.out_channels, conv_index == 0, input_size))
            # PyTorch [out, in, kh, kw] -> Keras [kh, kw, in, out]
            weights.append((f"{name}/kernel", w.permute(2, 3, 1, 0).contiguous().numpy()))
            weights.append((f"{name}/bias", b.detach().numpy()))
            conv_index += 1
        elif isinstance(m, nn.MaxPool2d):
            layers.append({"class_name": "MaxPooling2D", "config": {
                "name": f"pool{len([l for l in layers if l['class_name'] == 'MaxPooling2D']) + 1}",
                "trainable": False, "dtype": "float32", "pool_size": [2, 2], "strides": [2, 2],
                "padding": "valid", "data_format": "channels_last"}})
    assert conv_index == len(convs) and pool_after
    layers.append({"class_name": "Flatten", "config": {"name": "flatten", "trainable": False, "dtype": "float32", "data_format": "channels_last"}})
    w1, b1 = fold_bn(model.fc1.weight.detach(), model.bn_fc1)
    layers.append({"class_name": "Dense", "config": {"name": "dense1", "trainable": False, "dtype": "float32", "units": model.fc1.out_features, "activation": "relu", "use_bias": True}})
    weights.append(("dense1/kernel", w1.t().contiguous().numpy()))
    weights.append(("dense1/bias", b1.detach().numpy()))
    layers.append({"class_name": "Dense", "config": {"name": "scores", "trainable": False, "dtype": "float32", "units": model.fc2.out_features, "activation": "softmax", "use_bias": True}})
    weights.append(("scores/kernel", model.fc2.weight.detach().t().contiguous().numpy()))
    weights.append(("scores/bias", model.fc2.bias.detach().numpy()))

    os.makedirs(out_dir, exist_ok=True)
    manifest, blobs = [], []
    for name, arr in weights:
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        entry = {"name": name, "shape": list(arr.shape), "dtype": "float32"}
        if float16:
            entry["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
            blobs.append(arr.astype("<f2").tobytes())
        else:
            blobs.append(arr.astype("<f4").tobytes())
        manifest.append(entry)
    with open(os.path.join(out_dir, "weights.bin"), "wb") as f:
        f.write(b"".join(blobs))
    model_json = {
        "format": "layers-model",
        "generatedBy": "faceml training/export_tfjs.py",
        "convertedBy": None,
        "modelTopology": {
            "class_name": "Sequential",
            "config": {"name": "faceml_emotion", "layers": layers},
            "keras_version": "2.15.0",
            "backend": "tensorflow",
        },
        "weightsManifest": [{"paths": ["weights.bin"], "weights": manifest}],
        "userDefinedMetadata": {"faceml": metadata},
    }
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(model_json, f)
    with open(os.path.join(out_dir, "metadata.json"), "w") as f:
        json.dump(metadata, f, indent=2)
