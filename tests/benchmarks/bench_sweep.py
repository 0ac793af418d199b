"""Speed-up of an 8-point alpha sweep on the local process pool over running the points one
after another (the same numbers come out of both; only the time differs).

    python tests/benchmarks/bench_sweep.py [--workers N]
"""

from __future__ import annotations

import argparse
import os
import time

from regstudio.experiments.config import default_config
from regstudio.experiments.sweep import Sweep, log_grid


def timed(executor: str, workers: int) -> tuple[float, list[dict]]:
    cfg = default_config()
    cfg["data"] = {"source": "builtin", "name": "digits", "train_size": 1000, "val_fraction": 0.3}
    cfg["training"].update(epochs=40, lr=0.001, batch_size=32)
    start = time.perf_counter()
    rows = Sweep(cfg, "regularization.l2", log_grid(1e-5, 1e-1, 8), executor, workers).run()
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    serial, rows_serial = timed("serial", 1)
    pooled, rows_pool = timed("process", args.workers)
    same = [{k: v for k, v in r.items() if k != "seconds"} for r in rows_serial] == \
           [{k: v for k, v in r.items() if k != "seconds"} for r in rows_pool]
    print(f"8 points, digits (1000) wide MLP, 40 epochs each: one after another {serial:.1f} s, "
          f"process pool ({args.workers} workers) {pooled:.1f} s: speed-up {serial / pooled:.2f}x; "
          f"same numbers: {same}")


if __name__ == "__main__":
    main()
