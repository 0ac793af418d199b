"""Reading a user's data file with limits: a regular file, not empty, not larger than we load."""

from __future__ import annotations

import stat
from pathlib import Path

from .errors import DataError

MAX_FILE_BYTES = 4 << 30  # 4 GiB: a data file larger than this is refused before reading
MAX_ARRAY_BYTES = 4 << 30  # what an .npz member or an IDX file may inflate to


def read_file(path: Path, what: str, keep: bool = True) -> bytes:
    """The file's bytes (or b"" when ``keep`` is false: the checks alone); DataError naming
    ``data.<what>`` for a missing, empty, special (a device, a pipe) or oversized file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found: check data.{what}") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{path} is a folder, not a file: point data.{what} at a file")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{path}: not a regular file (a device, pipe or socket): point "
                        f"data.{what} at a data file")
    if info.st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes): choose a file with data")
    if info.st_size > MAX_FILE_BYTES:
        raise DataError(f"{path}: {info.st_size / 2**30:.1f} GiB is more than the "
                        f"{MAX_FILE_BYTES >> 30} GiB a data file may have: use a smaller sample")
    if not keep:
        return b""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from None
    if not data:
        raise DataError(f"{path}: the file is empty (0 bytes): choose a file with data")
    return data
