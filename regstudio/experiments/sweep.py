"""Train once per value of one parameter: serially, on a local process pool, or on a Dask cluster.

Every point runs with one BLAS thread, so a point gives the same numbers
whichever executor ran it (and points do not fight over cores).
"""

from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path

from .config import ConfigError, get_path, set_path, validate_config
from .executors import EXECUTORS, Cancelled, run_jobs

COLUMNS = ("param", "value", "best_epoch", "best_val_loss", "train_loss_at_best")


def parse_values(text: str) -> list:
    """``"1e-5,1e-4,0.001"`` -> numbers; integers stay integers."""
    values = []
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        try:
            values.append(int(token) if token.lstrip("-").isdigit() else float(token))
        except ValueError:
            raise ConfigError(f"--values: {token!r} is not a number; give numbers separated by commas") from None
    if not values:
        raise ConfigError("--values: give at least one number, e.g. 1e-5,1e-4,1e-3")
    return values


def log_grid(low: float, high: float, n: int) -> list[float]:
    """``n`` values evenly spaced on a log scale from ``low`` to ``high`` (alpha grids)."""
    if n == 1:
        return [low]
    step = (math.log10(high) - math.log10(low)) / (n - 1)
    return [float(f"{10 ** (math.log10(low) + i * step):.6g}") for i in range(n)]


def point_configs(config: dict, param: str, values: list) -> list[dict]:
    """One validated config per value; errors name the parameter."""
    config = validate_config(config)  # fills defaults, so every documented key exists
    try:
        get_path(config, param)
    except (KeyError, IndexError, TypeError):
        raise ConfigError(f"--param: {param} is not a key of this config") from None
    configs = []
    for value in values:
        cfg = set_path(config, param, value)
        cfg["name"] = f"{config.get('name', 'experiment')} [{param}={value:g}]"
        configs.append(validate_config(cfg))
    return configs


def run_point(config: dict, base_dir: str | None = None) -> dict:
    """Train one config with one BLAS thread; return the numbers of its best epoch."""
    from threadpoolctl import threadpool_limits

    from .training import train

    started = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        result = train(config, base_dir=base_dir)
    best = result.summary["best_epoch"]
    row = result.history[best - 1] if best else {}
    metric = "val_acc" if "val_acc" in (result.history[0] if result.history else {}) else "val_r2"
    return {
        "best_epoch": best,
        "best_val_loss": row.get("val_loss"),
        "train_loss_at_best": row.get("train_loss"),
        "train_data_loss_at_best": row.get("data_loss"),  # without the penalty: compares with val
        f"{metric}_at_best": row.get(metric),
        "seconds": time.perf_counter() - started,
    }


class Sweep:
    """A sweep over ``values`` of ``param``; :meth:`run` blocks, :meth:`cancel` may come from any thread.

    ``executor`` is ``"serial"``, ``"process"`` (default; ``workers`` processes,
    spawned so it also works in the frozen app) or ``"dask"`` (``scheduler`` address,
    needs the ``cluster`` extra).
    """

    def __init__(self, config: dict, param: str, values: list, executor: str = "process",
                 workers: int | None = None, scheduler: str | None = None, base_dir=None):
        if executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
        self.param, self.values = param, list(values)
        self.configs = point_configs(config, param, self.values)
        self.executor, self.scheduler = executor, scheduler
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.base_dir = str(base_dir) if base_dir else None
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Stop from any thread: running points are terminated, finished ones are kept."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self, on_result=None) -> list[dict]:
        """Rows in the order of ``values``; ``on_result(index, row)`` as each point finishes."""
        rows: list[dict | None] = [None] * len(self.configs)

        def done(i, numbers):
            rows[i] = {"param": self.param, "value": self.values[i], **numbers}
            if on_result:
                on_result(i, rows[i])

        jobs = [(cfg, self.base_dir) for cfg in self.configs]
        try:
            run_jobs(run_point, jobs, self.executor, self.workers, self.scheduler, done, self._cancel)
        except Cancelled:
            pass
        return [r for r in rows if r is not None]


def sweep_csv(rows: list[dict]) -> str:
    """``sweep.csv``: one row per value in the order given."""
    import csv
    import io

    metric = next((k for r in rows for k in r if k.endswith("_at_best") and k.startswith("val_")),
                  "val_acc_at_best")
    columns = [*COLUMNS, metric, "seconds"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return out.getvalue()


def run_sweep_cli(args, read_config) -> int:
    """``regstudio sweep``: validate everything first, then run and write ``DIR/sweep.csv``."""
    from .export import atomic_write, make_out_folder

    out = Path(args.out) / "sweep.csv"
    if out.exists() and not args.force:
        raise FileExistsError(f"{out} exists; choose another --out folder or pass --force to replace it")
    if args.workers is not None and args.workers < 1:
        raise ConfigError("--workers: must be at least 1")
    config = read_config(Path(args.config))
    values = parse_values(args.values)
    make_out_folder(args.out)
    executor = "dask" if args.scheduler else ("serial" if args.workers == 1 else "process")
    sweep = Sweep(config, args.param, values, executor, args.workers, args.scheduler,
                  base_dir=Path(args.config).resolve().parent)

    def report(i, row):
        print(f"{args.param}={row['value']:g}: best epoch {row['best_epoch']}, "
              f"val_loss {row['best_val_loss']:.4f} ({row['seconds']:.1f} s)", flush=True)

    rows = sweep.run(report)
    atomic_write(out, sweep_csv(rows))
    print(f"wrote {out}")
    return 0
