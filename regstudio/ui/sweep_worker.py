"""The Sweep tab's worker: runs an ``experiments.sweep.Sweep`` in a QThread, off the UI thread;
the pool's processes (or the Dask cluster) do the training."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot


class SweepWorker(QObject):
    """Reads the sweep's data (``Sweep.load``, when the sweep was made with ``load=False``) and
    runs it, here in the worker thread, so a large file does not stall the window.

    The sweep exists before the thread starts, so :meth:`cancel` works at any moment (a cancel
    during the reading skips the training)."""

    point_done = Signal(object)  # {"index", "value", "best_val_loss", ...}: a point's last fit ended
    fit_done = Signal(object)  # a row of SweepResult.fits, as each fit ends
    progress = Signal(int, int)  # fits done, fits in all
    finished = Signal(object)  # the SweepResult (also after a cancel: the finished fits)
    failed = Signal(str)
    done = Signal()

    def __init__(self, sweep):
        super().__init__(None)
        self.sweep = sweep

    @Slot()
    def run(self) -> None:
        try:
            self.sweep.run(lambda i, row: self.point_done.emit({"index": i, **row}),
                           lambda d, n: self.progress.emit(d, n), self.fit_done.emit)
            self.finished.emit(self.sweep.result)
        except Exception as exc:  # shown in the tab; the app carries on
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.done.emit()

    def cancel(self) -> None:  # any thread
        self.sweep.cancel()
