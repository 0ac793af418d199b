"""One reader for the user's tables (.csv, .tsv, .txt, .xlsx): parse, sniff, classify columns.

The loader and the Data panel both call it: :func:`read_table` gives every column as numbers
(float64, NaN where missing) or text (object, None where missing) with its detected kind, and
:func:`inspect_table` the summary the Data panel shows. pandas is imported only here, when a
table is opened, so that start-up stays fast.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError
from .files import read_file
from .progress import check_cancel, report_progress

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})
NA_VALUES = sorted({v for m in MISSING for v in (m, m.upper(), m.title())} | {"NaN", "N/A"})
DELIMITERS = ",;\t|"
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
MAX_LEVELS = 50  # a text column with more distinct values is an id or a name, not a category
MIN_ROWS_FOR_ID = 10  # "unique per row" marks an id only in tables at least this long
CHUNK_ROWS = 100_000  # rows parsed between progress reports and cancel checks
PROBE_ROWS = 1000  # rows read first to find the text columns
DATE_PARTS = ("year", "month", "day", "weekday")
TIME_PARTS = ("hour", "minute")
KINDS = ("numeric", "category", "date", "text-id")


@dataclass
class Column:
    """One parsed column: ``values`` float64 (numeric; NaN missing) or object (text; None)."""

    name: str
    kind: str  # one of KINDS
    values: np.ndarray
    missing: int
    levels: int  # distinct non-missing values (0 for numbers)

    def info(self) -> dict:
        return {"name": self.name, "kind": self.kind, "missing": self.missing,
                "levels": self.levels}


@dataclass
class Table:
    """A parsed table: columns in file order, the file line (or sheet row) of each row."""

    path: Path
    columns: list[Column]
    lines: np.ndarray
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __len__(self) -> int:
        return len(self.lines)


@dataclass
class TableInfo:
    """What the Data panel shows for a table: its columns, how it was read, its size."""

    path: str
    columns: list[dict]  # name, kind, missing, levels
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
    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        names, frame, lines, how = _read_excel(path, sheet, cancel)
    else:
        names, frame, lines, how = _read_text(path, progress, cancel)
    columns = []
    for j, name in enumerate(names):  # a wide text column can take a while: cancel between
        check_cancel(cancel)
        columns.append(_column(path, name, frame[j], lines, how.get("decimal_comma", False)))
    keep = ~np.logical_and.reduce([is_missing(c.values) for c in columns])
    if not keep.all():  # rows without any value (",,," lines) carry nothing: skipped
        lines = lines[keep]
        columns = [_recount(c, c.values[keep]) for c in columns]
    if len(lines) == 0:
        raise DataError(f"{path}: the file has a header but no data rows: add rows")
    report_progress(progress, len(lines), len(lines))
    return Table(path, columns, lines, how.get("delimiter"), how.get("encoding"),
                 how.get("sheet"))


# --- text files -------------------------------------------------------------------------------

def _read_text(path: Path, progress, cancel):
    import pandas as pd

    data = read_file(path, "path")
    data, encoding = _encoding(data, path)
    sample = data[:65536].decode(encoding, errors="replace")
    delim = _delimiter(sample, path)
    comma = delim != ","
    lines, header, names = _structure(data, encoding, delim, path, cancel)
    opts = dict(sep=delim, header=0 if header else None, names=None if header else names,
                encoding=encoding, skipinitialspace=True, skip_blank_lines=True,
                na_values=NA_VALUES, keep_default_na=False)
    try:  # text columns of the first rows are read as categories: one string per distinct
        probe = pd.read_csv(io.BytesIO(data), nrows=PROBE_ROWS, **opts)  # cell, not per row
    except (ValueError, pd.errors.ParserError):
        probe = None
    text = {} if probe is None else {
        c: "category" for c, dt in probe.dtypes.items()
        if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt))}
    chunks, done = [], 0
    try:
        reader = pd.read_csv(io.BytesIO(data), dtype=text or None, chunksize=CHUNK_ROWS,
                             low_memory=False, **opts)
        for chunk in reader:
            check_cancel(cancel)
            chunks.append(chunk)
            done += len(chunk)
            report_progress(progress, done, len(lines))
    except (ValueError, pd.errors.ParserError) as e:  # structure was checked: rare leftovers
        raise DataError(f"{path}: malformed table ({str(e).splitlines()[0]})") from None
    frame = [_joined([c.iloc[:, j] for c in chunks]) for j in range(len(names))]
    if len(frame[0]) != len(lines):  # the tokenizers disagree (odd quoting): trust the csv module
        raise DataError(f"{path}: malformed table (odd quoting): check quotes and delimiters")
    return names, frame, lines, {"delimiter": delim, "encoding": encoding, "decimal_comma": comma}


def _joined(parts: list):
    """One column from its chunks (categories united, not turned into text)."""
    import pandas as pd

    if len(parts) == 1:
        return parts[0]
    if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
        return pd.Series(pd.api.types.union_categoricals(parts, ignore_order=True))
    return pd.concat(parts, ignore_index=True)


def _encoding(data: bytes, path: Path) -> tuple[bytes, str]:
    """(bytes, encoding) for pandas: UTF-8 (with or without BOM), else Latin-1; UTF-16 is
    re-encoded as UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise DataError(f"{path}: this is a binary file, not a CSV text file: export the table "
                        "as CSV")
    try:
        data.decode("utf-8")
        encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        encoding = "latin-1"
    head = data[:8192].decode(encoding, errors="replace")
    control = sum(ch < " " and ch not in "\t\r\n" for ch in head)
    if control > 0.01 * len(head):
        raise DataError(f"{path}: this does not look like a CSV text file (control characters): "
                        "export the table as CSV")
    return data, encoding


