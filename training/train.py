"""Trains the FaceML emotion CNN on tensors written by training/prepare-data.ts, then exports it.

Run through `npm run train` (training/train.ts), which prepares the data with the runtime's own
preprocessing first. Resumable: every epoch writes <run>/last.pt; running the same command again
continues from it. The best epoch on the validation set (by accuracy of the EMA weights) is kept
in <run>/best.pt and exported to --out as a TensorFlow.js model.

Needs Debian's python3-torch and python3-numpy (/usr/bin/python3).
"""
import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ARCHS, EmotionNet, arch_of, batchnorm_layers  # noqa: E402
from export_tfjs import export  # noqa: E402
from prune import prune, restate_batchnorm  # noqa: E402


def load_split(prefix):
    meta = json.load(open(prefix + ".json"))
    n, s = meta["n"], meta["size"]
    x = np.fromfile(prefix + ".x.f32", dtype="<f4").reshape(n, 1, s, s)
    y = np.fromfile(prefix + ".y.u8", dtype=np.uint8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y), meta


def augment(x, gen, strength=1.0):
    """Batch augmentation on already-preprocessed inputs (all ops are affine in pixel value, so
    they commute with the runtime's normalisation): flip, rotate, scale, shift, contrast and
    brightness jitter, random erasing."""
    b = x.shape[0]
    dev = x.device
    angle = (torch.rand(b, generator=gen) * 2 - 1) * math.radians(15) * strength
    scale = 1 + (torch.rand(b, generator=gen) * 2 - 1) * 0.15 * strength
    flip = torch.where(torch.rand(b, generator=gen) < 0.5, -1.0, 1.0)
    tx = (torch.rand(b, generator=gen) * 2 - 1) * 0.12 * strength
    ty = (torch.rand(b, generator=gen) * 2 - 1) * 0.12 * strength
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([
        torch.stack([cos * flip, -sin, tx], 1),
        torch.stack([sin * flip, cos, ty], 1),
    ], 1).to(dev)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    contrast = (1 + (torch.rand(b, 1, 1, 1, generator=gen) * 2 - 1) * 0.3 * strength).to(dev)
    bright = ((torch.rand(b, 1, 1, 1, generator=gen) * 2 - 1) * 0.1 * strength).to(dev)
    x = ((x - mean) * contrast + mean + bright).clamp(0, 1)
    # Random erasing: one rectangle in half of the images, filled with the image mean.
    s = x.shape[-1]
    erase = torch.rand(b, generator=gen) < 0.5 * strength
    for i in torch.nonzero(erase).flatten().tolist():
        area = float(torch.empty(1).uniform_(0.02, 0.15, generator=gen)) * s * s
        ratio = math.exp(float(torch.empty(1).uniform_(math.log(0.3), math.log(3.3), generator=gen)))
        h = min(s, max(1, int(round(math.sqrt(area * ratio)))))
        w = min(s, max(1, int(round(math.sqrt(area / ratio)))))
        y0 = int(torch.randint(0, s - h + 1, (1,), generator=gen))
        x0 = int(torch.randint(0, s - w + 1, (1,), generator=gen))
        x[i, :, y0:y0 + h, x0:x0 + w] = mean[i]
    return x


def evaluate(model, x, y, batch=512):
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = x[i:i + batch].contiguous(memory_format=torch.channels_last)
            preds.append(model(xb).argmax(1))
    p = torch.cat(preds)
    k = 7
    conf = torch.zeros(k, k, dtype=torch.long)
    for t, q in zip(y.tolist(), p.tolist()):
        conf[t, q] += 1
    acc = (p == y).float().mean().item()
    recall = (conf.diag().float() / conf.sum(1).clamp(min=1).float()).tolist()
    return acc, recall, conf.tolist()


