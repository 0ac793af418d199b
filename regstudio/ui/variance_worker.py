"""The Variance tab's worker: runs ``experiments.variance.compare`` in a QThread, off the UI
thread (the data are read there too); the pool's processes (or a Dask cluster) train."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal, Slot


class VarianceWorker(QObject):
    """``compare(config, k, ...)`` with progress; :meth:`cancel` works at any moment."""

    progress = Signal(int, int)  # fits done, fits in all
    finished = Signal(object)  # a variance.Comparison
    cancelled = Signal()
    failed = Signal(str)
    done = Signal()

    def __init__(self, config: dict, k: int, workers: int, base_dir: str | None,
                 executor: str = "process", seed: int = 0, scheduler: str | None = None):
        super().__init__(None)
        self.args = dict(k=k, seed=seed, executor=executor, workers=workers, base_dir=base_dir,
                         scheduler=scheduler)
        self.config = config
        self.cancel_event = threading.Event()

    @Slot()
    def run(self) -> None:
        from regstudio.experiments.variance import Cancelled, compare

        try:
            if self.cancel_event.is_set():
                raise Cancelled()
            result = compare(self.config, on_fit=lambda d, n, _j: self.progress.emit(d, n),
                             cancel_event=self.cancel_event, **self.args)
            self.finished.emit(result)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # shown in the tab; the app carries on
            if self.cancel_event.is_set():
                self.cancelled.emit()
            else:
                self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.done.emit()

    def cancel(self) -> None:  # any thread
        self.cancel_event.set()
