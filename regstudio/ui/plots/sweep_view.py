"""The Sweep tab: train at every value of alpha (or a dropout rate, or the training-set size),
R times or once per cross-validation fold, on a local process pool or a Dask cluster, and draw
the validation curve with its band as points arrive; a second setting makes a grid (a heat map).

Too weak a penalty overfits (low training loss, high validation loss), too strong underfits
(both high); the best value sits at the bottom of the validation curve, and the 1-SE choice is
the strongest setting as good as the best within one standard error. Either can be put into the
experiment with one click (undoable). A finished sweep joins the session and is saved with the
project. The data are read and the networks trained off the UI thread (``ui.sweep_worker``).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from regstudio.experiments.sweep_stats import best_index, one_se_index

from ..background import BackgroundTask, where
from ..state import get_path, set_path
from .sweep_controls import NONE, AxisControls, grid, parameter_label, sweep_parameters  # noqa: F401
from .sweep_curve import SweepCurvePlot
from .sweep_grid_view import SweepGridView

SPREADS = {
    "repeats": ("repeats (training seeds)",
                "Train each point R times with training seeds seed .. seed+R-1 (initial weights, batch "
                "order, dropout masks, augmentation) on the same split: the spread of training"),
    "folds": ("cross-validation folds",
              "K-fold cross-validation over the training + validation samples, one fit per fold "
              "(stratified for classes; the test split stays out): the spread of the split, which "
              "usually dominates"),
}


def choices(points: list[dict], params: list[str]) -> tuple[dict | None, dict | None]:
    """(best, 1-SE) among ``points``, by the rules ``SweepResult`` uses."""
    b, s = best_index(points), one_se_index(points, params)
    return (None if b is None else points[b]), (None if s is None else points[s])


def _loss(point: dict) -> str:
    se = point.get("best_val_loss_se")
    return f"{point['best_val_loss']:.4f}" + ("" if se is None else f" ± {se:.4f} SE")


def _epoch(epoch) -> str:
    """A best epoch, or the mean of several: ``41`` or ``65.7 (mean)``."""
    return f"{epoch:g}" if float(epoch).is_integer() else f"{epoch:.1f} (mean)"


class SweepView(BackgroundTask, QWidget):
    """Controls on top, the validation curve (or the heat map of a grid) below.

    ``session`` (optional, Qt-free): finished sweeps are added to it, and its last sweep is
    shown when a project is opened."""

    def __init__(self, state, session=None, parent=None):
        super().__init__(parent)
        self.state, self.session = state, session
        self.rows: dict[int, dict] = {}  # grid index -> row of the sweep shown
        self.live_fits: list[dict] = []  # the fits of the sweep running, as they end
        self.result = None  # the SweepResult shown, once finished (or loaded)
        self.swept = ""  # the label of the parameter of the sweep shown
        self.axes_shown: list[tuple[str, list]] = []  # (path, values) of the sweep shown
        self.labels: tuple[str, ...] = ()

        self.axis1 = AxisControls(state)
        self.axis2 = AxisControls(state, optional=True, max_count=4)
        self.param, self.low, self.high, self.count, self.log = self.axis1.widgets
        self.param2 = self.axis2.param
        self.spread = QComboBox()
        self.spread.setMinimumWidth(110)  # elided only when the window is narrow
        for key, (text, tip) in SPREADS.items():
            self.spread.addItem(text, key)
            self.spread.setItemData(self.spread.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.n_fits = QSpinBox(minimum=1, maximum=100, value=3)
        self.n_fits.setToolTip("Fits per point: the mean and its standard error come from them "
                               "(1 repeat: one fit per point, no band)")
        self.make_task_controls("Run sweep", "Train every point (and its repeats or folds) in parallel "
                                "and draw the validation curve", "fit", "fits",
                                (*self.axis1.widgets, *self.axis2.widgets, self.spread, self.n_fits))
        self.show_fits = QCheckBox("show single fits")
        self.show_fits.setToolTip("Each repeat or fold as a faint point beside the mean")
        self.use_best = QPushButton("Use best")
        self.use_one_se = QPushButton("Use 1-SE")
        for button in (self.use_best, self.use_one_se):
            button.setEnabled(False)
        self.message = QLabel("Choose a setting and a range, then Run sweep. Too weak a penalty "
                              "overfits, too strong underfits: the best value is at the bottom of the "
                              "validation curve.")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Parameter", self.axis1.row)
        form.addRow("Second (grid)", self.axis2.row)
        fits = QHBoxLayout()
        for w in (self.spread, self.n_fits, QLabel("per point · processes"), self.workers):
            fits.addWidget(w)
        fits.addWidget(self.scheduler, 1)
        form.addRow("Fits", fits)
        buttons = QHBoxLayout()
        for w in (self.run_button, self.cancel_button):
            buttons.addWidget(w)
        buttons.addWidget(self.progress, 1)
        form.addRow(buttons)
        outcome = QHBoxLayout()  # the summary naming best and 1-SE, beside what acts on them
        outcome.addWidget(self.message, 1)
        for w in (self.show_fits, self.use_best, self.use_one_se):
            outcome.addWidget(w, 0, Qt.AlignmentFlag.AlignTop)

        self.curve = SweepCurvePlot()
        self.heatmap = SweepGridView()
        self.views = QStackedWidget()
        self.views.addWidget(self.curve)
        self.views.addWidget(self.heatmap)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(outcome)
        layout.addWidget(self.views, 1)

        self.spread.currentIndexChanged.connect(self._on_spread)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.show_fits.toggled.connect(lambda _on: self._redraw())
        self.use_best.clicked.connect(lambda: self.use("best"))
        self.use_one_se.clicked.connect(lambda: self.use("one_se"))
        state.changed.connect(lambda _section: self.refresh_parameters())
        self._on_spread()
        self.refresh_parameters()
        if session is not None:
            session.subscribe(self._on_session)
            self._on_session("loaded", "")

    # -- compatibility names for the single-axis view ---------------------------------------
    @property
    def plot(self):
        """The plot shown (the curve, or the heat map of a grid): reports and exports."""
        return self.heatmap.canvas if self.views.currentWidget() is self.heatmap else self.curve

    @property
    def val_curve(self):
        return self.curve.mean["val"]

    @property
    def train_curve(self):
        return self.curve.mean["train"]

    @property
    def best_line(self):
        return self.curve.best_line

    def export_scene(self):
        """The plot shown, for File > Export plot."""
        return self.plot.scene()

    # -- controls -----------------------------------------------------------------------
    def refresh_parameters(self) -> None:
        self.axis1.refresh()
        self.axis2.refresh()

    def _on_spread(self) -> None:
        key = self.spread.currentData()
        self.spread.setToolTip(SPREADS[key][1])
        self.n_fits.setMinimum(2 if key == "folds" else 1)
        if key == "folds" and self.n_fits.value() < 3:
            self.n_fits.setValue(5)

    def values(self) -> list:
        return self.axis1.values()

    # -- running ------------------------------------------------------------------------
    def run(self) -> bool:
        if self.is_running:
            return False
        from regstudio.experiments.config import validate_config
        from regstudio.experiments.sweep import Sweep

        executor, scheduler = self.placement()
        base_dir = os.path.dirname(self.state.path) if self.state.path else None
        n, folds = self.n_fits.value(), self.spread.currentData() == "folds"
        try:  # checked here; the data are read in the worker thread (load=False)
            axes = [(self.axis1.path, self.axis1.values())]
            if self.axis2.path != NONE:
                axes.append((self.axis2.path, self.axis2.values()))
            sweep = Sweep(validate_config(self.state.frozen()), *axes[0], executor, self.workers.value(),
                          scheduler, base_dir, second=axes[1] if len(axes) == 2 else None,
                          repeats=1 if folds else n, folds=n if folds else None, load=False)
        except Exception as exc:
            self.message.setText(f"Cannot start the sweep: {exc}")
            return False
        # the panels may change the parameter list while it runs: the results keep these
        labels = (self.axis1.label, self.axis2.label)[:len(axes)]
        self._show_axes(axes, labels, self.log.isChecked())
        self.result = None
        self.rows.clear()
        self.live_fits = []
        self._redraw()
        self.progress.setRange(0, sweep.total)
        self.progress.setValue(0)
        self.message.setText(f"Training {sweep.total} networks ({len(sweep.cells)} points × {n} "
                             f"{'folds' if folds else 'fits'}) on "
                             f"{where(scheduler, min(self.workers.value(), sweep.total))}…")
        from ..sweep_worker import SweepWorker

        w = SweepWorker(sweep)
        w.point_done.connect(self._on_point)
        w.fit_done.connect(self._on_fit)
        w.finished.connect(self._on_finished)
        self.launch(w, "fits done", "The sweep failed")
        return True

    def _on_point(self, row: dict) -> None:
        self.rows[row["index"]] = row
        self._redraw()

    def _on_fit(self, fit: dict) -> None:
        """A fit ended: drawn at once when the single fits are shown (a 1-D sweep)."""
        self.live_fits.append(fit)
        if self.show_fits.isChecked() and len(self.axes_shown) == 1:
            self._redraw()

    def _on_finished(self, result) -> None:
        cancelled = result.cancelled
        if not result.points:
            self.message.setText("The sweep was cancelled before any point finished." if cancelled
                                 else "No point finished.")
            return
        self.show_result(result)
        if self.session is not None:
            self.session.add_sweep(result)  # saved with the project from now on
            self.state.mark_unsaved_changes()
        self.message.setText(("Cancelled: the finished fits are kept. " if cancelled else "")
                             + self.summary())

    # -- showing a sweep ------------------------------------------------------------------
    def _on_session(self, event: str, _run_id: str) -> None:
        if event in ("loaded", "cleared") and not self.is_running:
            sweeps = self.session.sweeps
            if sweeps:
                self.show_result(sweeps[-1])
                self.message.setText(f"The project's last sweep: {self.summary()}")
            else:
                self.result, self.axes_shown, self.live_fits = None, [], []
                self.rows.clear()
                self._redraw()

    def show_result(self, result) -> None:
        """Draw a finished (or loaded) ``SweepResult``."""
        labels = tuple(parameter_label(result.config, p) for p in result.params)
        axes = list(zip(result.params, result.values, strict=True))
        first = result.values[0]
        self._show_axes(axes, labels, min(first) > 0 and max(first) / min(first) >= 10)
        self.result = result
        self.rows = dict(enumerate(result.points))
        self._redraw()

    def _show_axes(self, axes: list, labels: tuple, log: bool) -> None:
        self.axes_shown, self.labels, self.swept = axes, labels, labels[0]
        grid2 = len(axes) == 2
        self.views.setCurrentWidget(self.heatmap if grid2 else self.curve)
        self.show_fits.setEnabled(not grid2)
        if not grid2:
            size = axes[0][0] == "data.train_size"
            self.curve.set_axis(f"{labels[0]} (samples)" if size else labels[0], log)
            self.curve.setTitle(("Learning curve" if size else "Validation curve")
                                + ": mean loss at the best epoch ± 1 standard error")

    def points(self) -> list[dict]:
        return [self.rows[i] for i in sorted(self.rows)]

    def choices(self) -> tuple[dict | None, dict | None]:
        """(best, 1-SE) of the sweep shown."""
        return choices(self.points(), [p for p, _ in self.axes_shown])

    def best_row(self) -> dict | None:
        return self.choices()[0]

    def summary(self) -> str:
        best, one_se = self.choices()
        if best is None:
            return "No point has a validation loss."
        text = (f"Best {self._where(best)} (validation loss {_loss(best)}, n = {best['n']}, "
                f"best epoch {_epoch(best['best_epoch'])}).")
        if one_se is not None:
            text += f" 1-SE choice: {self._where(one_se)} ({_loss(one_se)})."
        elif best.get("best_val_loss_se") is None:
            text += " Repeats or folds give a band and the 1-SE choice."
        return text

    def _where(self, point: dict) -> str:
        text = f"{self.labels[0]}: {point['value']:g}"
        return text + (f", {self.labels[1]}: {point['value2']:g}" if len(self.labels) == 2 else "")

    def _redraw(self) -> None:
        points = self.points()
        best, one_se = self.choices()
        if len(self.axes_shown) == 2:
            self.heatmap.show_points(self.labels, [v for _, v in self.axes_shown], points, best, one_se)
        else:
            fits = self.result.fits if self.result is not None else self.live_fits
            self.curve.show_points(points, fits, best, one_se, self.show_fits.isChecked())
        for button, point, name in ((self.use_best, best, "best"), (self.use_one_se, one_se, "1-SE")):
            button.setEnabled(point is not None and not self.is_running)
            button.setText(f"Use {name}" + (f" ({self._short(point)})" if point else ""))
        self.use_best.setToolTip("Set the experiment to the point of the lowest mean validation loss "
                                 "(Edit > Undo takes it back)")
        self.use_one_se.setToolTip("Set the experiment to the strongest setting within one standard "
                                   "error of the best (needs repeats or folds; Edit > Undo takes it back)")

    def _short(self, point: dict) -> str:
        return f"{point['value']:g}" + (f", {point['value2']:g}" if len(self.axes_shown) == 2 else "")

    def _set_running(self, running: bool) -> None:
        super()._set_running(running)
        if hasattr(self, "use_best"):
            self._redraw()

    # -- using a point ---------------------------------------------------------------------
    def use(self, which: str) -> bool:
        """Put the ``"best"`` or ``"one_se"`` point's values into the experiment, as one
        undoable edit; False (and a message) when the experiment no longer has the setting."""
        point = dict(zip(("best", "one_se"), self.choices(), strict=True))[which]
        if point is None:
            return False
        config = self.state.frozen()
        for (path, _values), key in zip(self.axes_shown, ("value", "value2"), strict=False):
            missing = object()
            if get_path(config, path, missing) is missing:
                self.message.setText(f"Cannot use this point: the experiment has no {path} any more "
                                     "(its layers changed); set it in the panels instead")
                return False
            config = set_path(config, path, point[key])
        name = "best" if which == "best" else "1-SE choice"
        self.state.set_config(config, f"Use the sweep's {name}: {self._where(point)}")
        self.message.setText(f"The experiment now uses the sweep's {name}, {self._where(point)} "
                             "(Edit > Undo, Ctrl+Z, takes it back).")
        return True
