"""Packs a training run's checkpoints for git, so a run outlives the machine it started on.

Run folders (training/runs/*) are not in git: a fresh checkout or a new machine loses them, and
with them any run that takes longer than one sitting. This writes the run's last.pt (weights, EMA
weights, optimiser momentum, epoch, best-so-far) and best.pt with floating-point tensors as float16
(half the size; on resume they load back into float32, a rounding far below what one SGD step
changes) plus its log, into a folder (default training/kept/<run name>, ignored by git: model files stay out of the repo).
`npm run train` with the same --run resumes from there when the run folder has no checkpoint.

usage: python3 training/keep_run.py <run dir> [<kept dir>]
"""
import os
import shutil
import sys

import torch


def halve(obj):
    if isinstance(obj, torch.Tensor):
        return obj.half() if obj.is_floating_point() else obj
    if isinstance(obj, dict):
        return {k: halve(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [halve(v) for v in obj]
    return obj


def keep(run_dir, kept_dir):
    last = os.path.join(run_dir, "last.pt")
    if not os.path.exists(last):
        sys.exit(f"keep_run: no checkpoint at {last}")
    os.makedirs(kept_dir, exist_ok=True)
    epoch = None
    for name in ("last.pt", "best.pt"):
        src = os.path.join(run_dir, name)
        if os.path.exists(src):
            checkpoint = torch.load(src)
            epoch = checkpoint["epoch"] if name == "last.pt" else epoch
            tmp = os.path.join(kept_dir, name + ".tmp")
            torch.save(halve(checkpoint), tmp)
            os.replace(tmp, os.path.join(kept_dir, name))
    log = os.path.join(run_dir, "log.jsonl")
    if os.path.exists(log):
        shutil.copyfile(log, os.path.join(kept_dir, "log.jsonl"))
    print(f"keep_run: kept {run_dir} at epoch {epoch} in {kept_dir}")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python3 training/keep_run.py <run dir> [<kept dir>]")
    run_dir = sys.argv[1].rstrip("/")
    here = os.path.dirname(os.path.abspath(__file__))
    kept_dir = sys.argv[2] if len(sys.argv) == 3 else os.path.join(here, "kept", os.path.basename(run_dir))
    keep(run_dir, kept_dir)


if __name__ == "__main__":
    main()