def parse_cycles(epochs, lrs, augments):
    """--restart-epochs/--restart-lr/--restart-augment take comma lists, one entry per warm
    restart; a single lr or augment value applies to every restart."""
    ep = [int(v) for v in str(epochs).split(",") if v.strip() and int(v) > 0]
    lr = [float(v) for v in str(lrs).split(",")]
    au = [float(v) for v in str(augments).split(",")]
    pick = lambda vals, i: vals[i] if i < len(vals) else vals[-1]
    return [{"epochs": e, "lr": pick(lr, i), "augment": pick(au, i)} for i, e in enumerate(ep)]


def cycle_at(epoch, first_epochs, cycles):
    """Which warm-restart cycle an epoch belongs to: (index, first epoch of it), or None in the
    first cosine."""
    start = first_epochs
    for i, c in enumerate(cycles):
        if epoch < start + c["epochs"]:
            return (i, start) if epoch >= first_epochs else None
        start += c["epochs"]
    return None


def cosine(peak, t):
    """Cosine decay from peak (t = 0) to 0 (t = 1): every stage's learning-rate curve."""
    return peak * 0.5 * (1 + math.cos(math.pi * t))


def lr_at(step, total, warmup, peak, steps_per_epoch=1, first_epochs=0, cycles=()):
    """Cosine schedule with linear warm-up, then warm restarts (SGDR): each cycle is a further
    cosine from its own peak down to 0."""
    cyc = cycle_at(step // max(1, steps_per_epoch), first_epochs, cycles) if step >= total else None
    if cyc is not None:
        i, start_epoch = cyc
        t = (step - start_epoch * steps_per_epoch) / max(1, cycles[i]["epochs"] * steps_per_epoch)
        return cosine(cycles[i]["lr"], t)
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return cosine(peak, t)


def bf16_matmul_hardware():
    """True on CPUs with AMX bfloat16 units (Intel Sapphire Rapids and later), where oneDNN runs
    bfloat16 convolutions ~2.3x faster than float32 (a training step here: 115 vs 265 ms). Elsewhere
    bfloat16 is emulated and slower."""
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " amx_bf16" in line for line in f)
    except OSError:
        return False


def teacher_soft_targets(teachers, x, temp, bf16):
    """The teachers' averaged predictions at temperature `temp` for a batch and its mirror image
    (n, classes). Each teacher sees both in one pass (fewer, larger matrix products). Serves the
    distill stage (per augmented batch) and --distill-throughout (once, over the un-augmented
    training images, in slices)."""
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        xb = x.contiguous(memory_format=torch.channels_last)
        both = torch.cat([xb, torch.flip(xb, [3])])
        soft = sum(F.softmax(t(both).float() / temp, 1).view(2, len(xb), -1).mean(0) for t in teachers) / len(teachers)
    return soft.clone()  # leave inference mode: the loss needs an ordinary tensor


def load_teachers(paths, labels, size):
    nets = []
    for tp in paths:
        ck = torch.load(tp)
        net = EmotionNet(num_classes=len(labels), input_size=size, arch=arch_of(ck)).to(memory_format=torch.channels_last)
        net.load_state_dict(ck["ema"])
        nets.append(net.eval())
    return nets


def pruned_init(init, arch, xtr, xva, yva, labels, size):
    """--init with a wider net than --arch: the wide net pruned to the arch (training/prune.py),
    refitted and restated on 4000 fixed training images."""
    wide = arch_of(init)
    narrower = all(w <= v for w, v in zip(ARCHS[arch]["widths"], ARCHS[wide]["widths"]))
    if not narrower or ARCHS[arch]["separable"] or ARCHS[wide]["separable"]:
        sys.exit(f"--init is a {wide!r} net; it can start a run of that arch or be pruned to a narrower plain one, not {arch!r}")
    src = EmotionNet(num_classes=len(labels), input_size=size, arch=wide)
    src.load_state_dict(init["ema"])
    t0 = time.time()
    calib = xtr[torch.randperm(len(xtr), generator=torch.Generator().manual_seed(0))[:4000]]
    net = restate_batchnorm(prune(src.eval(), arch, calib), calib)
    print(f"--init is a {wide!r} net ({evaluate(src, xva, yva)[0]:.4f} on validation): pruned to {arch!r} "
          f"({evaluate(net, xva, yva)[0]:.4f}) in {time.time() - t0:.0f} s", flush=True)
    return net


