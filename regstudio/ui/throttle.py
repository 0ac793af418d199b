"""Coalescing emitter: at most ``rate_hz`` emissions a second, and the last value always arrives.

Qt-free and thread-safe. The worker thread calls :meth:`Throttle.offer` for every event;
values offered while the interval has not elapsed are merged into one pending value, which is
emitted by the next ``offer`` after the interval, by :meth:`poll` (the GUI calls it from a
timer, so a value held back just before a pause still shows), or by :meth:`flush` at the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

_NOTHING = object()


def keep_last(old: Any, new: Any) -> Any:
    """Merge rule for snapshots: only the newest matters."""
    return new


def concat(old: list, new: list) -> list:
    """Merge rule for rows of a growing curve: nothing may be lost."""
    return old + new


class Throttle:
    """Rate-limit calls of ``emit(value)``.

    Parameters
    ----------
    emit : callable
        Called with the (merged) value; for the worker this is a Qt ``Signal.emit``.
    rate_hz : float
        Maximum emissions per second.
    merge : callable
        ``merge(pending, new) -> pending``; :func:`keep_last` or :func:`concat`.
    clock : callable
        Monotonic seconds; injectable for tests.
    """

    def __init__(self, emit: Callable[[Any], None], rate_hz: float,
                 merge: Callable[[Any, Any], Any] = keep_last,
                 clock: Callable[[], float] = time.monotonic):
        self._emit = emit
        self.interval = 1.0 / float(rate_hz)
        self._merge = merge
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: Any = _NOTHING
        self._last = -float("inf")
        self.emitted = 0

    @property
    def has_pending(self) -> bool:
        return self._pending is not _NOTHING

    def offer(self, value: Any) -> bool:
        """Add a value; emit now (merged with anything pending) if the interval has passed."""
        with self._lock:
            if self._pending is _NOTHING:
                self._pending = value
            else:
                self._pending = self._merge(self._pending, value)
            out = self._take_if_due()
        if out is not _NOTHING:
            self._send(out)
            return True
        return False

    def poll(self) -> bool:
        """Emit the pending value if the interval has passed (call from a timer)."""
        with self._lock:
            out = self._take_if_due()
        if out is not _NOTHING:
            self._send(out)
            return True
        return False

    def flush(self) -> bool:
        """Emit the pending value now, whatever the interval."""
        with self._lock:
            out, self._pending = self._pending, _NOTHING
            if out is not _NOTHING:
                self._last = self._clock()
        if out is not _NOTHING:
            self._send(out)
            return True
        return False

    def reset(self) -> None:
        with self._lock:
            self._pending = _NOTHING
            self._last = -float("inf")

    def _take_if_due(self) -> Any:
        if self._pending is _NOTHING:
            return _NOTHING
        now = self._clock()
        if now - self._last < self.interval:
            return _NOTHING
        out, self._pending = self._pending, _NOTHING
        self._last = now
        return out

    def _send(self, value: Any) -> None:
        self.emitted += 1
        self._emit(value)
