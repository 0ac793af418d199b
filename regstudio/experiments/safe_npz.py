"""Reading ``.npz`` bytes from a stranger: numeric arrays only, sizes checked before allocating.

``np.load`` trusts the archive: an inner member that deflates 5 MB into 5 GB is inflated
before anything can refuse it. Here the archive's entry count is read from its end record
first, every member's ``.npy`` header (a few hundred bytes) is parsed and its dtype and shape
checked, the bytes it declares charged to a :class:`Budget` shared by the whole file, and only
then is the array allocated and filled. Nothing is unpickled. Every failure, whatever numpy's
header parser raises included, is ``error(message)`` with one line.
"""

from __future__ import annotations

import io
import math
import struct
import tokenize
import warnings
import zipfile
import zlib

import numpy as np

# What a damaged or hostile archive raises inside zipfile and its decompressors: a bit flip
# (zlib.error, BadZipFile for a CRC mismatch), an encrypted member (RuntimeError), an unknown
# compression method (NotImplementedError), a truncated stream (EOFError, OSError).
DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, RuntimeError, NotImplementedError,
           EOFError, OSError, ValueError, struct.error)
# What numpy's .npy header parser (ast.literal_eval of the header text, the tokenizer it falls
# back on for Python 2 headers, dtype descriptors) raises on mutated bytes.
HEADER_ERRORS = (ValueError, SyntaxError, tokenize.TokenError, TypeError, KeyError, IndexError,
                 OverflowError, RecursionError, MemoryError, AttributeError, struct.error, UnicodeError)
SMALL_NPZ = 2**20  # an .npz up to this size is read member by member in one go (many small runs)
MAX_ARRAYS = 1_000  # members of one .npz (a model has two per layer with weights)


class Budget:
    """Bytes that may still be inflated or allocated for one file."""

    def __init__(self, limit: int, error: type[Exception]):
        self.limit, self.left, self.error = limit, limit, error

    def take(self, n: int, what: str) -> None:
        if n > self.left:
            raise self.error(f"{what} declares {n:,} bytes, beyond the limit of {self.limit:,} bytes "
                             "for the whole file (see docs/limits.md); the file is damaged or hostile")
        self.left -= n


def count_entries(fileobj, what: str, limit: int, error: type[Exception]) -> None:
    """Refuse a zip archive whose end record declares more than ``limit`` entries, before
    ``zipfile`` builds an object for each of them (a small file can declare millions)."""
    try:
        end = zipfile._EndRecData(fileobj)  # noqa: SLF001 (the end record, as ZipFile reads it)
    except (AttributeError, OSError):
        return
    if end is not None and end[zipfile._ECD_ENTRIES_TOTAL] > limit:  # noqa: SLF001
        raise error(f"{what} declares {end[zipfile._ECD_ENTRIES_TOTAL]:,} entries, more than the "  # noqa: SLF001
                    f"{limit:,} it may hold (see docs/limits.md); the file is damaged or hostile")
    fileobj.seek(0)


def read_arrays(data: bytes, where: str, budget: Budget, check=None) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` (bytes) by name. ``check(shapes)`` sees every declared
    ``name -> (shape, dtype)`` before any array is allocated and may raise to refuse them.
    Only the arrays are charged to ``budget``: ``data`` itself is the caller's."""
    error = budget.error
    try:
        source = io.BytesIO(data)
        count_entries(source, where, MAX_ARRAYS, error)
        with zipfile.ZipFile(source) as archive:
            declared, raw = {}, {}
            small = len(data) <= SMALL_NPZ
            for info in archive.infolist():
                if not info.filename.endswith(".npy") or "/" in info.filename:
                    raise error(f"{where}: unexpected member {info.filename!r} (only NAME.npy arrays)")
                if small:
                    raw[info.filename] = archive.read(info)  # zipfile stops at the declared size
                    declared[info] = _header(io.BytesIO(raw[info.filename]), info, where, error)
                else:
                    with archive.open(info) as fh:
                        declared[info] = _header(fh, info, where, error)
            if check is not None:
                check({info.filename[:-4]: head[:2] for info, head in declared.items()})
            arrays = {}
            for info, (shape, dtype, fortran, offset) in declared.items():
                budget.take(math.prod(shape) * dtype.itemsize, f"{where}: array {info.filename!r}")
                array = np.empty(shape[::-1] if fortran else shape, dtype)
                if info.filename in raw:
                    array.reshape(-1)[...] = np.frombuffer(raw[info.filename], dtype, array.size, offset)
                else:
                    _fill(archive, info, array, offset, where, error)
                arrays[info.filename[:-4]] = array.T if fortran else array
            return arrays
    except error:
        raise
    except DAMAGED as exc:
        raise error(f"{where}: the arrays are damaged ({type(exc).__name__}: {exc})") from None


_PARSED: dict[bytes, tuple] = {}  # header bytes -> (shape, fortran, dtype): runs repeat their headers


def _parse_header(fh, info, where, error) -> tuple:
    """numpy's parse of the ``.npy`` header at ``fh`` (left after it), memoized by its bytes."""
    start = fh.read(10)
    if len(start) < 10 or start[:6] != b"\x93NUMPY":
        raise error(f"{where}: array {info.filename!r} is not an .npy array")
    version = (start[6], start[7])
    if version == (1, 0):
        head = start + fh.read(int.from_bytes(start[8:10], "little"))
    elif version in ((2, 0), (3, 0)):
        more = fh.read(2)
        head = start + more + fh.read(int.from_bytes(start[8:10] + more, "little"))
    else:
        raise error(f"{where}: array {info.filename!r} has an unknown format version {version}")
    parsed = _PARSED.get(head)
    if parsed is None:
        buffer = io.BytesIO(head)
        np.lib.format.read_magic(buffer)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        with warnings.catch_warnings():  # a stranger's header text compiled by ast: its warnings are noise
            warnings.simplefilter("ignore")
            parsed = read(buffer)
        if buffer.tell() != len(head):
            raise ValueError("the header is truncated")
        if len(_PARSED) > 256:
            _PARSED.clear()
        _PARSED[head] = parsed
    return parsed


def _header(fh, info, where, error):
    """(shape, dtype, fortran_order, data offset) from a member's ``.npy`` header."""
    try:
        shape, fortran, dtype = _parse_header(fh, info, where, error)
    except error:
        raise
    except HEADER_ERRORS as exc:
        text = str(exc).splitlines()[0][:120] if str(exc) else ""
        raise error(f"{where}: array {info.filename!r} has a damaged header "
                    f"({type(exc).__name__}: {text})") from None
    offset = fh.tell()
    if dtype.hasobject or dtype.kind not in "fiu" or dtype.fields is not None or dtype.subdtype:
        raise error(f"{where}: array {info.filename!r} is not numeric ({dtype}); only numbers are read")
    if any(n < 0 for n in shape):
        raise error(f"{where}: array {info.filename!r} declares a negative size {shape}")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes + offset != info.file_size:
        raise error(f"{where}: array {info.filename!r} declares {nbytes:,} bytes of data but its "
                    f"member holds {info.file_size - offset:,}")
    return shape, dtype, fortran, offset


def _fill(archive, info, array, offset, where, error) -> None:
    """Read a large member's data straight into ``array`` (allocated after the checks)."""
    with archive.open(info) as fh:
        fh.read(offset)
        view = memoryview(array.reshape(-1).view(np.uint8))
        got = 0
        while got < len(view):
            n = fh.readinto(view[got:])
            if not n:
                raise error(f"{where}: array {info.filename!r} is truncated")
            got += n