def copy_state(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def average_states(states):
    """The element-wise mean of state dicts (integer buffers such as batch counts: the first's)."""
    return {k: sum(s[k] for s in states) / len(states) if states[0][k].is_floating_point() else states[0][k]
            for k in states[0]}


def recalibrate_batchnorm(net, x, n=8192, batch=256, seed=0):
    """Averaged weights no longer match the averaged batch-norm statistics: recompute them as plain
    means over n un-augmented training images (training mode, no gradients). Without this the soup
    scored 68.0% PublicTest instead of 68.6% (two members, in a prototype of this stage)."""
    for m in batchnorm_layers(net):
        m.reset_running_stats()
        m.momentum = None  # cumulative average over all batches
    net.train()
    pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:n]
    with torch.no_grad():
        for i in range(0, len(pick), batch):
            net(x[pick[i:i + batch]].contiguous(memory_format=torch.channels_last))
    for m in batchnorm_layers(net):
        m.momentum = 0.1
    return net.eval()


def sam_perturb(model, rho):
    """Sharpness-aware minimisation, first half: moves the weights rho along the normalised
    gradient (towards higher loss) and returns the moves, so the second gradient is taken at the
    worst nearby point (Foret et al. 2021). Undo with sam_restore before the optimiser step."""
    params = [p for p in model.parameters() if p.grad is not None]
    norm = torch.norm(torch.stack([p.grad.norm() for p in params]))
    scale = rho / (norm + 1e-12)
    moves = []
    with torch.no_grad():
        for p in params:
            e = p.grad * scale
            p.add_(e)
            moves.append((p, e))
    return moves


def sam_restore(moves):
    with torch.no_grad():
        for p, e in moves:
            p.sub_(e)


@contextlib.contextmanager
def frozen_batchnorm_stats(model):
    """Batch-norm layers that normalise with the batch but leave their running statistics alone
    (for SAM's second pass over the same batch, which must not count it twice)."""
    saved = [(m, m.momentum) for m in batchnorm_layers(model)]
    for m, _ in saved:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, momentum in saved:
            m.momentum = momentum


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def get_args_parser():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True, help="prefix of prepared training tensors")
    ap.add_argument("--val", required=True, help="prefix of prepared validation tensors")
    ap.add_argument("--run", required=True, help="run folder: checkpoints and log")
    ap.add_argument("--out", required=True, help="where to export the TensorFlow.js model")
    ap.add_argument("--arch", choices=tuple(ARCHS), default="vgg", help="net shape (training/model.py)")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.04)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--class-weight-power", type=float, default=0.5,
                    help="class weight = (n_max / n_class) ** power; 0 disables weighting")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--restart-epochs", default="0",
                    help="after --epochs, warm restarts of the cosine schedule: epochs per restart, comma-separated")
    ap.add_argument("--restart-lr", default="0.01", help="peak learning rate per restart (comma list)")
    ap.add_argument("--restart-augment", default="0.5",
                    help="augmentation strength per restart, comma list (the model underfits at full strength)")
    ap.add_argument("--distill-epochs", type=int, default=0,
                    help="last stage: distil teachers' flip-averaged predictions into the net (flip averaging and "
                         "ensembles are too slow at runtime; this bakes them in)")
    ap.add_argument("--teachers", default="",
                    help="comma list of checkpoints (best.pt of other runs) whose averaged predictions teach the "
                         "distill stage; default: the run's own weights at the start of the stage (born-again)")
    ap.add_argument("--init", default="",
                    help="checkpoint (a best.pt) the net starts from instead of random weights, e.g. to distil "
                         "into a finished run with --epochs 0 --distill-epochs N; a wider plain net than --arch "
                         "is pruned to it first (training/prune.py)")
    ap.add_argument("--distill-throughout", action="store_true",
                    help="distil from the first epoch instead of in a last stage: the --teachers' flip-averaged "
                         "soft targets of the un-augmented training images are computed once (cached in the run "
                         "folder) and blended into every step's loss, so the teachers cost nothing per step")
    ap.add_argument("--distill-lr", type=float, default=0.01)
    ap.add_argument("--distill-augment", type=float, default=1.0,
                    help="teacher and student see the same augmented batch, so full strength does not mislabel")
    ap.add_argument("--distill-alpha", type=float, default=0.7, help="weight of the teacher's soft targets vs the labels")
    ap.add_argument("--distill-temperature", type=float, default=2.0)
    ap.add_argument("--soup-members", type=int, default=0,
                    help="last stage: fine-tune the best epoch's weights this many times (fresh optimiser, its own "
                         "data order each) and ship the average of their weights (a 'model soup'), batch-norm "
                         "statistics recomputed, if it beats the best epoch: an ensemble's gain at one net's cost")
    ap.add_argument("--soup-epochs", type=int, default=8, help="epochs per soup member (a cosine from --soup-lr to 0)")
    ap.add_argument("--soup-lr", type=float, default=0.006)
    ap.add_argument("--soup-augment", type=float, default=0.3, help="augmentation strength in the soup fine-tunes")
    ap.add_argument("--soup-sam", type=float, default=0.0,
                    help="sharpness-aware minimisation radius in the soup fine-tunes (0: plain SGD; SAM costs two passes per step)")
    ap.add_argument("--seed", type=int, default=2013)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--max-train", type=int, default=0, help="use only the first N shuffled training samples (smoke runs)")
    ap.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                    help="bf16: forward passes in bfloat16 autocast (weights, optimiser and validation stay "
                         "float32); auto: bf16 where the CPU has AMX bfloat16 units")
    ap.add_argument("--provenance", default="",
                    help="JSON from train.ts: teachers and init as given, with the training records of model folders")
    ap.add_argument("--export-only", action="store_true")
    return ap


