"""How a text table is written: its encoding, delimiter, header, and the file line of each row.

The rows are found with NumPy on the bytes, a few megabytes at a time (fields counted per line
from the delimiters outside quotes), so that a row with too many or too few fields is named
before anything is parsed. Only a file whose quotes the byte scan cannot follow (a quoted field
over several lines, a stray quote mark) goes through the csv module.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

import numpy as np

from .errors import DataError
from .progress import check_cancel

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})
DELIMITERS = ",;\t|"
WHITESPACE = " "  # the delimiter of a .txt file whose columns are separated by runs of spaces
SCAN_BYTES = 1 << 19  # bytes scanned at a time (the temporary masks are this size)
SPACE_BYTES = (9, 13, 32)  # tab, CR, space: with the newline, a line of only these is blank


@dataclass
class Layout:
    """The rows pandas will read: ``lines`` (file line of each data row), ``header``, ``names``."""

    lines: np.ndarray
    header: bool
    names: list[str]
    spaced_quote: bool = True  # a quote mark may follow a space (unknown: assume so)


def encoding_of(data: bytes, path) -> tuple[bytes, str]:
    """(bytes, encoding) for pandas: UTF-8 (with or without BOM), else Windows-1252 when a byte
    in 0x80..0x9F makes it differ from Latin-1 (the euro sign, curly quotes), else Latin-1;
    UTF-16 with a BOM is re-encoded as UTF-8. Binary files are refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise DataError(f"{path}: this is a binary file, not a text table: save the table as "
                        "CSV, or as .xlsx for an Excel workbook")
    if data.isascii():
        encoding = "utf-8"
    elif _decodes(data, "utf-8"):
        encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    elif _has_c1(data) and _decodes(data, "cp1252"):
        encoding = "cp1252"
    else:
        encoding = "latin-1"
    head = data[:8192].decode(encoding, errors="replace")
    control = sum(ch < " " and ch not in "\t\r\n" for ch in head)
    if control > 0.01 * len(head):
        raise DataError(f"{path}: this does not look like a text table (control characters): "
                        "save the table as CSV")
    return data, encoding


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether ``data`` decodes, checked a block at a time (no copy of the whole text)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for lo in range(0, len(data), SCAN_BYTES):
            decoder.decode(view[lo:lo + SCAN_BYTES], final=lo + SCAN_BYTES >= len(data))
    except UnicodeDecodeError:
        return False
    return True


def _has_c1(data: bytes) -> bool:
    arr = np.frombuffer(data, np.uint8)
    return any(((arr[lo:lo + SCAN_BYTES] - 0x80) < 0x20).any()
               for lo in range(0, len(arr), SCAN_BYTES))


def delimiter_of(sample: str, suffix: str) -> str:
    """The delimiter of the sample's lines: one of DELIMITERS, or WHITESPACE for a .txt file
    whose lines have none of them but several words."""
    lines = sample.splitlines()[:50]
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = None
    first = next((line for line in lines if line.strip()), "")
    best = max(DELIMITERS, key=first.count)
    if found is None or first.count(found) < first.count(best):
        found = best if first.count(best) else None
    if suffix == ".tsv" and "\t" in first:
        found = "\t"
    if found is None:  # no delimiter on the first line: a .txt file may use spaces
        found = WHITESPACE if suffix == ".txt" and len(first.split()) > 1 else ","
    return found


def decimal_comma(sample: str, delim: str) -> bool:
    """Whether numbers are written with a decimal comma (only with a delimiter other than ,)."""
    if delim == ",":
        return False
    return len(re.findall(r"(?<![\d.,])\d+,\d+(?![\d.,])", sample)) > \
        len(re.findall(r"(?<![\d.,])\d+\.\d+(?![\d.,])", sample))


def layout(data: bytes, encoding: str, delim: str, path, cancel) -> Layout:
    """The data rows and the column names; every row must have as many fields as the header.

    A block of lines at a time: its lines' fields are checked as soon as the header is known,
    and only a flag per line (does pandas read a row there) is kept."""
    scan = _Scan(data, encoding, delim, path)
    rows = []
    for block in scan.blocks(cancel):
        if block is None:  # quotes the byte scan cannot follow: the csv module decides
            return layout_by_csv(data.decode(encoding), delim, path, cancel)
        rows.append(block)
    if scan.names is None:
        scan.settle()
    row = np.concatenate(rows)
    del rows
    lines = np.flatnonzero(row)
    if scan.header:  # the rows after the header line
        lines = lines[np.searchsorted(lines, scan.first[0][0], side="right"):]
    lines += 1
    return Layout(checked(lines, scan.names, delim, path), scan.header, scan.names,
                  scan.spaced_quote)


