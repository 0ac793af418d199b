"""Text tables (.csv, .tsv, .txt) -> columns: pandas tokenises and converts, a chunk of rows at
a time (progress, cancel), straight into preallocated columns; text columns stay codes into
their distinct cells from the first chunk on."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from . import cells, sniff
from .column import Column
from .errors import DataError
from .files import read_file
from .progress import check_cancel, report_progress

CHUNK_BYTES = 2 << 20  # text parsed at a time (pandas' buffers for a chunk are a few times this)
NA_VALUES = sorted({v for m in sniff.MISSING for v in (m, m.upper(), m.title())} | {"NaN", "N/A"})


class _Disagree(Exception):
    """pandas and the byte scan see different rows (odd quoting): the csv module decides."""


def read_text(path: Path, progress, cancel, chunk_rows: int, probe_rows: int):
    """(columns, file line of each row, how it was read: delimiter, encoding). The bytes are
    scanned in memory; then, unless they had to be re-encoded, they are let go and pandas reads
    the file itself a piece at a time (the parsed columns and the file never share memory)."""
    data = read_file(path, "path")
    text, encoding = sniff.encoding_of(data, path)
    own = text is data  # the file's own bytes
    del data
    sample = text[:65536].decode(encoding, errors="replace")
    delim = sniff.delimiter_of(sample, path.suffix.lower())
    how = {"delimiter": delim, "encoding": encoding,
           "decimal": "," if sniff.decimal_comma(sample, delim) else "."}
    shape = sniff.layout(text, encoding, delim, path, cancel)
    opts = _options(sample, shape, how)
    size = len(text)
    if own:
        text = None
    try:
        columns = _parse(text or path, size, shape, opts, how, progress, cancel, chunk_rows,
                         probe_rows)
    except _Disagree:  # pandas saw other rows (odd quoting): the csv module decides
        text = text or sniff.encoding_of(read_file(path, "path"), path)[0]
        shape = sniff.layout_by_csv(text.decode(encoding), delim, path, cancel)
        opts = _options(sample, shape, how)
        try:
            columns = _parse(text, len(text), shape, opts, how, progress, cancel, chunk_rows,
                             probe_rows)
        except _Disagree:
            raise DataError(f"{path}: malformed table (odd quoting): check quotes and "
                            "delimiters") from None
    return columns, shape.lines, how


def _options(sample: str, shape: sniff.Layout, how: dict) -> dict:
    delim = how["delimiter"]
    opts = dict(header=0 if shape.header else None, names=list(range(len(shape.names))),
                encoding=how["encoding"], skip_blank_lines=True, na_values=NA_VALUES,
                keep_default_na=False, decimal=how["decimal"], low_memory=False)
    if delim == sniff.WHITESPACE:
        opts.update(sep=r"\s+", quoting=csv.QUOTE_NONE)
    else:  # a quote after a space opens a quoted field; spaces before numbers need nothing,
        # text is stripped later, and the option costs a quarter of the parse: only when needed
        spaced = (delim + " ") in sample or shape.spaced_quote
        opts.update(sep=delim, skipinitialspace=spaced)
    return opts


def _parse(source, size, shape, opts, how, progress, cancel, chunk_rows,
           probe_rows) -> list[Column]:
    """The columns of ``source`` (the text's bytes, or the file's path)."""
    import pandas as pd

    n, names = len(shape.lines), shape.names
    chunk_rows = max(1, min(chunk_rows, CHUNK_BYTES * n // max(size, 1)))
    comma = how["delimiter"] not in (",", sniff.WHITESPACE)
    try:  # text columns of the first rows are read as categories: one string per distinct
        probe = pd.read_csv(_open(source), nrows=probe_rows, **opts)  # cell, not per row
        text = {j for j, dt in enumerate(probe.dtypes)
                if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt))}
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        text = set()
    parts = [_Texts(n) if j in text else _Numbers(n, comma) for j in range(len(names))]
    _read_chunks(source, opts, {j: "category" for j in text}, parts, n, progress, cancel,
                 chunk_rows)
    out = []
    for j, (name, part) in enumerate(zip(names, parts, strict=True)):
        check_cancel(cancel)
        column = part.column(name, shape.lines, comma)
        if column is None:  # words among the numbers from a later chunk on: read it as text
            texts = _Texts(n)
            _read_chunks(source, {**opts, "usecols": [j]}, {j: "category"}, {j: texts}, n, None,
                         cancel, chunk_rows)
            column = texts.column(name, shape.lines, comma)
        out.append(column)
    return out


def _open(source):
    return io.BytesIO(source) if isinstance(source, bytes | bytearray) else source


def _read_chunks(source, opts, dtype, parts, n, progress, cancel, chunk_rows) -> None:
    import pandas as pd

    done = 0
    try:
        with pd.read_csv(_open(source), dtype=dtype or None, chunksize=chunk_rows,
                         **opts) as reader:  # closes the file on a cancel too
            for chunk in reader:
                check_cancel(cancel)
                m = len(chunk)
                if done + m > n or chunk.shape[1] != len(parts) and "usecols" not in opts:
                    raise _Disagree
                for j, series in chunk.items():
                    parts[j].add(series, done)
                done += m
                report_progress(progress, done, n)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):  # the scan found no such
        raise _Disagree from None  # row (quoting), or the file changed meanwhile
    if done != n:
        raise _Disagree


class _Numbers:
    """A column pandas reads as numbers; text cells of later chunks (typos, or a column that
    turns to words) are kept aside, up to what :func:`cells.stray_limit` allows."""

    def __init__(self, n: int, comma: bool):
        self.values = np.empty(n)
        self.comma = comma
        self.text: list[tuple[int, str]] = []  # (row, cell)
        self.limit = cells.stray_limit(n)
        self.grouped = False  # thousands separators read

    def add(self, series, lo: int) -> None:
        import pandas as pd

        room = self.limit + 1 - len(self.text)  # more than the limit: a text column
        if series.dtype.kind in "biuf":
            values = series.to_numpy(np.float64)
            inf = np.flatnonzero(np.isinf(values))  # 1e999: not a number we can use
            self.text.extend((lo + int(r), str(values[r])) for r in inf[:room])
            self.values[lo:lo + len(values)] = values
            self.values[lo + inf] = np.nan
            return
        codes, uniq = pd.factorize(series)  # words among the numbers: each distinct cell once
        cell = np.array([str(c).strip() for c in uniq], dtype=object)
        numbers, grouped = cells.numbers_of(cell, self.comma)
        self.grouped = self.grouped or grouped
        blank = cells.missing_cells(cell)
        word = np.append(np.isnan(numbers) & ~blank, False)[codes]
        numbers[blank] = np.nan
        self.values[lo:lo + len(codes)] = np.append(numbers, np.nan)[codes]
        self.text.extend((lo + int(r), cell[codes[r]]) for r in np.flatnonzero(word)[:room])

    def column(self, name: str, lines, comma) -> Column | None:
        n = len(self.values)
        gaps = int(np.isnan(self.values).sum()) - len(self.text)
        present = n - gaps
        if present == 0:
            return Column(name, "empty", n, numbers=self.values)
        if not cells.numbers_with_typos(len(self.text), present):
            return None
        out = Column(name, "numeric", gaps, numbers=self.values)
        if self.grouped:
            out.how["thousands"] = "." if comma else ","
            out.notes.append(f"{name!r}: numbers with thousands separators read as numbers")
        if self.text:
            out.stray = (len(self.text), int(lines[self.text[0][0]]), self.text[0][1])
        return out


class _Texts:
    """A column read as categories: codes into the distinct cells, shared across chunks."""

    def __init__(self, n: int):
        self.codes = np.empty(n, np.int32)
        self.index: dict[str, int] = {}

    def add(self, series, lo: int) -> None:
        import pandas as pd

        if isinstance(series.dtype, pd.CategoricalDtype):
            codes, uniq = series.cat.codes.to_numpy(), series.cat.categories
        else:
            codes, uniq = pd.factorize(series)
        index = self.index
        lut = np.fromiter((index.setdefault(c if isinstance(c, str) else str(c), len(index))
                           for c in uniq), np.int32, len(uniq))
        self.codes[lo:lo + len(codes)] = np.append(lut, np.int32(-1))[codes]

    def column(self, name: str, lines, comma) -> Column:
        return cells.text_column(name, self.codes, list(self.index), lines, comma)