class Data:
    """The prepared tensors of a run: training images (maybe cut to --max-train), validation
    images, their labels and the preprocessing metadata they were written with."""

    def __init__(self, args):
        self.xtr, self.ytr, self.meta_tr = load_split(args.train)
        self.xva, self.yva, self.meta_va = load_split(args.val)
        self.labels = self.meta_tr["labels"]
        self.size = self.meta_tr["size"]
        assert self.labels == self.meta_va["labels"], "train and val were prepared with different label orders"
        if args.max_train:
            g = torch.Generator().manual_seed(args.seed)
            keep = torch.randperm(len(self.xtr), generator=g)[: args.max_train]
            self.xtr, self.ytr = self.xtr[keep], self.ytr[keep]

    def net(self, arch):
        return EmotionNet(num_classes=len(self.labels), input_size=self.size, arch=arch).to(memory_format=torch.channels_last)

    def class_weights(self, power):
        """class weight = (n_max / n_class) ** power, scaled so the mean weight over samples is 1."""
        counts = torch.bincount(self.ytr, minlength=len(self.labels)).float()
        cw = (counts.max() / counts.clamp(min=1)) ** power
        return cw / (cw * counts).sum() * counts.sum()


class EpochPlan:
    """What one epoch does: its stage, augmentation strength, learning rate per step, SAM radius,
    and for the soup stage which member it fine-tunes."""

    def __init__(self, stage, augment, lr, sam=0.0, member=0, member_epoch=0, starts_stage=False):
        self.stage, self.augment, self.lr, self.sam = stage, augment, lr, sam
        self.member, self.member_epoch, self.starts_stage = member, member_epoch, starts_stage

    @property
    def label(self):
        """The stage as the log names it."""
        return f"soup member {self.member + 1}" if self.stage == "soup" else self.stage