def _delimiter(sample: str, path: Path) -> str:
    lines = sample.splitlines()[:50]
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = None
    first = next((line for line in lines if line.strip()), "")
    best = max(DELIMITERS, key=first.count)
    if found is None or first.count(found) < first.count(best):
        found = best if first.count(best) else ","
    if path.suffix.lower() == ".tsv" and "\t" in first:
        found = "\t"
    return found


def _structure(data: bytes, encoding: str, delim: str, path: Path, cancel):
    """(file line of each data row, has a header, column names); every row must have as many
    fields as the header. Unquoted files are checked with NumPy on the bytes, quoted ones with
    the csv module (which knows where a quoted field ends)."""
    if b'"' in data:
        return _structure_csv(data.decode(encoding), delim, path, cancel)
    arr = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(arr == 10)
    if len(arr) and arr[-1] != 10:
        ends = np.append(ends, len(arr))
    if not len(ends):
        raise DataError(f"{path}: the file has no rows: choose a file with data")
    starts = np.concatenate([[0], ends[:-1] + 1])
    d = ord(delim)
    length = np.diff(np.append(starts, len(arr)))  # bytes per line, its newline included

    def per_line(mask: np.ndarray) -> np.ndarray:  # how many marked bytes each line has
        check_cancel(cancel)
        before = np.searchsorted(np.flatnonzero(mask), ends, side="right")  # up to each end
        return np.diff(before, prepend=0)

    counts = per_line(arr == d)  # delimiters
    blank = arr == 10  # bytes that leave a row empty for pandas
    for b in (9, 13, 32):
        if b != d:
            blank |= arr == b
    blanks = per_line(blank)
    del blank
    row = blanks < length  # pandas reads a row here
    content = blanks + counts < length  # and it holds more than delimiters
    full = np.flatnonzero(content)
    if not len(full):
        raise DataError(f"{path}: the file has no rows: choose a file with data")

    def cells(r):
        return data[starts[r]:ends[r]].decode(encoding).rstrip("\r").split(delim)

    header, names = _header(cells(full[0]), cells(full[1]) if len(full) > 1 else None, delim)
    fields = counts[full] + 1
    bad = np.flatnonzero(fields != len(names))
    if len(bad):
        raise DataError(f"{path}, row {int(full[bad[0]]) + 1}: {int(fields[bad[0]])} fields but "
                        f"the header has {len(names)}: fix that row (check quotes and delimiters)")
    rows = np.flatnonzero(row)
    body = rows[rows > full[0]] if header else rows
    return _checked(body + 1, names, delim, path), header, names


