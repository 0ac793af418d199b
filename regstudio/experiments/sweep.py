"""Sweeps: train at every value of one parameter (or every cell of a grid of two), once, R
times with training seeds ``seed .. seed+R-1``, or once per fold of a K-fold
cross-validation; serially, on a local process pool, or on a Dask cluster.

The data are parsed once per sweep (:func:`regstudio.data.load_raw`) and shipped to the
workers; each fit splits them itself (the seeded split, or its fold) and trains with one
BLAS thread, so a fit gives the same numbers whichever executor ran it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..options import shown
from .config import ConfigError, get_path, set_path, validate_config
from .executors import EXECUTORS, CancelControl, Cancelled, run_jobs
from .sweep_stats import best_index, is_strength, one_se_index, summarize_fits

COLUMNS = ("param", "value", "best_epoch", "best_val_loss", "train_loss_at_best")
# after the columns above, the metric and seconds: what sweep.csv adds for repeats and folds
STAT_COLUMNS = ("n", "best_val_loss_std", "best_val_loss_se", "{metric}_std", "penalty_at_best",
                "train_loss_at_best_std", "train_loss_at_best_se", "{metric}_se")
FIT_COLUMNS = ("best_epoch", "best_val_loss", "train_loss_at_best", "penalty_at_best", "{metric}",
               "seconds")
SPLIT_KEYS = ("val_fraction", "test_fraction", "train_size", "standardize")  # not part of parsing
RESULT_FILES = ("sweep.csv", "sweep_fits.csv", "sweep.json")  # written in this order: sweep.json
# (the commit mark) last
MAX_REPEATS = 1000  # --repeats R
MAX_FOLDS = 1000  # --folds K (and at most the samples)
MAX_FITS = 10_000  # points x repeats or folds, per sweep


def parse_values(text: str) -> list:
    """``"1e-5,1e-4,0.001"`` -> numbers; integers stay integers; non-finite numbers are errors."""
    values = []
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        shown = token if len(token) <= 24 else f"{token[:12]}... ({len(token)} characters)"
        try:
            number = float(token)
        except ValueError:
            raise ConfigError(f"--values: {shown!r} is not a number; give numbers separated by commas") from None
        if not math.isfinite(number):
            raise ConfigError(f"--values: {shown} is beyond the range of numbers (about 1.8e308) or not "
                              "finite; give finite numbers separated by commas")
        integral = token.lstrip("+-").isdigit() and abs(number) < 2**63
        values.append(int(token) if integral else number)
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
    return [cfg for _cell, cfg in grid_configs(config, [(param, values)])]


def grid_configs(config: dict, axes: list[tuple[str, list]]) -> list[tuple[tuple, dict]]:
    """``((value, [value2]), config)`` per grid cell, the last parameter varying fastest."""
    config = validate_config(config)  # fills defaults, so every documented key exists
    for param, _values in axes:
        try:
            get_path(config, param)
        except (KeyError, IndexError, TypeError):
            raise ConfigError(f"--param: {param} is not a key of this config") from None
    if len({p for p, _ in axes}) < len(axes):
        raise ConfigError("--param: give two different parameters for a grid")
    cells = [()]
    for _param, values in axes:
        cells = [(*cell, v) for cell in cells for v in values]
    out = []
    for cell in cells:
        cfg = config
        for (param, _), value in zip(axes, cell, strict=True):
            cfg = set_path(cfg, param, value)
        label = ", ".join(f"{p}={v:g}" for (p, _), v in zip(axes, cell, strict=True))
        cfg["name"] = f"{config.get('name', 'experiment')} [{label}]"
        out.append((cell, validate_config(cfg)))
    return out


# -- one fit (in a worker process, or here for the serial executor) ---------------------------
def raw_key(data_cfg: dict) -> str:
    """What decides the parsed data: the ``data`` section without its split options."""
    return json.dumps({k: v for k, v in data_cfg.items() if k not in SPLIT_KEYS}, sort_keys=True,
                      default=str)


def load_raws(configs: list[dict], base_dir: str | Path | None) -> dict:
    """The parsed data of ``configs``, once per distinct source (usually one)."""
    from ..data import load_raw

    raws: dict = {}
    for cfg in configs:
        key = raw_key(cfg["data"])
        if key not in raws:
            raws[key] = load_raw(cfg["data"], base_dir)
    return raws


def fit_point(raws: dict, config: dict, fold: tuple[int, int] | None = None, cancel=None) -> dict:
    """Train ``config`` on its data from ``raws`` (the seeded split, or fold ``fold = (i, K)``)
    with one BLAS thread; the numbers of its best epoch. ``train_loss_at_best`` is the data
    loss (no penalty, like the validation loss); ``penalty_at_best`` the penalty. ``cancel``
    (anything with ``is_set()``) is checked before and between batches: :class:`Cancelled`."""
    from threadpoolctl import threadpool_limits

    from ..data import dataset_from_raw
    from .folds import fold_indices
    from .training import train

    if cancel is not None and cancel.is_set():  # queued before a cancel: do not start
        raise Cancelled()
    started = time.perf_counter()
    raw = raws[raw_key(config["data"])]
    indices = None if fold is None else fold_indices(raw, config["data"], fold[1], fold[0])
    dataset = dataset_from_raw(raw, config["data"], indices)
    control = CancelControl(cancel) if cancel is not None else None
    with threadpool_limits(limits=1, user_api="blas"):
        result = train(config, dataset=dataset, control=control)
    if result.summary["stop_reason"] == "cancelled":  # stopped half-way: not a result
        raise Cancelled()
    best = result.summary["best_epoch"]
    row = result.history[best - 1] if best else {}
    metric = "val_acc" if dataset.task == "classification" else "val_r2"
    return {"best_epoch": best, "best_val_loss": row.get("val_loss"),
            "train_loss_at_best": row.get("data_loss"), "penalty_at_best": row.get("penalty"),
            f"{metric}_at_best": row.get(metric), "seconds": time.perf_counter() - started}


def run_point(config: dict, base_dir: str | None = None) -> dict:
    """One config on its seeded split, loading its own data (a single run, outside sweeps)."""
    cfg = validate_config(config)
    return fit_point(load_raws([cfg], base_dir), cfg)


# -- a sweep -----------------------------------------------------------------------------------
class Sweep:
    """A sweep over ``values`` of ``param`` (and ``second = (param2, values2)``: a grid);
    :meth:`run` blocks, :meth:`cancel` may come from any thread.

    ``executor`` is ``"serial"``, ``"process"`` (default; ``workers`` processes, spawned so it
    also works in the frozen app) or ``"dask"`` (``scheduler`` address, the ``cluster``
    extra). ``repeats`` R trains each point with training seeds ``seed .. seed+R-1`` on one
    split; ``folds`` K once per fold of a stratified K-fold over training + validation data.
    Everything is checked here, before any work: the parameters, every planned config (the
    seeds of the repeats included) and the limits :data:`MAX_REPEATS`, :data:`MAX_FOLDS`,
    :data:`MAX_FITS`. The data are read here too (``load=False``: by :meth:`load`, or at the
    start of :meth:`run`, e.g. in a worker thread), and never again during the run.
    """

    def __init__(self, config: dict, param: str, values: list, executor: str = "process",
                 workers: int | None = None, scheduler: str | None = None, base_dir=None, *,
                 second: tuple[str, list] | None = None, repeats: int = 1, folds: int | None = None,
                 load: bool = True):
        if executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
        if folds is not None and repeats != 1:
            raise ConfigError("--repeats and --folds: give one of them, not both")
        if not 1 <= repeats <= MAX_REPEATS:
            raise ConfigError(f"--repeats: must be from 1 to {MAX_REPEATS} (got {shown(repeats)}); "
                              "R trainings per point, with training seeds seed..seed+R-1")
        if folds is not None and not 2 <= folds <= MAX_FOLDS:
            raise ConfigError(f"--folds: must be from 2 to {MAX_FOLDS} and at most the samples "
                              f"(got {shown(folds)})")
        self.axes = [(param, list(values))] + ([(second[0], list(second[1]))] if second else [])
        self.param, self.values = param, list(values)
        self.mode = "folds" if folds is not None else ("repeats" if repeats > 1 else "single")
        self.n = folds if folds is not None else repeats
        points = math.prod(len(v) for _p, v in self.axes)
        if points * self.n > MAX_FITS:
            per = f" x {self.n} {'folds' if folds is not None else 'repeats'}" if self.n > 1 else ""
            raise ConfigError(f"this sweep would train {points * self.n:,} networks ({points:,} "
                              f"points{per}); at most {MAX_FITS:,}: give fewer values, repeats or folds")
        self.config = validate_config(config)
        self.cells = grid_configs(self.config, self.axes)
        self.configs = [cfg for _cell, cfg in self.cells]
        if self.mode == "repeats":  # the last seed of each point is the largest: check it now
            for cfg in self.configs:
                last = cfg["training"]["seed"] + self.n - 1
                try:
                    validate_config(set_path(cfg, "training.seed", last))
                except ConfigError as exc:
                    raise ConfigError(f"--repeats {self.n}: the training seeds "
                                      f"{cfg['training']['seed']}..{last} do not all fit: {exc}") from None
        self.executor, self.scheduler = executor, scheduler
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.base_dir = str(base_dir) if base_dir else None
        self.raws: dict | None = None
        self.result: SweepResult | None = None
        self._cancel = threading.Event()
        if load:
            self.load()

    def load(self) -> None:
        """Read the data (once per distinct source) and check the folds against them: a
        DataError or ConfigError for bad input."""
        raws = load_raws(self.configs, self.base_dir)
        if self.mode == "folds":
            from .folds import fold_indices

            for cfg in self.configs:  # a K beyond the samples fails here, not in a worker
                fold_indices(raws[raw_key(cfg["data"])], cfg["data"], self.n, 0)
        self.raws = raws

    @property
    def total(self) -> int:
        """The number of fits: points x repeats (or folds)."""
        return len(self.cells) * self.n

    def cancel(self) -> None:
        """Stop from any thread: running fits end now, finished ones are kept."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    stop, stopped = cancel, cancelled  # TrainingControl's names: the command line's Ctrl-C uses them

    def _fits(self) -> list[tuple[int, int, dict, tuple | None]]:
        """(point, repeat or fold, config, fold) per fit, in point order, then by repeat/fold."""
        out = []
        for p, cfg in enumerate(self.configs):
            for j in range(self.n):
                if self.mode == "folds":
                    out.append((p, j, cfg, (j, self.n)))
                else:
                    c = set_path(cfg, "training.seed", cfg["training"]["seed"] + j) if j else cfg
                    out.append((p, j, c, None))
        return out

    def run(self, on_result: Callable | None = None, on_progress: Callable | None = None,
            on_fit: Callable | None = None) -> list[dict]:
        """The points' rows in grid order (see :class:`SweepResult`), also kept as ``self.result``.

        ``on_result(index, row)`` as each point's last fit ends; ``on_fit(fit)`` (a row of
        ``SweepResult.fits``) and ``on_progress(done, total)`` as each fit ends (all in this
        thread). After :meth:`cancel` it returns the points with at least one finished fit
        (``self.result.cancelled`` is True)."""
        if self.raws is None and not self.cancelled:
            self.load()
        plan = self._fits()
        fits: list[dict | None] = [None] * len(plan)
        left = [self.n] * len(self.cells)
        started = time.perf_counter()

        def done(i: int, numbers: dict) -> None:
            p, j, cfg, _fold = plan[i]
            fits[i] = {"point": p, **self._cell_keys(p), ("fold" if self.mode == "folds" else "repeat"): j,
                       "seed": cfg["training"]["seed"], **numbers}
            left[p] -= 1
            if on_fit:
                on_fit(fits[i])
            if on_progress:
                on_progress(sum(f is not None for f in fits), len(plan))
            if on_result and left[p] == 0:
                on_result(p, point_row([f for f in fits if f and f["point"] == p]))

        jobs = [(cfg, fold) for _p, _j, cfg, fold in plan]
        cancelled = self.cancelled
        try:
            if not cancelled:
                run_jobs(fit_point, jobs, self.executor, self.workers, self.scheduler, done, self._cancel,
                         shared=self.raws, stop=True)
        except Cancelled:
            cancelled = True
        self.result = SweepResult([p for p, _ in self.axes], [v for _, v in self.axes], self.mode, self.n,
                                  self.config, [f for f in fits if f is not None], cancelled,
                                  time.perf_counter() - started)
        return self.result.points

    def _cell_keys(self, p: int) -> dict:
        cell = self.cells[p][0]
        keys = {"param": self.axes[0][0], "value": cell[0]}
        if len(cell) == 2:
            keys.update(param2=self.axes[1][0], value2=cell[1])
        return keys


