"""Check a saved sweep (``SweepResult.to_dict()`` read back from a project or ``sweep.json``):
untrusted input, so every key and number is checked; a bad one is a ProjectError naming it.

Every fit needs ``best_epoch`` (a whole number >= 1, or null when no epoch had a validation
loss), ``best_val_loss``, ``train_loss_at_best`` and ``seconds`` and one of
``val_acc_at_best`` / ``val_r2_at_best`` (the same in every fit); ``penalty_at_best`` is
optional (older sweeps). Numbers are finite and within their domain (losses >= 0, accuracy in
[0, 1], R² <= 1) or null; an integer too large for a float is refused like any other.
"""

from __future__ import annotations

from .config import ConfigError, get_path, validate_config
from .errors import ProjectError
from .run_checks import DOMAINS, MAX_HISTORY_ROWS, _finite, shown

MODES = ("single", "repeats", "folds")
MAX_VALUES = 1_000  # values of one swept parameter
MAX_REPEATS = 100_000
_REQUIRED = ("best_epoch", "best_val_loss", "train_loss_at_best", "seconds")
_METRICS = ("val_acc_at_best", "val_r2_at_best")
_BOUNDS = {"best_val_loss": DOMAINS["val_loss"], "train_loss_at_best": DOMAINS["data_loss"],
           "penalty_at_best": DOMAINS["penalty"], "val_acc_at_best": DOMAINS["val_acc"],
           "val_r2_at_best": DOMAINS["val_r2"], "seconds": DOMAINS["seconds"]}
_WORDS = {DOMAINS["val_loss"]: "a number >= 0 or null", DOMAINS["val_acc"]: "a number from 0 to 1 or null",
          DOMAINS["val_r2"]: "a number <= 1 or null", DOMAINS["seconds"]: "a number >= 0 or null"}


