"""Accuracy of checkpoints alone and averaged (with and without flip averaging) on prepared
validation tensors: is an ensemble of runs worth distilling into one net (train --teachers)?

Run through `npm run ensemble` (training/ensemble.ts). The last stdout line is one JSON object.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import load_split, load_teachers  # noqa: E402


def probabilities(model, x, flip, batch=512):
    """Softmax outputs (n, classes); with flip, averaged with the mirrored image's."""
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = x[i:i + batch].contiguous(memory_format=torch.channels_last)
            p = F.softmax(model(xb), 1)
            if flip:
                p = (p + F.softmax(model(torch.flip(xb, [3])), 1)) / 2
            outs.append(p)
    return torch.cat(outs)


def scores(p, y, labels):
    pred = p.argmax(1)
    recall = {name: round(((pred == k) & (y == k)).sum().item() / max(1, (y == k).sum().item()), 4)
              for k, name in enumerate(labels)}
    return {"accuracy": round((pred == y).float().mean().item(), 4), "recall": recall}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--val", required=True, help="prefix of prepared validation tensors")
    ap.add_argument("checkpoints", nargs="+", help="best.pt files of training runs")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    x, y, meta = load_split(args.val)
    labels = meta["labels"]
    report = {"n": len(y), "members": [], "ensemble": {}}
    plain, flipped = [], []
    for path, net in zip(args.checkpoints, load_teachers(args.checkpoints, labels, meta["size"])):
        plain.append(probabilities(net, x, flip=False))
        flipped.append(probabilities(net, x, flip=True))
        member = {"checkpoint": path, "accuracy": scores(plain[-1], y, labels)["accuracy"],
                  "accuracy_flip": scores(flipped[-1], y, labels)["accuracy"]}
        report["members"].append(member)
        print(f"{path}: {member['accuracy']:.4f} (with flip {member['accuracy_flip']:.4f})", flush=True)
    report["ensemble"] = {"plain": scores(sum(plain) / len(plain), y, labels),
                          "flip": scores(sum(flipped) / len(flipped), y, labels)}
    print(f"ensemble of {len(plain)}: {report['ensemble']['plain']['accuracy']:.4f} "
          f"(with flip {report['ensemble']['flip']['accuracy']:.4f})", flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
