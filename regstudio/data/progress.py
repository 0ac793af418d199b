"""Progress and cancellation of a load that runs in the background (the window's loader thread)."""

from __future__ import annotations

import threading
from collections.abc import Callable

Cancel = Callable[[], bool] | threading.Event | None
Progress = Callable[[int, int | None], None] | None


class LoadCancelled(Exception):  # noqa: N818 (a request, not an error)
    """The load was cancelled through its ``cancel`` callable or event; nothing was changed."""


def check_cancel(cancel: Cancel) -> None:
    """Raise :class:`LoadCancelled` when ``cancel`` (a callable or a threading.Event) is set."""
    if cancel is None:
        return
    if cancel.is_set() if isinstance(cancel, threading.Event) else cancel():
        raise LoadCancelled("loading cancelled")


def report_progress(progress: Progress, done: int, total: int | None) -> None:
    """Tell ``progress`` how many rows or files were read so far (and the total when known)."""
    if progress is not None:
        progress(int(done), None if total is None else int(total))


class Ticker:
    """Counts steps of known ``total`` and tells ``progress`` after each (a no-op without)."""

    def __init__(self, progress: Progress, total: int):
        self.progress, self.total, self.done = progress, max(int(total), 1), 0

    def __call__(self) -> None:
        self.done += 1
        report_progress(self.progress, min(self.done, self.total), self.total)
