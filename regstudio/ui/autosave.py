"""Autosave: the whole project every few minutes and after each finished run; a clean exit
removes it, so a file found at start-up means the last session did not end cleanly."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer

INTERVAL_MS = 3 * 60 * 1000


def autosave_path() -> Path:
    """``~/.local/share/RegularizationStudio/regstudio/autosave.regstudio`` on Linux (Qt's
    application data folder, so ``%APPDATA%`` on Windows and Application Support on macOS)."""
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    return folder / "autosave.regstudio"


class Autosaver(QObject):
    """Writes ``save(path)`` to the autosave file on a timer and on request."""

    def __init__(self, save, parent=None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self._save = save
        self.path = autosave_path()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_now)

    def start(self) -> None:
        self.timer.start()

    def save_now(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self._save(str(self.path))

    def leftover(self) -> Path | None:
        """The autosave of a session that did not close cleanly, if any."""
        return self.path if self.path.is_file() else None

    def discard(self) -> None:
        self.timer.stop()
        self.path.unlink(missing_ok=True)
