"""Reading a user's data file with limits: a regular file, not empty, not larger than we load."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import DataError

MAX_FILE_BYTES = 4 << 30  # 4 GiB: a data file larger than this is refused before reading
MAX_ARRAY_BYTES = 4 << 30  # what an .npz member or an IDX file may inflate to


def out_of_memory(path, nbytes: int) -> DataError:
    """The error for data that the limits allow but this machine's free memory does not hold."""
    return DataError(f"{path}: its data ({nbytes / 2**30:.1f} GiB once read) do not fit in the "
                     "memory available: use a smaller file, or close other programs and try again")


def read_file(path: Path, what: str, keep: bool = True, writable: bool = False) -> bytes:
    """The file's bytes (or b"" when ``keep`` is false: the checks alone; a bytearray with
    ``writable``, for arrays that view it); DataError naming ``data.<what>`` for a missing,
    empty, special (a device, a pipe) or oversized file."""
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
            now = os.fstat(f.fileno())  # the file opened, not whatever the path names by now
            if not stat.S_ISREG(now.st_mode):
                raise DataError(f"{path}: not a regular file (a device, pipe or socket): point "
                                f"data.{what} at a data file")
            # what stat said, and a byte more to see a file that grew (read() would otherwise
            # reserve its whole argument: 4 GiB for a 9-line file)
            size = min(now.st_size, MAX_FILE_BYTES) + 1
            if writable:
                data = bytearray(size)
                del data[f.readinto(data):]
            else:
                data = f.read(size)
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from None
    if not data:
        raise DataError(f"{path}: the file is empty (0 bytes): choose a file with data")
    if len(data) > MAX_FILE_BYTES:
        raise DataError(f"{path}: more than the {MAX_FILE_BYTES >> 30} GiB a data file may have: "
                        "use a smaller sample")
    return data
