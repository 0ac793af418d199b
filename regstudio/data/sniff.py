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
from dataclasses import dataclass

import numpy as np

from .errors import DataError
from .progress import check_cancel

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})
DELIMITERS = ",;\t|"
WHITESPACE = " "  # the delimiter of a .txt file whose columns are separated by runs of spaces
SCAN_BYTES = 1 << 22  # bytes scanned at a time (the temporary masks are this size)
SPACE_BYTES = (9, 13, 32)  # tab, CR, space: with the newline, a line of only these is blank


@dataclass
class Layout:
    """The rows pandas will read: ``lines`` (file line of each data row), ``header``, ``names``."""

    lines: np.ndarray
    header: bool
    names: list[str]


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
    import re

    return len(re.findall(r"(?<![\d.,])\d+,\d+(?![\d.,])", sample)) > \
        len(re.findall(r"(?<![\d.,])\d+\.\d+(?![\d.,])", sample))


def layout(data: bytes, encoding: str, delim: str, path, cancel) -> Layout:
    """The data rows and the column names; every row must have as many fields as the header."""
    scan = _scan(data, delim, cancel)
    if scan is None:  # quotes the byte scan cannot follow: the csv module decides
        return layout_by_csv(data.decode(encoding), delim, path, cancel)
    fields, row, content, starts = scan
    full = np.flatnonzero(content)
    if not len(full):
        raise DataError(f"{path}: the file has no rows: choose a file with data")

    def cells(i: int) -> list[str]:
        end = starts[i + 1] if i + 1 < len(starts) else len(data)
        text = data[starts[i]:end].decode(encoding).rstrip("\r\n")
        return split_line(text, delim)

    header, names = header_of(cells(full[0]), cells(full[1]) if len(full) > 1 else None, delim)
    bad = np.flatnonzero(fields[full] != len(names))
    if len(bad):
        line = full[bad[0]]
        raise DataError(f"{path}, row {int(line) + 1}: {int(fields[line])} fields but the header "
                        f"has {len(names)}: fix that row (check quotes and delimiters)")
    rows = np.flatnonzero(row)
    body = rows[rows > full[0]] if header else rows
    return Layout(checked(body + 1, names, delim, path), header, names)


def _scan(data: bytes, delim: str, cancel):
    """Per line: fields, whether pandas reads a row there, whether it holds more than spaces and
    delimiters, and the byte offset where it starts; None when a line has an odd number of quote
    marks (a quoted field going on over the next line, or a stray quote mark)."""
    arr = np.frombuffer(data, np.uint8)
    spaced = delim == WHITESPACE
    d = None if spaced else ord(delim)
    quoted = not spaced and b'"' in data
    out = {"fields": [], "row": [], "content": [], "starts": []}
    lo = 0
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
        starts = np.concatenate([[0], ends[ends < len(block) - 1] + 1]) if len(block) else \
            np.zeros(1, np.int64)
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
                    if (np.add.reduceat(quote.view(np.uint8), starts, dtype=np.int32) & 1).any():
                        return None
                    sep &= np.bitwise_xor.accumulate(quote.view(np.uint8)) == 0
                    space |= quote
            fields = np.add.reduceat(sep.view(np.uint8), starts, dtype=np.int32) + 1
            other = ~(space | (block == d))
        out["fields"].append(fields)
        out["row"].append(row)
        out["content"].append(np.logical_or.reduceat(other, starts))
        out["starts"].append(starts + lo)
        lo = hi
    if not out["starts"]:
        return None
    return tuple(np.concatenate(out[k]) for k in ("fields", "row", "content", "starts"))


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