def _structure_csv(text: str, delim: str, path: Path, cancel):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    first, rows, start = [], [], 1  # rows: (line, fields, has content) of each row pandas sees
    try:
        for row in reader:
            if any("\n" in cell or "\r" in cell for cell in row):
                raise DataError(f"{path}, line {start}: a quote opened on this line is not closed "
                                "on it: add the missing closing quote (\") or remove the stray one")
            start = reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            content = any(cell.strip() for cell in row)
            if content and len(first) < 2:
                first.append(row)
            rows.append((reader.line_num, len(row), content))
            if len(rows) % CHUNK_ROWS == 0:
                check_cancel(cancel)
    except csv.Error as e:
        raise DataError(f"{path}, row {reader.line_num}: malformed CSV ({e})") from None
    if not first:
        raise DataError(f"{path}: the file has no rows: choose a file with data")
    header, names = _header(first[0], first[1] if len(first) > 1 else None, delim)
    for line, n, content in rows:
        if content and n != len(names):
            raise DataError(f"{path}, row {line}: {n} fields but the header has {len(names)}: "
                            "fix that row (check quotes and delimiters)")
    lines = np.array([line for line, _, _ in rows], dtype=np.int64)
    if header:
        head = next(line for line, _, content in rows if content)
        lines = lines[lines > head]
    return _checked(lines, names, delim, path), header, names


def _checked(body: np.ndarray, names: list[str], delim: str, path: Path) -> np.ndarray:
    if not len(body):
        raise DataError(f"{path}: the file has a header but no data rows: add rows")
    if len(names) < 2:
        raise DataError(f"{path}: only one column: a table needs feature columns and a target "
                        f"(delimiter detected: {delim!r})")
    return body


def _header(first: list[str], second: list[str] | None, delim: str) -> tuple[bool, list[str]]:
    """Whether the first row names the columns (text above a number, or text everywhere)."""
    first = [c.strip().strip('"').strip() for c in first]
    comma = delim != ","

    def text(cell):
        return _number(cell, comma) is None and cell.lower() not in MISSING

    header = second is not None and any(text(a) and _number(b.strip().strip('"'), comma) is not None
                                        for a, b in zip(first, second, strict=False))
    header = header or all(text(a) for a in first)
    names = first if header else [f"column_{i + 1}" for i in range(len(first))]
    names = [n or f"column_{i + 1}" for i, n in enumerate(names)]
    return header, _unique(names)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}.{seen[n] - 1}")
    return out


def _number(cell: str, decimal_comma: bool) -> float | None:
    try:
        v = float(cell.replace(",", ".") if decimal_comma else cell)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


# --- Excel -----------------------------------------------------------------------------------

def _read_excel(path: Path, sheet: str | None, cancel):
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
    rows = [[_cell_text(v) for v in raw.iloc[i]] for i in range(min(2, len(raw)))]
    header, names = _header(rows[0], rows[1] if len(rows) > 1 else None, ",")
    body = raw.iloc[1:] if header else raw
    lines = (body.index.to_numpy() + 1).astype(np.int64)  # the sheet's own row numbers
    _checked(lines, names, ",", path)
    body = body.reset_index(drop=True)
    return names, [body.iloc[:, j] for j in range(len(names))], lines, {"sheet": name}


def _cell_text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


# --- columns ----------------------------------------------------------------------------------

