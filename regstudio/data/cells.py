"""What a column's cells are: numbers (decimal commas, thousands separators), dates (year, day or
month first), categories or ids. The work is per distinct cell, then spread over the rows by
their codes."""

from __future__ import annotations

import re
import warnings

import numpy as np

from .column import Column
from .sniff import MISSING

MAX_LEVELS = 50  # a text column with more distinct values is an id or a name, not a category
MIN_ROWS_FOR_ID = 10  # "unique per row" marks an id only in tables at least this long
STRAY_COUNT, STRAY_SHARE = 5, 0.01  # this many text cells among numbers are typos, not categories
DATE_UNREADABLE = 0.05  # share of a date column's cells that may be unreadable (then missing)
DATE_SAMPLE = 20_000  # distinct cells read by pattern; beyond, the rest by the format found
DATE = (r"^(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})"
        r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$")
THOUSANDS = {".": r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$",  # decimal point: 12,345.6
             ",": r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$"}  # decimal comma: 12.345,6
ID_NAME = re.compile(r"(?:^|[^a-z])id$|^id(?:[^a-z]|$)|Id$|ID$")


def stray_limit(present: int) -> int:
    """How many text cells a column of numbers may have and still be numbers with typos."""
    return max(STRAY_COUNT, int(STRAY_SHARE * present))


def numbers_with_typos(text: int, present: int) -> bool:
    """Whether ``text`` cells among ``present`` are a few typos in a column of numbers (no
    more than :func:`stray_limit`, and fewer than the numbers) rather than a text column."""
    return text <= stray_limit(present) and 2 * text <= present


def missing_cells(cells: np.ndarray) -> np.ndarray:
    """Cells that mean "missing" once stripped (``NA ``, `` ?``, empty)."""
    import pandas as pd

    return pd.Series(cells, dtype=object).str.lower().isin(MISSING).to_numpy()


def numbers_of(cells: np.ndarray, comma: bool) -> tuple[np.ndarray, bool]:
    """(float64 per stripped cell, NaN where it is not a finite number; whether thousands
    separators were read). With ``comma`` a decimal comma is read too."""
    import pandas as pd

    series = pd.Series(cells, dtype=object)
    plain = series.str.replace(",", ".", regex=False) if comma else series
    values = np.array(pd.to_numeric(plain, errors="coerce"), dtype=np.float64)
    values[~np.isfinite(values)] = np.nan
    rest = np.flatnonzero(np.isnan(values))
    grouped = False
    if len(rest):
        sep = "," if comma else "."
        texts = series.iloc[rest]
        match = texts.str.match(THOUSANDS[sep]).to_numpy(bool)
        if match.any():
            group = "." if comma else ","
            digits = texts[match].str.replace(group, "", regex=False).str.replace(",", ".")
            values[rest[match]] = pd.to_numeric(digits, errors="coerce").to_numpy(np.float64)
            grouped = True
    return values, grouped


def text_column(name: str, codes: np.ndarray, cells: list, lines: np.ndarray,
                comma: bool) -> Column:
    """Classify a column read as text (codes into its distinct ``cells``): numbers (a few stray
    words allowed), dates (a few unreadable cells allowed), a category, or an id or a name."""
    import pandas as pd

    stripped = pd.Series(cells, dtype=object).map(str).str.strip()
    blank = missing_cells(stripped.to_numpy(object))
    merged, uniq = pd.factorize(stripped.where(~blank))  # " x" and "x" are one cell
    uniq = np.asarray(uniq, dtype=object)
    remap = np.append(merged, -1).astype(np.int32)
    codes = remap[codes]
    n = len(codes)
    counts = np.bincount(codes + 1, minlength=len(uniq) + 1)[1:]
    present = int(counts.sum())
    if present == 0:
        return Column(name, "empty", n, 0, numbers=np.full(n, np.nan))
    numbers, grouped = numbers_of(uniq, comma)
    text = np.isnan(numbers)
    text_rows = int(counts[text].sum())
    if numbers_with_typos(text_rows, present):
        out = Column(name, "numeric", n - present, numbers=np.append(numbers, np.nan)[codes])
        if text_rows:
            first = int(np.flatnonzero(np.append(text, False)[codes])[0])
            out.stray = (text_rows, int(lines[first]), uniq[codes[first]])
        if grouped:
            out.how["thousands"] = "." if comma else ","
            out.notes.append(f"{name!r}: numbers with thousands separators read as numbers")
        return out
    dates = dates_of(uniq, counts, present)
    if dates is not None:
        when, order, unreadable = dates
        bad = np.append(np.isnat(when), True)[codes]
        out = Column(name, "date", int(bad.sum()), how={"order": order}, cells=when,
                     codes=np.where(bad, -1, codes).astype(np.int32))
        if unreadable:
            r = int(np.flatnonzero(bad & (codes >= 0))[0])
            out.notes.append(f"{name!r}: {unreadable} cell(s) that are not dates treated as "
                             f"missing (first: row {lines[r]}, {uniq[codes[r]]!r})")
        if order != "year-month-day":
            out.notes.append(f"{name!r}: dates read as {order.replace('-', '/')}")
        return out
    levels = len(uniq)
    many = levels > MAX_LEVELS or (levels == present and present >= MIN_ROWS_FOR_ID)
    return Column(name, "text-id" if many else "category", n - present, levels, codes=codes,
                  cells=uniq)


def dates_of(cells: np.ndarray, counts: np.ndarray, present: int):
    """(datetime64 per cell, NaT where unreadable; the order read, e.g. "day-month-year"; the
    number of rows unreadable) when the cells are dates but for a few, else None."""
    import pandas as pd

    series = pd.Series(cells, dtype=object)
    allowed = max(DATE_UNREADABLE * present, 1 if present >= 10 else 0)
    sample = series if len(series) <= DATE_SAMPLE else series.iloc[:DATE_SAMPLE]
    parts = sample.str.extract(DATE)
    rows = counts[:len(sample)]
    if rows[parts[0].isna().to_numpy()].sum() > max(DATE_UNREADABLE * rows.sum(), allowed):
        return None
    order = _order(parts)
    if order is None:
        return None
    when = _assemble(parts, order)
    if len(series) > DATE_SAMPLE:
        when = np.concatenate([when, _by_format(series.iloc[DATE_SAMPLE:], parts, order)])
    unreadable = int(counts[np.isnat(when)].sum())
    if unreadable > allowed or unreadable == present:
        return None
    return when, order, unreadable


def _order(parts) -> str | None:
    """Year first (4 digits), else day or month first: the one no cell contradicts (a first
    number above 12 is a day), else day first with '.' or '-' and month first with '/'."""
    found = parts[0].notna()
    if not found.any():
        return None
    first = parts[0][found]
    if (first.str.len() == 4).mean() > 0.5:
        return "year-month-day"
    a = first.astype(int)
    b = parts[2][found].astype(int)
    day_first, month_first = int((b > 12).sum()), int((a > 12).sum())  # rows each order loses
    if day_first != month_first:
        return "day-month-year" if day_first < month_first else "month-day-year"
    sep = parts[1][found].mode().iloc[0]
    return "month-day-year" if sep == "/" else "day-month-year"


def _assemble(parts, order: str) -> np.ndarray:
    import pandas as pd

    num = {k: pd.to_numeric(parts[i], errors="coerce") for k, i in
           (("a", 0), ("b", 2), ("c", 3), ("hour", 4), ("minute", 5), ("second", 6))}
    if order == "year-month-day":
        year, month, day = num["a"], num["b"], num["c"]
        year = year.where(parts[0].str.len() == 4)
    else:
        year = num["c"].where(parts[3].str.len().isin([2, 4]))
        year = year.where(parts[3].str.len() != 2, np.where(year < 69, 2000 + year, 1900 + year))
        day, month = (num["a"], num["b"]) if order == "day-month-year" else (num["b"], num["a"])
        year = year.where(parts[0].str.len() <= 2)
    frame = pd.DataFrame({"year": year, "month": month, "day": day,
                          "hour": num["hour"].fillna(0), "minute": num["minute"].fillna(0),
                          "second": num["second"].fillna(0)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.to_datetime(frame, errors="coerce").to_numpy("datetime64[s]")


def _by_format(series, parts, order: str) -> np.ndarray:
    """The cells beyond the sample, by the formats the sample used (fast), any left over by
    pattern."""
    import pandas as pd

    found = parts[0].notna()
    sep = parts[1][found].mode().iloc[0] if found.any() else "-"
    if order == "year-month-day":
        formats = ["ISO8601"]
    else:
        year = "%y" if (parts[3][found].str.len() == 2).mean() > 0.5 else "%Y"
        date = sep.join(["%d", "%m", year] if order == "day-month-year" else ["%m", "%d", year])
        formats = [date, f"{date} %H:%M", f"{date} %H:%M:%S"]
    out = np.full(len(series), np.datetime64("NaT"), dtype="datetime64[s]")
    left = np.arange(len(series))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fmt in formats:
            got = pd.to_datetime(series.iloc[left], format=fmt, errors="coerce").to_numpy(
                "datetime64[s]")
            ok = ~np.isnat(got)
            out[left[ok]] = got[ok]
            left = left[~ok]
            if not len(left):
                break
    if 0 < len(left) <= DATE_SAMPLE:
        out[left] = _assemble(series.iloc[left].str.extract(DATE), order)
    return out


def id_like(column: Column) -> bool:
    """A numeric column named like an id whose values are distinct whole numbers, one per row."""
    if column.kind != "numeric" or column.missing or not ID_NAME.search(column.name):
        return False
    v = column.numbers
    return bool(len(v) >= MIN_ROWS_FOR_ID and np.all(v == np.round(v))
                and len(np.unique(v)) == len(v))
