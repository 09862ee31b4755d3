"""The FaceML emotion CNN (PyTorch side). Exported to TensorFlow.js by export_tfjs.py.

Three shapes (--arch), all four blocks of two 3x3 convolutions + batch-norm + ReLU, each block
followed by 2x2 max-pooling, then a dense head:
- "vgg" (shipped): plain convolutions, widths (16, 48, 96, 192): about 60 M multiply-adds per
  48x48 face, which tfjs-wasm (SIMD, one thread) runs in ~5 ms on a 2-core machine; twice the
  width costs 4x the time. The first block is narrow because at 48x48 it dominates the time.
- "sep": depthwise-separable convolutions (a 3x3 per-channel filter, then a 1x1 mix; Xception
  style, batch-norm only after the mix, so it folds into the 1x1 and tfjs runs it as one
  SeparableConv2D layer) after a plain first convolution, widths (32, 128, 256, 512): about 46 M
  multiply-adds but much wider features, dense 128; measured about as fast as "vgg" in tfjs-wasm.
- "slim": "vgg" with widths (16, 32, 64, 128): about 30 M multiply-adds, half the time.
Batch-norm layers are folded at export, so the shipped model is plain conv/pool/dense.
"""
import torch
from torch import nn

ARCHS = {
    "vgg": {"widths": (16, 48, 96, 192), "separable": False, "hidden": 256},
    # hidden 128: the 3x3x512 flatten makes the dense layer the bulk of the weights (3 MB limit).
    "sep": {"widths": (32, 128, 256, 512), "separable": True, "hidden": 128},
    # Half the multiply-adds of "vgg" (about 30 M): tfjs-wasm runs a face and its mirror image in
    # about the time "vgg" takes for one view.
    "slim": {"widths": (16, 32, 64, 128), "separable": False, "hidden": 256},
}


def conv_bn_relu(cin, cout, separable=False):
    if separable:
        return nn.Sequential(
            nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False),
            nn.Conv2d(cin, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class EmotionNet(nn.Module):
    def __init__(self, num_classes=7, input_size=48, arch="vgg", dropout=0.4):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"unknown arch {arch!r}; known: {', '.join(ARCHS)}")
        widths, separable, hidden = ARCHS[arch]["widths"], ARCHS[arch]["separable"], ARCHS[arch]["hidden"]
        blocks = []
        cin = 1
        for i, w in enumerate(widths):
            # A one-channel input has nothing to mix: the first convolution is always plain.
            blocks += [conv_bn_relu(cin, w, separable and cin > 1), conv_bn_relu(w, w, separable), nn.MaxPool2d(2)]
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


def arch_of_layers(conv_widths, separable):
    """The arch whose shape these exported conv layers have (their output widths, in order)."""
    for name, arch in ARCHS.items():
        expected = [w for w in arch["widths"] for _ in range(2)]
        if arch["separable"] == separable and list(conv_widths) == expected:
            return name
    raise ValueError(f"no arch in model.py has conv widths {list(conv_widths)} (separable: {separable})")


def arch_of(checkpoint):
    """The arch a checkpoint was trained with (checkpoints from before --arch are "vgg")."""
    return checkpoint.get("arch", "vgg")


def batchnorm_layers(net):
    return [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
