"""Checks of one saved run's fields (history, changes, summary, weight shapes) before it is shown.

Each function takes what ``project.json`` held (parsed: objects nobody else holds) and returns
it checked, numbers normalised in place (``null`` -> NaN; no copy of a large history is made),
or raises ``ProjectError`` (passed in as ``error``) with one line naming the run and the field.
What passes can be drawn and tabulated without further checks: history values are
finite numbers within their column's domain (:data:`DOMAINS`: losses >= 0, accuracies in
[0, 1], R² <= 1 ...; ``null``, i.e. not measured, becomes NaN), epochs count up from 1, every
row has the same columns, and per-layer norms name exactly the config's layers with weights.
"""

from __future__ import annotations

import math
import sys
from numbers import Integral, Real

from ..options import shown as _described

STOP_REASONS = ("completed", "early_stopping", "diverged", "cancelled")
MAX_NAME = 200
MAX_HISTORY_ROWS = 100_000  # training.epochs' upper limit
MAX_CHANGES = 100_000  # live changes of one run
_REQUIRED_COLUMNS = ("epoch", "train_loss", "val_loss")
_FLOAT_MAX = 2**1023
_ROUNDING = 1e-6  # a loss or penalty this far below zero is float rounding, not damage
_INF = sys.float_info.max  # bounds are inclusive: infinity is out of every range

# (low, high) of each known history / summary.final column; NaN (not measured) always passes.
# Columns not listed must be finite numbers.
DOMAINS = {
    **{f"{p}{k}": (-_ROUNDING, _INF) for p in ("", "train_", "val_", "test_")
       for k in ("loss", "data_loss", "penalty")},
    "penalty": (-_ROUNDING, _INF),
    **{f"{p}acc": (0.0, 1.0) for p in ("train_", "val_", "test_")},
    **{f"{p}r2": (-_INF, 1.0 + _ROUNDING) for p in ("train_", "val_", "test_")},
    "lr": (0.0, _INF),
    "seconds": (0.0, _INF),
}
_DOMAIN_WORDS = {(-_ROUNDING, _INF): "a finite number >= 0", (0.0, _INF): "a finite number >= 0",
                 (0.0, 1.0): "a number from 0 to 1", (-_INF, 1.0 + _ROUNDING): "a finite number <= 1"}
_ANY = (-_INF, _INF)
_NO_FAST_PATH = (math.inf, -math.inf)  # no number lies in it
LAYER_STATS = {"l1_norm": (0.0, _INF), "l2_norm": (0.0, _INF), "sparsity": (0.0, 1.0)}
_LAYER_KEYS = {"name", *LAYER_STATS}


def _is_int(v) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def _is_number(v) -> bool:
    """A finite real number (an integer too large for a float is not)."""
    return isinstance(v, Real) and not isinstance(v, bool) and _finite(v)


def _finite(v) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def shown(value, width: int = 40) -> str:
    """A value for a message about a file: cut to ``width`` characters (see options.shown)."""
    return _described(value, width)


def weighted_layer_names(layers: list[dict]) -> list[str]:
    """The names of a (validated) config's layers with weights, in order: ``dense_0``, ``conv2d_0``..."""
    names, counts = [], {}
    for spec in layers:
        k = counts[spec["type"]] = counts.get(spec["type"], -1) + 1
        if spec["type"] in ("dense", "conv2d"):
            names.append(f"{spec['type']}_{k}")
    return names


_NOT_A_NUMBER = object()


def _value(value, bounds: tuple[float, float]):
    """``value`` as a number (``None`` and NaN -> NaN); ``_NOT_A_NUMBER`` when it is no number,
    None when it is one outside ``bounds`` (infinities and integers beyond a float included)."""
    kind = type(value)
    if kind is float:
        return value if bounds[0] <= value <= bounds[1] or value != value else None
    if value is None:
        return math.nan
    if kind is int:
        return value if -_FLOAT_MAX < value < _FLOAT_MAX and bounds[0] <= value <= bounds[1] else None
    if isinstance(value, Real) and not isinstance(value, bool):
        return _value(float(value), bounds) if _finite(value) else None
    return _NOT_A_NUMBER


def _check_value(value, bounds, where: str, error, not_a_number: str = "{where}: not a number ({got})"):
    number = _value(value, bounds)
    if number is _NOT_A_NUMBER:
        raise error(not_a_number.format(where=where, got=shown(value)))
    if number is None:
        raise error(f"{where}: {shown(value)} is out of range (must be {_words(bounds)} or null)")
    return number


def _words(bounds) -> str:
    return _DOMAIN_WORDS.get(bounds, "a finite number")


