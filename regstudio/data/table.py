"""One reader for the user's tables (.csv, .tsv, .txt, .xlsx): parse, sniff, classify columns.

The loader and the Data panel both call it: :func:`read_table` gives every column as numbers,
dates or text (codes into its distinct cells) with its detected kind, and :func:`inspect_table`
the summary the Data panel shows. pandas is imported only when a table is opened, so that
start-up stays fast. How: :mod:`.sniff` (encoding, delimiter, header, rows), :mod:`.csvread`
and :mod:`.excel` (parsing), :mod:`.cells` (numbers, dates, categories, ids).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cells import MAX_LEVELS, MIN_ROWS_FOR_ID, id_like
from .column import DATE_PARTS, KINDS, TIME_PARTS, Column, date_parts, is_missing
from .csvread import NA_VALUES
from .errors import DataError
from .progress import check_cancel, report_progress
from .sniff import DELIMITERS, MISSING, WHITESPACE

__all__ = ["DATE_PARTS", "DELIMITERS", "KINDS", "MAX_LEVELS", "MIN_ROWS_FOR_ID", "MISSING",
           "NA_VALUES", "TIME_PARTS", "WHITESPACE", "Column", "Table", "TableInfo",
           "date_parts", "inspect_table", "is_missing", "read_table", "table_key"]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CHUNK_ROWS = 100_000  # at most this many rows parsed between progress reports and cancel checks
PROBE_ROWS = 1000  # rows read first to find the text columns


@dataclass
class Table:
    """A parsed table: columns in file order, the file line (or sheet row) of each row."""

    path: Path
    columns: list[Column]
    lines: np.ndarray
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    decimal: str | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __len__(self) -> int:
        return len(self.lines)


@dataclass
class TableInfo:
    """What the Data panel shows for a table: its columns, how it was read, its size."""

    path: str
    columns: list[dict]  # name, kind, missing, levels (stray, notes when there are)
    delimiter: str | None
    encoding: str | None
    sheet: str | None
    n_rows: int


def inspect_table(path: str | Path, data_cfg: dict | None = None,
                  base_dir: str | Path | None = None, *,
                  progress: Callable[[int, int | None], None] | None = None,
                  cancel: Callable[[], bool] | None = None, use_cache: bool = False) -> TableInfo:
    """Read a table as the loader does and describe its columns (for the column table and the
    Target list); ``data_cfg`` may give ``sheet``; relative paths resolve against ``base_dir``.
    With ``use_cache`` the parsed table is the one :func:`regstudio.data.load_raw` with
    ``cache=True`` reuses (and the other way round)."""
    from . import cache

    path = Path(path).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    sheet = (data_cfg or {}).get("sheet")

    def parse() -> Table:
        return read_table(path, sheet=sheet, progress=progress, cancel=cancel)

    table = cache.cached(table_key(path, sheet), parse) if use_cache else parse()
    return TableInfo(str(path), [c.info() for c in table.columns], table.delimiter,
                     table.encoding, table.sheet, len(table))


def table_key(path: Path, sheet: str | None) -> tuple:
    """The parse cache's key of a table file (its path, size, modification time; the sheet)."""
    from . import cache

    return ("table", cache.file_key(path), sheet)


def read_table(path: str | Path, sheet: str | None = None,
               progress: Callable[[int, int | None], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> Table:
    """Parse a table by its extension (text for anything but .xlsx) and classify its columns."""
    from . import csvread, excel

    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        columns, lines, how = excel.read_excel(path, sheet, cancel)
    else:
        columns, lines, how = csvread.read_text(path, progress, cancel, CHUNK_ROWS, PROBE_ROWS)
    check_cancel(cancel)
    empty = np.logical_and.reduce([c.missing_mask() for c in columns])
    if empty.any():  # rows without any value (",,," lines) carry nothing: skipped
        keep = ~empty
        lines = lines[keep]
        columns = [c.take(keep) for c in columns]
    if len(lines) == 0:
        raise DataError(f"{path}: the file has a header but no data rows: add rows")
    for c in columns:
        if id_like(c):
            c.notes.append(f"{c.name!r} looks like a row id (a different whole number in every "
                           "row): list it in data.ignore if it is one")
    report_progress(progress, len(lines), len(lines))
    return Table(path, columns, lines, how.get("delimiter"), how.get("encoding"),
                 how.get("sheet"), how.get("decimal"))