class Schedule:
    """The run's stages back to back, in epochs: the main cosine (--epochs), warm restarts
    (--restart-*), the distill stage (--distill-epochs), then the soup members (--soup-*). It
    answers, for any epoch, what that epoch does (plan), so resuming anywhere needs no state."""

    def __init__(self, args, steps_per_epoch):
        self.args, self.steps = args, steps_per_epoch
        self.cycles = parse_cycles(args.restart_epochs, args.restart_lr, args.restart_augment)
        self.distill_start = args.epochs + sum(c["epochs"] for c in self.cycles)
        self.soup_start = self.distill_start + args.distill_epochs
        self.total_epochs = self.soup_start + args.soup_members * args.soup_epochs

    def plan(self, epoch):
        a, steps = self.args, self.steps
        if epoch >= self.soup_start:
            member, member_epoch = divmod(epoch - self.soup_start, a.soup_epochs)
            lr = lambda s: cosine(a.soup_lr, (member_epoch * steps + s) / (a.soup_epochs * steps))
            return EpochPlan("soup", a.soup_augment, lr, sam=a.soup_sam, member=member, member_epoch=member_epoch,
                             starts_stage=member_epoch == 0)
        if epoch >= self.distill_start:
            lr = lambda s: cosine(a.distill_lr, ((epoch - self.distill_start) * steps + s) / (a.distill_epochs * steps))
            return EpochPlan("distill", a.distill_augment, lr, starts_stage=epoch == self.distill_start)
        cyc = cycle_at(epoch, a.epochs, self.cycles)
        lr = lambda s: lr_at(epoch * steps + s, steps * a.epochs, steps * 2, a.lr, steps, a.epochs, self.cycles)
        return EpochPlan("restart" if cyc else "main", self.cycles[cyc[0]]["augment"] if cyc else 1.0, lr)


class Run:
    """A run's state on disk and in memory: the trained net, its EMA (what is scored and
    shipped), the optimiser, the best epoch so far, training time, and the soup stage's start
    weights and finished members. last.pt holds all of it, so a run resumes where it stopped."""

    def __init__(self, args, data):
        self.args = args
        self.last_path, self.best_path = os.path.join(args.run, "last.pt"), os.path.join(args.run, "best.pt")
        self.log_path = os.path.join(args.run, "log.jsonl")
        self.teacher_path = os.path.join(args.run, "teacher.pt")
        torch.manual_seed(args.seed)  # the initial weights: same seed, same run
        self.model, self.ema = data.net(args.arch), data.net(args.arch)
        if args.init and not os.path.exists(self.last_path):  # a resumed run has its own weights
            self.model.load_state_dict(init_weights(args, data))
        self.ema.load_state_dict(self.model.state_dict())
        for p in self.ema.parameters():
            p.requires_grad_(False)
        decay, no_decay = [], []
        for p in self.model.parameters():
            (no_decay if p.dim() == 1 else decay).append(p)
        self.opt = torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay},
                                    {"params": no_decay, "weight_decay": 0}], lr=args.lr, momentum=0.9, nesterov=True)
        self.start_epoch, self.best, self.train_seconds = 0, {"accuracy": -1.0}, 0.0
        self.soup = None
        self.teachers = None  # the distill stage's nets, loaded when it starts

    def resume(self, total_epochs):
        if not os.path.exists(self.last_path):
            return
        args, ck = self.args, torch.load(self.last_path)
        if ck["args"]["epochs"] != args.epochs or ck["args"]["max_train"] != args.max_train:
            sys.exit(f"{self.last_path} was written with --epochs {ck['args']['epochs']}; use the same settings or a new --run")
        if arch_of(ck) != args.arch:
            sys.exit(f"{self.last_path} is a {arch_of(ck)!r} run; pass --arch {arch_of(ck)} or a new --run")
        self.model.load_state_dict(ck["model"])
        self.ema.load_state_dict(ck["ema"])
        self.opt.load_state_dict(ck["opt"])
        self.start_epoch, self.best, self.train_seconds = ck["epoch"], ck["best"], ck["train_seconds"]
        self.soup = ck.get("soup")
        print(f"resuming {args.run} at epoch {self.start_epoch + 1}/{total_epochs} (best so far {self.best['accuracy']:.4f})", flush=True)

    def save_last(self, epochs_done):
        atomic_save({"model": self.model.state_dict(), "ema": self.ema.state_dict(), "opt": self.opt.state_dict(),
                     "epoch": epochs_done, "best": self.best, "train_seconds": self.train_seconds,
                     "args": vars(self.args), "arch": self.args.arch, "soup": self.soup}, self.last_path)

    def log(self, row):
        print(json.dumps(row), flush=True)
        with open(self.log_path, "a") as f:
            f.write(json.dumps(row) + "\n")

    def keep_if_best(self, acc, best, net):
        """Makes `best` (a record of the scored net) the run's best when acc beats it."""
        if acc > self.best["accuracy"]:
            self.best = best
            atomic_save({"ema": net.state_dict(), "best": best, "arch": self.args.arch}, self.best_path)

    def teacher_paths(self):
        return [t for t in self.args.teachers.split(",") if t] or [self.teacher_path]


