"""UI preferences only (never experiment data): one table of defaults over QSettings."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QSettings

ORG, APP = "RegularizationStudio", "regstudio"
SETTINGS_VERSION = 1
_DEFAULTS: dict[str, Any] = {
    "version": SETTINGS_VERSION,
    "geometry": None,
    "window_state": None,
    "recent_files": [],
    "log_y": False,
    "batch_loss": False,
    "last_dir": "",
}
MAX_RECENT = 8
_folder: str | None = None  # see use_folder()


def use_folder(folder: str | None) -> None:
    """Keep this process's settings in an INI file in ``folder`` (``None``: the user's own).

    Tests and the self-test call this so that the user's window layout, recent files and view
    choices are never read or written. (``QSettings.setPath`` would not do: it leaves the
    native format, which ``QSettings(ORG, APP)`` uses, where it is.)"""
    global _folder
    _folder = folder


def _settings() -> QSettings:
    if _folder is not None:
        return QSettings(os.path.join(_folder, f"{APP}.ini"), QSettings.Format.IniFormat)
    return QSettings(ORG, APP)


def read(key: str) -> Any:
    if key not in _DEFAULTS:
        raise KeyError(f"unknown UI setting {key!r} (known: {', '.join(_DEFAULTS)})")
    s = _settings()
    value = s.value(key, _DEFAULTS[key])
    default = _DEFAULTS[key]
    if isinstance(default, bool):
        return value in (True, "true", "1", 1)
    if isinstance(default, list):
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)
    return value


def write(key: str, value: Any) -> None:
    if key not in _DEFAULTS:
        raise KeyError(f"unknown UI setting {key!r} (known: {', '.join(_DEFAULTS)})")
    s = _settings()
    s.setValue("version", SETTINGS_VERSION)
    s.setValue(key, value)


def add_recent(path: str) -> list[str]:
    files = [p for p in read("recent_files") if p != path]
    files.insert(0, path)
    files = files[:MAX_RECENT]
    write("recent_files", files)
    return files
