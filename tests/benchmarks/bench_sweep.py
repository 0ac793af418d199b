"""Sweep timings, in one run, interleaved, best of ``--rounds``:

1. an 11-point x 3-repeat L2 sweep of the default experiment on the local process pool vs one
   fit after another (the same numbers come out of both);
2. an 11-point sweep over a 200,000-row CSV, each point reading the file itself (how sweeps
   ran before the data were shipped) vs the data parsed once and shipped to the workers.

    python tests/benchmarks/bench_sweep.py [--workers N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from regstudio.experiments.config import default_config
from regstudio.experiments.executors import run_jobs
from regstudio.experiments.sweep import Sweep, log_grid, point_configs, run_point

VALUES = log_grid(1e-5, 1, 11)


def numbers(rows):
    return [{k: v for k, v in r.items() if not k.startswith("seconds")} for r in rows]


def write_csv(path: Path, rows: int = 200_000) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 8))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + 0.5 * rng.normal(size=rows) > 0).astype(int)
    table = np.column_stack([X, y])
    np.savetxt(path, table, delimiter=",", fmt=["%.6f"] * 8 + ["%d"],
               header=",".join([f"x{i}" for i in range(8)] + ["label"]), comments="")


def csv_config(path: Path) -> dict:
    cfg = default_config()
    cfg["data"] = {"source": "csv", "path": str(path), "target": "label", "train_size": 2000,
                   "val_fraction": 0.01}
    cfg["model"]["layers"] = [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense"}]
    cfg["training"].update(epochs=5, batch_size=64)
    return cfg


def speed(before: float, after: float) -> str:
    """``after`` against ``before``: "1.82x faster", or "1.25x slower" when it lost."""
    ratio = before / after
    return f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cfg = default_config()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        write_csv(path)
        table = csv_config(path)
        per_point = [(c, None) for c in point_configs(table, "regularization.l2", VALUES)]
        tasks = {
            "serial": lambda: Sweep(cfg, "regularization.l2", VALUES, "serial", repeats=3).run(),
            "pool": lambda: Sweep(cfg, "regularization.l2", VALUES, "process", args.workers, repeats=3).run(),
            "csv, each point reads": lambda: run_jobs(run_point, per_point, "process", args.workers),
            "csv, shipped once": lambda: Sweep(table, "regularization.l2", VALUES, "process",
                                               args.workers).run(),
        }
        best = {name: float("inf") for name in tasks}
        out = {}
        for _ in range(args.rounds):  # interleaved: a busy moment hits every variant alike
            for name, task in tasks.items():
                seconds, out[name] = timed(task)
                best[name] = min(best[name], seconds)
    for name, seconds in best.items():
        print(f"{name:>22}: {seconds:6.2f} s (best of {args.rounds})")
    same = numbers(out["serial"]) == numbers(out["pool"])
    shipped_same = numbers(out["csv, each point reads"]) == numbers(
        [{k: v for k, v in r.items() if k not in ("param", "value", "n") and not k.endswith(("_std", "_se"))}
         for r in out["csv, shipped once"]])
    print(f"11 points x 3 repeats, default experiment: pool ({args.workers} workers) "
          f"{speed(best['serial'], best['pool'])} than serial; same numbers: {same}")
    print(f"11 points over a 200,000-row CSV: shipping the parsed data "
          f"{speed(best['csv, each point reads'], best['csv, shipped once'])} than reading it per "
          f"point; same numbers: {shipped_same}")


if __name__ == "__main__":
    main()
