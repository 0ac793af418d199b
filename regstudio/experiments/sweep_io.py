"""Check a saved sweep (``SweepResult.to_dict()`` read back from a project or ``sweep.json``):
untrusted input, so every key and number is checked; a bad one is a ProjectError naming it."""

from __future__ import annotations

import math

from .config import ConfigError, get_path, validate_config
from .project import ProjectError

MODES = ("single", "repeats", "folds")
_NUMBERS = ("best_epoch", "best_val_loss", "train_loss_at_best", "penalty_at_best",
            "val_acc_at_best", "val_r2_at_best", "seconds")


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_sweep_dict(data) -> dict:
    """The keyword arguments of ``SweepResult(...)`` from a saved dict, or ProjectError."""
    def bad(where: str, what: str, got) -> ProjectError:
        shown = repr(got)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return ProjectError(f"sweep: {where} must be {what} (got {shown}); the saved sweep is "
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
            isinstance(v, list) and v and all(_number(x) for x in v) for v in values):
        raise bad("values", "a list of numbers per parameter", values)
    mode, n = data.get("mode"), data.get("n")
    if mode not in MODES:
        raise bad("mode", f"one of {', '.join(MODES)}", mode)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 100_000:
        raise bad("n", "a whole number from 1", n)
    fits = data.get("fits")
    if not isinstance(fits, list):
        raise bad("fits", "a list", fits)
    n_points = math.prod(len(v) for v in values)
    split = "fold" if mode == "folds" else "repeat"
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
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise bad(f"fits[{i}].seed", "a whole number", seed)
        row["seed"] = seed
        for key in _NUMBERS:
            if key in fit:
                if fit[key] is not None and not _number(fit[key]):
                    raise bad(f"fits[{i}].{key}", "a number or null", fit[key])
                row[key] = fit[key]
        clean.append(row)
    seconds = data.get("seconds", 0.0)
    return {"params": params, "values": values, "mode": mode, "n": n, "config": config, "fits": clean,
            "cancelled": bool(data.get("cancelled", False)),
            "seconds": float(seconds) if _number(seconds) else 0.0}


def _cell(values: list[list], point: int) -> tuple:
    """The grid values of point ``point`` (the last parameter varying fastest)."""
    if len(values) == 1:
        return (values[0][point],)
    return (values[0][point // len(values[1])], values[1][point % len(values[1])])