def point_row(fits: list[dict]) -> dict:
    """A point's row from its fits: its parameter keys, then the :func:`summarize_fits` numbers."""
    keys = {k: fits[0][k] for k in ("param", "value", "param2", "value2") if k in fits[0]}
    return {**keys, **summarize_fits(fits)}


class SweepResult:
    """A finished (or cancelled) sweep: its fits and what follows from them.

    ``params`` (one or two keys), ``values`` (a list per key), ``mode`` (``single``,
    ``repeats`` or ``folds``) and ``n`` (fits per point) say what ran; ``fits`` holds one row
    per finished fit (``point``, ``param``, ``value``, [``param2``, ``value2``], ``repeat`` or
    ``fold``, ``seed``, ``best_epoch``, ``best_val_loss``, ``train_loss_at_best``,
    ``penalty_at_best``, ``val_acc_at_best`` or ``val_r2_at_best``, ``seconds``); ``points``,
    ``best`` and ``one_se`` are computed from them.
    """

    def __init__(self, params: list[str], values: list[list], mode: str, n: int, config: dict,
                 fits: list[dict], cancelled: bool = False, seconds: float = 0.0):
        self.params, self.values, self.mode, self.n = list(params), [list(v) for v in values], mode, n
        self.config, self.fits, self.cancelled, self.seconds = config, fits, cancelled, seconds
        by_point: dict[int, list[dict]] = {}
        for fit in fits:
            by_point.setdefault(fit["point"], []).append(fit)
        self.points = [point_row(by_point[p]) for p in sorted(by_point)]
        self.best_index = best_index(self.points)
        self.one_se_index = one_se_index(self.points, self.params)

    @property
    def best(self) -> dict | None:
        """The point of the lowest mean validation loss."""
        return None if self.best_index is None else self.points[self.best_index]

    @property
    def one_se(self) -> dict | None:
        """The strongest setting within one SE of the best (None: not a strength, or no SE)."""
        return None if self.one_se_index is None else self.points[self.one_se_index]

    @property
    def metric(self) -> str:
        return next((k for f in self.fits for k in f if k in ("val_acc_at_best", "val_r2_at_best")),
                    "val_acc_at_best")

    def to_dict(self) -> dict:
        """JSON-safe (NaN -> None): what ``sweep.json`` holds and a project saves."""
        from .export import _json_safe

        return _json_safe({"kind": "sweep", "schema": 1, "params": self.params, "values": self.values,
                           "mode": self.mode, "n": self.n, "cancelled": self.cancelled,
                           "seconds": self.seconds, "best": self.best, "one_se": self.one_se,
                           "points": self.points, "fits": self.fits, "config": self.config})

    @classmethod
    def from_dict(cls, data) -> SweepResult:
        """Rebuild from :meth:`to_dict`'s output (e.g. read from a project); points, best and
        one_se are recomputed from the fits. Anything malformed is a ProjectError."""
        from .sweep_io import check_sweep_dict

        return cls(**check_sweep_dict(data))

    def csv(self) -> str:
        """``sweep.csv``: a row per point, the legacy columns, then n, std, SE, penalty."""
        return sweep_csv(self.points, stats=True)

    def fits_csv(self) -> str:
        """``sweep_fits.csv``: a row per fit, in point order, then by repeat or fold."""
        grid = ["param2", "value2"] if len(self.params) == 2 else []
        split = "fold" if self.mode == "folds" else "repeat"
        columns = ["point", "param", "value", *grid, split, "seed",
                   *(c.format(metric=self.metric) for c in FIT_COLUMNS)]
        return _csv(sorted(self.fits, key=lambda f: (f["point"], f[split])), columns)


