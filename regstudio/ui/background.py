"""One background task at a time for a view (sweep, variance meter): start, cancel, join.

The view makes its controls with :meth:`BackgroundTask.make_task_controls` and has a
``message`` label; its worker QObject (``ui.sweep_worker``, ``ui.variance_worker``) has
``run`` (slot), the signals ``progress(done, total)``, ``failed(str)`` and ``done``, and
``cancel()``, which must work from the moment the worker exists, before ``run`` has started.
:meth:`BackgroundTask.launch` starts it and shows its progress and failure; the view connects
its own result signals. The thread is joined before its wrapper is dropped, else Qt aborts
with "QThread: Destroyed while thread is still running".
"""

from __future__ import annotations

import os
import time

from PySide6.QtWidgets import QLineEdit, QProgressBar, QPushButton, QSpinBox


def scheduler_field() -> QLineEdit:
    """Where a view's trainings run: empty for local processes, or a Dask scheduler's address."""
    field = QLineEdit()
    field.setPlaceholderText("or a Dask cluster: tcp://host:8786")
    field.setToolTip("Address of a Dask scheduler; needs the cluster extra (dask[distributed]). "
                     "Empty: processes on this machine")
    return field


def where(scheduler: str | None, processes: int) -> str:
    """E.g. "the Dask cluster at tcp://host:8786" or "4 processes"."""
    return f"the Dask cluster at {scheduler}" if scheduler else f"{processes} processes"


class BackgroundTask:
    thread = None
    worker = None
    started = 0.0
    _progress_noun = "done"
    _failed_prefix = "Failed"

    def make_task_controls(self, run_text: str, run_tip: str, noun: str, unit: str,
                           settings: tuple = ()) -> None:
        """The controls each such view has: ``workers`` (local processes), ``scheduler``,
        ``run_button``, ``cancel_button`` and ``progress`` ("%v / %m {unit}").

        ``settings`` (the view's own controls that define a run), ``workers`` and ``scheduler``
        are disabled while a task runs."""
        self.workers = QSpinBox(minimum=1, maximum=256, value=os.cpu_count() or 1)
        self.workers.setToolTip(f"Processes on this machine; each {noun} trains with one BLAS thread")
        self.scheduler = scheduler_field()
        self.run_button = QPushButton(run_text)
        self.run_button.setToolTip(run_tip)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setFormat(f"%v / %m {unit}")
        self.settings = (*settings, self.workers, self.scheduler)

    def placement(self) -> tuple[str, str | None]:
        """(executor, scheduler) from the view's ``scheduler`` field."""
        scheduler = self.scheduler.text().strip() or None
        return ("dask" if scheduler else "process"), scheduler

    @property
    def is_running(self) -> bool:
        return self.thread is not None

    def launch(self, worker, progress_noun: str, failed_prefix: str) -> None:
        """Start ``worker`` in its thread: its progress moves the bar and the message ("3 of 8
        {progress_noun} · about 12 s left"); a failure is shown as "{failed_prefix}: {text}"."""
        from .worker import start_worker

        self.worker = worker
        self._progress_noun, self._failed_prefix = progress_noun, failed_prefix
        worker.progress.connect(self._show_progress)  # methods of this widget: queued to its thread
        worker.failed.connect(self._show_failure)
        self.started = time.monotonic()
        self.thread = start_worker(worker, self._task_finished)
        self._set_running(True)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.message.setText("Cancelling: stopping the worker processes…")

    def stop_and_wait(self) -> None:
        """Cancel and join (the window is closing)."""
        if self.thread is not None:
            self.cancel()
            self.thread.wait(10000)

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.message.setText(self.progress_text(done, total, self._progress_noun))

    def _show_failure(self, text: str) -> None:
        self.message.setText(f"{self._failed_prefix}: {text}")

    def progress_text(self, done: int, total: int, noun: str) -> str:
        """E.g. "3 of 8 points done · about 12 s left"."""
        elapsed = time.monotonic() - self.started
        eta = f" · about {elapsed / done * (total - done):.0f} s left" if done else ""
        return f"{done} of {total} {noun}{eta}"

    def _task_finished(self) -> None:
        if self.thread is None:
            return
        self.thread.wait()
        self.thread = None
        self.worker = None
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        """Only Cancel while a task runs; the settings and Run otherwise."""
        for widget in (*self.settings, self.run_button):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)
