"""TrainingWorker: runs ``regstudio.experiments.training.train`` in a QThread.

The worker is a parent-less QObject moved to a QThread (``started -> run``, ``done -> quit``,
``finished -> deleteLater``). It never touches a widget. It turns the engine's events into
throttled Qt signals carrying copies: curves twice a second, weight snapshots and
predictions once a second (the architecture's caps are 30 and 5), and the last value of each
always arrives. Repainting pyqtgraph items holds the GIL, so each repaint per second costs
the training thread about 3%: at these rates the window trains at 0.93x headless speed
(``tests/benchmarks/bench_gui.py``).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from regstudio.engine.events import BatchProgress, Diverged, EpochEnd, Finished, LiveChange, WeightsSnapshot
from regstudio.experiments.predictions import Cancelled as PredictionsCancelled
from regstudio.experiments.predictions import compute_predictions

from .throttle import Throttle, concat, keep_last

CURVE_HZ = 2.0  # <= 30 Hz (see the module docstring and tests/benchmarks/bench_gui.py)
SNAPSHOT_HZ = 1.0  # <= 5 Hz


class TrainingWorker(QObject):
    """Consumes engine events in the training thread and emits throttled signals.

    Signals
    -------
    epochs(list)        new epoch metric dicts since the last emission (never drops one)
    progress(dict)      epoch, batch, n_batches, samples_per_second, loss, eta_seconds
    batch_losses(list)  (x, loss) pairs, x = epoch - 1 + batch / n_batches
    weights(object)     {"epoch": int, "weights": {name: ndarray}}
    predictions(object) {"kind": "regions" | "curve" | "confusion", ...} computed here
    live_change(dict)   epoch, batch, key, old, new
    diverged(dict)      epoch, message: NaN/inf; last good weights restored, training paused
    run_finished(dict)  reason, best_epoch, message, summary, history
    failed(str, str)    message, traceback text
    done()              always last; the thread quits on it
    """

    epochs = Signal(object)
    progress = Signal(object)
    batch_losses = Signal(object)
    weights = Signal(object)
    predictions = Signal(object)
    live_change = Signal(object)
    diverged = Signal(object)
    loop_ended = Signal(str)  # the engine's loop is over (reason); the summary is being computed
    run_finished = Signal(object)
    failed = Signal(str, str)
    done = Signal()

    def __init__(self, config: dict, base_dir: str | None = None, dataset: Any = None,
                 train_fn: Callable | None = None, control: Any = None):
        super().__init__(None)
        self.config = config
        self.base_dir = base_dir
        self.dataset = dataset
        self._train_fn = train_fn
        if control is None:
            from regstudio.engine import TrainingControl

            control = TrainingControl(pause_on_divergence=True)
        self.control = control
        self._t_epochs = Throttle(self.epochs.emit, CURVE_HZ, concat)
        self._t_progress = Throttle(self.progress.emit, CURVE_HZ, keep_last)
        self._t_batches = Throttle(self.batch_losses.emit, CURVE_HZ, concat)
        self._t_weights = Throttle(self.weights.emit, SNAPSHOT_HZ, keep_last)
        self._t_preds = Throttle(self.predictions.emit, SNAPSHOT_HZ, keep_last)
        self._throttles = (self._t_epochs, self._t_progress, self._t_batches,
                           self._t_weights, self._t_preds)
        self._last_pred = -float("inf")
        # Predictions of the current weights cost the training thread a forward pass over a
        # grid or the validation set each time: only while the Predictions view is shown
        # (the window sets this; the final predictions are always computed).
        self.predictions_wanted = True
        self._n_batches = 1  # batches per epoch, known from the first progress event
        self._model = None
        self._epochs_total = int(config.get("training", {}).get("epochs", 0) or 0)
        self._t0 = time.monotonic()

    # -- control (thread-safe; called from the GUI thread) -----------------------------
    def request_stop(self) -> None:
        self.control.stop()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def step_epochs(self, n: int = 1) -> None:
        self.control.step_epochs(n)

    def change(self, key: str, value: Any) -> None:
        self.control.change(key, value)

    def poll(self) -> None:
        """Emit what the throttles hold back once their interval passed (GUI timer)."""
        for t in (self._t_epochs, self._t_progress, self._t_batches, self._t_weights):
            t.poll()

    # -- the work (training thread) ---------------------------------------------------
    @Slot()
    def run(self) -> None:
        self._t0 = time.monotonic()
        try:
            train = self._train_fn
            if train is None:
                from regstudio.experiments.training import train

                if self.dataset is None:
                    from regstudio.experiments.build import load_data

                    self.dataset = load_data(self.config, base_dir=self.base_dir)
            result = train(self.config, base_dir=self.base_dir, on_event=self._on_event,
                           control=self.control, dataset=self.dataset)
            self._finish(result)
        except Exception as exc:  # reported in the window; the app carries on
            for t in self._throttles:
                t.flush()
            self.failed.emit(_one_line(exc), traceback.format_exc())
        finally:
            self.done.emit()

    def _finish(self, result: Any) -> None:
        from regstudio.experiments.export import standardization

        model = getattr(result, "model", None)
        dataset = getattr(result, "dataset", None) or self.dataset
        summary = dict(getattr(result, "summary", {}) or {})
        if model is not None:  # the weights the run ends with: those early stopping put back, if any
            epoch = summary.get("restored_epoch") or summary.get("stopped_epoch")
            self._offer_weights(epoch or 0, model.get_weights())
        if model is not None and dataset is not None:
            try:
                self._t_preds.offer(compute_predictions(model, dataset))
            except Exception:  # a view that cannot be drawn is no reason to lose the run
                pass
        for t in self._throttles:
            t.flush()
        self.run_finished.emit({
            "reason": summary.get("stop_reason", "completed"),
            "best_epoch": summary.get("best_epoch"),
            "message": summary.get("message", ""),
            "summary": summary,
            "history": [dict(h) for h in (getattr(result, "history", None) or [])],
            "changes": [_event_dict(c) for c in (getattr(result, "changes", None) or [])],
            # the model is no longer touched by this thread: the window may export it
            "model": model,
            "config": getattr(result, "config", self.config),
            "task": getattr(dataset, "task", "classification"),
            "standardization": standardization(dataset) if dataset is not None else None,
        })

    def _on_event(self, event: Any) -> None:
        if isinstance(event, BatchProgress):
            self._n_batches = event.n_batches
            done_epochs = event.epoch - 1 + event.batch / max(1, event.n_batches)
            elapsed = time.monotonic() - self._t0
            left = max(0.0, self._epochs_total - done_epochs)
            eta = elapsed / done_epochs * left if done_epochs > 0 else float("nan")
            self._t_progress.offer({
                "epoch": event.epoch, "batch": event.batch, "n_batches": event.n_batches,
                "samples_per_second": float(event.samples_per_second),
                "loss": float(event.loss), "eta_seconds": eta, "epochs": self._epochs_total,
            })
            losses = event.recent_losses or (event.loss,)
            step = 1.0 / max(1, event.n_batches)
            first = done_epochs - step * (len(losses) - 1)
            self._t_batches.offer([(first + i * step, float(v)) for i, v in enumerate(losses)])
        elif isinstance(event, EpochEnd):
            self._t_epochs.offer([_copy_metrics(event.metrics)])
        elif isinstance(event, WeightsSnapshot):
            self._offer_weights(event.epoch, event.weights)
            self._maybe_predict(event.weights)
        elif isinstance(event, Diverged):  # the engine went back to the last good weights and paused
            for t in self._throttles:
                t.flush()
            self.diverged.emit({"epoch": event.epoch, "message": event.message})
        elif isinstance(event, LiveChange):
            self._t_epochs.flush()
            self.live_change.emit({**_event_dict(event), "n_batches": self._n_batches})
        elif isinstance(event, Finished):
            for t in (self._t_epochs, self._t_progress, self._t_batches, self._t_weights):
                t.flush()
            self.loop_ended.emit(event.reason)

    def _offer_weights(self, epoch: int, weights: dict) -> None:
        """A float32 copy of ``weights`` for the Weights view (the trainer keeps changing them)."""
        self._t_weights.offer({"epoch": epoch, "weights": {
            k: np.array(v, dtype=np.float32, copy=True) for k, v in weights.items()}})

    def _maybe_predict(self, weights: dict) -> None:
        """Predictions of the current weights, by a shadow model built once in this thread
        (the trainer's own model is not reachable from an event)."""
        now = time.monotonic()
        if (not self.predictions_wanted or self.dataset is None
                or now - self._last_pred < 1.0 / SNAPSHOT_HZ or self.control.stopped):
            return
        self._last_pred = now
        try:
            if self._model is None:
                from regstudio.experiments.build import build

                self._model = build(self.config, base_dir=self.base_dir,
                                    dataset=self.dataset).model
            self._model.set_weights(weights)
            self._t_preds.offer(compute_predictions(self._model, self.dataset,
                                                    cancel=lambda: self.control.stopped))
        except PredictionsCancelled:  # Stop was pressed: the loop ends at once, the view waits
            pass
        except Exception:
            self._last_pred = float("inf")  # this view cannot be drawn; don't retry per epoch


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _copy_metrics(metrics: dict) -> dict:
    out = {}
    for k, v in metrics.items():
        if k == "layers":
            out[k] = [dict(layer) for layer in v]
        elif isinstance(v, np.generic):
            out[k] = v.item()
        else:
            out[k] = v
    return out


def _event_dict(ev: Any) -> dict:
    if isinstance(ev, dict):
        return dict(ev)
    return {k: getattr(ev, k) for k in ("epoch", "batch", "key", "old", "new")}


def start_worker(worker: TrainingWorker, on_finished: Callable[[], None]) -> QThread:
    """Move ``worker`` to a new QThread, wire the lifecycle, start it; returns the thread.

    ``on_finished`` (a method of a GUI-thread object: queued) is connected before the thread
    starts: a worker that ends at once would otherwise finish before anyone listens, and its
    view would wait for it for ever."""
    thread = QThread()
    thread.setObjectName("regstudio-training")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: QThread.quit is thread-safe, and the GUI thread may be blocked in wait().
    worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(on_finished)
    thread.start()
    return thread