def check_layer_stats(value, names: list[str], where: str, error) -> list[dict]:
    """Per-layer norms: one object per layer with weights, in order, each exactly ``name`` (the
    layer's) and :data:`LAYER_STATS` (numbers in range or null)."""
    if not isinstance(value, list):
        raise error(f"{where}: not a list of per-layer objects ({shown(value)})")
    for entry in value:  # numbers first: a text where a number belongs says the most
        if isinstance(entry, dict):
            for key, v in entry.items():
                if key != "name" and _value(v, _ANY) is _NOT_A_NUMBER:
                    raise error(f"{where}: not a number ({shown(v)})")
    if len(value) != len(names):
        raise error(f"{where}: must hold {len(names)} per-layer objects, one per layer with weights "
                    f"({', '.join(names) or 'none'}), got {len(value)}")
    for entry, name in zip(value, names, strict=True):
        if not isinstance(entry, dict) or entry.get("name") != name or entry.keys() != _LAYER_KEYS:
            raise error(f"{where}: expected {{'name': {name!r}, "
                        f"{', '.join(repr(k) + ': number' for k in LAYER_STATS)}}}, got {shown(entry)}")
        for key, bounds in LAYER_STATS.items():
            number = _check_value(entry[key], bounds, f"{where}: {name}.{key}", error)
            if number is not entry[key]:
                entry[key] = number
    return value


def check_name(name, where: str, error) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise error(f"{where}: 'name' must be a text of 1 to {MAX_NAME} characters")
    return name


def check_history(rows, layer_names: list[str], where: str, error) -> list[dict]:
    """Epoch rows with the same columns, each value within its column's :data:`DOMAINS`
    (``null`` becomes NaN, in place); a ``layers`` column holds the per-layer norms of
    ``layer_names``."""
    if not isinstance(rows, list) or len(rows) > MAX_HISTORY_ROWS:
        raise error(f"{where}: 'history' must be a list of at most {MAX_HISTORY_ROWS:,} epoch records")
    columns, bounds = None, {}
    last = 0
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise error(f"{where}: history row {i + 1} is not an object of column values")
        if columns is None:
            columns = set(row)
            missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise error(f"{where}: history lacks the column {missing[0]!r}")
            bounds = {key: DOMAINS.get(key, _ANY) for key in row}
            bounds["epoch"] = _NO_FAST_PATH
            bounds["layers"] = _NO_FAST_PATH
        elif len(row) != len(columns) or row.keys() != columns:
            odd = sorted(set(row) ^ columns)[0]
            raise error(f"{where}: history row {i + 1} has other columns than row 1 ({odd!r})")
        epoch = row["epoch"]
        if not _is_int(epoch) or epoch <= last or epoch > MAX_HISTORY_ROWS:
            raise error(f"{where}: history row {i + 1}: epoch must be an integer counting up from 1 "
                        f"(got {shown(epoch)})")
        last = epoch
        for key, value in row.items():
            low, high = bounds[key]
            if (type(value) is float and low <= value <= high) or key == "epoch":  # the fast path
                continue
            if key == "layers":
                check_layer_stats(value, layer_names, f"{where}: history row {i + 1}, column 'layers'", error)
                continue
            number = _value(value, (low, high))
            if number is None or number is _NOT_A_NUMBER:
                _check_value(value, (low, high), f"{where}: history row {i + 1}, column {key!r}", error)
            if number is not value:
                row[key] = number
    return rows


def check_changes(changes, layers: list[dict], where: str, error) -> list[dict]:
    """Live changes in order: ``epoch`` and ``batch`` whole numbers, ``key`` a setting that can
    change while training (a dropout rate of one of ``layers``' dropout layers), ``old`` and
    ``new`` values that setting takes (finite numbers in its range; sections for augmentation)."""
    from .config import live_option  # the option tables: config imports nothing from here

    if not isinstance(changes, list) or len(changes) > MAX_CHANGES:
        raise error(f"{where}: 'changes' must be a list of at most {MAX_CHANGES:,} changes")
    out = []
    for i, change in enumerate(changes):
        ok = (isinstance(change, dict) and isinstance(change.get("key"), str)
              and _is_int(change.get("epoch")) and 0 <= change["epoch"] <= MAX_HISTORY_ROWS
              and _is_int(change.get("batch", 0)) and 0 <= change.get("batch", 0) < 2**53
              and "old" in change and "new" in change)
        if not ok:
            raise error(f"{where}: change {i + 1} needs epoch and batch (integers), key (a text), "
                        "old and new")
        key = change["key"]
        option = live_option(key, layers)
        if option is None:
            raise error(f"{where}: change {i + 1}: {shown(key)} is not a setting that can change "
                        "while training")
        clean = {"epoch": change["epoch"], "batch": change.get("batch", 0), "key": key}
        for side in ("old", "new"):
            value = change[side]
            if option == "section":
                if not isinstance(value, dict):
                    raise error(f"{where}: change {i + 1}: {side} must be an augmentation section "
                                f"(got {shown(value)})")
            else:
                try:
                    value = option.check(value, f"change {i + 1}: {key} ({side})", ValueError)
                except ValueError as exc:
                    raise error(f"{where}: {exc}") from None
            clean[side] = value
        out.append(clean)
    return out


_SUMMARY_EPOCHS = ("best_epoch", "restored_epoch", "stopped_epoch")
_SUMMARY_NUMBERS = {"best_val_loss": DOMAINS["val_loss"], "seconds": DOMAINS["seconds"]}


