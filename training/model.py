"""The FaceML emotion CNN (PyTorch side). Exported to TensorFlow.js by export.py.

VGG-style: four blocks of two 3x3 conv + batch-norm + ReLU, each followed by 2x2 max-pooling,
then a dense head. Widths (16, 48, 96, 192) are sized for the runtime budget: about 60 M
multiply-adds per 48x48 face, which tfjs-wasm (SIMD, one thread) runs in <5 ms on a 2-core
machine; twice the width costs 4x the time. The first block is kept narrow because at 48x48
it dominates both training and inference time. Batch-norm layers are folded into the convolutions
at export, so the shipped model is plain conv/pool/dense.
"""
import torch
from torch import nn

WIDTHS = (16, 48, 96, 192)
HIDDEN = 256


def conv_bn_relu(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class EmotionNet(nn.Module):
    def __init__(self, num_classes=7, input_size=48, widths=WIDTHS, hidden=HIDDEN, dropout=0.4):
        super().__init__()
        blocks = []
        cin = 1
        for i, w in enumerate(widths):
            blocks += [conv_bn_relu(cin, w), conv_bn_relu(w, w), nn.MaxPool2d(2)]
            if i >= 1:
                blocks.append(nn.Dropout2d(0.05 * i))
            cin = w
        self.features = nn.Sequential(*blocks)
        side = input_size // (2 ** len(widths))
        self.flat_features = side * side * widths[-1]
        self.fc1 = nn.Linear(self.flat_features, hidden, bias=False)
        self.bn_fc1 = nn.BatchNorm1d(hidden)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = self.features(x)
        # Flatten in NHWC order so the dense weights match TensorFlow.js's Flatten (channels last).
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        x = torch.relu(self.bn_fc1(self.fc1(x)))
        return self.fc2(self.dropout(x))
