#!/usr/bin/env python3
"""Joins the `[gpu-train]` result lines of `Mlops.Benchmarks training-gpu` (C#) and tools/gpu/train_reference.py
(PyTorch) into one markdown table with the issue's goals: Fit <= 1.0x PyTorch's default eager step, <= 1.05x PyTorch
with fused Adam, and <= 1.05x a plain TorchSharp loop.
Usage: join_tables.py CS_LOG PY_LOG [DEVICE_NAME] > gpu-train.md   (a missing log or line leaves its cells n/a)
"""
import re
import sys

LINE = re.compile(r"\[gpu-train\] lang=(?P<lang>\w+) (?P<rest>.*)")
ORDER = ["seed-b32", "seed-b1024", "seed-b65536", "mlp-b1024-fp32", "mlp-b1024-tf32"]


def read(path):
    """(lang, config, variant) -> fields, from the result lines of one log."""
    results, errors = {}, []
    try:
        with open(path, encoding="utf-8", errors="replace") as log:
            for text in log:
                match = LINE.search(text)
                if not match:
                    continue
                if " error=" in text:
                    errors.append(text.strip())
                    continue
                fields = dict(pair.split("=", 1) for pair in match.group("rest").split() if "=" in pair)
                if "ms" in fields and "config" in fields:
                    results[(match.group("lang"), fields["config"], fields["variant"])] = fields
    except OSError as error:
        errors.append(f"{path}: {error}")
    return results, errors


def ms(results, lang, config, variant):
    fields = results.get((lang, config, variant))
    return float(fields["ms"]) if fields else None


def cell(value):
    return f"{value:.3f}" if value is not None else "n/a"


def ratio(numerator, denominator, goal=None):
    if numerator is None or denominator is None:
        return "n/a"
    value = numerator / denominator
    mark = "" if goal is None else (" ✓" if value <= goal else " ✗")
    return f"{value:.2f}x{mark}"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    results, errors = read(sys.argv[1])
    more, more_errors = read(sys.argv[2])
    results.update(more)
    errors += more_errors
    device = sys.argv[3] if len(sys.argv) > 3 else "the GPU"
    configs = [c for c in ORDER if any(key[1] == c for key in results)]
    configs += sorted({key[1] for key in results} - set(configs))
    print(f"## Trainer vs PyTorch eager on {device} (ms/step; lower is better)")
    print()
    print("One run, C# then Python, same machine. A step is zero_grad, forward, binary cross-entropy, backward, Adam "
          "(lr 1e-3). Data is made once; \"on device\" batches are views of one device tensor, \"host arrays\" is "
          "`Dataset.FromArrays(...).Batch(b).Repeat().Prefetch(2)` copied to the GPU each step. Each figure is the "
          "median of the rounds (each round a timed run of the steps between two device synchronisations, variants "
          "interleaved, after warm-up). Fit runs through `MultiWorkerMirroredStrategy` at world size 1 on the same device. "
          "Goals: Fit ≤ 1.00x PyTorch default, ≤ 1.05x PyTorch fused Adam, ≤ 1.05x plain TorchSharp.")
    print()
    print("| config | batch | PyTorch default Adam | PyTorch fused Adam | plain TorchSharp | Fit, data on device "
          "| Fit / PyTorch default | Fit / PyTorch fused | Fit / plain TorchSharp | Fit, host arrays | Fit host / plain |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for config in configs:
        batch = next((fields["batch"] for key, fields in results.items() if key[1] == config), "?")
        py_default = ms(results, "py", config, "default")
        py_fused = ms(results, "py", config, "fused")
        plain = ms(results, "cs", config, "plain")
        fit = ms(results, "cs", config, "fit-device")
        fit_host = ms(results, "cs", config, "fit-host")
        print(f"| {config} | {batch} | {cell(py_default)} | {cell(py_fused)} | {cell(plain)} | {cell(fit)} "
              f"| {ratio(fit, py_default, 1.0)} | {ratio(fit, py_fused, 1.05)} | {ratio(fit, plain, 1.05)} "
              f"| {cell(fit_host)} | {ratio(fit_host, plain)} |")
    if errors:
        print()
        print("Failures:")
        for error in errors:
            print(f"- {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