def _number(x) -> bool:
    """A finite number (a bool, a text or an integer beyond a float's range is not)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and _finite(x)


def _whole(x, low: int, high: int) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and low <= x <= high


def check_sweep_dict(data) -> dict:
    """The keyword arguments of ``SweepResult(...)`` from a saved dict, or ProjectError."""
    def bad(where: str, what: str, got) -> ProjectError:
        return ProjectError(f"sweep: {where} must be {what} (got {shown(got)}); the saved sweep is "
                            "damaged: run it again")

    if not isinstance(data, dict) or data.get("kind") != "sweep":
        raise bad("the record", "a mapping with kind 'sweep'", data)
    if data.get("schema") != 1:
        raise bad("schema", "1 (saved by a newer version? update regstudio)", data.get("schema"))
    try:
        config = validate_config(data.get("config"))
    except (ConfigError, ValueError, TypeError) as exc:
        raise ProjectError(f"sweep: config: {exc}") from None
    params, values = data.get("params"), data.get("values")
    if not isinstance(params, list) or not 1 <= len(params) <= 2 or not all(isinstance(p, str) for p in params):
        raise bad("params", "a list of one or two keys", params)
    for p in params:
        try:
            get_path(config, p)
        except (KeyError, IndexError, TypeError, ValueError):
            raise bad("params", "keys of the config", p) from None
    if not isinstance(values, list) or len(values) != len(params) or not all(
            isinstance(v, list) and 1 <= len(v) <= MAX_VALUES and all(_number(x) for x in v) for v in values):
        raise bad("values", f"a list of 1 to {MAX_VALUES:,} finite numbers per parameter", values)
    _check_values(config, params, values, bad)
    mode, n = data.get("mode"), data.get("n")
    if mode not in MODES:
        raise bad("mode", f"one of {', '.join(MODES)}", mode)
    if not _whole(n, 1, MAX_REPEATS):
        raise bad("n", f"a whole number from 1 to {MAX_REPEATS:,}", n)
    fits = data.get("fits")
    n_points = len(values[0]) * (len(values[1]) if len(values) == 2 else 1)
    if not isinstance(fits, list) or len(fits) > n_points * n:
        raise bad("fits", f"a list of at most {n_points * n:,} fits (points x {n})", fits)
    split = "fold" if mode == "folds" else "repeat"
    metric = next((k for f in fits if isinstance(f, dict) for k in _METRICS if k in f), _METRICS[0])
    seen = set()
    clean = []
    for i, fit in enumerate(fits):
        if not isinstance(fit, dict):
            raise bad(f"fits[{i}]", "a mapping", fit)
        point = fit.get("point")
        if not isinstance(point, int) or isinstance(point, bool) or not 0 <= point < n_points:
            raise bad(f"fits[{i}].point", f"a whole number from 0 to {n_points - 1}", point)
        j = fit.get(split)
        if not isinstance(j, int) or isinstance(j, bool) or not 0 <= j < n:
            raise bad(f"fits[{i}].{split}", f"a whole number from 0 to {n - 1}", j)
        if (point, j) in seen:
            raise bad(f"fits[{i}]", f"the only fit of point {point}, {split} {j}", "a second one")
        seen.add((point, j))
        row = {"point": point, split: j}
        cell = _cell(values, point)
        for key, value in zip(("value", "value2"), cell, strict=False):
            if fit.get(key) != value:
                raise bad(f"fits[{i}].{key}", f"{value!r}, the grid's value of point {point}", fit.get(key))
            row[key] = value
        row["param"] = params[0]
        if len(params) == 2:
            row["param2"] = params[1]
        seed = fit.get("seed")
        if not _whole(seed, 0, 2**63):
            raise bad(f"fits[{i}].seed", "a whole number from 0 to 2**63", seed)
        row["seed"] = seed
        missing = next((k for k in (*_REQUIRED, metric) if k not in fit), None)
        if missing is not None:
            raise ProjectError(f"sweep: fits[{i}] lacks {missing}; the saved sweep is damaged: run it again")
        epoch = fit["best_epoch"]
        if epoch is not None and not _whole(epoch, 1, MAX_HISTORY_ROWS):
            raise bad(f"fits[{i}].best_epoch", f"a whole number from 1 to {MAX_HISTORY_ROWS:,} or null", epoch)
        row["best_epoch"] = epoch
        for key, bounds in _BOUNDS.items():
            if key not in fit:
                continue
            value = fit[key]
            if value is not None and not _number(value):
                raise bad(f"fits[{i}].{key}", "a number or null", value)
            if value is not None and not bounds[0] <= value <= bounds[1]:
                raise bad(f"fits[{i}].{key}", _WORDS.get(bounds, "a finite number or null"), value)
            row[key] = value
        if sum(k in fit for k in _METRICS) != 1:
            raise bad(f"fits[{i}]", f"holding {metric} like the first fit, and not both metrics", fit)
        clean.append(row)
    seconds = data.get("seconds", 0.0)
    if not (_number(seconds) and seconds >= 0):
        raise bad("seconds", "a number >= 0", seconds)
    cancelled = data.get("cancelled", False)
    if not isinstance(cancelled, bool):
        raise bad("cancelled", "true or false", cancelled)
    return {"params": params, "values": values, "mode": mode, "n": n, "config": config, "fits": clean,
            "cancelled": cancelled, "seconds": float(seconds)}


def _check_values(config: dict, params: list[str], values: list[list], bad) -> None:
    """Each value must be one the swept setting takes (its range in the option tables): alone
    in the sweep's config or, for a grid, with one of the other parameter's values (the sweep
    validated every cell before it ran; two layer sizes can be valid only together)."""
    from .config import set_path

    def valid(*pairs) -> bool:
        cfg = config
        try:
            for param, value in pairs:
                cfg = set_path(cfg, param, value)
            validate_config(cfg)
        except (ConfigError, ValueError, TypeError, KeyError, IndexError):
            return False
        return True

    for axis, (param, axis_values) in enumerate(zip(params, values, strict=True)):
        others = [(params[1 - axis], w) for w in values[1 - axis]] if len(params) == 2 else []
        for value in dict.fromkeys(axis_values):
            if not valid((param, value)) and not any(valid((param, value), other) for other in others):
                raise bad(f"values of {param}", "values the setting takes", value)


def _cell(values: list[list], point: int) -> tuple:
    """The grid values of point ``point`` (the last parameter varying fastest)."""
    if len(values) == 1:
        return (values[0][point],)
    return (values[0][point // len(values[1])], values[1][point % len(values[1])])
