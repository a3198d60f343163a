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

# The model and losses are the parity-checked PyTorch reference (test/gluenet/parity.test.ts holds
# gluegen to it), so the two sides of the benchmark compute the same thing.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
from make_gluenet_parity import GlueNet, losses  # noqa: E402

# The paper's multilingual config (src/gluenet/presets.ts), as the parity script takes it.
CONFIG = {
    "arch": "translator_noln",
    "tokens_in": 77,
    "tokens_out": 77,
    "dim_in": 1024,
    "dim_out": 768,
    "mult": 2,
    "depth": 5,
    "x_scale": 3.0,
    "eta": 0.1,
    "loss_weights": {"distill": 1e4, "rec": 1e4, "adv": 0.1},
}
# Per-token L2 norm of CLIP-L text features; only its scale matters for timing, so one value
# (the mean of the published preset) stands in for the 77 constants.
CLIP_TOKEN_NORM = 28.5


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

    model = GlueNet(CONFIG)
    half_norm = torch.full((77,), CLIP_TOKEN_NORM / 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(args.batch, 77, 1024)
    cond = torch.randn(args.batch, 77, 768) * (28 / 768**0.5)
    step_s = []
    for i in range(args.steps + 1):  # the first step warms up
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        losses(model, x, cond, half_norm)[0].backward()
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
            model.aligner(one / CONFIG["x_scale"])
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
