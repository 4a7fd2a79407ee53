#!/usr/bin/env python3
"""PyTorch eager reference for `Mlops.Benchmarks training-gpu` (benchmarks/Mlops.Benchmarks/Training/GpuTrainerBenchmark.cs).

Same configs, same step (zero_grad, forward, binary cross-entropy, backward, Adam lr 1e-3), same timing method and the
same `[gpu-train]` result lines, so tools/gpu/join_tables.py can put both side by side:
  configs   seed-b32, seed-b1024, seed-b65536: 10 -> 64 relu -> 64 relu -> 1 sigmoid at batch 32 / 1024 / 65536
            mlp-b1024-fp32, mlp-b1024-tf32: 512 -> 4096 -> 4096 -> 4096 -> 1 sigmoid (35.7M parameters), batch 1024,
            TF32 matmuls off / on
  variants  default (torch.optim.Adam defaults: foreach on CUDA) and fused (Adam(fused=True))
  method    data made once and put on the device as whole batches; per config both variants built (seeded CPU and CUDA
            generators), --warmup steps each, then --repeats rounds in which each variant runs --steps steps between
            two torch.cuda.synchronize() calls; the median round is reported.
Usage: train_reference.py [--device cuda|cpu] [--configs a,b] [--steps 300] [--warmup 50] [--repeats 3]
                          [--max-batch N] [--hidden 4096] [--threads N]
--max-batch and --hidden shrink the configs for a CPU smoke run. Exit code 1 when a variant failed (the others still run).
"""
import argparse
import statistics
import sys
import time

import torch
import torch.nn as nn

CONFIGS = [
    # name, model, batch, tf32
    ("seed-b32", "seed", 32, False),
    ("seed-b1024", "seed", 1024, False),
    ("seed-b65536", "seed", 65536, False),
    ("mlp-b1024-fp32", "mlp", 1024, False),
    ("mlp-b1024-tf32", "mlp", 1024, True),
]
VARIANTS = ("default", "fused")


def say(text):
    print(text, flush=True)


def set_tf32(enabled):
    """TF32 for float32 matmuls; the newer per-backend precision setting where this torch has it."""
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):
        try:
            matmul.fp32_precision = "tf32" if enabled else "ieee"
            return
        except (RuntimeError, ValueError, TypeError) as error:
            say(f"# fp32_precision refused ({error}); using allow_tf32")
    matmul.allow_tf32 = enabled


def build(kind, width, hidden):
    if kind == "seed":
        return nn.Sequential(nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1), nn.Sigmoid())
    return nn.Sequential(
        nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1), nn.Sigmoid())


def make_data(rows, width, device):
    """Features uniform in [0, 1) and a learnable 0/1 label (alternating-sign sum > 0), as the C# side makes them."""
    generator = torch.Generator().manual_seed(7)
    x = torch.rand(rows, width, generator=generator)
    signs = torch.tensor([1.0 if c % 2 == 0 else -1.0 for c in range(width)])
    y = ((x * signs).sum(dim=1, keepdim=True) > 0).float()
    return x.to(device), y.to(device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seed_all(seed):
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


class Trainer:
    """One variant: its model, optimizer and position in the batches."""

    def __init__(self, variant, kind, width, hidden, device, batches):
        seed_all(1)
        self.model = build(kind, width, hidden).to(device)
        extra = {"fused": True} if variant == "fused" else {}
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, **extra)
        self.loss = nn.BCELoss()
        self.batches = batches
        self.step_index = 0

    def steps(self, count):
        model, optimizer, loss_fn, batches = self.model, self.optimizer, self.loss, self.batches
        for _ in range(count):
            x, y = batches[self.step_index % len(batches)]
            self.step_index += 1
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()

    def loss_now(self):
        with torch.no_grad():
            x, y = self.batches[0]
            return self.loss(self.model(x), y).item()


def timed(device, steps, run):
    sync(device)
    started = time.perf_counter()
    run()
    sync(device)
    return (time.perf_counter() - started) * 1000.0 / steps