def check_summary(summary, history: list[dict], layer_names: list[str], where: str, error) -> dict:
    """The fields the window shows have the types and ranges it expects (epochs within the
    ``history``, numbers in their :data:`DOMAINS`, ``layers`` the norms of ``layer_names``);
    other keys are kept as they are."""
    if not isinstance(summary, dict):
        raise error(f"{where}: 'summary' must be an object")
    summary = dict(summary)
    last = history[-1]["epoch"] if history else 0
    for key in _SUMMARY_EPOCHS:
        value = summary.get(key)
        if value is not None and not (_is_int(value) and 0 <= value <= last):
            raise error(f"{where}: summary.{key} must be an integer >= 0 or null, an epoch of the "
                        f"history (at most {last}) (got {shown(value)})")
    n_params = summary.get("n_params")
    if n_params is not None and not (_is_int(n_params) and 0 <= n_params < 2**63):
        raise error(f"{where}: summary.n_params must be an integer >= 0 or null (got {shown(n_params)})")
    for key, bounds in _SUMMARY_NUMBERS.items():
        if key in summary:
            summary[key] = _nullable(_check_value(summary[key], bounds, f"{where}: summary.{key}", error,
                                                  "{where} must be a number or null (got {got})"))
    if summary.get("stop_reason") is not None and summary["stop_reason"] not in STOP_REASONS:
        raise error(f"{where}: summary.stop_reason must be one of {', '.join(STOP_REASONS)}")
    if not isinstance(summary.get("message", ""), str):
        raise error(f"{where}: summary.message must be a text")
    if "final" in summary:
        final = summary["final"]
        if not isinstance(final, dict) or not all(isinstance(k, str) for k in final):
            raise error(f"{where}: summary.final must map metric names to numbers")
        summary["final"] = {k: _nullable(_check_value(
            v, DOMAINS.get(k, _ANY), f"{where}: summary.final.{k}", error,
            f"{where}: summary.final must map metric names to numbers ({k}: {{got}})")) for k, v in final.items()}
    if "layers" in summary:
        layers = summary["layers"]
        if not isinstance(layers, list) or not all(
                isinstance(e, dict) and all(k == "name" or _value(v, _ANY) is not _NOT_A_NUMBER
                                            for k, v in e.items()) for e in layers):
            raise error(f"{where}: summary.layers must be a list of objects of numbers (and a name), one "
                        f"per layer with weights ({', '.join(layer_names) or 'none'})")
        summary["layers"] = check_layer_stats(summary["layers"], layer_names, f"{where}: summary.layers",
                                              error)
    report = summary.get("data_report", [])
    if not isinstance(report, list) or not all(isinstance(line, str) for line in report):
        raise error(f"{where}: summary.data_report must be a list of texts")
    return summary


def _nullable(number: float):
    """A summary keeps ``null`` for a value not measured (the table shows it empty)."""
    return None if number != number else number


def check_weight_shapes(layers: list[dict], declared: dict, where: str, error) -> None:
    """The parameter names and shapes (``name -> (shape, dtype)``) a model of ``layers`` has.

    The input size is not in the config (it follows from the data), so the first layer's
    fan-in is taken as given and every later shape must follow from it and the config.
    No weights at all is a run saved without them and passes."""
    if not declared:
        return
    weighted = [spec for spec in layers if spec["type"] in ("dense", "conv2d")]
    expected = list(zip(weighted, weighted_layer_names(layers), strict=True))
    names = {f"{prefix}.{p}" for _spec, prefix in expected for p in ("W", "b")}
    if set(declared) != names:
        odd = sorted(set(declared) ^ names)[0]
        raise error(f"{where}: weights {odd!r} " + ("are missing" if odd in names else
                                                     "do not belong to the run's model"))
    shape = {name: tuple(s) for name, (s, _dtype) in declared.items()}
    empty = next((name for name in sorted(shape) if 0 in shape[name] or not shape[name]), None)
    if empty is not None:
        raise error(f"{where}: weights {empty!r} have shape {shape[empty]}, which holds no weights")
    features = channels = None  # known size of a flat input, channels of an image input

    def need(name, ok, want):
        if not ok:
            raise error(f"{where}: weights {name!r} have shape {shape[name]}, expected {want}")

    for spec, prefix in expected:
        w, b = f"{prefix}.W", f"{prefix}.b"
        if spec["type"] == "dense":
            need(w, len(shape[w]) == 2, "(inputs, units)")
            fan_in, units = shape[w]
            inputs = features or (f"a multiple of {channels}" if channels else "inputs")
            need(w, spec.get("units") in (None, units) and features in (None, fan_in)
                 and (channels is None or fan_in % channels == 0), f"({inputs}, {spec.get('units') or units})")
            features, channels = units, None
        else:
            need(w, features is None and len(shape[w]) == 4, "(kernel, kernel, channels, filters)")
            kh, kw, c, filters = shape[w]
            need(w, (kh, kw, filters) == (spec["kernel"], spec["kernel"], spec["filters"])
                 and channels in (None, c),
                 f"({spec['kernel']}, {spec['kernel']}, {channels or 'channels'}, {spec['filters']})")
            channels = filters
        need(b, shape[b] == (shape[w][-1],), f"({shape[w][-1]},)")