def init_weights(args, data):
    """--init's weights for a net of --arch: as they are, or pruned from a wider net."""
    init = torch.load(args.init)
    if arch_of(init) == args.arch:
        return init["ema"]
    return pruned_init(init, args.arch, data.xtr, data.xva, data.yva, data.labels, data.size).state_dict()


def distill_targets(args, data, run, bf16):
    """--distill-throughout: the teachers' flip-averaged soft targets of every un-augmented
    training image, computed once and cached in the run folder (keyed by what they depend on)."""
    path = os.path.join(args.run, "teacher-targets.pt")
    key = {"teachers": run.teacher_paths(), "temperature": args.distill_temperature, "n": len(data.xtr), "seed": args.seed}
    cached = torch.load(path) if os.path.exists(path) else None
    if cached is not None and cached["key"] == key:
        return cached["targets"]
    t0 = time.time()
    nets = load_teachers(run.teacher_paths(), data.labels, data.size)
    targets = torch.cat([teacher_soft_targets(nets, data.xtr[i:i + 512], args.distill_temperature, bf16)
                         for i in range(0, len(data.xtr), 512)])
    atomic_save({"key": key, "targets": targets}, path)
    agree = (targets.argmax(1) == data.ytr).float().mean().item()
    print(f"teacher targets for {len(data.xtr)} training images in {time.time() - t0:.0f} s "
          f"(teachers agree with the labels on {agree:.1%})", flush=True)
    return targets


def start_stage(run, plan, data):
    """What the first epoch of a distill stage or of a soup member sets up before it trains."""
    if plan.stage == "distill":
        if plan.starts_stage:
            # Without --teachers the teacher is the run's weights as they stand. The student
            # continues from its EMA weights with a fresh optimiser (the momentum belongs to the
            # finished schedule).
            atomic_save({"ema": run.ema.state_dict(), "arch": run.args.arch}, run.teacher_path)
            run.model.load_state_dict(run.ema.state_dict())
            run.opt.state.clear()
        if run.teachers is None:
            run.teachers = load_teachers(run.teacher_paths(), data.labels, data.size)
    if plan.stage == "soup" and plan.starts_stage:
        # Every member starts from the best epoch's weights with a fresh optimiser; only its data
        # order and augmentation differ, so members stay in one basin and their weights can be
        # averaged.
        if run.soup is None:  # the best epoch, or the --init weights when the run trains no epoch before
            start = torch.load(run.best_path)["ema"] if os.path.exists(run.best_path) else copy_state(run.ema)
            run.soup = {"start": start, "start_epoch": run.best.get("epoch", 0), "members": []}
        if plan.member > len(run.soup["members"]):
            run.soup["members"].append(copy_state(run.ema))
        run.soup.pop("done", None)  # more members than a finished soup had (a larger --soup-members): average again
        run.model.load_state_dict(run.soup["start"])
        run.ema.load_state_dict(run.soup["start"])
        run.opt.state.clear()


def update_ema(ema, model, decay):
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
        for be, bm in zip(ema.buffers(), model.buffers()):
            be.copy_(bm)


