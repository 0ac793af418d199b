"""The variance meter: fit K models on bootstrap resamples of the training set and measure
how much their predictions disagree.

Overfitting is high variance: a network that fits the noise of its training set changes its
answers when the training set changes. Here the training split is resampled K times (with
replacement, same size), one model is trained per resample, and the K models are asked the
same questions:

* classes: the *disagreement rate* is the share of validation samples on which not all K
  models predict the same class; for two-feature data a map over the plane shows, per grid
  cell, the share of models that disagree with the majority (0 where all agree);
* regression: the mean over validation samples of the standard deviation (``ddof=0``) of
  the K predictions, in the target's own units; for one-feature data (``curve``) the mean
  prediction with a +-1 std band and a min-max band over a 1-D grid.

:func:`compare` runs the meter twice, with the experiment's regularization and without it
(or, when the experiment has none, with an added L2 of 0.03), so the two can be shown side
by side: regularization should lower the variance.

Every figure comes with a 95 % percentile bootstrap interval over the validation samples
(2000 seeded draws, the same for all figures of a result): the disagreement rate
(``rate_ci``), the mean per-model accuracy or R² (``score_ci``) and the majority vote's
accuracy or the mean prediction's R² (``ensemble_ci``).

What varies between fits: only the bootstrap resample. Fit ``i`` draws its indices from
``numpy.random.default_rng([seed, i])``; the validation split, the initial weights, the
batch order and dropout masks stay as configured (``training.seed``), so the spread measured
is the one due to the training data. The data are loaded once per run and shipped to each
worker once (so a Dask worker needs no data files); every fit runs with one BLAS thread, so
the numbers are the same whichever executor ran the fits: ``serial``, ``process`` (a spawned
local pool) or ``dask``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .config import ConfigError, validate_config
from .executors import CancelControl, Cancelled, run_jobs
from .predictions import curve_points, is_curve, is_plane, plane_grid, x_units
from .runs import regularizers  # noqa: F401 (part of this module's API)

GRID = 100  # cells per side of the two-feature disagreement map (coarser than the live map: K models)
CURVE_POINTS = 200  # points of the 1-D grid for one-feature regression
ADDED_L2 = 0.03  # the regularizer compare() adds when the experiment has none: the demo's
# strength, where the claim holds (docs/sweeps.md; 1e-3 never showed a clear difference)
DEMO_K = 8  # models per side in the demo
CI_DRAWS = 2000  # bootstrap draws of the confidence intervals
CI_LEVEL = 0.95



# -- results ------------------------------------------------------------------------------
@dataclass
class VarianceResult:
    """How much K bootstrap models disagree.

    ``rate`` is the headline number: the disagreement rate in [0, 1] for classes, the mean
    std of the predictions in the target's units for regression (``rate_name`` says which).
    ``kind`` says what else there is to draw: ``"regions"`` (``grid`` holds ``map``,
    ``majority``, ``rect``), ``"curve"`` (``grid`` holds ``x``, ``mean``, ``std``, ``lo``,
    ``hi``, ``models``), or ``"rate"`` (images, tables: the number only).
    """

    label: str
    config: dict
    k: int
    seed: int
    task: str
    kind: str
    rate: float
    rate_name: str
    per_sample: np.ndarray  # per validation sample: share disagreeing with the majority, or std
    scores: list[float]  # per model: validation accuracy or R²
    ensemble_score: float  # majority vote accuracy / R² of the mean prediction
    score_name: str  # "accuracy" or "R²"
    grid: dict | None
    points: dict  # "train": (X, y), "val": (X, y) in data units, for drawing
    fits: list[dict] = field(default_factory=list)  # per fit: seconds, stop_reason, best_epoch, unique
    seconds: float = 0.0
    rate_ci: tuple[float, float] = (float("nan"), float("nan"))  # 95 %, bootstrap over the val points
    score_ci: tuple[float, float] = (float("nan"), float("nan"))  # of mean_score, the same draws
    ensemble_ci: tuple[float, float] = (float("nan"), float("nan"))  # of ensemble_score, the same draws

    @property
    def point_values(self) -> np.ndarray:
        """Per validation sample, what ``rate`` averages: 1/0 (models disagree or not), or the std."""
        return (self.per_sample > 0).astype(np.float64) if self.task == "classification" else \
            np.asarray(self.per_sample, np.float64)

    @property
    def mean_score(self) -> float:
        return float(np.mean(self.scores)) if self.scores else float("nan")

    def summary(self) -> dict:
        """Plain numbers (JSON-friendly)."""
        out = {"label": self.label, "k": self.k, "seed": self.seed, "task": self.task,
               "kind": self.kind, self.rate_name: self.rate, "rate": self.rate,
               f"mean_{self.score_name}": self.mean_score,
               f"ensemble_{self.score_name}": self.ensemble_score,
               "seconds": self.seconds, "rate_ci": list(self.rate_ci),
               f"mean_{self.score_name}_ci": list(self.score_ci),
               f"ensemble_{self.score_name}_ci": list(self.ensemble_ci)}
        if self.kind == "regions":
            out["map_mean"] = float(self.grid["map"].mean())
        elif self.kind == "curve":
            out["band_mean_std"] = float(self.grid["std"].mean())
        return out


@dataclass
class Comparison:
    """The meter with and without the regularizer; ``what`` names what was compared."""

    with_reg: VarianceResult
    without: VarianceResult
    what: str
    added: bool  # True when the experiment had no regularizer and ADDED_L2 was added

    @property
    def difference_ci(self) -> tuple[float, float]:
        """95 % interval of ``with_reg.rate - without.rate``, a paired bootstrap over the
        validation samples (both sides answer the same ones)."""
        a, b = self.with_reg.point_values, self.without.point_values
        if a.shape != b.shape:
            return (float("nan"), float("nan"))
        return bootstrap_mean_ci(a - b, self.with_reg.seed)

    @property
    def clear(self) -> bool:
        """False ("no clear difference") when the two rates' intervals overlap."""
        (lo1, hi1), (lo2, hi2) = self.with_reg.rate_ci, self.without.rate_ci
        return bool(hi1 < lo2 or hi2 < lo1)

    def verdict(self) -> str:
        """``"lower"``, ``"higher"`` (the regularizer's variance vs none) or ``"no clear difference"``."""
        if not self.clear:
            return "no clear difference"
        return "lower" if self.with_reg.rate < self.without.rate else "higher"

    @property
    def reduction(self) -> float:
        """Relative drop of the variance the regularizer brings (1 = gone, < 0 = rose)."""
        base = self.without.rate
        return float("nan") if base == 0 else 1.0 - self.with_reg.rate / base