def sweep_csv(rows: list[dict], stats: bool = False) -> str:
    """``sweep.csv``: one row per value in the order given. ``stats``: the columns of a
    repeated or cross-validated sweep too (:data:`STAT_COLUMNS`; a grid's ``param2``, ``value2``
    after ``value``)."""
    metric = next((k for r in rows for k in r if k.endswith("_at_best") and k.startswith("val_")),
                  "val_acc_at_best")
    grid = ["param2", "value2"] if any("param2" in r for r in rows) else []
    columns = [*COLUMNS[:2], *grid, *COLUMNS[2:], metric, "seconds"]
    if stats:
        columns += [c.format(metric=metric) for c in STAT_COLUMNS]
    return _csv(rows, columns)


def _csv(rows: list[dict], columns: list[str]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return out.getvalue()


# -- the command line ---------------------------------------------------------------------
def describe_point(row: dict) -> str:
    """E.g. ``regularization.l2=0.001: val_loss 0.3120 +- 0.0100 (n=5), best epoch 41.2``."""
    where = f"{row['param']}={row['value']:g}"
    if "param2" in row:
        where += f", {row['param2']}={row['value2']:g}"
    loss = row.get("best_val_loss")
    loss_text = "no val_loss" if loss is None else f"val_loss {loss:.4f}"
    if row.get("best_val_loss_se") is not None:
        loss_text += f" +- {row['best_val_loss_se']:.4f} SE"
    epoch = row.get("best_epoch")
    epoch_text = f"{epoch:g}" if isinstance(epoch, (int, float)) else "-"
    return f"{where}: best epoch {epoch_text}, {loss_text} (n={row['n']}, {row['seconds']:.1f} s)"


def run_sweep_cli(args, read_config, stop_on_ctrl_c=None) -> int:
    """``regstudio sweep``: check everything first, then run, and write ``sweep.csv``,
    ``sweep_fits.csv`` and, last, ``sweep.json`` in ``--out`` (:func:`write_sweep`).

    ``stop_on_ctrl_c(sweep)``, a context manager from the command line: the first Ctrl-C
    cancels; the finished fits are still written, marked ``cancelled`` (exit status 130)."""
    from .export import make_out_folder

    existing = [n for n in RESULT_FILES if (Path(args.out) / n).exists()]
    if existing and not args.force:
        more = f" (and {', '.join(existing[1:])})" if existing[1:] else ""
        raise FileExistsError(f"{Path(args.out) / existing[0]} exists{more}; choose another --out "
                              "folder or pass --force to replace it")
    if args.workers is not None and args.workers < 1:
        raise ConfigError("--workers: must be at least 1")
    if len(args.param) != len(args.values) or not 1 <= len(args.param) <= 2:
        raise ConfigError("--param/--values: give one pair, or two pairs for a grid, each --param "
                          "followed by its --values")
    config = read_config(Path(args.config))
    values = [parse_values(text) for text in args.values]
    executor = "dask" if args.scheduler else ("serial" if args.workers == 1 else "process")
    if args.scheduler:
        from .executors import connect

        connect(args.scheduler).close()  # a bad address fails before anything is written
    sweep = Sweep(config, args.param[0], values[0], executor, args.workers, args.scheduler,
                  base_dir=Path(args.config).resolve().parent,
                  second=(args.param[1], values[1]) if len(values) == 2 else None,
                  repeats=1 if args.repeats is None else args.repeats, folds=args.folds)
    if args.scheduler and args.workers is not None:
        print(f"regstudio: note: --workers {args.workers} is not used with --scheduler: the Dask "
              "cluster's workers run the fits (their number is set where they are started)",
              file=sys.stderr, flush=True)
    make_out_folder(args.out)
    with stop_on_ctrl_c(sweep) if stop_on_ctrl_c else contextlib.nullcontext():
        sweep.run(lambda i, row: print(describe_point(row), flush=True))
    result = sweep.result
    out = Path(args.out)
    write_sweep(out, result)
    if result.best:
        print(f"best: {describe_point(result.best)}")
    if result.one_se:
        print(f"one_se: {describe_point(result.one_se)}")
    elif all(is_strength(p) for p in result.params) and not result.cancelled:
        print("one_se: needs --repeats or --folds (one fit per point has no standard error)")
    if result.cancelled:
        print(f"cancelled: {len(result.fits)} of {sweep.total} fits finished; wrote them to "
              f"{out / 'sweep.csv'}, sweep_fits.csv, sweep.json (\"cancelled\": true)")
        return 130  # 128 + SIGINT, as for regstudio train
    print(f"wrote {out / 'sweep.csv'}, sweep_fits.csv, sweep.json")
    return 0


def write_sweep(out: Path, result: SweepResult) -> None:
    """A sweep's result set in ``out``, like ``regstudio train``'s: leftovers of interrupted
    writes removed, the old ``sweep.json`` (the commit mark) removed first, the two CSVs, then
    ``sweep.json``; each through a temporary file renamed into place. So a folder with
    ``sweep.json`` holds a complete set; a file that cannot be written (a full disk) is an
    OutputError naming it, and leaves no ``sweep.json``."""
    from .export import atomic_write, dumps, remove_leftovers, write_part

    remove_leftovers(out, RESULT_FILES)
    mark = out / "sweep.json"
    write_part(mark, lambda: mark.unlink(missing_ok=True), mark.name)
    for name, text in (("sweep.csv", result.csv()), ("sweep_fits.csv", result.fits_csv())):
        path = out / name
        write_part(path, lambda path=path, text=text: atomic_write(path, text), mark.name)
    write_part(mark, lambda: atomic_write(mark, dumps(result.to_dict())), mark.name)
