"""MainWindow: panels in docks editing one ExperimentState, plots in the centre.

The window builds itself, wires its rooms together and keeps the enable rules, banners,
settings and closing. The work is done in rooms with one job each, which signal back:
:class:`RunController` (training), :class:`ProjectFiles` (new/open/save/autosave),
:class:`Exports`, :class:`LessonPlayer`; the runs live in a Qt-free :class:`Session`.
The Sweep and Variance tabs are built on first use (:class:`LazyTabs`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStyle,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from regstudio.experiments.session import Session

from . import settings
from .actions import create_actions
from .dialogs.about import ABOUT, GUIDE, TextDialog
from .exports import Exports, ExportViews
from .file_drop import FileDropTarget
from .gc_policy import collect_garbage_in_gui_thread
from .lazy_tabs import LazyTabs
from .lesson_player import LessonPlayer
from .panels.augmentation_panel import AugmentationPanel
from .panels.data_panel import DataPanel
from .panels.model_panel import ModelPanel
from .panels.regularization_panel import RegularizationPanel
from .panels.runs_panel import RunsPanel
from .panels.training_panel import TrainingPanel
from .plots.loss_plot import LossPlot
from .plots.predictions_plot import PredictionsPlot
from .plots.sweep_view import SweepView
from .plots.variance_view import VarianceView
from .plots.weights_plot import WeightsPlot
from .project_files import ProjectFiles
from .run_controller import RunController, RunViews
from .state import ExperimentState

DOCK_MAX_WIDTH = 440  # a side dock wider than this gives the panels nothing but takes from the plots


class MainWindow(FileDropTarget, QMainWindow):
    """The Regularization Studio window. ``restore=True`` (the real app) restores and saves
    the window settings, autosaves and asks about unsaved changes; windows built for tests
    and benchmarks leave the user's files alone."""

    def __init__(self, state: ExperimentState | None = None, restore: bool = True):
        super().__init__()
        collect_garbage_in_gui_thread()
        self.setObjectName("main_window")
        self.state = state or ExperimentState(parent=self)
        self.session = Session()
        self.actions = create_actions(self)
        self._build_central()
        self._build_docks()
        self.runner = RunController(
            self.state, self.session,
            RunViews(self.loss_plot, self.weights_plot, self.predictions_plot, self.training_panel),
            lambda title, text: self.confirm(title, text), self)
        self._restore = restore
        self.files = ProjectFiles(self, self.state, self.session, self.runner,
                                  lambda title, text: self.confirm(title, text), autosave=restore)
        self.centralWidget().layout().insertWidget(0, self.files.recovery_bar)
        self.exports = Exports(self, self.state, self.session, ExportViews(
            self.tabs, self.loss_plot, lambda: self.lazy_tabs.built(self._sweep_tab), self.runs_panel))
        self.lessons = LessonPlayer(self.runner, self.files, self)
        self.status_label = QLabel("ready")
        self.statusBar().addPermanentWidget(self.status_label)
        self._build_menus()
        self._build_toolbar()
        self._connect()
        self.resize(1400, 860)
        self._size_docks()
        if restore:
            self._restore_settings()
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
        self.lazy_tabs = LazyTabs(self.tabs)  # built when first shown: the window opens sooner
        self._sweep_tab = self.lazy_tabs.add(
            lambda: SweepView(self.state, self.session), "Sweep", "Train each value of alpha (or a dropout "
            "rate) a few times, see the band, and pick the best or the 1-SE choice")
        self._variance_tab = self.lazy_tabs.add(
            lambda: VarianceView(self.state), "Variance", "Fit K models on bootstrap resamples, with and "
            "without the regularizer, and see how much they disagree")
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

    def _dock(self, widget: QWidget, title: str, name: str,
              area=Qt.DockWidgetArea.LeftDockWidgetArea, scroll: bool = True) -> QDockWidget:
        """A dock holding ``widget``, in a scroll area unless the widget scrolls itself."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        if scroll:
            area_widget = QScrollArea()
            area_widget.setWidgetResizable(True)
            area_widget.setWidget(widget)
            area_widget.setFrameShape(QScrollArea.Shape.NoFrame)
            widget = area_widget
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    @property
    def sweep_view(self):
        return self.lazy_tabs.view(self._sweep_tab)

    @property
    def variance_view(self):
        return self.lazy_tabs.view(self._variance_tab)

    def _build_docks(self) -> None:
        s = self.state
        self.data_panel = DataPanel(s)
        self.model_panel = ModelPanel(s)
        self.reg_panel = RegularizationPanel(s)
        self.aug_panel = AugmentationPanel(s)
        self.training_panel = TrainingPanel(s, self.actions)
        self.runs_panel = RunsPanel(self.session)
        L, R = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.docks = {
            "data": self._dock(self.data_panel, "1 · Data", "data", L),
            "model": self._dock(self.model_panel, "2 · Model", "model", L),
            "regularization": self._dock(self.reg_panel, "3 · Regularization", "regularization", L),
            "augmentation": self._dock(self.aug_panel, "4 · Augmentation", "augmentation", L),
            "training": self._dock(self.training_panel, "Training", "training", R),
            "runs": self._dock(self.runs_panel, "Runs", "runs", R, scroll=False),  # its table scrolls
        }
        d = self.docks
        self.tabifyDockWidget(d["data"], d["model"])
        self.tabifyDockWidget(d["model"], d["regularization"])
        self.tabifyDockWidget(d["regularization"], d["augmentation"])
        d["regularization"].raise_()
        # the step panels as tabs down the left edge: their full names stay readable at any width
        self.setTabPosition(L, QTabWidget.TabPosition.West)
        scrollbar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        for dock in d.values():  # never squeezed until the fields are cut off
            panel = dock.widget().widget() if isinstance(dock.widget(), QScrollArea) else dock.widget()
            dock.setMinimumWidth(min(DOCK_MAX_WIDTH, panel.minimumSizeHint().width() + scrollbar + 4))

    def _size_docks(self) -> None:
        """Side docks a quarter of the window each (within limits): the plots keep the middle."""
        d, w = self.docks, self.width()
        side = min(DOCK_MAX_WIDTH, w // 4)  # a dock's minimum width wins over this
        self.resizeDocks([d["regularization"], d["training"]], [side, side], Qt.Orientation.Horizontal)
        column = d["training"].height() + d["runs"].height()  # sizes are shares of this
        training = self.training_panel.sizeHint().height() + 24  # all of it (and the title bar)
        self.resizeDocks([d["training"], d["runs"]], [training, max(160, column - training)],
                         Qt.Orientation.Vertical)

    def _build_menus(self) -> None:
        a = self.actions
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for key in ("new", "open", "save", "save_as"):
            m.addAction(a[key])
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(lambda: self.files.fill_recent(self.recent_menu))
        m.addSeparator()
        for key in ("export_plot", "export_history", "export_model", "export_runs", "export_report",
                    "export_pytorch", "export_keras"):
            m.addAction(a[key])
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
        self.lessons.fill_menu(mb.addMenu("&Lessons"))
        m = mb.addMenu("&Help")
        m.addAction(a["guide"])
        m.addAction(a["about"])

    def _build_toolbar(self) -> None:
        tb = QToolBar("Training")
        tb.setObjectName("toolbar_training")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for key in ("start", "pause", "stop", "step", "reset", None, "undo", "redo", None, "log_y"):
            tb.addAction(self.actions[key]) if key else tb.addSeparator()
        self.addToolBar(tb)

    def _connect(self) -> None:
        a, s, r, f, x = self.actions, self.state, self.runner, self.files, self.exports
        for key, slot in (("new", f.new_experiment), ("open", lambda: f.open_file()), ("save", f.save),
                          ("save_as", f.save_as), ("export_plot", lambda: x.plot()),
                          ("export_history", lambda: x.history()), ("export_model", lambda: x.model()),
                          ("export_pytorch", lambda: x.script("pytorch")),
                          ("export_keras", lambda: x.script("keras")), ("quit", self.close),
                          ("export_runs", lambda: x.runs_csv()), ("export_report", lambda: x.report()),
                          ("undo", s.undo_stack.undo), ("redo", s.undo_stack.redo), ("start", r.start),
                          ("stop", r.stop), ("step", r.step), ("reset", r.reset),
                          ("guide", lambda: TextDialog("Guide", GUIDE, self).exec()),
                          ("about", lambda: TextDialog("About", ABOUT, self).exec())):
            a[key].triggered.connect(slot)
        a["pause"].toggled.connect(r.set_paused)
        self.tabs.currentChanged.connect(  # predictions while training only when they are seen
            lambda i: r.set_predictions_wanted(self.tabs.widget(i) is self.predictions_plot))
        r.set_predictions_wanted(self.tabs.currentWidget() is self.predictions_plot)
        a["log_y"].toggled.connect(self.loss_plot.set_log_y)
        self.loss_plot.log_y_changed.connect(self._show_log_y)  # the view switched by itself
        a["batch_loss"].toggled.connect(self.loss_plot.set_batch_visible)
        s.undo_stack.canUndoChanged.connect(self._update_actions)
        s.undo_stack.canRedoChanged.connect(self._update_actions)
        s.changed.connect(self._update_title)
        s.path_changed.connect(self._update_title)
        s.dataset_changed.connect(self._update_actions)
        self.model_panel.validity_changed.connect(self._on_validity)
        r.busy_changed.connect(self._update_actions)
        r.paused_changed.connect(self._set_pause_checked)
        r.status.connect(self.status_label.setText)
        r.banner.connect(self.show_banner)
        r.hide_banner.connect(self.hide_banner)
        r.run_added.connect(self._update_title)
        for room in (r, f, x):
            room.message.connect(self.statusBar().showMessage)
        f.opened.connect(self._update_actions)
        self.lessons.banner.connect(self.show_banner)
        self.lessons.tick.connect(lambda run_id: self.runs_panel.set_checked(run_id, True))
        self.runs_panel.overlay_toggled.connect(self.loss_plot.set_overlay)
        self.runs_panel.duplicate_requested.connect(r.duplicate_run)
        self.runs_panel.remove_requested.connect(r.remove_run)
        self.runs_panel.export_csv_requested.connect(lambda: x.runs_csv())
        self.runs_panel.export_report_requested.connect(lambda: x.report())
        self.setAcceptDrops(True)

    # ------------------------------------------------------------------ reactions
    def _on_validity(self, reason: str) -> None:
        self.runner.block = reason
        self._update_actions()

    def _set_pause_checked(self, checked: bool) -> None:
        a = self.actions["pause"]
        a.blockSignals(True)
        a.setChecked(checked)
        a.setText("&Resume" if checked else "&Pause")
        a.blockSignals(False)

    def confirm(self, title: str, text: str) -> bool:
        """Ask yes/no (tests replace this)."""
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def file_dropped(self, path: str) -> None:
        """A project opens; anything else is data for the Data panel."""
        if path.endswith((".regstudio", ".json")):
            self.files.open_file(path)
        else:
            self.data_panel.use_path(path)
            self.docks["data"].raise_()

    # ------------------------------------------------------------------ enable rules, messages
    def _update_actions(self, *_args) -> None:
        a, running = self.actions, self.runner.is_training
        reason = self.runner.start_reason()
        a["start"].setEnabled(not running and not reason)
        a["start"].setToolTip(f"Cannot start: {reason}" if reason else
                              "Start training the network from fresh weights (Ctrl+R, F5)")
        self.training_panel.set_blocked_reason(f"Cannot start: {reason}" if reason else "")
        a["pause"].setEnabled(running)
        a["stop"].setEnabled(running)
        a["step"].setEnabled(running or not reason)
        a["undo"].setEnabled(self.state.undo_stack.canUndo())
        a["redo"].setEnabled(self.state.undo_stack.canRedo())
        last = self.session.last
        a["export_history"].setEnabled(last is not None)
        a["export_model"].setEnabled(last is not None and last.model is not None)
        a["export_runs"].setEnabled(last is not None)
        a["export_report"].setEnabled(last is not None)

    def show_banner(self, text: str, error: bool = False) -> None:
        color, border = ("#fdecea", "#e74c3c") if error else ("#e8f4fd", "#3498db")
        self.banner.setStyleSheet(f"QLabel#banner {{ background: {color}; color: #222; "
                                  f"border: 1px solid {border}; padding: 6px; }}")
        self.banner.setText(text)
        self.banner.show()

    def hide_banner(self) -> None:
        self.banner.hide()
        self.banner.setText("")

    def _update_title(self, *_args) -> None:
        name = Path(self.state.path).name if self.state.path else "untitled"
        self.setWindowTitle(f"{name}[*] — Regularization Studio")
        self.setWindowModified(self.state.is_modified)

    # ------------------------------------------------------------------ settings / close
    def _restore_settings(self) -> None:
        geom = settings.read("geometry")
        if isinstance(geom, QByteArray | bytes) and geom and self.restoreGeometry(geom):
            self._keep_on_screen()
        else:
            self._fit_screen()
        ws = settings.read("window_state")
        if isinstance(ws, QByteArray | bytes) and ws:
            self.restoreState(ws)
        else:
            self._docks_sized = False  # sized on show, when the window has its real size
        self.actions["log_y"].setChecked(settings.read("log_y"))
        self.actions["batch_loss"].setChecked(settings.read("batch_loss"))
        self.loss_plot.set_batch_visible(settings.read("batch_loss"))

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not getattr(self, "_docks_sized", True):
            self._docks_sized = True
            QTimer.singleShot(0, self._size_docks)

    def _show_log_y(self, on: bool) -> None:
        """Tick the log-scale action to match the axis, without forcing the choice."""
        with QSignalBlocker(self.actions["log_y"]):
            self.actions["log_y"].setChecked(on)

    def _fit_screen(self) -> None:
        """First start: most of the screen, centred; maximized on a small screen (1366x768),
        where the window frame and a task bar leave no room for a fixed size."""
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is None or screen.width() <= 0:
            return
        w, h = int(screen.width() * 0.92), int(screen.height() * 0.92)
        self.resize(w, h)
        self.move(screen.x() + (screen.width() - w) // 2, screen.y() + (screen.height() - h) // 2)
        if screen.width() < 1500 or screen.height() < 900:
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    def _keep_on_screen(self) -> None:
        """A layout saved on a larger screen (or another monitor) is shrunk and moved onto this one."""
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is None or screen.width() <= 0 or screen.contains(self.frameGeometry()):
            return
        self.resize(min(self.width(), screen.width()), min(self.height(), screen.height()))
        x = min(max(self.x(), screen.x()), screen.right() - self.frameGeometry().width() + 1)
        y = min(max(self.y(), screen.y()), screen.bottom() - self.frameGeometry().height() + 1)
        self.move(max(x, screen.x()), max(y, screen.y()))

    def _save_settings(self) -> None:
        settings.write("geometry", self.saveGeometry())
        settings.write("window_state", self.saveState())
        settings.write("log_y", self.actions["log_y"].isChecked())
        settings.write("batch_loss", self.actions["batch_loss"].isChecked())

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.files.may_replace_session():  # the stopped run is in the question
            event.ignore()
            return
        for view in self.lazy_tabs.views():
            view.stop_and_wait()
        self.state.loader.wait()
        self.files.closing()
        if self._restore:  # a test or self-test window leaves the user's settings alone
            try:
                self._save_settings()
            except Exception:
                pass
        super().closeEvent(event)