class _Scan:
    """Lines of the bytes, found and checked with NumPy a few megabytes at a time."""

    def __init__(self, data: bytes, encoding: str, delim: str, path):
        self.data, self.encoding, self.delim, self.path = data, encoding, delim, path
        self.first: list[tuple[int, list[str]]] = []  # (line index, cells) of 2 content lines
        self.names: list[str] | None = None
        self.header = False
        self.pending: list[tuple[int, np.ndarray, np.ndarray]] = []  # lines before the header
        self.spaced_quote = False  # a quote mark after a space (pandas must skip the spaces)

    def blocks(self, cancel):
        """Per block, whether pandas reads a row on each line (None: quotes that need the csv
        module: a quoted field going on over the next line, or a stray quote mark)."""
        data, arr = self.data, np.frombuffer(self.data, np.uint8)
        spaced = self.delim == WHITESPACE
        d = None if spaced else ord(self.delim)
        quoted = not spaced and b'"' in data
        lo, line = 0, 0
        while lo < len(arr):
            check_cancel(cancel)
            hi = min(len(arr), lo + SCAN_BYTES)
            ends = np.flatnonzero(arr[lo:hi] == 10)
            if hi < len(arr):  # whole lines only
                if len(ends):
                    hi = lo + int(ends[-1]) + 1
                else:  # a line longer than the block
                    hi = data.find(b"\n", hi) + 1 or len(arr)
                    ends = np.flatnonzero(arr[lo:hi] == 10)
            block = arr[lo:hi]
            starts = np.concatenate([[0], ends[ends < len(block) - 1] + 1])
            space = block == 10
            for b in SPACE_BYTES:
                if b != d:
                    space |= block == b
            row = np.logical_or.reduceat(~space, starts)
            if spaced:
                word = ~space
                begins = word.copy()
                begins[1:] &= space[:-1]  # a word starts after a space (or the line's start)
                fields = np.add.reduceat(begins.view(np.uint8), starts, dtype=np.int32)
                other = word
            else:
                sep = block == d
                if quoted:
                    quote = block == 34
                    if quote.any():
                        if (np.add.reduceat(quote.view(np.uint8), starts, dtype=np.int32)
                                & 1).any():
                            yield None
                            return
                        sep &= ~np.logical_xor.accumulate(quote)  # outside quotes
                        self.spaced_quote |= bool((quote[1:] & (block[:-1] == 32)).any())
                        space |= quote
                fields = np.add.reduceat(sep.view(np.uint8), starts, dtype=np.int32) + 1
                other = ~(space | (block == d))
            content = np.logical_or.reduceat(other, starts)
            self._check(line, fields, content, block, starts)
            yield row
            line += len(starts)
            lo = hi

    def _check(self, line: int, fields, content, block, starts) -> None:
        full = np.flatnonzero(content)
        for i in full[:2 - len(self.first)]:
            end = starts[i + 1] if i + 1 < len(starts) else len(block)
            text = bytes(block[starts[i]:end]).decode(self.encoding).rstrip("\r\n")
            self.first.append((line + int(i), split_line(text, self.delim)))
        self.pending.append((line, fields[full], full))
        if self.names is None and len(self.first) == 2:
            self.settle()
        elif self.names is not None:
            self._fields()

    def settle(self) -> None:
        """The header, once two content lines are known (or the file has no more)."""
        if not self.first:
            raise DataError(f"{self.path}: the file has no rows: choose a file with data")
        second = self.first[1][1] if len(self.first) > 1 else None
        self.header, self.names = header_of(self.first[0][1], second, self.delim)
        self._fields()

    def _fields(self) -> None:
        for line, fields, full in self.pending:
            bad = np.flatnonzero(fields != len(self.names))
            if len(bad):
                raise DataError(f"{self.path}, row {line + int(full[bad[0]]) + 1}: "
                                f"{int(fields[bad[0]])} fields but the header has "
                                f"{len(self.names)}: fix that row (check quotes and delimiters)")
        self.pending.clear()


def split_line(text: str, delim: str) -> list[str]:
    """The cells of one line as the csv module splits them (runs of spaces for WHITESPACE)."""
    if delim == WHITESPACE:
        return text.split()
    try:
        return next(csv.reader([text], delimiter=delim), [])
    except csv.Error:  # a lone carriage return: the csv module reads the file instead
        return text.split(delim)


def layout_by_csv(text: str, delim: str, path, cancel, chunk: int = 100_000) -> Layout:
    """:func:`layout` with the csv module, which knows where a quoted field ends."""
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
            if len(rows) % chunk == 0:
                check_cancel(cancel)
    except csv.Error as e:
        raise DataError(f"{path}, row {reader.line_num}: malformed CSV ({e})") from None
    if not first:
        raise DataError(f"{path}: the file has no rows: choose a file with data")
    header, names = header_of(first[0], first[1] if len(first) > 1 else None, delim)
    for line, n, content in rows:
        if content and n != len(names):
            raise DataError(f"{path}, row {line}: {n} fields but the header has {len(names)}: "
                            "fix that row (check quotes and delimiters)")
    lines = np.array([line for line, _, _ in rows], dtype=np.int64)
    if header:
        head = next(line for line, _, content in rows if content)
        lines = lines[lines > head]
    return Layout(checked(lines, names, delim, path), header, names)


def checked(body: np.ndarray, names: list[str], delim: str, path) -> np.ndarray:
    if not len(body):
        raise DataError(f"{path}: the file has a header but no data rows: add rows")
    if len(names) < 2:
        shown = "spaces" if delim == WHITESPACE else repr(delim)
        raise DataError(f"{path}: only one column: a table needs feature columns and a target "
                        f"(delimiter detected: {shown})")
    return body


def header_of(first: list[str], second: list[str] | None, delim: str) -> tuple[bool, list[str]]:
    """Whether the first row names the columns (text above a number, or text everywhere)."""
    first = [c.strip().strip('"').strip() for c in first]
    comma = delim not in (",", WHITESPACE)

    def text(cell):
        return number(cell, comma) is None and cell.lower() not in MISSING

    header = second is not None and any(text(a) and number(b.strip().strip('"'), comma) is not None
                                        for a, b in zip(first, second, strict=False))
    header = header or all(text(a) for a in first)
    names = first if header else [f"column_{i + 1}" for i in range(len(first))]
    names = [n or f"column_{i + 1}" for i, n in enumerate(names)]
    return header, unique_names(names)


def unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}.{seen[n] - 1}")
    return out


def number(cell: str, decimal_comma: bool) -> float | None:
    try:
        v = float(cell.replace(",", ".") if decimal_comma else cell)
    except ValueError:
        return None
    return v if np.isfinite(v) else None