def bootstrap_mean_ci(values: np.ndarray, seed: int, draws: int = CI_DRAWS,
                      level: float = CI_LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (resampling the values)."""
    values = np.asarray(values, np.float64).reshape(-1)
    if values.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng([seed, 7919])
    means = np.empty(draws)
    chunk = max(1, 2_000_000 // values.size)  # bounded memory for large validation splits
    for start in range(0, draws, chunk):
        stop = min(draws, start + chunk)
        means[start:stop] = values[rng.integers(0, values.size, (stop - start, values.size))].mean(1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return (float(lo), float(hi))


def bootstrap_ci(stat: Callable, n: int, seed: int, draws: int = CI_DRAWS,
                 level: float = CI_LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval of a statistic of the ``n`` validation samples:
    ``stat(weights)`` gets a (draws, n) array counting how often each sample is in each
    resample and returns one value per resample. The resamples are those of
    :func:`bootstrap_mean_ci` (same seed), so the intervals of one result agree."""
    if n == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng([seed, 7919])
    values = np.empty(draws)
    chunk = max(1, 2_000_000 // n)
    for start in range(0, draws, chunk):
        stop = min(draws, start + chunk)
        idx = rng.integers(0, n, (stop - start, n))
        flat = (idx + (np.arange(stop - start) * n)[:, None]).reshape(-1)
        weights = np.bincount(flat, minlength=(stop - start) * n).reshape(stop - start, n)
        values[start:stop] = stat(weights.astype(np.float64))
    if not np.isfinite(values).any():
        return (float("nan"), float("nan"))
    tail = (1 - level) / 2 * 100
    lo, hi = np.nanpercentile(values, [tail, 100 - tail])
    return (float(lo), float(hi))


def score_intervals(task: str, answers: np.ndarray, y: np.ndarray, majority: np.ndarray | None,
                    seed: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """95 % intervals of the mean per-model score and of the ensemble's score (majority-vote
    accuracy, or R² of the mean prediction), bootstrap over the validation samples.
    ``answers`` (K, N) classes or predictions in the target's units, ``y`` (N,) the truth."""
    n = y.size
    if task == "classification":
        per_model = (answers == y).mean(0)  # per sample: the share of models right
        vote = (majority == y).astype(np.float64)
        return (bootstrap_ci(lambda w: w @ per_model / n, n, seed),
                bootstrap_ci(lambda w: w @ vote / n, n, seed))
    squared = (answers - y) ** 2  # (K, N)
    squared_mean = (answers.mean(0) - y) ** 2

    def spread(w):  # the total sum of squares of each resample
        sy = w @ y
        total = w @ (y * y) - sy * sy / n
        return np.where(total > 0, total, np.nan)

    def models(w):
        return np.nanmean(1.0 - (w @ squared.T) / spread(w)[:, None], axis=1)

    return (bootstrap_ci(models, n, seed),
            bootstrap_ci(lambda w: 1.0 - (w @ squared_mean) / spread(w), n, seed))


def demo_config() -> dict:
    """The variance demo, where the lesson's claim holds with intervals apart (measured in
    docs/sweeps.md): the default network on 400 noisy moons, 100 of them for training and 300
    for validation (many validation samples make the intervals narrow), L2 0.03, K = 8."""
    from .config import default_config

    cfg = default_config()
    cfg["name"] = "variance demo: moons (100 train / 300 val), wide MLP, L2 0.03"
    cfg["data"].update(n_samples=400, val_fraction=0.75)
    cfg["regularization"]["l2"] = 0.03
    return validate_config(cfg)


def without_regularization(config: dict) -> dict:
    """A copy of ``config`` with every regularizer off: L1 = L2 = 0 (and per-layer overrides
    removed), dropout rates 0 (the layers stay, as identities), no AdamW weight decay,
    augmentation and early stopping off. Everything else, seeds included, is unchanged."""
    cfg = validate_config(config)
    cfg["regularization"]["l1"] = 0.0
    cfg["regularization"]["l2"] = 0.0
    for spec in cfg["model"]["layers"]:
        spec.pop("l1", None)
        spec.pop("l2", None)
        if spec["type"] == "dropout":
            spec["rate"] = 0.0
    cfg["training"]["weight_decay"] = 0.0
    cfg["augmentation"]["enabled"] = False
    cfg["early_stopping"]["enabled"] = False
    return validate_config(cfg)


def comparison_configs(config: dict) -> tuple[dict, dict, str, bool]:
    """(with, without, what was compared, added?) for :func:`compare`."""
    cfg = validate_config(config)
    names = regularizers(cfg)
    if names:
        return cfg, without_regularization(cfg), f"{', '.join(names)} vs none", False
    with_reg = copy.deepcopy(cfg)
    with_reg["regularization"]["l2"] = ADDED_L2
    what = f"L2 {ADDED_L2:g} (added: the experiment has no regularizer) vs none"
    return validate_config(with_reg), cfg, what, True


# -- one fit (runs in a worker process, or here for the serial executor) -------------------
def bootstrap_indices(n: int, seed: int, index: int) -> np.ndarray:
    """Fit ``index``'s resample: ``n`` draws with replacement from ``default_rng([seed, index])``."""
    return np.random.default_rng([seed, index]).integers(0, n, size=n)


def resampled(dataset, idx: np.ndarray):
    """``dataset`` with its training split replaced by rows ``idx`` (standardization kept)."""
    from ..data.dataset import Split

    tr = dataset.train
    images = None if tr.images is None else np.take(tr.images, idx, axis=0)
    train = Split(np.take(tr.X, idx, axis=0), np.take(tr.y, idx, axis=0), images)
    return dataclasses.replace(dataset, train=train)


def probe(dataset) -> tuple[str, np.ndarray | None, dict | None]:
    """What the meter asks every model, besides the validation split: (kind, grid X, info)."""
    if is_curve(dataset):
        xs = curve_points(dataset, CURVE_POINTS)
        return "curve", xs, {"x": x_units(dataset, xs)}
    if is_plane(dataset):
        points, rect = plane_grid(dataset, GRID)
        return "regions", points, {"rect": rect}
    return "rate", None, None


def _answers(model, dataset, X: np.ndarray) -> np.ndarray:
    """Classes (int16) or values in the target's units (float64) for rows ``X``."""
    out = np.asarray(model.predict(X))
    if dataset.task == "classification":
        if out.ndim == 1 or out.shape[1] == 1:  # sigmoid: P(class 1)
            return (out.reshape(-1) >= 0.5).astype(np.int16)
        return out.argmax(1).astype(np.int16)
    return np.asarray(dataset.inverse_y(out.reshape(-1, 1)), np.float64).reshape(-1)


def fit_one(dataset, config: dict, seed: int, index: int, bootstrap: bool = True,
            cancel_event=None) -> dict:
    """Train ``config`` on bootstrap resample ``index`` with one BLAS thread; return its answers
    on the validation split and on the probe grid (small arrays)."""
    from threadpoolctl import threadpool_limits

    from .training import train

    if cancel_event is not None and cancel_event.is_set():  # queued before a cancel: do not start
        raise Cancelled()
    started = time.perf_counter()
    n = len(dataset.train)
    idx = bootstrap_indices(n, seed, index) if bootstrap else np.arange(n)
    control = CancelControl(cancel_event) if cancel_event is not None else None
    with threadpool_limits(limits=1, user_api="blas"):
        result = train(config, dataset=resampled(dataset, idx), control=control)
        kind, grid_X, _info = probe(dataset)
        val = _answers(result.model, dataset, np.asarray(dataset.val.X))
        grid = None if grid_X is None else _answers(result.model, dataset, grid_X)
    summary = result.summary
    if summary["stop_reason"] == "cancelled":  # stopped half-way: not a result
        raise Cancelled()
    return {"index": index, "val": val, "grid": grid, "kind": kind,
            "stop_reason": summary["stop_reason"], "best_epoch": summary["best_epoch"],
            "unique": int(len(np.unique(idx))), "seconds": time.perf_counter() - started}


# -- running many fits ------------------------------------------------------------------
def _run_jobs(jobs: list[tuple], executor: str, workers: int | None, dataset,
              on_fit: Callable | None, cancel_event, scheduler: str | None) -> list[dict]:
    """``fit_one(dataset, config, seed, index, bootstrap)`` per job, results in job order; the
    dataset goes to each worker once. ``on_fit(done, total, job_number)`` as each fit ends."""
    finished = 0

    def done(j: int, _result: dict) -> None:
        nonlocal finished
        finished += 1
        if on_fit is not None:
            on_fit(finished, len(jobs), j)

    return run_jobs(fit_one, jobs, executor, workers, scheduler, done, cancel_event, shared=dataset,
                    stop=True)


# -- aggregation ------------------------------------------------------------------------
def _majority(answers: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """answers (K, N) classes -> (majority class, share of models disagreeing with it)."""
    k = answers.shape[0]
    counts = np.zeros((n_classes, answers.shape[1]), np.int32)
    for row in answers:
        counts[row, np.arange(answers.shape[1])] += 1
    top = counts.max(0)
    return counts.argmax(0), (1.0 - top / k).astype(np.float64)


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return float("nan") if ss == 0 else 1.0 - float(((y - pred) ** 2).sum()) / ss


def aggregate(label: str, config: dict, fits: list[dict], dataset, seed: int,
              seconds: float = 0.0) -> VarianceResult:
    """Turn K fits' answers into a :class:`VarianceResult`."""
    k = len(fits)
    kind, _grid_X, info = probe(dataset)
    val_y = np.asarray(dataset.val.y).reshape(-1)
    answers = np.stack([f["val"] for f in fits])  # (K, n_val)
    grid = None
    if dataset.task == "classification":
        n_classes = max(len(dataset.classes), 2)
        majority, share = _majority(answers, n_classes)
        rate = float((share > 0).mean()) if share.size else 0.0
        rate_name, score_name = "disagreement_rate", "accuracy"
        scores = [float((a == val_y).mean()) if val_y.size else float("nan") for a in answers]
        ensemble = float((majority == val_y).mean()) if val_y.size else float("nan")
        per_sample = share
        if kind == "regions":
            g_major, g_share = _majority(np.stack([f["grid"] for f in fits]), n_classes)
            grid = {"map": g_share.reshape(GRID, GRID).astype(np.float32),
                    "majority": g_major.reshape(GRID, GRID).astype(np.int32),
                    "rect": info["rect"], "max": 1.0 - math.ceil(k / n_classes) / k}
    else:
        std = answers.std(0) if answers.size else np.zeros(0)
        rate = float(std.mean()) if std.size else 0.0
        rate_name, score_name = "mean_std", "R²"
        y_units = np.asarray(dataset.inverse_y(val_y.reshape(-1, 1)), np.float64).reshape(-1)
        scores = [_r2(y_units, a) for a in answers]
        ensemble = _r2(y_units, answers.mean(0))
        per_sample = std
        if kind == "curve":
            models = np.stack([f["grid"] for f in fits])  # (K, P) in data units
            grid = {"x": info["x"], "mean": models.mean(0), "std": models.std(0),
                    "lo": models.min(0), "hi": models.max(0), "models": models}
    points = {}
    if kind in ("regions", "curve"):
        for name, split in (("train", dataset.train), ("val", dataset.val)):
            X, y = np.asarray(split.X), np.asarray(split.y).reshape(-1)
            if kind == "curve":
                X = x_units(dataset, X)
                y = np.asarray(dataset.inverse_y(y.reshape(-1, 1)), np.float64).reshape(-1)
            points[name] = (X.copy(), y.copy())
    info_rows = [{key: f[key] for key in ("index", "stop_reason", "best_epoch", "unique", "seconds")}
                 for f in fits]
    result = VarianceResult(label, config, k, seed, dataset.task, kind, rate, rate_name,
                            per_sample, scores, ensemble, score_name, grid, points, info_rows, seconds)
    result.rate_ci = bootstrap_mean_ci(result.point_values, seed)
    truth = val_y if dataset.task == "classification" else y_units
    if answers.size:
        result.score_ci, result.ensemble_ci = score_intervals(
            dataset.task, answers, truth, majority if dataset.task == "classification" else None, seed)
    return result


# -- public entry points --------------------------------------------------------------------
def bootstrap_fits(config: dict, k: int = 8, seed: int = 0, executor: str = "process",
                   workers: int | None = None, base_dir=None, on_fit: Callable | None = None,
                   cancel_event=None, scheduler: str | None = None, bootstrap: bool = True,
                   label: str = "") -> VarianceResult:
    """Fit ``k`` models on bootstrap resamples of the training split and measure how much
    they disagree (see the module docstring). ``on_fit(done, total, job)`` as fits end;
    raises :class:`Cancelled` if ``cancel_event`` is set before the end. ``bootstrap=False``
    trains every model on the whole training split (identical models: zero variance)."""
    return _run_many([(label or validate_config(config).get("name", ""), config)], k, seed,
                     executor, workers, base_dir, on_fit, cancel_event, scheduler, bootstrap)[0]


def compare(config: dict, k: int = 8, seed: int = 0, executor: str = "process",
            workers: int | None = None, base_dir=None, on_fit: Callable | None = None,
            cancel_event=None, scheduler: str | None = None) -> Comparison:
    """The meter with the experiment's regularization and without it (2K fits on one pool);
    an experiment without a regularizer is compared with itself plus L2 :data:`ADDED_L2`."""
    with_cfg, without_cfg, what, added = comparison_configs(config)
    with_label = f"L2 {ADDED_L2:g} (added)" if added else what.split(" vs ")[0]
    with_reg, without = _run_many([(with_label, with_cfg), ("no regularizer", without_cfg)], k, seed,
                                  executor, workers, base_dir, on_fit, cancel_event, scheduler, True)
    return Comparison(with_reg, without, what, added)


def _run_many(labelled: list[tuple[str, dict]], k, seed, executor, workers, base_dir, on_fit,
              cancel_event, scheduler, bootstrap) -> list[VarianceResult]:
    if int(k) < 1:
        raise ConfigError(f"k: the number of models must be at least 1 (got {k})")
    k = int(k)
    base_dir = str(base_dir) if base_dir else None
    configs = [validate_config(cfg) for _label, cfg in labelled]
    from .build import load_data

    dataset = load_data(configs[0], base_dir)  # read once per run; bad data fail here
    if len(dataset.val) == 0:
        raise ConfigError("data.val_fraction: the variance meter compares predictions on the "
                          "validation split; set val_fraction above 0")
    jobs = [(cfg, seed, i, bootstrap) for cfg in configs for i in range(k)]
    started = time.perf_counter()
    fits = _run_jobs(jobs, executor, workers, dataset, on_fit, cancel_event, scheduler)
    seconds = time.perf_counter() - started
    return [aggregate(label, cfg, fits[n * k:(n + 1) * k], dataset, seed, seconds)
            for n, ((label, _), cfg) in enumerate(zip(labelled, configs, strict=True))]
