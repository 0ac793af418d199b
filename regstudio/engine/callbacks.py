"""Callbacks in Keras' shape: hooks called by the trainer; stopping is a flag, not an exception.

Epochs are numbered from 1 here (as in ``history.csv``); Keras counts from 0,
and the rules below are Keras' rules translated to that numbering.
"""

from __future__ import annotations

import math
import warnings


class Callback:
    trainer = None  # set by CallbackList; exposes .model and .stop_training

    def on_train_begin(self, logs: dict | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict) -> None: ...

    def on_train_end(self, logs: dict | None = None) -> None: ...


class CallbackList(Callback):
    def __init__(self, callbacks=(), trainer=None):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.trainer = trainer

    def on_train_begin(self, logs=None):
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_epoch_end(self, epoch, logs):
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        for cb in self.callbacks:
            cb.on_train_end(logs)


class History(Callback):
    """Keeps every epoch's metrics row."""

    def on_train_begin(self, logs=None):
        self.rows: list[dict] = []

    def on_epoch_end(self, epoch, logs):
        self.rows.append(dict(logs))


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Same rules as ``keras.callbacks.EarlyStopping``: the first ``start_from_epoch``
    epochs are ignored; an improvement must also beat ``baseline`` (when given) to
    reset the wait; with ``restore_best_weights`` the best epoch's weights are put
    back when training ends. With a best epoch ``b`` the run stops at ``b + patience``.

    ``best_epoch`` is the epoch of the best monitored value (an improvement by more than
    ``min_delta``); ``restored_epoch`` is the epoch whose weights were put back at the end,
    or None when none were (the run ends with its last epoch's weights).
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if monitor.removeprefix("val_") in ("acc", "accuracy", "r2") else "min"
        self.monitor, self.mode = monitor, mode
        self.min_delta = abs(min_delta)
        self.patience, self.baseline = int(patience), baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = int(start_from_epoch)

    def _improves(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.best_weights = None
        self.restored_epoch = None

    def on_epoch_end(self, epoch, logs):
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"early stopping monitors {self.monitor!r}, which is not available; "
                          f"available: {', '.join(logs)}", stacklevel=2)
            return
        if epoch <= self.start_from_epoch:
            return
        model = self.trainer.model
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = model.params.copy(), epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = model.params.copy()
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 1:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.model.params[...] = self.best_weights
            self.restored_epoch = self.best_epoch