def train_one_epoch(run, data, plan, epoch, loss_of, soft_targets, bf16):
    """One pass over the shuffled training set (a per-epoch seed: a resumed run sees the same
    data order). Returns (mean loss, training accuracy, last learning rate)."""
    args, model, opt = run.args, run.model, run.opt
    steps = len(data.xtr) // args.batch
    gen = torch.Generator().manual_seed(args.seed * 1000 + epoch)
    order = torch.randperm(len(data.xtr), generator=gen)
    model.train()
    loss_sum, correct, lr = 0.0, 0, 0.0
    for s in range(steps):
        idx = order[s * args.batch:(s + 1) * args.batch]
        xb = augment(data.xtr[idx], gen, plan.augment).contiguous(memory_format=torch.channels_last)
        yb = data.ytr[idx]
        lr = plan.lr(s)
        for group in opt.param_groups:
            group["lr"] = lr
        soft = None
        if soft_targets is not None:
            soft = soft_targets[idx]
        elif plan.stage == "distill":
            soft = teacher_soft_targets(run.teachers, xb, args.distill_temperature, bf16)
        out, loss = loss_of(model, xb, yb, soft)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if plan.sam > 0:
            moves = sam_perturb(model, plan.sam)
            opt.zero_grad(set_to_none=True)
            with frozen_batchnorm_stats(model):
                loss_of(model, xb, yb, soft)[1].backward()
            sam_restore(moves)
        opt.step()
        step = epoch * steps + s
        update_ema(run.ema, model, min(args.ema, (1 + step) / (10 + step)))
        loss_sum += loss.item()
        correct += (out.argmax(1) == yb).sum().item()
    return loss_sum / steps, correct / (steps * args.batch), lr


def loss_function(args, class_weights, bf16):
    """The training loss: class-weighted, label-smoothed cross-entropy, blended with the KL
    divergence from the teachers' soft targets when there are any. Returns (logits, loss)."""
    def loss_of(model, xb, yb, soft):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(xb)
        out = out.float()
        loss = F.cross_entropy(out, yb, weight=class_weights, label_smoothing=args.label_smoothing)
        if soft is not None:
            temp = args.distill_temperature
            kd = F.kl_div(F.log_softmax(out / temp, 1), soft, reduction="batchmean") * temp * temp
            loss = args.distill_alpha * kd + (1 - args.distill_alpha) * loss
        return out, loss
    return loss_of


def end_epoch(run, data, plan, epoch, t0, train_loss, train_acc, lr):
    """Scores the EMA net, logs the epoch, keeps it if it is the best, checkpoints the run."""
    acc, recall, conf = evaluate(run.ema, data.xva, data.yva)
    run.train_seconds += time.time() - t0
    row = {"epoch": epoch + 1, "lr": lr, "train_loss": train_loss, "train_acc": train_acc, "val_acc": acc,
           "stage": plan.label, "val_recall": dict(zip(data.labels, [round(r, 4) for r in recall])),
           "epoch_seconds": round(time.time() - t0, 1)}
    if plan.sam > 0:
        row["sam"] = plan.sam
    run.log(row)
    run.keep_if_best(acc, {"accuracy": acc, "epoch": epoch + 1, "recall": dict(zip(data.labels, recall)), "confusion": conf}, run.ema)
    run.save_last(epoch + 1)


def finish_soup(run, data):
    """Averages the soup members' weights (the last member is the EMA net as it stands), scores
    the average, and makes it the run's best when it beats the best epoch."""
    soup, args = run.soup, run.args
    if len(soup["members"]) < args.soup_members:
        soup["members"].append(copy_state(run.ema))
    net = EmotionNet(num_classes=len(data.labels), input_size=data.xtr.shape[-1], arch=args.arch).to(memory_format=torch.channels_last)
    net.load_state_dict(average_states(soup["members"]))
    recalibrate_batchnorm(net, data.xtr)
    acc, recall, conf = evaluate(net, data.xva, data.yva)
    run.log({"stage": "soup", "members": len(soup["members"]), "start_epoch": soup["start_epoch"], "val_acc": acc,
             "val_recall": dict(zip(data.labels, [round(r, 4) for r in recall]))})
    soup["done"] = True
    run.keep_if_best(acc, {"accuracy": acc, "epoch": soup["start_epoch"], "soup": len(soup["members"]),
                           "recall": dict(zip(data.labels, recall)), "confusion": conf}, net)


