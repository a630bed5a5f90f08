"""Compact LoCo vs the UnAV-style baseline (LCC off, dense cross-modal attention), measured side by side.

Prints, for T = 1k, 10k and 22.5k steps (22.5k steps = 2 hours on the UnAV grid), the median time of a forward pass
(eval, no grad), of a forward pass with the internals the app keeps (``return_internals=True``, cropped to NumPy) and
of a train step (forward, loss, backward, AdamW step), and the peak memory of live tensors during each (profiler
allocation events), with LoCo/baseline ratios. Lengths above 4096 steps are timed once. Also the forward latency of
a 60 s video (188 steps) for the compact model alone.

    python -m bench.bench_model [--lengths 1000 10000 22500] [--repeats 3] [--threads 2] [--kinds forward ...]
"""

from __future__ import annotations

import argparse
import json
import itertools
import statistics
import time

import torch

from loco.config import load_config
from loco.model import SegmentTargets, build_model

MODELS = {"loco": "compact", "baseline": "baseline"}


def _inputs(cfg, length: int, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    visual = torch.randn(1, cfg.visual_dim, length, generator=generator)
    audio = torch.randn(1, cfg.audio_dim, length, generator=generator)
    mask = torch.ones(1, length, dtype=torch.bool)
    step = length / 8
    targets = [SegmentTargets(torch.tensor([[step, 3 * step], [4 * step, 4.5 * step]]), torch.tensor([3, 7]))]
    return visual, audio, mask, targets


def _forward(model, inputs) -> None:
    visual, audio, mask, _ = inputs
    model.eval()
    with torch.no_grad():
        model(visual, audio, mask)


def _internals(model, inputs) -> None:
    visual, audio, mask, _ = inputs
    model.eval()
    with torch.no_grad():
        model(visual, audio, mask, return_internals=True).internals.video(0)


def _train_step(model, optimizer, inputs) -> None:
    visual, audio, mask, targets = inputs
    model.train()
    loss = model.compute_loss(model(visual, audio, mask), targets).total
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def peak_memory_mb(fn) -> float:
    """Peak bytes of live tensors allocated during ``fn()`` (the profiler's allocation/free events, summed in time
    order): what the activations cost, free of allocator caching and process start-up noise."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as profile:
        fn()
    events = sorted(
        (e for e in profile.profiler.kineto_results.events() if e.name() == "[memory]"), key=lambda e: e.start_ns()
    )
    return max(itertools.accumulate(e.nbytes() for e in events), default=0) / 2**20


def _timings(fn, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


KINDS = ("forward", "internals", "train")
LONG = 4096  # above this many steps, one timed run per measurement


def bench_length(length: int, repeats: int, kinds: list[str]) -> dict:
    models, optimizers, inputs = {}, {}, {}
    for name, config_name in MODELS.items():
        cfg = load_config(config_name).model
        models[name] = build_model(cfg, seed=0)
        optimizers[name] = torch.optim.AdamW(models[name].parameters(), lr=1e-4)
        inputs[name] = _inputs(cfg, length)

    def step(name: str, kind: str):
        if kind == "forward":
            return lambda: _forward(models[name], inputs[name])
        if kind == "internals":
            return lambda: _internals(models[name], inputs[name])
        return lambda: _train_step(models[name], optimizers[name], inputs[name])

    if length <= LONG:
        for name in MODELS:  # warm-up
            for kind in kinds:
                step(name, kind)()
    repeats = repeats if length <= LONG else 1
    times = {(name, kind): [] for name in MODELS for kind in kinds}
    for _ in range(repeats):  # interleaved, so machine load hits both alike
        for kind in kinds:
            for name in MODELS:
                times[(name, kind)] += _timings(step(name, kind), 1)
    result = {"T": length}
    for kind in kinds:
        for name in MODELS:
            result[f"{kind}_ms_{name}"] = 1000 * statistics.median(times[(name, kind)])
            result[f"{kind}_peak_mb_{name}"] = peak_memory_mb(step(name, kind))
        result[f"{kind}_time_ratio"] = result[f"{kind}_ms_loco"] / result[f"{kind}_ms_baseline"]
        result[f"{kind}_memory_ratio"] = result[f"{kind}_peak_mb_loco"] / max(result[f"{kind}_peak_mb_baseline"], 1e-9)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[1000, 10000, 22500])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--json", action="store_true", help="print one JSON line per length instead of a table")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    compact = build_model(load_config("compact").model, seed=0)
    minute = _inputs(compact.cfg, 188)
    _forward(compact, minute)
    latency = statistics.median(_timings(lambda: _forward(compact, minute), max(args.repeats, 10)))
    print(f"compact LoCo: {sum(p.numel() for p in compact.parameters()) / 1e6:.2f}M parameters; 60 s video "
          f"(188 steps) forward {1000 * latency:.1f} ms on {args.threads} threads", flush=True)
    if not args.json:
        print(f"{'T':>6} {'kind':>9} | {'ms loco':>9} {'base':>9} {'ratio':>5} | {'MB loco':>8} {'base':>8} "
              f"{'ratio':>5}", flush=True)
    for length in args.lengths:
        r = bench_length(length, args.repeats, args.kinds)
        if args.json:
            print(json.dumps(r), flush=True)
            continue
        for kind in args.kinds:
            print(f"{length:>6} {kind:>9} | {r[f'{kind}_ms_loco']:>9.0f} {r[f'{kind}_ms_baseline']:>9.0f} "
                  f"{r[f'{kind}_time_ratio']:>5.2f} | {r[f'{kind}_peak_mb_loco']:>8.0f} "
                  f"{r[f'{kind}_peak_mb_baseline']:>8.0f} {r[f'{kind}_memory_ratio']:>5.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
