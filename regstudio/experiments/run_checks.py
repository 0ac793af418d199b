"""Checks of one saved run's fields (history, changes, summary, weight shapes) before it is shown.

Each function takes what ``project.json`` held and returns a clean copy, or raises
``ProjectError`` (passed in as ``error``) with one line naming the run and the field.
What passes can be drawn and tabulated without further checks: history values are
numbers (``null``, i.e. not measured, becomes NaN), epochs count up from 1, every row
has the same columns.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

STOP_REASONS = ("completed", "early_stopping", "diverged", "cancelled")
MAX_NAME = 200
MAX_HISTORY_ROWS = 100_000  # training.epochs' upper limit
_REQUIRED_COLUMNS = ("epoch", "train_loss", "val_loss")
_FLOAT_MAX = 2**1023


def _is_int(v) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and _fits_float(v)


def _fits_float(v) -> bool:
    try:
        float(v)
    except OverflowError:
        return False
    return True


def _is_layer_stats(value) -> bool:
    """A list of per-layer objects: a ``name`` text and numbers (or null), e.g. weight norms."""
    return isinstance(value, list) and all(
        isinstance(entry, dict) and isinstance(entry.get("name", ""), str)
        and all(v is None or _is_number(v) for k, v in entry.items() if k != "name")
        for entry in value)


def check_name(name, where: str, error) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise error(f"{where}: 'name' must be a text of 1 to {MAX_NAME} characters")
    return name


def check_history(rows, where: str, error) -> list[dict]:
    """Epoch rows with the same numeric columns (and per-layer norms); ``null`` becomes NaN."""
    if not isinstance(rows, list) or len(rows) > MAX_HISTORY_ROWS:
        raise error(f"{where}: 'history' must be a list of at most {MAX_HISTORY_ROWS:,} epoch records")
    out, columns = [], None
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise error(f"{where}: history row {i + 1} is not an object of column values")
        if columns is None:
            columns = set(row)
            missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise error(f"{where}: history lacks the column {missing[0]!r}")
        elif set(row) != columns:
            odd = sorted(set(row) ^ columns)[0]
            raise error(f"{where}: history row {i + 1} has other columns than row 1 ({odd!r})")
        epoch = row["epoch"]
        if not _is_int(epoch) or epoch < 1 or (out and epoch <= out[-1]["epoch"]):
            raise error(f"{where}: history row {i + 1}: epoch must be an integer counting up from 1 "
                        f"(got {epoch!r})")
        clean = {}
        for key, value in row.items():
            kind = type(value)
            if kind is float or (kind is int and -_FLOAT_MAX < value < _FLOAT_MAX):
                clean[key] = value  # what JSON gives: the fast path
            elif value is None:
                clean[key] = math.nan
            elif _is_number(value) or (key == "layers" and _is_layer_stats(value)):
                clean[key] = value  # "layers": the per-layer weight norms of that epoch
            else:
                raise error(f"{where}: history row {i + 1}, column {key!r}: not a number ({value!r:.40})")
        out.append(clean)
    return out


def check_changes(changes, where: str, error) -> list[dict]:
    """Live changes in order: ``epoch`` and ``batch`` integers, ``key`` a text, ``old``/``new``."""
    if not isinstance(changes, list):
        raise error(f"{where}: 'changes' must be a list")
    for i, change in enumerate(changes):
        ok = (isinstance(change, dict) and isinstance(change.get("key"), str)
              and _is_int(change.get("epoch")) and change["epoch"] >= 0
              and _is_int(change.get("batch", 0)) and "old" in change and "new" in change)
        if not ok:
            raise error(f"{where}: change {i + 1} needs epoch and batch (integers), key (a text), "
                        "old and new")
    return changes


_SUMMARY_INTS = ("best_epoch", "restored_epoch", "stopped_epoch", "n_params")
_SUMMARY_NUMBERS = ("best_val_loss", "seconds")


def check_summary(summary, where: str, error) -> dict:
    """The fields the window shows have the types it expects; other keys are kept as they are."""
    if not isinstance(summary, dict):
        raise error(f"{where}: 'summary' must be an object")
    for key in _SUMMARY_INTS:
        value = summary.get(key)
        if value is not None and not (_is_int(value) and 0 <= value < 2**63):
            raise error(f"{where}: summary.{key} must be an integer >= 0 or null (got {value!r:.40})")
    for key in _SUMMARY_NUMBERS:
        if summary.get(key) is not None and not _is_number(summary[key]):
            raise error(f"{where}: summary.{key} must be a number or null (got {summary[key]!r:.40})")
    if summary.get("stop_reason") is not None and summary["stop_reason"] not in STOP_REASONS:
        raise error(f"{where}: summary.stop_reason must be one of {', '.join(STOP_REASONS)}")
    if not isinstance(summary.get("message", ""), str):
        raise error(f"{where}: summary.message must be a text")
    final = summary.get("final", {})
    if not isinstance(final, dict) or any(v is not None and not _is_number(v) for v in final.values()):
        raise error(f"{where}: summary.final must map metric names to numbers")
    if not _is_layer_stats(summary.get("layers", [])):
        raise error(f"{where}: summary.layers must be a list of objects of numbers (and a name)")
    report = summary.get("data_report", [])
    if not isinstance(report, list) or not all(isinstance(line, str) for line in report):
        raise error(f"{where}: summary.data_report must be a list of texts")
    return summary


def check_weight_shapes(layers: list[dict], declared: dict, where: str, error) -> None:
    """The parameter names and shapes (``name -> (shape, dtype)``) a model of ``layers`` has.

    The input size is not in the config (it follows from the data), so the first layer's
    fan-in is taken as given and every later shape must follow from it and the config.
    No weights at all is a run saved without them and passes."""
    if not declared:
        return
    expected, counts = [], {}
    for spec in layers:
        k = counts[spec["type"]] = counts.get(spec["type"], -1) + 1
        if spec["type"] in ("dense", "conv2d"):
            expected.append((spec, f"{spec['type']}_{k}"))
    names = {f"{prefix}.{p}" for _spec, prefix in expected for p in ("W", "b")}
    if set(declared) != names:
        odd = sorted(set(declared) ^ names)[0]
        raise error(f"{where}: weights {odd!r} " + ("are missing" if odd in names else
                                                     "do not belong to the run's model"))
    shape = {name: tuple(s) for name, (s, _dtype) in declared.items()}
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
