"""Shrinks a trained EmotionNet into a narrower arch of training/model.py (channel pruning), as a
start for fine-tuning: a net pruned from a good wide net keeps most of what it learnt, where the
same narrow net trained from scratch starts over.

Per block, the output channels kept are those that matter most to the next layer: the mean
activation of the channel on training images times the norm of the next layer's weights that
read it. Each layer that lost input channels is then refitted by least squares (ridge) so its
outputs on the pruned net's own activations match the wide net's outputs on its activations
(channel pruning with reconstruction, He et al. 2017; ThiNet), layer by layer from the input.
restate_batchnorm then makes training mode (batch statistics) compute what evaluation mode does,
so fine-tuning starts from the pruned net.

Used by train.py when --init is wider than --arch.
"""
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ARCHS, EmotionNet, batchnorm_layers  # noqa: E402


def conv_units(net):
    """(conv, batch-norm) pairs in order, and the pooling/dropout after each (for walking the net)."""
    units = []
    for m in net.features:
        if isinstance(m, nn.Sequential):
            if len(m) != 3:
                raise ValueError("pruning handles plain convolutions only (not --arch sep)")
            units.append({"conv": m[0], "bn": m[1], "after": []})
        else:
            units[-1]["after"].append(m)
    return units


def activation(unit, x):
    return F.relu(unit["bn"](unit["conv"](x)))


def pooled(unit, a):
    """A unit's activation after its pooling (dropout is off in evaluation)."""
    for m in unit["after"]:
        if isinstance(m, nn.MaxPool2d):
            a = m(a)
    return a


def run_unit(unit, x):
    return pooled(unit, activation(unit, x))


def head_input(x):
    return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # NHWC flatten, as EmotionNet.forward


def keep_indices(importance, k):
    return torch.sort(torch.topk(importance, k).indices).values


def least_squares(xtx, xty):
    """Ridge solution of the accumulated normal equations (the last input column is the constant 1)."""
    d = xtx.shape[0]
    ridge = 1e-4 * torch.trace(xtx) / d
    w = torch.linalg.solve(xtx + ridge * torch.eye(d, dtype=xtx.dtype), xty)
    return w[:-1], w[-1]


