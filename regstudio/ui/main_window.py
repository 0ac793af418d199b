"""MainWindow: panels in docks editing one ExperimentState, plots in the centre, one worker."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from regstudio.experiments.export import atomic_write, history_csv, save_model
from regstudio.experiments.project import Project, RunRecord

from . import settings
from .actions import create_actions
from .autosave import Autosaver
from .dialogs.about import ABOUT, GUIDE, TextDialog
from .dialogs.error import show_error
from .file_drop import FileDropTarget
from .panels.augmentation_panel import AugmentationPanel
from .panels.data_panel import DataPanel
from .panels.model_panel import ModelPanel
from .panels.regularization_panel import RegularizationPanel
from .panels.training_panel import TrainingPanel
from .plots.loss_plot import LossPlot
from .plots.predictions_plot import PredictionsPlot
from .plots.runs_plot import RunsPanel
from .plots.sweep_view import SweepView
from .plots.variance_view import VarianceView
from .plots.weights_plot import WeightsPlot
from .state import ExperimentState, live_key, section_of
from .worker import TrainingWorker, start_worker

FILE_FILTER = "Experiments (*.regstudio *.json);;All files (*)"


class MainWindow(FileDropTarget, QMainWindow):
    """The Regularization Studio window.

    Signals
    -------
    run_started(), run_stopped(str reason)
    """

    run_started = Signal()
    run_stopped = Signal(str)

    def __init__(self, state: ExperimentState | None = None, restore: bool = True):
        super().__init__()
        collect_garbage_in_gui_thread()
        self.setObjectName("main_window")
        self.state = state or ExperimentState(parent=self)
        self.worker: TrainingWorker | None = None
        self.thread: QThread | None = None
        self.run_count = 0
        self.last_run: dict | None = None
        self._paused = False
        self._start_block = ""
        self._revert_pending = False  # an edit refused during a run is about to be undone
        self._run_augmentable = False
        self.actions = create_actions(self)
        self._build_central()
        self._build_docks()
        self._build_menus()
        self._build_toolbar()
        self._connect()
        self._poll = QTimer(self)
        self._poll.setInterval(60)
        self._poll.timeout.connect(self._on_poll)
        self.status_label = QLabel("ready")
        self.statusBar().addPermanentWidget(self.status_label)
        self.resize(1400, 860)
        # The real app (restore=True) autosaves and asks about unsaved changes on close;
        # windows built for tests and benchmarks leave the user's files alone.
        self._session = restore
        self.autosaver = Autosaver(self._autosave, self)
        self._build_recovery_bar()
        if restore:
            self._restore_settings()
            self._offer_recovery()
            self.autosaver.start()
        self._update_title()
        self._update_actions()
        QTimer.singleShot(0, self.data_panel.reload)

    # ------------------------------------------------------------------ construction
    def _build_central(self) -> None:
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        lay.addWidget(self.banner)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("plot_tabs")
        self.loss_plot = LossPlot()
        self.weights_plot = WeightsPlot()
        self.predictions_plot = PredictionsPlot()
        self.tabs.addTab(self.loss_plot, "Loss")
        self.tabs.addTab(self.weights_plot, "Weights")
        self.tabs.addTab(self.predictions_plot, "Predictions")
        # The Sweep and Variance tabs are built when first shown: the window opens sooner.
        self._lazy_tabs = {3: SweepView, 4: VarianceView}
        self._lazy_views: dict[int, QWidget] = {}
        self.tabs.addTab(QWidget(), "Sweep")
        self.tabs.setTabToolTip(3, "Train once per value of alpha (or a dropout rate) and find the best")
        self.tabs.addTab(QWidget(), "Variance")
        self.tabs.setTabToolTip(4, "Fit K models on bootstrap resamples, with and without the regularizer, "
                                   "and see how much they disagree")
        self.tabs.currentChanged.connect(self._lazy_view)
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

    def _dock(self, widget: QWidget, title: str, name: str,
              area=Qt.DockWidgetArea.LeftDockWidgetArea) -> QDockWidget:
        from PySide6.QtWidgets import QScrollArea

        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(widget)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        dock.setWidget(scroll)
        self.addDockWidget(area, dock)
        return dock

    def _lazy_view(self, index: int):
        """The view of a lazily built tab, built (and put in place) on first use."""
        if index not in self._lazy_tabs or index in self._lazy_views:
            return self._lazy_views.get(index)
        view = self._lazy_views[index] = self._lazy_tabs[index](self.state)
        current = self.tabs.currentIndex()
        tip, text = self.tabs.tabToolTip(index), self.tabs.tabText(index)
        self.tabs.blockSignals(True)
        placeholder = self.tabs.widget(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, view, text)
        self.tabs.setTabToolTip(index, tip)
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)
        placeholder.deleteLater()
        return view

    @property
    def sweep_view(self):
        return self._lazy_view(3)

    @property
    def variance_view(self):
        return self._lazy_view(4)

    def _build_docks(self) -> None:
        s = self.state
        self.data_panel = DataPanel(s)
        self.model_panel = ModelPanel(s)
        self.reg_panel = RegularizationPanel(s)
        self.aug_panel = AugmentationPanel(s)
        self.training_panel = TrainingPanel(s, self.actions)
        self.runs_panel = RunsPanel()
        L, R = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.docks = {
            "data": self._dock(self.data_panel, "1 · Data", "data", L),
            "model": self._dock(self.model_panel, "2 · Model", "model", L),
            "regularization": self._dock(self.reg_panel, "3 · Regularization", "regularization", L),
            "augmentation": self._dock(self.aug_panel, "4 · Augmentation", "augmentation", L),
            "training": self._dock(self.training_panel, "Training", "training", R),
            "runs": self._dock(self.runs_panel, "Runs", "runs", R),
        }
        d = self.docks
        self.tabifyDockWidget(d["data"], d["model"])
        self.tabifyDockWidget(d["model"], d["regularization"])
        self.tabifyDockWidget(d["regularization"], d["augmentation"])
        d["regularization"].raise_()
        self.resizeDocks([d["regularization"], d["training"]], [400, 430],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([d["training"], d["runs"]], [520, 240], Qt.Orientation.Vertical)

    def _build_menus(self) -> None:
        a = self.actions
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for key in ("new", "open", "save", "save_as"):
            m.addAction(a[key])
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addSeparator()
        m.addAction(a["export_plot"])
        m.addAction(a["export_history"])
        m.addAction(a["export_model"])
        m.addAction(a["export_pytorch"])
        m.addAction(a["export_keras"])
        m.addSeparator()
        m.addAction(a["quit"])
        m = mb.addMenu("&Edit")
        m.addAction(a["undo"])
        m.addAction(a["redo"])
        m = mb.addMenu("&Training")
        for key in ("start", "pause", "stop", "step", "reset"):
            m.addAction(a[key])
        self.view_menu = m = mb.addMenu("&View")
        m.addAction(a["log_y"])
        m.addAction(a["batch_loss"])
        m.addSeparator()
        for dock in self.docks.values():
            m.addAction(dock.toggleViewAction())
        self._build_lessons_menu(mb.addMenu("&Lessons"))
        m = mb.addMenu("&Help")
        m.addAction(a["guide"])
        m.addAction(a["about"])

    def _build_toolbar(self) -> None:
        tb = QToolBar("Training")
        tb.setObjectName("toolbar_training")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for key in ("start", "pause", "stop", "step", "reset"):
            tb.addAction(self.actions[key])
        tb.addSeparator()
        tb.addAction(self.actions["undo"])
        tb.addAction(self.actions["redo"])
        tb.addSeparator()
        tb.addAction(self.actions["log_y"])
        self.addToolBar(tb)

    def _connect(self) -> None:
        a, s = self.actions, self.state
        a["new"].triggered.connect(self.new_experiment)
        a["open"].triggered.connect(lambda: self.open_file())
        a["save"].triggered.connect(self.save)
        a["save_as"].triggered.connect(self.save_as)
        a["export_plot"].triggered.connect(lambda: self.export_plot())
        a["export_history"].triggered.connect(lambda: self.export_history())
        a["export_model"].triggered.connect(lambda: self.export_model())
        a["export_pytorch"].triggered.connect(lambda: self.export_script("pytorch"))
        a["export_keras"].triggered.connect(lambda: self.export_script("keras"))
        a["quit"].triggered.connect(self.close)
        a["undo"].triggered.connect(s.undo_stack.undo)
        a["redo"].triggered.connect(s.undo_stack.redo)
        s.undo_stack.canUndoChanged.connect(self._on_undo_changed)
        s.undo_stack.canRedoChanged.connect(self._on_undo_changed)
        a["start"].triggered.connect(self.start)
        a["pause"].toggled.connect(self.set_paused)
        a["stop"].triggered.connect(self.stop)
        a["step"].triggered.connect(self.step)
        a["reset"].triggered.connect(self.reset)
        a["log_y"].toggled.connect(self.loss_plot.set_log_y)
        a["batch_loss"].toggled.connect(self.loss_plot.set_batch_visible)
        a["guide"].triggered.connect(lambda: TextDialog("Guide", GUIDE, self).exec())
        a["about"].triggered.connect(lambda: TextDialog("About", ABOUT, self).exec())
        s.changed.connect(self._on_state_changed)
        s.edited.connect(self._on_edited)
        s.path_changed.connect(self._on_path_changed)
        s.dataset_changed.connect(self._on_dataset)
        self.model_panel.validity_changed.connect(self._on_validity)
        self.runs_panel.overlay_toggled.connect(self.loss_plot.set_overlay)
        self.runs_panel.duplicate_requested.connect(self.duplicate_run)
        self.runs_panel.export_csv_requested.connect(lambda: self.export_runs_csv())
        self.runs_panel.export_report_requested.connect(lambda: self.export_report())
        self.setAcceptDrops(True)

    # ------------------------------------------------------------------ state reactions
    def _on_path_changed(self, _path: str) -> None:
        self._update_title()

    def _on_state_changed(self, section: str) -> None:
        self._update_title()

    def _on_edited(self, path: str, value) -> None:
        if not self.is_running or self._revert_pending:
            return
        key = live_key(path)
        if key == "augmentation":
            if self._run_augmentable:  # table data has no augmentation to change
                self.worker.change("augmentation", self.state.frozen()["augmentation"])
        elif key is not None:
            self.worker.change(key, value)
        elif section_of(path) in ("model", "data"):
            what = "the network" if section_of(path) == "model" else "the data"
            if self.confirm("Change while training",
                            f"This edit changes {what}, so the run cannot continue with it.\n"
                            "Stop the current run? (No undoes the edit.)"):
                self.stop()
            else:
                self._revert_pending = True  # one answer per edit, and its undo asks nothing
                QTimer.singleShot(0, self._undo_refused_edit)
        elif section_of(path) in ("training", "early_stopping", "regularization"):
            self.statusBar().showMessage(f"{path} takes effect at the next Start", 4000)

    def _undo_refused_edit(self) -> None:
        try:
            self.state.undo_stack.undo()
        finally:
            self._revert_pending = False

    def _on_undo_changed(self, _can: bool) -> None:
        self._update_actions()

    def _on_dataset(self) -> None:
        self._update_actions()

    def _on_validity(self, reason: str) -> None:
        self._start_block = reason
        self._update_actions()

    def confirm(self, title: str, text: str) -> bool:
        """Ask yes/no (tests replace this)."""
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ training
    @property
    def is_running(self) -> bool:
        return self.thread is not None and self.worker is not None

    def start(self, step: bool = False) -> bool:
        if self.is_running:
            return False
        commit_typing()
        # The Data panel reloads 250 ms after an edit: load now (a no-op when it is current),
        # so the model is checked against the data this run will use.
        self.state.reload_dataset()
        reason = self._start_reason()
        if reason:
            self.show_banner(reason, error=True)
            return False
        try:
            from regstudio.experiments.config import validate_config

            config = validate_config(self.state.frozen())
        except Exception as exc:
            self.show_banner(f"Cannot start: {exc}", error=True)
            return False
        self.hide_banner()
        self.run_count += 1
        self.loss_plot.clear()
        self.loss_plot.set_epoch_range(config["training"]["epochs"])
        self.weights_plot.clear()
        self.predictions_plot.clear()
        base_dir = str(Path(self.state.path).parent) if self.state.path else None
        dataset = self.state.dataset_for(self.state.config["data"])
        self._run_augmentable = dataset is not None and dataset.train.images is not None
        self.weights_plot.set_image_shape(dataset.image_shape if dataset is not None else None)
        self.worker = w = TrainingWorker(config, base_dir=base_dir, dataset=dataset)
        w.epochs.connect(self._on_epochs)
        w.batch_losses.connect(self.loss_plot.add_batches)
        w.progress.connect(self._on_progress)
        w.weights.connect(self.weights_plot.set_snapshot)
        w.predictions.connect(self.predictions_plot.set_predictions)
        w.live_change.connect(self._on_live_change)
        w.diverged.connect(self._on_diverged)
        w.run_finished.connect(self._on_run_finished)
        w.failed.connect(self._on_failed)
        self._run_config = config
        self._run_rows: list = []
        self._paused = False
        if step:
            w.step_epochs(1)
            self._paused = True
        self.thread = start_worker(w)
        self.thread.finished.connect(self._on_thread_finished)
        self._poll.start()
        self._set_pause_checked(step)
        self.status_label.setText("starting…" if not step else "stepping one epoch…")
        self._update_actions()
        self.run_started.emit()
        return True

    def set_paused(self, paused: bool) -> None:
        if not self.is_running or paused == self._paused:
            return
        self._paused = paused
        self._set_pause_checked(paused)
        if paused:
            self.worker.pause()
            self.status_label.setText("paused (between batches)")
        else:
            self.worker.resume()
            self.status_label.setText("resumed")
        self._update_actions()

    def _set_pause_checked(self, checked: bool) -> None:
        a = self.actions["pause"]
        a.blockSignals(True)
        a.setChecked(checked)
        a.setText("&Resume" if checked else "&Pause")
        a.blockSignals(False)

    def pause(self) -> None:
        self._set_pause_checked(True)
        self.set_paused(True)

    def resume(self) -> None:
        self._set_pause_checked(False)
        self.set_paused(False)

    # ------------------------------------------------------------------ lessons
    def _build_lessons_menu(self, menu) -> None:
        from regstudio.experiments.lessons import LESSONS

        self._lesson = None
        self._lesson_queue: list = []
        for number, item in enumerate(LESSONS, start=1):
            action = menu.addAction(f"&{number} · {item.title}")
            action.setStatusTip(item.explanation.split(". ")[0] + ".")
            action.setToolTip(item.explanation)
            action.triggered.connect(lambda _checked=False, item=item: self.run_lesson(item))

    def run_lesson(self, item) -> bool:
        """Load the lesson's runs and train them one after another, explaining what to look at."""
        self.stop()  # ends a lesson in progress too
        if not self.stop_and_wait() or (self._session and not self._maybe_save()):
            return False
        self._lesson, self._lesson_queue = item, list(item.runs)
        self._lesson_run_ids: list[str] = []
        return self._next_lesson_run()

    def _next_lesson_run(self) -> bool:
        label, config = self._lesson_queue.pop(0)
        self.state.replace(config)
        started = self.start()
        if started:
            self._lesson_run_ids.append(f"run{self.run_count}")
            step = len(self._lesson_run_ids)
            total = step + len(self._lesson_queue)
            self.show_banner(f"<b>Lesson: {self._lesson.title}</b> (run {step} of {total}: {label}). "
                             f"{self._lesson.explanation}")
        else:
            self._lesson_queue.clear()
        return started

    def _lesson_finished_run(self, reason: str) -> None:
        """After each lesson run: start the next one, or overlay them all at the end."""
        if self._lesson is None:
            return
        if self._lesson_queue and reason in ("completed", "early_stopping"):
            QTimer.singleShot(0, self._next_lesson_run)
            return
        if not self._lesson_queue and len(self._lesson_run_ids) > 1:
            for run_id in self._lesson_run_ids[:-1]:
                self.runs_panel.set_checked(run_id, True)
        self._lesson_queue.clear()
        self._lesson = None

    def stop(self) -> None:
        self._lesson_queue.clear()  # a stopped lesson does not go on by itself
        if self.is_running:
            self.worker.request_stop()
            self.status_label.setText("stopping…")

    def step(self) -> None:
        if not self.is_running:
            self.start(step=True)
            return
        self.worker.step_epochs(1)
        self._paused = True
        self._set_pause_checked(True)
        self.status_label.setText("stepping one epoch…")

    def reset(self) -> None:
        self.stop_and_wait()
        self._clear_views()
        self.training_panel.set_progress(0, 1, "ready: next Start begins from fresh weights")
        self.status_label.setText("ready")

    def _clear_views(self) -> None:
        self.loss_plot.clear()
        self.weights_plot.clear()
        self.predictions_plot.clear()

    def _forget_runs(self) -> None:
        """A new or opened experiment: no views or exports of the previous session's runs."""
        self._clear_views()
        self.last_run = None
        self.runs_panel.clear()
        self.run_count = 0
        self._update_actions()

    def stop_and_wait(self, timeout_ms: int = 5000) -> bool:
        """Stop the run and join the thread (close, reset, open, lessons, tests).

        The run's last signals (its final curves, its entry in the Runs table) are still
        queued when the thread ends: they are delivered here, while it is the current run,
        so that nothing of it reaches the views or the table after what comes next.
        """
        if self.thread is None:
            return True
        self.worker.request_stop()
        ok = self.thread.wait(timeout_ms)
        if ok:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.MetaCall)
            self._on_thread_finished()
        return ok

    def _on_poll(self) -> None:
        if self.worker is not None:
            self.worker.poll()

    def _on_epochs(self, rows: list) -> None:
        self._run_rows.extend(rows)
        self.loss_plot.add_epochs(rows)
        self.weights_plot.add_norms(rows)

    def _on_progress(self, p: dict) -> None:
        eta = p.get("eta_seconds", float("nan"))
        eta_text = "" if eta != eta else f" · ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        text = (f"epoch {p['epoch']}/{p['epochs']} · batch {p['batch']}/{p['n_batches']} · "
                f"{p['samples_per_second']:,.0f} samples/s{eta_text}")
        if not self._paused:
            self.status_label.setText(text)
        self.training_panel.set_progress(p["epoch"], p["epochs"], f"epoch {p['epoch']}/{p['epochs']}")

    def _on_live_change(self, change: dict) -> None:
        self.loss_plot.add_change(change)
        self.statusBar().showMessage(
            f"epoch {change['epoch']}: {change['key']} changed while training", 5000)

    def _on_run_finished(self, info: dict) -> None:
        reason = info.get("reason", "completed")
        self.loss_plot.set_stopped(reason, info["summary"].get("stopped_epoch"))
        history = info.get("history") or self._run_rows
        self.last_run = {"config": self._run_config, "history": history, **info}
        best = info.get("best_epoch")
        label = f"#{self.run_count} {self._describe_run(self._run_config)}"
        if info.get("changes"):
            label += " + live changes"
        self.runs_panel.add_run(f"run{self.run_count}", label, history, info)
        self.state.mark_unsaved_changes()  # the project now holds a run that is not saved
        self._update_title()
        if self._session:
            self.autosaver.save_now()
        text = {"completed": "finished", "early_stopping": "stopped early (patience ran out)",
                "cancelled": "stopped", "diverged": "diverged"}.get(reason, reason)
        msg = f"Run {text}" + (f"; lowest validation loss at epoch {best}" if best else "")
        self.status_label.setText(msg)
        if reason == "diverged":
            self.show_banner("The loss became infinite or NaN, so training stopped. "
                             "Try a lower learning rate (÷10) or a weaker penalty (smaller "
                             "alpha). " + (info.get("message") or ""), error=True)
        self.run_stopped.emit(reason)

    def _on_diverged(self, info: dict) -> None:
        """The engine paused itself on NaN/inf with the last good weights: say what to try."""
        self._paused = True
        self._set_pause_checked(True)
        self._update_actions()
        self.status_label.setText(f"paused: diverged in epoch {info['epoch']}")
        self.show_banner(f"Training diverged in epoch {info['epoch']} (the loss became infinite or NaN) "
                         "and is paused with the last good weights. Lower the learning rate (÷10) or "
                         "weaken the penalty, then press Resume; or Stop.", error=True)

    def _on_failed(self, message: str, details: str) -> None:
        self._lesson_queue.clear()
        self.show_banner(f"Training failed: {message}", error=True)
        self._failure_details = details
        self.status_label.setText("training failed")
        self.run_stopped.emit("error")

    def _on_thread_finished(self) -> None:
        if self.thread is None:
            return
        self.thread.wait()
        self._poll.stop()
        self.thread = None
        self.worker = None
        self._paused = False
        self._set_pause_checked(False)
        self._update_actions()
        self._lesson_finished_run((self.last_run or {}).get("reason", "error"))

    @staticmethod
    def _describe_run(cfg: dict) -> str:
        r = cfg.get("regularization", {})
        parts = []
        if r.get("l2"):
            parts.append(f"L2 {r['l2']:g}")
        if r.get("l1"):
            parts.append(f"L1 {r['l1']:g}")
        drops = [lay.get("rate") for lay in cfg.get("model", {}).get("layers", [])
                 if lay.get("type") == "dropout"]
        if drops:
            parts.append("dropout " + "/".join(f"{d:g}" for d in drops))
        if cfg.get("early_stopping", {}).get("enabled"):
            parts.append("early stop")
        if cfg.get("augmentation", {}).get("enabled"):
            parts.append("augment")
        return ", ".join(parts) or "no regularization"

    def _start_reason(self) -> str:
        if self._start_block:
            return self._start_block
        if self.state.dataset_error:
            return f"Fix the data first: {self.state.dataset_error}"
        return ""

    def _update_actions(self) -> None:
        a = self.actions
        running = self.is_running
        reason = self._start_reason()
        a["start"].setEnabled(not running and not reason)
        a["start"].setToolTip(f"Cannot start: {reason}" if reason else
                              "Start training the network from fresh weights (Ctrl+R, F5)")
        self.training_panel.set_blocked_reason(f"Cannot start: {reason}" if reason else "")
        a["pause"].setEnabled(running)
        a["stop"].setEnabled(running)
        a["step"].setEnabled(running or not reason)
        a["undo"].setEnabled(self.state.undo_stack.canUndo())
        a["redo"].setEnabled(self.state.undo_stack.canRedo())
        a["export_history"].setEnabled(self.last_run is not None)
        a["export_model"].setEnabled(self.last_run is not None and self.last_run.get("model") is not None)

    # ------------------------------------------------------------------ messages
    def show_banner(self, text: str, error: bool = False) -> None:
        color = "#fdecea" if error else "#e8f4fd"
        border = "#e74c3c" if error else "#3498db"
        self.banner.setStyleSheet(f"QLabel#banner {{ background: {color}; color: #222; "
                                  f"border: 1px solid {border}; padding: 6px; }}")
        self.banner.setText(text)
        self.banner.show()

    def hide_banner(self) -> None:
        self.banner.hide()
        self.banner.setText("")

    # ------------------------------------------------------------------ files
    def _update_title(self) -> None:
        name = Path(self.state.path).name if self.state.path else "untitled"
        self.setWindowTitle(f"{name}[*] — Regularization Studio")
        self.setWindowModified(self.state.is_modified)

    # ------------------------------------------------------------------ autosave / recovery
    def _autosave(self, path: str) -> bool:
        """The project as it is, to the autosave file (the open file and its state untouched)."""
        from regstudio.experiments.project import save_project

        try:
            save_project(path, self._project_for(path))
        except (OSError, ValueError) as exc:
            self.statusBar().showMessage(f"Autosave failed: {exc}", 6000)
            return False
        return True

    def _build_recovery_bar(self) -> None:
        from PySide6.QtWidgets import QHBoxLayout, QPushButton

        self.recovery_bar = bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(6, 2, 6, 2)
        self.recovery_label = QLabel("")
        self.recover_button = QPushButton("Recover")
        self.recover_button.setToolTip("Open the autosaved experiment and its runs")
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Delete the autosave and start fresh")
        row.addWidget(self.recovery_label, 1)
        row.addWidget(self.recover_button)
        row.addWidget(self.discard_button)
        self.recover_button.clicked.connect(self.recover_autosave)
        self.discard_button.clicked.connect(self.discard_autosave)
        bar.hide()
        self.centralWidget().layout().insertWidget(0, bar)

    def _offer_recovery(self) -> None:
        leftover = self.autosaver.leftover()
        if leftover is None:
            return
        from datetime import datetime

        when = datetime.fromtimestamp(leftover.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        self.recovery_label.setText(f"Regularization Studio did not close cleanly last time. An autosave "
                                    f"from {when} holds the experiment and its runs.")
        self.recovery_bar.show()

    def recover_autosave(self) -> bool:
        path = self.autosaver.leftover()
        self.recovery_bar.hide()
        if path is None or not self.open_file(str(path)):
            return False
        self.state.mark_unsaved()  # a recovered project is saved where the user chooses
        self.statusBar().showMessage("Recovered the autosave; use Save As to keep it", 8000)
        return True

    def discard_autosave(self) -> None:
        self.autosaver.path.unlink(missing_ok=True)
        self.recovery_bar.hide()

    def _maybe_save(self) -> bool:
        if not self.state.is_modified:
            return True
        ans = QMessageBox.question(
            self, "Unsaved changes", "Save the changes to the experiment first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if ans == QMessageBox.StandardButton.Save:
            return self.save()
        return ans == QMessageBox.StandardButton.Discard

    def new_experiment(self) -> None:
        # Stop first: the stopped run joins the Runs table, so the question below covers it.
        if not self.stop_and_wait() or not self._maybe_save():
            return
        from regstudio.experiments.config import default_config

        self._forget_runs()
        self.state.replace(default_config())

    def open_file(self, path: str | None = None) -> bool:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open experiment",
                                                  settings.read("last_dir"), FILE_FILTER)
            if not path:
                return False
        from regstudio.experiments.project import ProjectError, load_project

        try:
            project = load_project(path)  # everything checked before anything changes here
        except ProjectError as exc:
            show_error(self, "Cannot open", str(exc))
            return False
        if not self.stop_and_wait() or (self._session and not self._maybe_save()):
            return False
        self._forget_runs()
        self.state.replace(project.experiment, path=str(path))
        for run in project.runs:
            summary = run.summary
            self.runs_panel.add_run(run.id, run.name, run.history, {
                "summary": summary, "best_epoch": summary.get("best_epoch"),
                "reason": summary.get("stop_reason"), "config": run.config,
                "changes": run.changes, "weights": run.weights})
        numbers = [int(run.id[3:]) for run in project.runs if run.id[3:].isdigit()]
        self.run_count = max([len(project.runs), *numbers])  # new runs get ids of their own
        settings.add_recent(str(path))
        settings.write("last_dir", str(Path(path).parent))
        return True

    def save(self) -> bool:
        # A project is a .regstudio archive: an opened .json config is not overwritten with one.
        if not self.state.path or Path(self.state.path).suffix.lower() != ".regstudio":
            return self.save_as()
        return self.save_to(self.state.path)

    def save_as(self) -> bool:
        suggested = (str(Path(self.state.path).with_suffix(".regstudio")) if self.state.path
                     else settings.read("last_dir"))
        path, _ = QFileDialog.getSaveFileName(self, "Save experiment", suggested, FILE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:  # the dialog asked about overwriting the name without it
            path += ".regstudio"
            if Path(path).exists() and not self.confirm(
                    "Replace file", f"{Path(path).name} already exists. Replace it?"):
                return False
        return self.save_to(path)

    def save_to(self, path: str) -> bool:
        """The experiment and every run of the session with its weights, written atomically."""
        from regstudio.experiments.project import save_project

        commit_typing()
        try:
            save_project(path, self._project_for(path))
        except (OSError, ValueError) as exc:
            show_error(self, "Cannot save", f"{path}: {exc}")
            return False
        self.state.mark_saved(str(path))
        settings.add_recent(str(path))
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def _project_for(self, path: str) -> Project:
        """The experiment and its runs as a project to be written to ``path``, with the data
        paths read from its folder (relative when the data lie inside it)."""
        from regstudio.data import rebase_paths
        from regstudio.experiments.config import validate_config

        old, new = self.state.base_dir(), Path(path).parent

        def moved(config: dict) -> dict:
            return {**config, "data": rebase_paths(config["data"], old, new)} if "data" in config else config

        runs = [dataclasses.replace(run, config=moved(run.config)) for run in self.project_runs()]
        return Project(moved(validate_config(self.state.frozen())), runs)

    def project_runs(self) -> list[RunRecord]:
        """The session's runs as project records (oldest first)."""
        records = []
        for run_id, run in self.runs_panel.runs.items():
            info = run["info"]
            model = info.get("model")
            weights = model.get_weights() if model is not None else info.get("weights", {})
            records.append(RunRecord(run_id, run["label"], info.get("config") or self._run_config,
                                     run["history"], info.get("summary", {}), info.get("changes", []),
                                     weights))
        return records

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = settings.read("recent_files")
        for p in files:
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _c=False, p=p: self.open_file(p))
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def export_plot(self, path: str | None = None) -> bool:
        """The current tab as PNG (pixels) or SVG (vector, drawn by Qt's SVG generator)."""
        widget = self.tabs.currentWidget()
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export plot", "plot.png",
                                                  "PNG image (*.png);;SVG drawing (*.svg)")
            if not path:
                return False
        try:
            atomic_write(path, _svg(widget) if path.lower().endswith(".svg") else _png(widget))
        except _SvgUnavailable:
            show_error(self, "Cannot export as SVG", "This view exports as PNG only.")
            return False
        except OSError as exc:
            show_error(self, "Cannot export the plot", f"{path}: {exc}")
            return False
        return True

    def export_history(self, path: str | None = None) -> bool:
        if self.last_run is None:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export history", "history.csv",
                                                  "CSV (*.csv)")
            if not path:
                return False
        try:
            atomic_write(path, history_csv(self.last_run["history"]))
        except OSError as exc:
            show_error(self, "Cannot export the history", f"{path}: {exc}")
            return False
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def export_model(self, path: str | None = None) -> bool:
        """The last run's final weights (after any restore) and its config, as .npz."""
        run = self.last_run
        if run is None or run.get("model") is None:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export model", "model.npz", "NumPy archive (*.npz)")
            if not path:
                return False
        try:
            save_model(path, run["model"], run["config"], run.get("task", "classification"),
                       run.get("standardization"))
        except OSError as exc:
            show_error(self, "Cannot export the model", f"{path}: {exc}")
            return False
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    # ------------------------------------------------------------------ comparing runs
    def duplicate_run(self, run_id: str) -> bool:
        """Load a run's settings into the panels, to change one thing and train a variant."""
        run = self.runs_panel.runs.get(run_id)
        config = (run or {}).get("info", {}).get("config")
        if not config or self.is_running:
            return False
        self.state.set_config(config, f"Load the settings of {run['label']}")  # undoable
        self.show_banner(f"Loaded the settings of {run['label']} (Ctrl+Z goes back). Change something "
                         "(e.g. alpha or the dropout rate), then press Start to compare the two runs.")
        return True

    def export_runs_csv(self, path: str | None = None) -> bool:
        from regstudio.experiments.runs import runs_csv

        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export runs table", "runs.csv", "CSV (*.csv)")
            if not path:
                return False
        try:
            atomic_write(path, runs_csv(self.runs_panel.rows()))
        except OSError as exc:
            show_error(self, "Cannot export the table", f"{path}: {exc}")
            return False
        return True

    def export_report(self, path: str | None = None) -> bool:
        """One HTML page: the ticked runs (all when none is ticked), the loss plot with their
        overlays, the sweep's validation curve if there is one, the table and the configs."""
        from regstudio.experiments.runs import html_report

        ids = self.runs_panel.checked() or list(self.runs_panel.runs)
        if not ids:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export report", "report.html", "HTML (*.html)")
            if not path:
                return False
        runs = [{"row": self.runs_panel.runs[i]["row"], "config": self.runs_panel.runs[i]["info"].get("config")}
                for i in ids]
        images = {"Loss curves (ticked runs overlaid as dashed validation losses)": _png(self.loss_plot)}
        if 3 in self._lazy_views and self.sweep_view.rows:
            images["Sweep: loss at the best epoch against the swept value"] = _png(self.sweep_view.plot)
        try:
            atomic_write(path, html_report(self.state.config.get("name", "experiment"), runs, images))
        except OSError as exc:
            show_error(self, "Cannot export the report", f"{path}: {exc}")
            return False
        self.statusBar().showMessage(f"Wrote {path}", 6000)
        return True

    def export_script(self, framework: str, path: str | None = None) -> bool:
        """The experiment as a runnable PyTorch or Keras script (conventions converted)."""
        from regstudio.experiments.codegen import write_script

        if path is None:
            stem = "".join(c if c.isalnum() else "_" for c in self.state.config.get("name", "experiment"))
            suffix = "_torch.py" if framework == "pytorch" else "_keras.py"
            path, _ = QFileDialog.getSaveFileName(self, f"Export as {framework} script", stem + suffix,
                                                  "Python script (*.py)")
            if not path:
                return False
        try:
            write_script(path, self.state.frozen(), framework, overwrite=True,
                         dataset=self.state.dataset, base_dir=self.state.base_dir())
        except (OSError, ValueError) as exc:
            show_error(self, "Cannot export the script", str(exc))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 6000)
        return True

    # ------------------------------------------------------------------ drag and drop
    def file_dropped(self, path: str) -> None:
        """A project opens; anything else is data for the Data panel."""
        if path.endswith((".regstudio", ".json")):
            self.open_file(path)
        else:
            self.data_panel.use_path(path)
            self.docks["data"].raise_()

    # ------------------------------------------------------------------ settings / close
    def _restore_settings(self) -> None:
        geom = settings.read("geometry")
        if isinstance(geom, QByteArray | bytes) and geom:
            self.restoreGeometry(geom)
        else:  # first start: most of the screen, centred, so no panel needs scrolling
            screen = self.screen().availableGeometry() if self.screen() else None
            if screen is not None and screen.width() > 0:
                w = min(max(1400, int(screen.width() * 0.92)), screen.width())
                h = min(max(860, int(screen.height() * 0.92)), screen.height())
                self.resize(w, h)
                self.move(screen.x() + (screen.width() - w) // 2, screen.y() + (screen.height() - h) // 2)
        ws = settings.read("window_state")
        if isinstance(ws, QByteArray | bytes) and ws:
            self.restoreState(ws)
        self.actions["log_y"].setChecked(settings.read("log_y"))
        self.actions["batch_loss"].setChecked(settings.read("batch_loss"))
        self.loss_plot.set_batch_visible(settings.read("batch_loss"))

    def _save_settings(self) -> None:
        settings.write("geometry", self.saveGeometry())
        settings.write("window_state", self.saveState())
        settings.write("log_y", self.actions["log_y"].isChecked())
        settings.write("batch_loss", self.actions["batch_loss"].isChecked())

    def closeEvent(self, event) -> None:  # noqa: N802
        # Stop first: the stopped run joins the Runs table, so the question below covers it.
        self.stop_and_wait()
        if self._session and not self._maybe_save():
            event.ignore()
            return
        for view in self._lazy_views.values():
            view.stop_and_wait()
        if self._session:
            self.autosaver.discard()  # a clean exit leaves no autosave behind
        try:
            self._save_settings()
        except Exception:
            pass
        super().closeEvent(event)


_COLLECTOR = None


def collect_garbage_in_gui_thread() -> None:
    """Python's cycle collector runs in whichever thread happens to allocate: in the training
    thread it may delete widgets of a closed dialog or window, and Qt then deadlocks (the GUI
    thread waits for a Qt lock the training thread holds while it waits for the GIL). So the
    automatic collector is off and a GUI-thread timer collects instead, once a second
    (pyqtgraph's GarbageCollector)."""
    global _COLLECTOR
    if _COLLECTOR is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _COLLECTOR = GarbageCollector(interval=1.0)


def commit_typing() -> None:
    """Apply a number still being typed in the focused box (F5 or Ctrl+S pressed before Enter)."""
    focused = QApplication.focusWidget()
    if isinstance(focused, QAbstractSpinBox):
        focused.interpretText()


def _png(widget) -> bytes:
    """A pyqtgraph widget rendered to PNG bytes (for reports)."""
    from PySide6.QtCore import QBuffer, QIODevice

    from .app import render_to_image

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    render_to_image(widget).save(buffer, "PNG")
    return bytes(buffer.data())


class _SvgUnavailable(Exception):
    """The view is not a single plot scene (the variance meter's two panels)."""


def _svg(widget) -> bytes:
    """A plot tab as SVG (vector lines and text), through pyqtgraph's exporter."""
    from .svg_export import export_svg

    if hasattr(widget, "export_scene"):
        return export_svg(widget.export_scene())
    if hasattr(widget, "scene"):
        return export_svg(widget.scene())
    raise _SvgUnavailable()
