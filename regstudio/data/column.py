"""One parsed column of a table: numbers, dates or text, kept compactly (text and dates as codes
into their distinct cells), with what the reader noticed about it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

KINDS = ("numeric", "category", "date", "text-id", "empty")
DATE_PARTS = ("year", "month", "day", "weekday")
TIME_PARTS = ("hour", "minute")


@dataclass(eq=False)
class Column:
    """``numbers``: float64 per row (numeric and empty columns; NaN missing). ``codes``: int32
    per row into ``cells`` (-1 missing) for text (category, text-id) and date columns.
    ``stray``: (count, file line of the first, its text) of a few cells of a numeric column that are not
    numbers (NaN in ``numbers``); an error only when the column is used. ``notes``: what the
    report says about the column; ``how``: how its cells were read (the model header's recipe
    carries it, e.g. ``{"order": "day-month-year"}``)."""

    name: str
    kind: str
    missing: int = 0
    levels: int = 0  # distinct non-missing values of a text column (0 for numbers and dates)
    numbers: np.ndarray | None = None
    codes: np.ndarray | None = None
    cells: np.ndarray | None = None
    stray: tuple | None = None
    notes: list[str] = field(default_factory=list)
    how: dict = field(default_factory=dict)

    @property
    def values(self) -> np.ndarray:
        """Every row's value: float64 (NaN), datetime64 (NaT) or object (None where missing)."""
        if self.codes is None:
            return self.numbers
        blank = np.datetime64("NaT") if self.kind == "date" else None
        cells = np.append(self.cells, np.array([blank], dtype=self.cells.dtype))
        return cells[self.codes]

    def __len__(self) -> int:
        return len(self.numbers if self.codes is None else self.codes)

    def missing_mask(self) -> np.ndarray:
        return np.isnan(self.numbers) if self.codes is None else self.codes < 0

    def take(self, keep: np.ndarray) -> Column:
        """The column's rows ``keep`` (a mask or indices); the missing count follows."""
        out = Column(self.name, self.kind, 0, self.levels, cells=self.cells, stray=self.stray,
                     notes=list(self.notes), how=dict(self.how))
        if self.codes is None:
            out.numbers = self.numbers[keep]
        else:
            out.codes = self.codes[keep]
        out.missing = int(out.missing_mask().sum())
        return out

    def info(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "missing": self.missing, "levels": self.levels}
        if self.stray:
            out["stray"] = {"count": self.stray[0], "first": self.stray[2]}
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def is_missing(values: np.ndarray) -> np.ndarray:
    """Missing cells of a column's values (NaN, NaT or None)."""
    if values.dtype == object:
        return np.equal(values, None)
    if values.dtype.kind == "M":
        return np.isnat(values)
    return np.isnan(values)


def date_parts(values: np.ndarray) -> dict[str, np.ndarray]:
    """datetime64 values -> year, month, day, weekday (Monday 0) and, when any value has a time
    of day, hour and minute; float64 with NaN where the date is missing."""
    import pandas as pd

    index = pd.DatetimeIndex(values)
    parts = {"year": index.year, "month": index.month, "day": index.day,
             "weekday": index.day_of_week, "hour": index.hour, "minute": index.minute}
    out = {k: np.asarray(v, dtype=np.float64) for k, v in parts.items()}
    timed = np.nan_to_num(out["hour"]).any() or np.nan_to_num(out["minute"]).any()
    return {k: v for k, v in out.items() if k in DATE_PARTS or timed}