def prune(src, arch, x, batch=200):
    """A net of `arch` made from the trained net `src` (eval mode); `x`: un-augmented training
    images (n, 1, s, s) to rank channels and refit layers on. Batch-norm statistics stay the
    source's (refitting keeps each layer's outputs close); restate_batchnorm then measures them."""
    src = src.eval()
    widths = ARCHS[arch]["widths"]
    dst = EmotionNet(num_classes=src.fc2.out_features, input_size=x.shape[-1], arch=arch).eval()
    su, du = conv_units(src), conv_units(dst)
    if len(su) != len(du):
        raise ValueError("source and target differ in depth")
    targets = [w for w in widths for _ in range(2)]

    # Importance of each source channel: mean activation x norm of the weights that read it.
    mean_act = [torch.zeros(u["conv"].out_channels, dtype=torch.float64) for u in su]
    with torch.no_grad():
        for i in range(0, len(x), batch):
            h = x[i:i + batch]
            for j, u in enumerate(su):
                a = activation(u, h)
                mean_act[j] += a.double().sum((0, 2, 3))
                h = pooled(u, a)
    keep = []
    for j, u in enumerate(su):
        c = u["conv"].out_channels
        if j + 1 < len(su):
            reader = su[j + 1]["conv"].weight.detach().transpose(0, 1).reshape(c, -1).norm(dim=1)
        else:
            reader = src.fc1.weight.detach().reshape(src.fc1.out_features, -1, c).norm(dim=(0, 1))
        score = mean_act[j] / len(x) * reader.double()
        keep.append(keep_indices(score, targets[j]) if targets[j] < c else torch.arange(c))

    with torch.no_grad():
        # Start from the kept slices of the source's weights and batch-norms.
        for j, (s, d) in enumerate(zip(su, du)):
            k_in = keep[j - 1] if j else torch.arange(1)
            d["conv"].weight.copy_(s["conv"].weight[keep[j]][:, k_in])
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(d["bn"], name).copy_(getattr(s["bn"], name)[keep[j]])
        last = keep[-1]
        c_src = su[-1]["conv"].out_channels
        side = int(round((src.fc1.in_features // c_src) ** 0.5))
        cols = torch.cat([p * c_src + last for p in range(side * side)])
        dst.fc1.weight.copy_(src.fc1.weight[:, cols])
        dst.bn_fc1.load_state_dict(src.bn_fc1.state_dict())
        dst.fc2.load_state_dict(src.fc2.state_dict())

        # Refit, from the input on, every layer whose inputs were pruned: its pre-batch-norm output
        # on the pruned net's activations should match the source's on the source's activations.
        # Each batch's activations in both nets at the current depth, advanced one block per step
        # (the pruned net's after its earlier blocks were refitted).
        starts = range(0, len(x), batch)
        hs_all, hd_all = [x[i:i + batch] for i in starts], [x[i:i + batch] for i in starts]
        for j in range(1, len(su) + 1):
            hs_all = [run_unit(su[j - 1], h) for h in hs_all]
            hd_all = [run_unit(du[j - 1], h) for h in hd_all]
            pruned_inputs = len(keep[j - 1]) < su[j - 1]["conv"].out_channels
            if not pruned_inputs:
                continue
            layer = du[j]["conv"] if j < len(su) else dst.fc1
            xtx = xty = None
            for i, hs, hd in zip(starts, hs_all, hd_all):
                if j < len(su):
                    want = su[j]["conv"](hs)[:, keep[j]]
                    cols_in = F.unfold(hd, 3, padding=1).transpose(1, 2).reshape(-1, hd.shape[1] * 9)
                    want = want.permute(0, 2, 3, 1).reshape(-1, want.shape[1])
                else:
                    want = src.fc1(head_input(hs))
                    cols_in = head_input(hd)
                if len(cols_in) > 20000:  # a fixed random subset of positions is plenty for a few hundred unknowns
                    pick = torch.randperm(len(cols_in), generator=torch.Generator().manual_seed(i))[:20000]
                    cols_in, want = cols_in[pick], want[pick]
                a = torch.cat([cols_in, torch.ones(len(cols_in), 1)], 1)
                part_xx, part_xy = (a.T @ a).double(), (a.T @ want).double()
                xtx = part_xx if xtx is None else xtx + part_xx
                xty = part_xy if xty is None else xty + part_xy
            w, b = least_squares(xtx, xty)
            if j < len(su):
                cout, cin = layer.weight.shape[:2]
                # unfold orders columns channel-major, then the 3x3 window: matches weight[o, c, kh, kw].
                layer.weight.copy_(w.T.reshape(cout, cin, 3, 3).float())
                bn = du[j]["bn"]
            else:
                layer.weight.copy_(w.T.float())
                bn = dst.bn_fc1
            bn.running_mean.sub_(b.float())  # the fitted constant, folded into the batch-norm's shift
    return dst


def restate_batchnorm(net, x, batch=256):
    """Rewrites every batch-norm so its running statistics are the ones the net's layers really
    produce on x, without changing what the net computes in evaluation mode (scale and shift
    absorb the difference). Then training mode, which normalises with batch statistics, computes
    about the same as evaluation mode, so fine-tuning starts from the pruned net instead of a
    perturbed one. (A net imported from TensorFlow.js has identity batch-norms holding the folded
    biases; without this its first training step would normalise everything anew.)"""
    bns = batchnorm_layers(net)
    sums = {m: [0.0, 0.0, 0] for m in bns}

    def record(m, inputs, _out):
        z = inputs[0].double()
        dims = (0, 2, 3) if z.dim() == 4 else (0,)
        sums[m][0] = sums[m][0] + z.sum(dims)
        sums[m][1] = sums[m][1] + (z * z).sum(dims)
        sums[m][2] += z.numel() // z.shape[1]

    hooks = [m.register_forward_hook(record) for m in bns]
    net.eval()
    with torch.no_grad():
        for i in range(0, len(x), batch):
            net(x[i:i + batch])
    for h in hooks:
        h.remove()
    with torch.no_grad():
        for m in bns:
            s1, s2, n = sums[m]
            mean = (s1 / n).float()
            var = (s2 / n).float() - mean * mean
            old = torch.sqrt(m.running_var + m.eps)
            new = torch.sqrt(var.clamp(min=0) + m.eps)
            m.bias.add_(m.weight * (mean - m.running_mean) / old)
            m.weight.mul_(new / old)
            m.running_mean.copy_(mean)
            m.running_var.copy_(var.clamp(min=0))
    return net
