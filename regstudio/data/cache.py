"""Parsed files kept in memory while the user changes split, seed, target or roles.

Keyed on the file's path, size and modification time and on the parse options, so an edited
file is read again; the newest few entries are kept."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

KEEP = 2
_entries: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()  # the window's loader thread and the GUI thread share the entries


def file_key(*paths: Path) -> tuple:
    """What identifies the files' contents without reading them (missing files: None)."""
    out = []
    for p in paths:
        try:
            st = Path(p).stat()
            out.append((str(Path(p).resolve()), st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(p), None, None))
    return tuple(out)


def cached(key: tuple, make: Callable[[], object]) -> object:
    """The value stored under ``key``, else ``make()`` (stored unless it raised)."""
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key]
    value = make()  # outside the lock: a long parse never blocks another thread's hit
    with _lock:
        _entries[key] = value
        while len(_entries) > KEEP:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    """Forget every parsed file."""
    with _lock:
        _entries.clear()


def folder_key(root: Path) -> tuple:
    """Names, sizes and modification times of the files under ``root`` (an image folder)."""
    try:
        return tuple(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                            for p in Path(root).rglob("*") if p.is_file()))
    except OSError:
        return ()
