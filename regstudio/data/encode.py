"""Table columns -> model inputs, fitted on the training split only, written straight into each
split's float32 array a block of rows at a time.

Numbers pass through, text categories become one input per category (``pandas.get_dummies``
and scikit-learn's ``OneHotEncoder`` by default; a category seen only outside the training
split maps to all zeros), dates become year, month, day and weekday (and hour, minute when the
column has times). Missing values are filled with the training split's mean (numbers, each
date part) or most frequent value (text). Standardisation statistics are those of the filled
training inputs, computed per column (a category's share ``p`` gives mean ``p`` and deviation
``sqrt(p (1 - p))``), so no full feature matrix is ever built. Categories and dates are written
through a small table per column (one row per distinct cell, indexed by the column's codes).
:meth:`Encoder.recipe` is the JSON a model header carries so that ``model.npz`` applies to raw
rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .column import Column, date_parts
from .errors import DataError
from .progress import check_cancel
from .sniff import MISSING

BLOCK = 32768  # rows written at a time (between cancel checks)


@dataclass
class Step:
    column: str
    kind: str  # numeric, category or date
    fill: object  # the value a missing cell gets (a number, a category, or one per date part)
    categories: list | None = None
    parts: list[str] | None = None
    how: dict = field(default_factory=dict)  # how the cells were read (date order, thousands)
    mean: np.ndarray = None  # per input, of the filled training split (0 when not standardised)
    std: np.ndarray = None  # per input (1 for constant inputs or when not standardised)
    table: np.ndarray = None  # category, date: standardised inputs per code + 1 (row 0 missing)

    @property
    def names(self) -> list[str]:
        if self.kind == "category":
            return [f"{self.column}={c}" for c in self.categories]
        if self.kind == "date":
            return [f"{self.column}.{p}" for p in self.parts]
        return [self.column]


@dataclass
class Encoder:
    steps: list[Step]

    @property
    def feature_names(self) -> list[str]:
        return [n for s in self.steps for n in s.names]

    @property
    def mean(self) -> np.ndarray:
        return np.concatenate([s.mean for s in self.steps]) if self.steps else np.zeros(0)

    @property
    def std(self) -> np.ndarray:
        return np.concatenate([s.std for s in self.steps]) if self.steps else np.ones(0)

    def write(self, columns: list[Column], splits: tuple, cancel=None,
              tick=None) -> list[np.ndarray]:
        """The standardised float32 inputs of each index array in ``splits`` (rows of
        ``columns``, the fitted ones, in order). A block of rows at a time, each input of the
        block gathered into one row of a feature-major buffer (numbers standardised on the way,
        categories and dates from their tables by code), then stored transposed: contiguous
        writes both ways. ``tick()`` after each block."""
        width = len(self.feature_names)
        outs = [np.empty((len(idx), width), np.float32) for idx in splits]
        buf = np.empty((width, BLOCK), np.float32)
        tables = [np.ascontiguousarray(s.table.T) if s.table is not None else None
                  for s in self.steps]  # one row per input: its value per code + 1
        for out, idx in zip(outs, splits, strict=True):
            for lo in range(0, len(idx), BLOCK):
                check_cancel(cancel)
                rows = idx[lo:lo + BLOCK]
                part = buf[:, :len(rows)]
                j = 0
                for step, col, table in zip(self.steps, columns, tables, strict=True):
                    if step.kind == "numeric":
                        v = np.take(col.numbers, rows)
                        v -= step.mean[0]
                        v /= step.std[0]
                        np.copyto(v, (step.fill - step.mean[0]) / step.std[0], where=np.isnan(v))
                        part[j] = v
                        j += 1
                    else:
                        codes = np.take(col.codes, rows)
                        codes += 1
                        for values in table:
                            np.take(values, codes, out=part[j])
                            j += 1
                out[lo:lo + len(rows)] = part.T
                if tick is not None:
                    tick()
        return outs

    def recipe(self) -> dict:
        """JSON for a model header: per column, in input order, how a raw cell becomes inputs."""
        return {"columns": [{"name": s.column, "kind": s.kind, "fill": _json(s.fill),
                             **({"categories": s.categories} if s.categories is not None else {}),
                             **({"parts": s.parts} if s.parts is not None else {}), **s.how}
                            for s in self.steps],
                "unseen_category": "all zeros", "missing": sorted(MISSING),
                "date_parts": "year, month, day, weekday (Monday 0), hour, minute"}


def fit_encoder(columns: list[Column], rows: np.ndarray, standardize: bool = True,
                cancel=None, tick=None) -> Encoder:
    """Categories, fill values, date parts and input statistics from ``rows`` (the training
    split) only; ``tick()`` after each column."""
    rows = np.sort(rows)  # gathered in file order: faster, and the statistics do not care
    steps = []
    for col in columns:
        check_cancel(cancel)
        if col.kind == "numeric":
            steps.append(_numeric(col, rows, standardize))
        elif col.kind == "date":
            steps.append(_date(col, rows, standardize))
        else:
            steps.append(_category(col, rows, standardize))
        if tick is not None:
            tick()
    return Encoder(steps)


def _numeric(col: Column, rows: np.ndarray, standardize: bool) -> Step:
    fill, dev = _moments(col.numbers, rows)
    mean, std = np.zeros(1), np.ones(1)
    if standardize and len(rows):
        mean[0], std[0] = fill, dev if dev > 0 else 1.0
    elif not standardize:
        largest = np.abs(col.numbers[~np.isnan(col.numbers)]).max(initial=0.0)
        if largest > np.finfo(np.float32).max:
            raise DataError(f"{col.name} has values beyond +-3.4e38, too large for 32-bit floats: "
                            "turn data.standardize on or rescale the column")
    return Step(col.name, "numeric", fill, how=dict(col.how), mean=mean, std=std)


def _moments(values: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
    """(mean of the present values of ``rows``, deviation of the filled rows: 0 below 1e-12 of
    the largest magnitude); a block of rows at a time, in units of the largest magnitude (values
    near the float64 limit, 1e300, neither overflow when summed or squared nor vanish)."""
    def blocks():
        for lo in range(0, len(rows), BLOCK):
            part = values[rows[lo:lo + BLOCK]]
            yield part[~np.isnan(part)]

    scale = max((float(np.abs(b).max(initial=0.0)) for b in blocks()), default=0.0) or 1.0
    count, mean, m2 = 0, 0.0, 0.0
    for part in blocks():  # per-block mean and squared deviations, merged (Chan et al.)
        if not len(part):
            continue
        unit = part / scale
        k = len(unit)
        bmean = float(unit.mean())
        unit -= bmean
        delta = bmean - mean
        total = count + k
        mean += delta * k / total
        m2 += float(np.dot(unit, unit)) + delta**2 * count * k / total
        count = total
    if not count:
        return 0.0, 0.0
    dev = np.sqrt(m2 / len(rows))  # the filled rows add nothing: they equal the mean
    return mean * scale, float(dev * scale) if dev >= 1e-12 else 0.0


def _category(col: Column, rows: np.ndarray, standardize: bool) -> Step:
    cells = np.asarray(col.cells, dtype=object)
    counts = np.bincount(col.codes[rows] + 1, minlength=len(cells) + 1)
    seen = np.flatnonzero(counts[1:])
    order = seen[np.argsort(cells[seen].astype(str), kind="stable")]  # sorted by name
    categories = [str(c) for c in cells[order]]
    lut = np.full(len(cells) + 1, -1)  # code + 1 -> input (-1: unseen, all zeros)
    lut[order + 1] = np.arange(len(order))
    n = max(len(rows), 1)
    if len(order):
        best = int(np.argmax(counts[order + 1]))  # the first of the most frequent, by name
        fill = categories[best]
        lut[0] = best
        share = counts[order + 1].astype(np.float64)
        share[best] += counts[0]
        share /= n
    else:
        fill, share = None, np.zeros(0)
    mean, std = _shares(share, standardize)
    onehot = np.zeros((len(cells) + 1, len(order)))
    hit = lut >= 0
    onehot[np.flatnonzero(hit), lut[hit]] = 1.0
    table = ((onehot - mean) / std).astype(np.float32)
    return Step(col.name, "category", fill, categories=categories, mean=mean, std=std,
                table=table)


def _shares(share: np.ndarray, standardize: bool) -> tuple[np.ndarray, np.ndarray]:
    if not standardize:
        return np.zeros(len(share)), np.ones(len(share))
    std = np.sqrt(share * (1.0 - share))
    return share, np.where(std < 1e-12, 1.0, std)


def _date(col: Column, rows: np.ndarray, standardize: bool) -> Step:
    parts = date_parts(col.cells)  # per distinct date; hour and minute when any has a time
    counts = np.bincount(col.codes[rows] + 1, minlength=len(col.cells) + 1)[1:].astype(float)
    names = list(parts)
    values = np.column_stack([parts[p] for p in names])  # (cells, parts), NaN where unreadable
    known = ~np.isnan(values)
    weight = counts[:, None] * known
    total = weight.sum(axis=0)
    fill = np.where(total > 0, np.nansum(weight * np.nan_to_num(values), axis=0)
                    / np.maximum(total, 1), 0.0)
    filled = np.where(known, values, fill)
    table = np.vstack([fill[None, :], filled])  # row 0: a missing date
    mean, std = np.zeros(len(names)), np.ones(len(names))
    if standardize and len(rows):
        mean = fill.copy()
        dev = np.sqrt((counts[:, None] * (filled - fill) ** 2).sum(axis=0) / len(rows))
        std = np.where(dev < 1e-12, 1.0, dev)
    table = ((table - mean) / std).astype(np.float32)
    return Step(col.name, "date", [float(f) for f in fill], parts=names, how=dict(col.how),
                mean=mean, std=std, table=table)


def _json(value):
    return [float(v) for v in value] if isinstance(value, list) else value
