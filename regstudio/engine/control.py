"""Thread-safe remote control of a running ``Trainer.fit``: stop, pause, step, live changes."""

from __future__ import annotations

import re
import threading

LIVE_KEYS = ("regularization.l1", "regularization.l2", "training.lr", "augmentation")
_DROPOUT_KEY = re.compile(r"^model\.layers\[(\d+)\]\.rate$")


def is_live_key(key: str) -> bool:
    """Keys that may change while training runs (dropout rates as ``model.layers[i].rate``)."""
    return key in LIVE_KEYS or bool(_DROPOUT_KEY.match(key))


def live_key(path: str) -> str | None:
    """The key under which an edit of config ``path`` reaches a running fit (see
    :meth:`TrainingControl.change`), or None when the edit needs a fresh start. Every
    augmentation setting travels as the whole ``"augmentation"`` section."""
    if path == "augmentation" or path.startswith("augmentation."):
        return "augmentation"
    return path if is_live_key(path) else None


def dropout_index(key: str) -> int | None:
    match = _DROPOUT_KEY.match(key)
    return int(match.group(1)) if match else None


class TrainingControl:
    """Shared between the thread that trains and the one that steers.

    The trainer calls :meth:`wait_if_paused` and :meth:`take_changes` between
    batches and :meth:`epoch_done` after each epoch; any other thread may call
    the rest at any time.
    """

    def __init__(self, pause_on_divergence: bool = False):
        self.pause_on_divergence = pause_on_divergence
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._running.set()
        self._stop = False
        self._pending: list[tuple[str, object]] = []
        self._epochs_left: int | None = None

    def stop(self) -> None:
        self._stop = True
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        with self._lock:
            self._epochs_left = None
        self._running.set()

    def step_epochs(self, n: int = 1) -> None:
        """Run ``n`` more epochs, then pause."""
        with self._lock:
            self._epochs_left = int(n)
        self._running.set()

    def change(self, key: str, value) -> None:
        """Queue a change for the next batch, e.g. ``change("regularization.l2", 1e-3)``."""
        if not is_live_key(key):
            raise ValueError(f"{key} cannot change during training; live keys: {', '.join(LIVE_KEYS)}, "
                             "model.layers[i].rate")
        with self._lock:
            self._pending.append((key, value))

    @property
    def stopped(self) -> bool:
        return self._stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # -- called by the trainer -------------------------------------------------------------
    def wait_if_paused(self) -> bool:
        """Block while paused; False when a stop was requested."""
        while not self._running.wait(0.05):
            pass
        return not self._stop

    def take_changes(self) -> list[tuple[str, object]]:
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    def epoch_done(self) -> None:
        with self._lock:
            if self._epochs_left is not None:
                self._epochs_left -= 1
                if self._epochs_left <= 0:
                    self._epochs_left = None
                    self._running.clear()