def _column(path: Path, name: str, series, lines: np.ndarray, comma: bool) -> Column:
    """Classify one column: numbers, a date, a category, or an id-like text column."""
    import pandas as pd

    kind = series.dtype.kind
    if kind in "biuf":
        return _numbers(path, name, series.to_numpy(np.float64), None, lines)
    if kind == "M":
        return _dates(name, series.to_numpy())
    if isinstance(series.dtype, pd.CategoricalDtype):  # the work below is per distinct cell
        codes = series.cat.codes.to_numpy()
        uniques = series.cat.categories.to_numpy(object)
    else:
        codes, uniques = pd.factorize(series.to_numpy(object))
        uniques = np.asarray(uniques, dtype=object)
    n = len(codes)
    if not len(uniques):
        return Column(name, "numeric", np.full(n, np.nan), n, 0)
    if isinstance(uniques[0], str) or not all(isinstance(v, int | float) for v in uniques[:100]):
        cells = pd.Series(uniques).astype(str).str.strip()
        blank = cells.str.lower().isin(MISSING).to_numpy()  # "NA " with a space, " ?" ...
    else:  # Excel numbers and text mixed in one column
        cells = pd.Series(uniques).astype(str)
        blank = np.zeros(len(uniques), bool)
    shown = cells.to_numpy(object) if isinstance(uniques[0], str) else uniques.copy()
    shown[blank] = None
    codes = np.where(codes >= 0, codes, len(uniques))  # missing: one past the last
    shown = np.append(shown, None)
    blank = np.append(blank, True)
    present = ~blank[codes]
    if not present.any():
        return Column(name, "numeric", np.full(n, np.nan), n, 0)
    numbers = pd.to_numeric(cells.str.replace(",", ".", regex=False) if comma else cells,
                            errors="coerce").to_numpy(np.float64)
    parsed = np.append(~np.isnan(numbers), False) | blank
    numbers = np.append(numbers, np.nan)
    numbers[blank] = np.nan
    if parsed.all():
        full = numbers[codes]
        return _numbers(path, name, full, lambda: shown[codes], lines)
    if parsed[~blank].any():  # mostly numbers with a stray word: a typo, not a category
        r = int(np.flatnonzero(~parsed[codes])[0])
        raise DataError(f"{path}, row {lines[r]}, column {name!r}: {shown[codes[r]]!r} is not a "
                        "number: feature columns must be numeric (encode categories as numbers "
                        "or remove the column); the column's other values are numbers: fix the "
                        "cell, or leave the column out with data.ignore")
    date = _as_date(cells[~blank[:-1]])
    if date is not None:
        dates = np.full(len(blank), np.datetime64("NaT"), dtype=date.dtype)
        dates[np.flatnonzero(~blank)] = date
        return _dates(name, dates[codes])
    kept = shown[:-1][~blank[:-1]]
    levels = len(pd.unique(kept))
    n_present = int(present.sum())
    many = levels > MAX_LEVELS or (levels == n_present and n_present >= MIN_ROWS_FOR_ID)
    return Column(name, "text-id" if many else "category", shown[codes], n - n_present, levels)


def _numbers(path, name, values, cells, lines) -> Column:
    """``cells``: None, or a callable giving the column's cells (only called for the error)."""
    bad = np.isinf(values)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        shown = cells()[r] if cells is not None else str(values[r])
        raise DataError(f"{path}, row {lines[r]}, column {name!r}: {shown!r} is not a number: "
                        "feature columns must be numeric and finite")
    return Column(name, "numeric", values, int(np.isnan(values).sum()), 0)


def _as_date(cells):
    """The cells as datetimes when every one reads as a date (or date and time), else None."""
    import pandas as pd

    if not cells.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", regex=True).all():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # format inference notes
        try:
            dates = pd.to_datetime(cells, errors="coerce")
        except (ValueError, TypeError, OverflowError):
            return None
    return None if dates.isna().any() else dates.to_numpy()


def _dates(name: str, values: np.ndarray) -> Column:
    missing = int(np.isnat(values).sum())
    return Column(name, "date", values, missing, 0)


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


def is_missing(values: np.ndarray) -> np.ndarray:
    """Missing cells of a column's values (NaN, NaT or None)."""
    if values.dtype == object:
        return np.equal(values, None)
    if values.dtype.kind == "M":
        return np.isnat(values)
    return np.isnan(values)


def _recount(col: Column, values: np.ndarray) -> Column:
    return Column(col.name, col.kind, values, int(is_missing(values).sum()), col.levels)

