"""RunController: one training run at a time (start, pause, step, stop, reset), the worker's
signals into the views and the session, and edits made while a run trains.

It never calls back into the window: it tells it what happened through signals (status
text, banners, started / stopped, busy changes) and asks yes/no through ``confirm``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, QTimer, Signal
from PySide6.QtWidgets import QAbstractSpinBox, QApplication

from regstudio.engine.control import live_key
from regstudio.experiments.project import RunRecord
from regstudio.experiments.runs import describe_run
from regstudio.experiments.session import Session

from .state import ExperimentState, section_of
from .worker import TrainingWorker, start_worker

REASON_TEXT = {"completed": "finished", "early_stopping": "stopped early (patience ran out)",
               "cancelled": "stopped", "diverged": "diverged"}


@dataclass
class RunViews:
    """What a run draws into."""

    loss_plot: object
    weights_plot: object
    predictions_plot: object
    training_panel: object

    def clear(self) -> None:
        for view in (self.loss_plot, self.weights_plot, self.predictions_plot):
            view.clear()


class RunController(QObject):
    """Signals
    -------
    started(), stopped(str reason)      a run began / ended ("error" when it failed)
    busy_changed()                      running or paused changed: re-check enable rules
    paused_changed(bool)                the Pause action's checked state
    status(str)                         the permanent status text
    message(str, int)                   a transient status-bar message (text, ms)
    banner(str, bool)                   text, is_error; ``hide_banner()`` clears it
    run_added(str)                      the id of a run that joined the session
    stop_requested()                    the user (or an edit) asked the run to stop
    finished(str reason)                the thread is gone (after stopped): a next run may start

    ``is_training`` ends when the engine's loop does: Start comes back at once while the
    thread still evaluates the final metrics and predictions (``is_running`` until it is gone);
    a Start in that moment first waits for them.
    """

    started = Signal()
    stopped = Signal(str)
    busy_changed = Signal()
    paused_changed = Signal(bool)
    status = Signal(str)
    message = Signal(str, int)
    banner = Signal(str, bool)
    hide_banner = Signal()
    run_added = Signal(str)
    stop_requested = Signal()
    finished = Signal(str)

    def __init__(self, state: ExperimentState, session: Session, views: RunViews, confirm: Callable[[str, str], bool],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.state, self.session, self.views, self._confirm = state, session, views, confirm
        self.worker: TrainingWorker | None = None
        self.thread: QThread | None = None
        self.paused = False
        self.block = ""  # why Start is refused besides the data (the model builder's reason)
        self._revert_pending = False  # an edit refused during a run is about to be undone
        self._augmentable = False
        self._run_id = ""
        self._run_config: dict = {}
        self._rows: list = []
        self.last_reason = ""
        self._finishing = False  # the loop ended; the thread computes the summary
        self._shown = None  # a saved run shown in the views (show_run), until its predictions are
        self._waiting_for_data = False
        self.label = ""  # what the next run is called in its name (a lesson's label), if anything
        self._predictions_wanted = True
        self._poll = QTimer(self)
        self._poll.setInterval(60)
        self._poll.timeout.connect(lambda: self.worker is not None and self.worker.poll())
        state.edited.connect(self._on_edited)
        state.loader.busy_changed.connect(self.busy_changed)  # Start waits for the data

    def set_predictions_wanted(self, on: bool) -> None:
        """Whether the running worker computes predictions as it trains (the Predictions view
        is shown); it always computes them at the end."""
        self._predictions_wanted = on
        if self.worker is not None:
            self.worker.predictions_wanted = on

    @property
    def is_running(self) -> bool:
        """The run's thread is alive (training, or finishing its summary)."""
        return self.thread is not None and self.worker is not None

    @property
    def is_training(self) -> bool:
        """The engine's loop runs: Stop and Pause apply, Start waits."""
        return self.is_running and not self._finishing

    def start_reason(self) -> str:
        """Why Start is refused now ("" when it is not)."""
        if self.block:
            return self.block
        if self.state.loader.loading:
            return "the data are still loading (see the Data panel)"
        if self.state.dataset_error:
            return f"Fix the data first: {self.state.dataset_error}"
        return ""

    # -- commands -------------------------------------------------------------------------
    def start(self, step: bool = False) -> bool:
        if self.is_training:
            return False
        if self.is_running:  # the last run is finishing its summary: let it join the session first
            self.stop_and_wait()
            if self.is_running:  # something started on its finished() (a lesson's next run)
                return False
        commit_typing()
        # The Data panel reloads 250 ms after an edit: load now (a no-op when it is current),
        # so the model is checked against the data this run will use; a file loads in the
        # background and Start is refused until it is ready.
        if not self.state.loader.loading:
            if self.state.config.get("data", {}).get("source", "builtin") == "builtin":
                self.state.reload_dataset()
            else:
                self.state.loader.load()
        reason = self.start_reason()
        if reason:
            self.banner.emit(reason, True)
            return False
        from regstudio.experiments.config import ConfigError, validate_config

        try:
            config = validate_config(self.state.frozen())
        except ConfigError as exc:
            self.banner.emit(f"Cannot start: {exc}", True)
            return False
        self.hide_banner.emit()
        self._run_id = self.session.next_id()
        v = self.views
        v.clear()
        v.loss_plot.set_epoch_range(config["training"]["epochs"])
        v.loss_plot.show_starting()
        dataset = self.state.dataset_for(self.state.config["data"])
        self._augmentable = dataset is not None and dataset.train.images is not None
        v.weights_plot.set_image_shape(dataset.image_shape if dataset is not None else None)
        self.worker = w = TrainingWorker(config, base_dir=self.state.base_dir(), dataset=dataset)
        w.predictions_wanted = self._predictions_wanted
        w.epochs.connect(self._on_epochs)
        w.batch_losses.connect(v.loss_plot.add_batches)
        w.progress.connect(self._on_progress)
        w.weights.connect(v.weights_plot.set_snapshot)
        w.predictions.connect(v.predictions_plot.set_predictions)
        w.live_change.connect(self._on_live_change)
        w.diverged.connect(self._on_diverged)
        w.loop_ended.connect(self._on_loop_ended)
        w.run_finished.connect(self._on_run_finished)
        w.failed.connect(self._on_failed)
        self._run_config, self._rows, self.last_reason = config, [], ""
        self._run_label = self.label
        self.paused = step
        if step:
            w.step_epochs(1)
        self.thread = start_worker(w, self._on_thread_finished)
        self._poll.start()
        self.paused_changed.emit(step)
        self.status.emit("stepping one epoch…" if step else "starting…")
        self.busy_changed.emit()
        self.started.emit()
        return True

    def set_paused(self, paused: bool) -> None:
        if not self.is_training or paused == self.paused:
            return
        self.paused = paused
        self.paused_changed.emit(paused)
        if paused:
            self.worker.pause()
            self.status.emit("paused (between batches)")
        else:
            self.worker.resume()
            self.status.emit("resumed")
        self.busy_changed.emit()

    def pause(self) -> None:
        self.set_paused(True)

    def resume(self) -> None:
        self.set_paused(False)

    def stop(self) -> None:
        self.stop_requested.emit()
        if self.is_training:
            self.worker.request_stop()
            self.status.emit("stopping…")

    def step(self) -> None:
        if not self.is_training:
            self.start(step=True)
            return
        self.worker.step_epochs(1)
        self.paused = True
        self.paused_changed.emit(True)
        self.status.emit("stepping one epoch…")

    def reset(self) -> None:
        self.stop_and_wait()
        self.views.clear()
        self.views.training_panel.set_progress(0, 1, "ready: next Start begins from fresh weights")
        self.status.emit("ready")

    def stop_and_wait(self, timeout_ms: int = 5000) -> bool:
        """Stop the run and join the thread (close, reset, open, lessons, tests).

        The run's last signals (its final curves, its entry in the session) are still
        queued when the thread ends: they are delivered here, while it is the current run,
        so that nothing of it reaches the views or the session after what comes next.
        """
        if self.thread is None:
            return True
        self.worker.request_stop()
        ok = self.thread.wait(timeout_ms)
        if ok:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.MetaCall)
            self._on_thread_finished()
        return ok

    def duplicate_run(self, run_id: str) -> bool:
        """Load a run's settings into the panels (undoably), to change one thing and train a
        variant; says so in the banner. False for an unknown run or while one runs."""
        run = self.session.get(run_id)
        if run is None or not run.config or self.is_running:
            return False
        self.state.set_config(run.config, f"Load the settings of {run.name}")
        self.banner.emit(f"Loaded the settings of {run.name} (Ctrl+Z goes back). Change something "
                         "(e.g. alpha or the dropout rate), then press Start to compare the two runs.", False)
        return True

    def remove_run(self, run_id: str) -> bool:
        """Take a run out of the session (and the project when saved), undoably."""
        run = self.session.get(run_id)
        if run is None:
            return False
        position = self.session.position(run_id)
        self.state.push_action(f"Remove run {run.name}", lambda: self.session.remove(run_id),
                               lambda: self.session.add(run, position))
        self.message.emit(f"Removed {run.name} (Ctrl+Z puts it back)", 5000)
        return True

    # -- a saved run, shown as it was ---------------------------------------------------------
    def show_run(self, record) -> None:
        """A run's curves, final weights and predictions as they were when it ended (a reopened
        project), instead of empty views; the predictions follow when its data is loaded."""
        v = self.views
        v.clear()
        if record is None or not record.history:
            return
        summary = record.summary or {}
        v.loss_plot.set_epoch_range(int(record.config.get("training", {}).get("epochs", len(record.history))))
        v.loss_plot.add_epochs(record.history)
        v.weights_plot.add_norms(record.history)
        v.loss_plot.set_stopped(summary.get("stop_reason", "completed"), summary.get("stopped_epoch"))
        if record.weights:
            v.weights_plot.set_snapshot({"epoch": summary.get("restored_epoch") or summary.get("stopped_epoch")
                                         or len(record.history),
                                         "weights": record.weights})
        self._shown = record
        if not self._show_predictions() and not self._waiting_for_data:
            self._waiting_for_data = True
            self.state.dataset_changed.connect(self._show_predictions)  # once the data is in

    def _show_predictions(self) -> bool:
        """The shown run's predictions, if its data is the one loaded (True when done or moot)."""
        record = getattr(self, "_shown", None)
        if record is None or self.is_running:
            return self._forget_shown()
        dataset = self.state.dataset_for(record.config.get("data", {}))
        if dataset is None:
            return False
        try:
            from regstudio.experiments.build import build
            from regstudio.experiments.predictions import compute_predictions

            model = build(record.config, base_dir=self.state.base_dir(), dataset=dataset).model
            model.set_weights(record.weights)
            self.views.weights_plot.set_image_shape(dataset.image_shape)
            self.views.predictions_plot.set_predictions(compute_predictions(model, dataset))
        except Exception:  # a view that cannot be drawn (weights of another shape) stays empty
            pass
        return self._forget_shown()

    def _forget_shown(self) -> bool:
        self._shown = None
        if self._waiting_for_data:
            self._waiting_for_data = False
            self.state.dataset_changed.disconnect(self._show_predictions)
        return True

    # -- edits while a run trains -----------------------------------------------------------
    def _on_edited(self, path: str, value) -> None:
        if not self.is_training or self._revert_pending:
            return
        key = live_key(path)
        if key == "augmentation":
            if self._augmentable:  # table data has no augmentation to change
                self.worker.change("augmentation", self.state.frozen()["augmentation"])
        elif key is not None:
            self.worker.change(key, value)
        elif section_of(path) in ("model", "data"):
            what = "the network" if section_of(path) == "model" else "the data"
            if self._confirm("Change while training",
                             f"This edit changes {what}, so the run cannot continue with it.\n"
                             "Stop the current run? (No undoes the edit.)"):
                self.stop()
            else:
                self._revert_pending = True  # one answer per edit, and its undo asks nothing
                QTimer.singleShot(0, self._undo_refused_edit)
        elif section_of(path) in ("training", "early_stopping", "regularization"):
            self.message.emit(f"{path} takes effect at the next Start", 4000)

    def _undo_refused_edit(self) -> None:
        try:
            self.state.undo_stack.undo()
        finally:
            self._revert_pending = False

    # -- worker signals -----------------------------------------------------------------------
    def _on_epochs(self, rows: list) -> None:
        self._rows.extend(rows)
        if self.paused and rows:  # a stepped epoch is done: say so, not "stepping…" forever
            self.status.emit(f"paused after epoch {rows[-1]['epoch']}: Step one epoch for another, "
                             "Pause to resume")
        self.views.loss_plot.add_epochs(rows)
        self.views.weights_plot.add_norms(rows)

    def _on_progress(self, p: dict) -> None:
        eta = p.get("eta_seconds", float("nan"))
        eta_text = "" if eta != eta else f" · ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        if not self.paused:
            self.status.emit(f"epoch {p['epoch']}/{p['epochs']} · batch {p['batch']}/{p['n_batches']} · "
                             f"{p['samples_per_second']:,.0f} samples/s{eta_text}")
        self.views.training_panel.set_progress(p["epoch"], p["epochs"], f"epoch {p['epoch']}/{p['epochs']}")

    def _on_live_change(self, change: dict) -> None:
        self.views.loss_plot.add_change(change)
        self.message.emit(f"epoch {change['epoch']}: {change['key']} changed while training", 5000)

    def _on_loop_ended(self, reason: str) -> None:
        """The engine stopped: the window shows it now; the summary follows (run_finished)."""
        self._finishing = True
        self.paused = False
        self.paused_changed.emit(False)
        self.busy_changed.emit()
        self.status.emit(f"Run {REASON_TEXT.get(reason, reason)}; computing its final metrics…")

    def _on_run_finished(self, info: dict) -> None:
        summary = info["summary"]
        reason = info.get("reason", "completed")
        self.last_reason = reason
        self.views.loss_plot.set_stopped(reason, summary.get("stopped_epoch"))
        others = [record.config for record in self.session]
        name = f"#{self._run_id[3:]} {describe_run(self._run_config, others, self._run_label)}"
        if info.get("changes"):
            name += " + live changes"
        model = info.get("model")
        self.session.add(RunRecord(
            self._run_id, name, info.get("config") or self._run_config,
            info.get("history") or self._rows, summary, info.get("changes") or [],
            model.get_weights() if model is not None else {}, model=model,
            task=info.get("task", "classification"), standardization=info.get("standardization")))
        self.run_added.emit(self._run_id)
        best = info.get("best_epoch")
        self.status.emit(f"Run {REASON_TEXT.get(reason, reason)}"
                         + (f"; lowest validation loss at epoch {best}" if best else ""))
        if reason == "diverged":
            self.banner.emit("The loss became infinite or NaN, so training stopped. Try a lower "
                             "learning rate (÷10) or a weaker penalty (smaller alpha). "
                             + (info.get("message") or ""), True)
        self.stopped.emit(reason)

    def _on_diverged(self, info: dict) -> None:
        """The engine paused itself on NaN/inf with the last good weights: say what to try."""
        self.paused = True
        self.paused_changed.emit(True)
        self.busy_changed.emit()
        self.status.emit(f"paused: diverged in epoch {info['epoch']}")
        self.banner.emit(f"Training diverged in epoch {info['epoch']} (the loss became infinite or NaN) "
                         "and is paused with the last good weights. Lower the learning rate (÷10) or "
                         "weaken the penalty, then press Resume; or Stop.", True)

    def _on_failed(self, message: str, details: str) -> None:
        self.last_reason = "error"
        self.failure_details = details
        self.banner.emit(f"Training failed: {message}", True)
        self.status.emit("training failed")
        self.stopped.emit("error")

    def _on_thread_finished(self) -> None:
        if self.thread is None:
            return
        self.thread.wait()
        self._poll.stop()
        self.thread = None
        self.worker = None
        self._finishing = False
        self.paused = False
        self.paused_changed.emit(False)
        self.busy_changed.emit()
        self.finished.emit(self.last_reason or "error")


def commit_typing() -> None:
    """Apply a number still being typed in the focused box (F5 or Ctrl+S pressed before Enter)."""
    focused = QApplication.focusWidget()
    if isinstance(focused, QAbstractSpinBox):
        focused.interpretText()
