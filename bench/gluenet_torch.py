"""PyTorch reference for `npm run bench:gluenet -- --vs-pytorch` (optional; no test needs it).

The paper's multilingual GlueNet training step written independently in PyTorch from the method
description (docs: METHOD.md): aligner 77x1024 -> 77x768 ("translator_noln": five LayerNorm'd
mixer blocks with outer residual + GELU, then an LN-free width-changing tail), decoder back to
77x1024, token discriminator behind gradient reversal, one Adam over all three. Same shapes, batch,
losses and optimizer as gluegen's benchmark, so the two step times and peak memories compare.

Prints one JSON object on its last line: seconds per step, inference ms at batch 1, peak RSS, and
the best GEMM rate torch reaches here (a second estimate of the machine's GEMM peak).

Usage: python3 bench/gluenet_torch.py [--batch 32] [--steps 3] [--threads N]
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
from torch import nn

# The model is written here rather than imported from scripts/fixtures/make_gluenet_parity.py: that
# parity reference writes GELU with erf (Debian's torch 1.13 returns NaN from nn.GELU's backward on
# some strided inputs at fixture sizes), which keeps more intermediates alive: measured with it, the
# PyTorch step peaked at 7.09 GB instead of 4.53 GB. nn.GELU, as the GlueGen release uses, keeps the
# comparison from flattering gluegen.

# Per-token L2 norm of CLIP-L text features; only its scale matters for timing, so one value
# (the mean of the published preset) stands in for the 77 constants.
CLIP_TOKEN_NORM = 28.5


def mixer_mlp(d_in, hidden, d_out, norm, final_gelu=False):
    """Linear -> [LN] -> GELU -> Linear -> [LN] -> GELU -> Linear -> [LN | GELU]."""
    layers = [nn.Linear(d_in, hidden)]
    if norm:
        layers.append(nn.LayerNorm(hidden))
    layers += [nn.GELU(), nn.Linear(hidden, hidden)]
    if norm:
        layers.append(nn.LayerNorm(hidden))
    layers += [nn.GELU(), nn.Linear(hidden, d_out)]
    if norm:
        layers.append(nn.LayerNorm(d_out))
    elif final_gelu:
        layers.append(nn.GELU())
    return nn.Sequential(*layers)


class ChannelFirstBlock(nn.Module):
    """Channel MLP on [B, T, D], then token MLP on [B, D, T]; residuals when the width is kept."""

    def __init__(self, tokens, d_in, d_out, mult, norm):
        super().__init__()
        self.residual = d_in == d_out
        self.net_sen = mixer_mlp(d_in, d_in * mult, d_out, norm)
        self.net_tok = mixer_mlp(tokens, tokens * mult, tokens, norm)

    def forward(self, x):
        h = self.net_sen(x)
        if self.residual:
            h = h + x
        h = h.transpose(1, 2)
        t = self.net_tok(h)
        if self.residual:
            t = t + h
        return t.transpose(1, 2)


class Translator(nn.Module):
    """depth x (x = gelu(block(x) + x)) at width d_in, then a tail block d_in -> d_out without LN."""

    def __init__(self, tokens, d_in, d_out, mult, depth):
        super().__init__()
        self.blocks = nn.ModuleList([ChannelFirstBlock(tokens, d_in, d_in, mult, True) for _ in range(depth)])
        self.tail = ChannelFirstBlock(tokens, d_in, d_out, mult, False)
        self.gelu = nn.GELU()

    def forward(self, x):
        for block in self.blocks:
            x = self.gelu(block(x) + x)
        return self.tail(x)


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, eta):
        ctx.eta = eta
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.eta * g, None


class GlueNet(nn.Module):
    def __init__(self, tokens=77, d_new=1024, d_gen=768, mult=2, depth=5, disc_mult=0.25, eta=0.1):
        super().__init__()
        self.eta = eta
        self.aligner = Translator(tokens, d_new, d_gen, mult, depth)
        self.decoder = Translator(tokens, d_gen, d_new, mult, depth)
        hidden = int(d_gen * disc_mult)
        self.discriminator = nn.Sequential(
            nn.Linear(d_gen, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, 2), nn.LogSoftmax(dim=-1)
        )

    def loss(self, x, cond, x_scale=3.0, w_distill=1e4, w_rec=1e4, w_adv=0.1):
        target = cond / (CLIP_TOKEN_NORM / 2)
        x_scaled = x / x_scale
        y = self.aligner(x_scaled)
        # Token weights from the batch mean of the raw generator features (no gradient).
        with torch.no_grad():
            mean = cond.mean(0, keepdim=True)
            m = (mean - mean[:, -1:]).abs().mean(2, keepdim=True)
            w = m / m.mean(1, keepdim=True)
            w[:, -1] = (w[:, -2] + w[:, -3]) / 2
        distill = w_distill * ((y - target) ** 2 * w).mean()
        rec = w_rec * ((self.decoder(y) - x_scaled) ** 2).mean()
        d_gen = y.shape[-1]
        p_old = self.discriminator(GradReverse.apply(target.reshape(-1, d_gen), self.eta))
        p_aligned = self.discriminator(GradReverse.apply(y.reshape(-1, d_gen), self.eta))
        adv = w_adv * (-p_old[:, 0].mean() - p_aligned[:, 1].mean())
        return distill + rec + adv


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def best_gemm_gflops(reps):
    """Best rate over a few GEMM shapes, each warmed up and timed `reps` times."""
    best = 0.0
    for m, k, n in [(2464, 1024, 2048), (2048, 2048, 2048), (4096, 1024, 1024)]:
        a = torch.randn(m, k)
        b = torch.randn(k, n)
        for _ in range(2):
            a @ b
        for _ in range(reps):
            t = time.perf_counter()
            a @ b
            best = max(best, 2 * m * k * n / (time.perf_counter() - t) / 1e9)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--inference-reps", type=int, default=15)
    ap.add_argument("--gemm-reps", type=int, default=5)
    args = ap.parse_args()
    if args.batch < 1 or args.steps < 1 or args.threads < 1:
        sys.exit("gluenet_torch.py: --batch, --steps and --threads must be positive integers")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    model = GlueNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(args.batch, 77, 1024)
    cond = torch.randn(args.batch, 77, 768) * (28 / 768**0.5)
    step_s = []
    for i in range(args.steps + 1):  # the first step warms up
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        model.loss(x, cond).backward()
        opt.step()
        if i > 0:
            step_s.append(time.perf_counter() - t)
    train_peak = peak_rss_mb()

    model.eval()
    one = torch.randn(1, 77, 1024)
    infer_ms = []
    with torch.inference_mode():
        for i in range(3 + args.inference_reps):
            t = time.perf_counter()
            model.aligner(one / 3.0)
            if i >= 3:
                infer_ms.append((time.perf_counter() - t) * 1000)

    gemm = best_gemm_gflops(args.gemm_reps)
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "batch": args.batch,
                "step_s": step_s,
                "infer_ms": infer_ms,
                "peak_rss_mb": train_peak,
                "gemm_gflops": gemm,
                "params": sum(p.numel() for p in model.parameters()),
            }
        )
    )


if __name__ == "__main__":
    main()
