"""Excel workbooks (.xlsx, .xlsm) -> columns, read through pandas and openpyxl: a sheet's cells
keep their types (numbers, dates, text), and text columns are classified as for text files."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np

from . import cells, sniff
from .column import Column
from .csvread import NA_VALUES
from .errors import DataError
from .files import read_file
from .progress import check_cancel


def read_excel(path: Path, sheet: str | None, cancel):
    """(columns, sheet row of each data row, how it was read: the sheet)."""
    import pandas as pd

    read_file(path, "path", keep=False)  # exists, a regular file, not empty, within the limit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on styles and data validation
            book = pd.ExcelFile(path, engine="openpyxl")
            sheets = book.sheet_names
            if sheet is not None and sheet not in sheets:
                raise DataError(f"{path}: no sheet named {sheet!r} (has: {', '.join(sheets)}): "
                                "set data.sheet to one of them")
            name = sheet if sheet is not None else sheets[0]
            check_cancel(cancel)
            raw = book.parse(name, header=None, dtype=object, na_values=NA_VALUES,
                             keep_default_na=False)
    except DataError:
        raise
    except Exception as e:  # zipfile, XML and openpyxl errors of a damaged or foreign file
        raise DataError(f"{path}: not a readable Excel workbook ({type(e).__name__}): save it "
                        "as .xlsx or export the sheet as CSV") from None
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    if raw.empty:
        raise DataError(f"{path}, sheet {name!r}: the sheet has no rows: choose a sheet with data")
    rows = [[_text(v) for v in raw.iloc[i]] for i in range(min(2, len(raw)))]
    header, names = sniff.header_of(rows[0], rows[1] if len(rows) > 1 else None, ",")
    body = raw.iloc[1:] if header else raw
    lines = (body.index.to_numpy() + 1).astype(np.int64)  # the sheet's own row numbers
    sniff.checked(lines, names, ",", path)
    body = body.reset_index(drop=True)
    columns = []
    for j, column in enumerate(names):
        check_cancel(cancel)
        columns.append(_column(column, body.iloc[:, j].to_numpy(object), lines))
    return columns, lines, {"sheet": name}


def _column(name: str, values: np.ndarray, lines: np.ndarray) -> Column:
    """Numbers and dates as the workbook typed them; anything mixed or text as text."""
    import pandas as pd

    present = ~pd.isna(values)
    kept = values[present]
    if not len(kept):
        return Column(name, "empty", len(values), numbers=np.full(len(values), np.nan))
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)
           for v in kept):
        numbers = np.full(len(values), np.nan)
        numbers[present] = kept.astype(np.float64)
        if np.isfinite(numbers[present]).all():
            return Column(name, "numeric", int((~present).sum()), numbers=numbers)
    if all(isinstance(v, dt.datetime | dt.date) for v in kept):
        when = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[s]")
        when[present] = pd.to_datetime(pd.Series(kept)).to_numpy("datetime64[s]")
        codes, uniq = pd.factorize(when)
        return Column(name, "date", int((~present).sum()), codes=codes.astype(np.int32),
                      cells=np.asarray(uniq, dtype="datetime64[s]"),
                      how={"order": "year-month-day"})
    codes, uniq = pd.factorize(np.array([_text(v) if p else None for v, p in
                                         zip(values, present, strict=True)], dtype=object))
    return cells.text_column(name, codes.astype(np.int32), list(uniq), lines, False)


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