def train(args, data, run, schedule, bf16):
    """Every epoch of the schedule the run has not done yet, then the soup's average."""
    soft_targets = distill_targets(args, data, run, bf16) if args.distill_throughout else None
    loss_of = loss_function(args, data.class_weights(args.class_weight_power), bf16)
    for epoch in range(run.start_epoch, schedule.total_epochs):
        plan = schedule.plan(epoch)
        start_stage(run, plan, data)
        t0 = time.time()
        train_loss, train_acc, lr = train_one_epoch(run, data, plan, epoch, loss_of, soft_targets, bf16)
        end_epoch(run, data, plan, epoch, t0, train_loss, train_acc, lr)
    if args.soup_members and run.soup is not None and not run.soup.get("done"):
        finish_soup(run, data)
        run.save_last(schedule.total_epochs)


def export_best(args, data, run, schedule, bf16):
    """Exports best.pt (the best epoch or the soup) as a TensorFlow.js model with metadata.json
    (data, settings as given, lineage) and the run's log."""
    ck = torch.load(run.best_path)
    final = EmotionNet(num_classes=len(data.labels), input_size=data.size, arch=arch_of(ck))
    final.load_state_dict(ck["ema"])
    settings = {k: v for k, v in vars(args).items() if k not in ("train", "val", "run", "out", "export_only", "provenance")}
    settings["precision"] = "bf16" if bf16 else "fp32"  # what ran, not "auto"
    lineage = json.loads(args.provenance) if args.provenance else {}
    for key in ("teachers", "init"):
        if lineage.get(key):  # the paths as given, not this machine's cache files
            settings[key] = ",".join(entry["source"] for entry in lineage[key])
    best = ck["best"]
    metadata = {
        "name": "faceml-emotion",
        "labels": data.labels,
        "input": data.meta_tr["spec"]["input"],
        "faceCrop": data.meta_tr["spec"]["faceCrop"],
        "training": {
            "data": data.meta_tr["source"],
            "samples": int(len(data.xtr)),
            "epochs": schedule.total_epochs,
            "best_epoch": best["epoch"],
            "validation": data.meta_va["source"],
            "validation_accuracy_pytorch_fp32": round(best["accuracy"], 4),
            "train_seconds": round(run.train_seconds),
            "threads": args.threads,
            "settings": settings,
            "date": time.strftime("%Y-%m-%d"),
        },
    }
    if best.get("soup"):
        metadata["training"]["soup"] = {"members": best["soup"], "epochs_each": args.soup_epochs, "start_epoch": best["epoch"]}
    if lineage:
        metadata["training"]["lineage"] = lineage
    export(final, args.out, metadata, input_size=data.size)
    if os.path.exists(run.log_path):
        shutil.copyfile(run.log_path, os.path.join(args.out, "training-log.jsonl"))
    what = f"the soup of {best['soup']} fine-tunes of epoch {best['epoch']}" if best.get("soup") else f"epoch {best['epoch']}"
    print(f"exported {what} (val acc {best['accuracy']:.4f}) to {args.out}", flush=True)


def main():
    args = get_args_parser().parse_args()
    if args.distill_throughout and not args.teachers:
        sys.exit("--distill-throughout needs --teachers")
    if args.distill_throughout and args.distill_epochs:
        sys.exit("--distill-throughout and --distill-epochs are alternatives; pass one")
    torch.set_num_threads(args.threads)
    bf16 = args.precision == "bf16" or (args.precision == "auto" and bf16_matmul_hardware())
    print(f"training precision: {'bfloat16 autocast' if bf16 else 'float32'}", flush=True)
    os.makedirs(args.run, exist_ok=True)
    data = Data(args)
    run = Run(args, data)
    schedule = Schedule(args, len(data.xtr) // args.batch)
    run.resume(schedule.total_epochs)
    if not args.export_only:
        train(args, data, run, schedule, bf16)
    export_best(args, data, run, schedule, bf16)


if __name__ == "__main__":
    main()