def run_config(name, kind, batch, tf32, args, device):
    width = 10 if kind == "seed" else 512
    hidden = args.hidden if kind == "mlp" else 64
    rows = max(batch * 4, 8192)
    x, y = make_data(rows, width, device)
    batches = [(x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]) for i in range(rows // batch)]
    if device.type == "cuda":
        set_tf32(tf32)
    trainers, losses0, timings, failures = {}, {}, {}, 0
    for variant in VARIANTS:
        try:
            trainer = Trainer(variant, kind, width, hidden, device, batches)
            losses0[variant] = trainer.loss_now()
            trainer.steps(args.warmup)
            trainers[variant] = trainer
            timings[variant] = []
        except Exception as error:  # one failing variant (e.g. fused Adam on an old CPU torch) must not hide the others
            failures += 1
            say(f"[gpu-train] lang=py config={name} variant={variant} error={type(error).__name__}: {str(error)[:300]}")
    for _ in range(args.repeats):
        for variant, trainer in trainers.items():
            timings[variant].append(timed(device, args.steps, lambda: trainer.steps(args.steps)))
    results = {}
    for variant, trainer in trainers.items():
        ms = timings[variant]
        median = statistics.median(ms)
        loss = trainer.loss_now()
        params = sum(p.numel() for p in trainer.model.parameters())
        results[variant] = (median, params)
        say(f"[gpu-train] lang=py config={name} variant={variant} device={device.type} batch={batch} tf32={int(tf32)} "
            f"params={params} steps={args.steps} repeats={args.repeats} ms={median:.4f} min={min(ms):.4f} max={max(ms):.4f} "
            f"loss0={losses0[variant]:.5g} loss={loss:.5g}")
        if loss != loss:
            failures += 1
            say(f"[gpu-train] lang=py config={name} variant={variant} error=the loss is NaN")
    if device.type == "cuda":
        set_tf32(False)
    return results, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--configs", default=",".join(c[0] for c in CONFIGS))
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-batch", type=int, default=0)
    parser.add_argument("--hidden", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    wanted = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = sorted(set(wanted) - {c[0] for c in CONFIGS})
    if unknown:
        parser.error(f"unknown config(s) {', '.join(unknown)}; known: {', '.join(c[0] for c in CONFIGS)}")
    if args.device == "cuda" and not torch.cuda.is_available():
        say(f"train_reference.py: CUDA was asked for but torch {torch.__version__} sees no CUDA device")
        return 3
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda", 0) if args.device == "cuda" else torch.device("cpu")
    name = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    say(f"# train_reference.py: torch {torch.__version__} (CUDA {torch.version.cuda}) on {name}; "
        f"{torch.get_num_threads()} thread(s); {args.warmup} warm-up steps, median of {args.repeats} x {args.steps} steps")
    if device.type == "cuda":
        a, b = torch.randn(512, 512, device=device), torch.randn(512, 512, device=device)
        set_tf32(False)
        full = a @ b
        set_tf32(True)
        tf32 = a @ b
        set_tf32(False)
        say(f"# TF32 check: max |fp32 - tf32| of a 512x512 matmul = {(full - tf32).abs().max().item():.3g} (0: the setting does not engage)")
    rows, failures, started = [], 0, time.perf_counter()
    for (config, kind, batch, tf32) in CONFIGS:
        if config not in wanted:
            continue
        batch = min(batch, args.max_batch) if args.max_batch > 0 else batch
        say(f"[gpu-train] progress: {config} (batch {batch}) started, {time.perf_counter() - started:.1f} s")
        results, failed = run_config(config, kind, batch, tf32, args, device)
        failures += failed
        rows.append((config, batch, results))
        if device.type == "cuda":
            torch.cuda.empty_cache()
    say("")
    say(f"PyTorch eager on {name} (torch {torch.__version__}); ms/step, median of {args.repeats} x {args.steps} steps "
        f"after {args.warmup} warm-up steps, synchronised:")
    say("")
    say("| config | batch | parameters | PyTorch (default Adam) | PyTorch (fused Adam) | fused / default | samples/s (default) |")
    say("|---|---:|---:|---:|---:|---:|---:|")
    for config, batch, results in rows:
        default = results.get("default")
        fused = results.get("fused")
        params = (default or fused or (0, 0))[1]
        cell = lambda r: f"{r[0]:.3f}" if r else "failed"
        ratio = f"{fused[0] / default[0]:.2f}x" if default and fused else "n/a"
        rate = f"{batch * 1000.0 / default[0]:,.0f}" if default else "n/a"
        say(f"| {config} | {batch} | {params:,} | {cell(default)} | {cell(fused)} | {ratio} | {rate} |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
