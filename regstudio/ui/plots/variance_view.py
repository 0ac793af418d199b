"""The Variance tab: train K networks on bootstrap resamples of the training set, with and
without the regularizer, and show side by side how much their predictions disagree.

High variance means the models disagree: each one learned the noise of its own resample,
which is what overfitting is. Regularization should make them agree more. The numbers come
from :mod:`regstudio.experiments.variance` (run by ``ui.variance_worker`` off the UI thread);
this module only draws them.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..background import BackgroundTask, where
from .predictions_plot import CLASS_COLORS

EXPLANATION = (
    "Each network is trained on a different bootstrap resample of the training set (drawn with "
    "replacement, same size). High variance = the models disagree = overfitting: every model "
    "learned the noise of its own sample. Regularization should lower it.")

DISAGREE = np.array([200, 0, 40], np.float32)  # the colour of disagreement on the map
BAND = (31, 119, 180)


def _percent(x: float) -> str:
    return f"{100 * x:.1f} %"


def _has_ci(result, name: str = "rate_ci") -> bool:
    return all(math.isfinite(v) for v in getattr(result, name))


def _figure(result, x: float) -> str:
    return _percent(x) if result.task == "classification" else f"{x:.4g}"


def interval(result) -> str:
    """E.g. ``"[8.0 %, 28.0 %]"``: the 95 % interval of the rate ("" when none was computed)."""
    if not _has_ci(result):
        return ""
    lo, hi = result.rate_ci
    return f"[{_figure(result, lo)}, {_figure(result, hi)}]"


def _score_ci(result, name: str) -> str:
    """E.g. ``" [80.1, 87.9]"``: a score's 95 % interval, in the score's units ("" if none)."""
    if not _has_ci(result, name):
        return ""
    lo, hi = getattr(result, name)
    if result.task == "classification":
        return f" [{100 * lo:.1f}, {100 * hi:.1f}]"
    return f" [{lo:.3f}, {hi:.3f}]"


def headline(result) -> str:
    """One line for a panel: the variance and how good the models are, each with its 95 %
    interval (bootstrap over the validation samples)."""
    ci = f" (95 % interval {interval(result)})" if _has_ci(result) else ""
    per_model, vote = _score_ci(result, "score_ci"), _score_ci(result, "ensemble_ci")
    if result.task == "classification":
        rate = f"disagreement rate {_percent(result.rate)}{ci}"
        score = (f"validation accuracy {_percent(result.mean_score)}{per_model} per model, "
                 f"{_percent(result.ensemble_score)}{vote} by majority vote")
    else:
        rate = f"spread (mean std of the predictions) {result.rate:.4g}{ci}"
        score = (f"validation R² {result.mean_score:.3f}{per_model} per model, "
                 f"{result.ensemble_score:.3f}{vote} averaged")
    return f"{rate} · {score}"


def verdict(comparison) -> str:
    """A sentence comparing the two panels; with intervals, "no clear difference" when they overlap."""
    w, wo = comparison.with_reg, comparison.without
    what = "disagree on" if w.task == "classification" else "spread by"
    unit = " of the validation samples" if w.task == "classification" else " on average"
    text = (f"With {w.label} the {w.k} models {what} {_figure(w, w.rate)}{unit}; without, "
            f"{_figure(wo, wo.rate)}. ")
    if _has_ci(w) and _has_ci(wo) and not comparison.clear:
        lo, hi = comparison.difference_ci
        paired = (f"; the paired interval of the difference, [{lo:+.3g}, {hi:+.3g}], "
                  f"{'excludes' if lo > 0 or hi < 0 else 'includes'} 0" if math.isfinite(lo) else "")
        return text + (f"No clear difference: the 95 % intervals overlap ({interval(w)} with, "
                       f"{interval(wo)} without{paired}). Try more validation samples, a stronger "
                       "penalty or Load demo.")
    apart = " The 95 % intervals do not overlap." if _has_ci(w) and _has_ci(wo) else ""
    if wo.rate == w.rate:
        return text + "Same variance: this regularizer did not change how much the models disagree."
    if w.rate < wo.rate:
        return text + (f"Regularization lowered the variance by {_percent(comparison.reduction)} "
                       f"(relative).{apart}")
    return text + ("The regularized models disagree more: this regularizer did not reduce the variance "
                   f"here (try more epochs, a stronger alpha, or a larger K).{apart}")


class VariancePanel(QWidget):
    """One side: a title, a plot (band, disagreement map or a bar) and the headline numbers."""

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setWordWrap(True)
        self.title.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.numbers = QLabel("")
        self.numbers.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.models = pg.PlotCurveItem(pen=pg.mkPen(120, 120, 120, 90, width=1), connect="finite")
        self.lo, self.hi = pg.PlotDataItem(), pg.PlotDataItem()
        self.std_lo, self.std_hi = pg.PlotDataItem(), pg.PlotDataItem()
        self.range_band = pg.FillBetweenItem(self.lo, self.hi, brush=pg.mkBrush(*BAND, 40))
        self.std_band = pg.FillBetweenItem(self.std_lo, self.std_hi, brush=pg.mkBrush(*BAND, 90))
        self.mean = pg.PlotDataItem(pen=pg.mkPen(*BAND, width=2))
        for item in (self.range_band, self.std_band, self.models, self.mean):
            self.plot.addItem(item)
        self.train_pts = pg.ScatterPlotItem(size=6, pen=pg.mkPen("k", width=0.5))
        self.val_pts = pg.ScatterPlotItem(size=7, brush=None, pen=pg.mkPen("k", width=1.2))
        self.plot.addItem(self.train_pts)
        self.plot.addItem(self.val_pts)
        self.bar = pg.BarGraphItem(x=[0], height=[0], width=0.6, brush=pg.mkBrush(*DISAGREE.astype(int)))
        self.plot.addItem(self.bar)
        self.error = pg.ErrorBarItem(x=np.zeros(1), y=np.zeros(1), beam=0.25, pen=pg.mkPen("k", width=2))
        self.plot.addItem(self.error)
        self.bar_text = pg.TextItem("", anchor=(0.5, 1.0), color="k")
        font = self.bar_text.textItem.font()
        font.setPointSize(18)
        font.setBold(True)
        self.bar_text.setFont(font)
        self.plot.addItem(self.bar_text)
        self.result = None
        lay = QVBoxLayout(self)  # the title and numbers are placed by the view (see place)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot, 1)
        self.clear()

    def place(self, grid: QGridLayout, column: int) -> None:
        """Title, plot and numbers in ``column`` of ``grid``: side by side panels share their
        rows, so both plots get the same size (and linked views the same range)."""
        grid.addWidget(self.title, 0, column)
        grid.addWidget(self, 1, column)
        grid.addWidget(self.numbers, 2, column)

    def set_title(self, title: str) -> None:
        self.title.setText(f"<b>{title}</b>")

    def clear(self) -> None:
        self.result = None
        self.image.clear()
        self.image.hide()  # keeps its rect (and so its bounds) after clear()
        for item in (self.lo, self.hi, self.std_lo, self.std_hi, self.mean):
            item.setData([], [])
        self.models.setData([], [])
        for item in (self.range_band, self.std_band, self.models, self.mean):
            item.hide()  # a FillBetweenItem keeps its last path when its curves empty
        self.plot.getAxis("bottom").setTicks(None)
        self.train_pts.clear()
        self.val_pts.clear()
        self.bar.setOpts(x=[0], height=[0])
        self.bar.hide()
        self.error.hide()
        self.bar_text.setText("")
        self.numbers.setText("")

    def set_result(self, result, scale: float) -> None:
        """Draw ``result`` (a VarianceResult); ``scale`` is the top of the shared colour/bar scale."""
        self.clear()
        self.result = result
        if result.kind == "regions":
            self._regions(result, scale)
        elif result.kind == "curve":
            self._curve(result)
        else:
            self._bar(result, scale)
        self.numbers.setText(headline(result))

    def _regions(self, r, scale: float) -> None:
        g = r.grid
        k = max(int(g["majority"].max()) + 1, 2)
        colors = CLASS_COLORS[np.arange(k) % len(CLASS_COLORS)]
        base = 255 * 0.75 + colors[g["majority"]] * 0.25  # the majority's region, pale
        a = (0.9 * np.clip(g["map"] / scale, 0, 1) if scale > 0 else np.zeros_like(g["map"]))[..., None]
        rgb = (base * (1 - a) + DISAGREE * a).astype(np.uint8)
        self.image.setImage(rgb, autoLevels=False, levels=(0, 255))
        self.image.setRect(*g["rect"])
        self.image.show()
        (Xt, yt), (Xv, yv) = r.points["train"], r.points["val"]
        self.train_pts.setData(Xt[:, 0], Xt[:, 1],
                               brush=[pg.mkBrush(*CLASS_COLORS[int(c) % 10]) for c in yt])
        self.val_pts.setData(Xv[:, 0], Xv[:, 1],
                             pen=[pg.mkPen(*CLASS_COLORS[int(c) % 10], width=1.5) for c in yv])
        self.plot.setLabel("bottom", "feature 1 (standardized)")
        self.plot.setLabel("left", "feature 2 (standardized)")
        x, y, w, h = g["rect"]
        self.plot.setRange(xRange=(x, x + w), yRange=(y, y + h), padding=0)

    def _curve(self, r) -> None:
        g = r.grid
        x = g["x"]
        self.lo.setData(x, g["lo"])
        self.hi.setData(x, g["hi"])
        self.std_lo.setData(x, g["mean"] - g["std"])
        self.std_hi.setData(x, g["mean"] + g["std"])
        self.mean.setData(x, g["mean"])
        models = g["models"]
        xs = np.concatenate([np.append(x, np.nan)] * len(models))
        ys = np.concatenate([np.append(m, np.nan) for m in models])
        self.models.setData(xs, ys)
        (xt, yt), (xv, yv) = r.points["train"], r.points["val"]
        self.train_pts.setData(xt, yt, brush=pg.mkBrush(30, 30, 30, 200))
        self.val_pts.setData(xv, yv, pen=pg.mkPen("#d62728", width=1.2))
        for item in (self.range_band, self.std_band, self.models, self.mean):
            item.show()
        self.plot.setLabel("bottom", "x")
        self.plot.setLabel("left", "y")
        self.plot.enableAutoRange()
        self.plot.autoRange()

    def _bar(self, r, scale: float) -> None:
        self.bar.setOpts(x=[0], height=[r.rate], width=0.6)
        self.bar.show()
        top = r.rate
        if _has_ci(r):  # the 95 % interval as an error bar
            lo, hi = r.rate_ci
            self.error.setData(x=np.zeros(1), y=np.full(1, r.rate), top=np.full(1, hi - r.rate),
                               bottom=np.full(1, r.rate - lo))
            self.error.show()
            top = max(top, hi)
        self.bar_text.setText(_figure(r, r.rate))
        self.bar_text.setPos(0, top + 0.12 * (scale or 1))  # anchored at its bottom
        self.plot.setLabel("bottom", "")
        self.plot.setLabel("left", "disagreement rate" if r.task == "classification"
                           else "mean std of the predictions")
        self.plot.getAxis("bottom").setTicks([[(0, "validation samples")]])
        self.plot.setRange(xRange=(-1, 1), yRange=(0, 1.25 * (scale or 1)), padding=0)


class VarianceView(BackgroundTask, QWidget):
    """Controls on top, the two panels side by side, an explanation and the verdict below."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.comparison = None

        self.k = QSpinBox(minimum=1, maximum=64, value=8)
        self.k.setToolTip("How many networks to train per side, each on its own bootstrap resample")
        self.make_task_controls("Run", "Train K networks with the regularizer and K without, in parallel",
                                "network", "fits", (self.k,))
        self.progress.setRange(0, 16)
        self.progress.setValue(0)
        self.demo_button = QPushButton("Load demo")
        self.demo_button.setToolTip("Set the experiment to the measured demo: 400 noisy moons (100 to "
                                    "train, 300 to validate), the wide MLP, L2 0.03, K = 8; there the "
                                    "intervals lie apart (docs/sweeps.md). Edit > Undo takes it back")

        controls = QHBoxLayout()
        for widget in (QLabel("models per side (K)"), self.k, QLabel("processes"), self.workers):
            controls.addWidget(widget)
        controls.addWidget(self.scheduler, 1)
        controls.addWidget(self.demo_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)

        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.message = QLabel("Run trains the current experiment K times with its regularizer and "
                              "K times without, and compares how much the networks disagree.")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.with_panel = VariancePanel("with regularizer")
        self.without_panel = VariancePanel("without")
        panels = QGridLayout()
        self.with_panel.place(panels, 0)
        self.without_panel.place(panels, 1)
        panels.setRowStretch(1, 1)
        panels.setColumnStretch(0, 1)
        panels.setColumnStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(buttons)
        layout.addWidget(self.explanation)
        layout.addLayout(panels, 1)
        layout.addWidget(self.message)

        self.k.valueChanged.connect(lambda v: self.progress.setRange(0, 2 * v) if not self.is_running
                                    else None)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.demo_button.clicked.connect(self.load_demo)
        self.settings = (*self.settings, self.demo_button)

    def load_demo(self) -> None:
        """The experiment and K of the measured demo, as one undoable edit."""
        from regstudio.experiments.variance import DEMO_K, demo_config

        self.state.set_config(demo_config(), "Load the variance demo")
        self.k.setValue(DEMO_K)
        self.message.setText("Loaded the variance demo (Edit > Undo takes it back): Run trains "
                             f"{2 * DEMO_K} networks; expect a clearly lower disagreement with L2.")

    # -- running ------------------------------------------------------------------------
    def run(self) -> bool:
        if self.is_running:
            return False
        from regstudio.experiments.config import validate_config

        try:
            config = validate_config(self.state.frozen())
        except Exception as exc:
            self.message.setText(f"Cannot start: {exc}")
            return False
        from ..variance_worker import VarianceWorker

        base_dir = os.path.dirname(self.state.path) if self.state.path else None
        k = self.k.value()
        self.comparison = None
        self.with_panel.clear()
        self.without_panel.clear()
        self.progress.setRange(0, 2 * k)
        self.progress.setValue(0)
        executor, scheduler = self.placement()
        self.message.setText(f"Training {2 * k} networks on {where(scheduler, min(self.workers.value(), 2 * k))}…")
        w = VarianceWorker(config, k, self.workers.value(), base_dir, executor, scheduler=scheduler)
        w.finished.connect(self.show_comparison)
        w.cancelled.connect(self._on_cancelled)
        self.launch(w, "networks trained", "The variance meter failed")
        return True

    def _on_cancelled(self) -> None:
        self.message.setText("Cancelled: no result.")

    # -- drawing ------------------------------------------------------------------------
    def show_comparison(self, comparison) -> None:
        """Draw a ``variance.Comparison`` in the two panels, on one shared scale."""
        self.comparison = comparison
        w, wo = comparison.with_reg, comparison.without
        if w.kind == "regions":  # the most disagreement K models can show: full red
            scale = w.grid["max"] or 1.0
        else:  # both bars and their intervals on one scale
            scale = max(w.rate, wo.rate, *(r.rate_ci[1] for r in (w, wo) if _has_ci(r)))
        self.with_panel.set_title(f"with regularizer: {w.label}")
        self.without_panel.set_title("without: no regularizer (L1 = L2 = 0, no dropout, "
                                     "augmentation or early stopping)")
        self._link(False)  # each panel sets its own range, then the two move together
        self.with_panel.set_result(w, scale)
        self.without_panel.set_result(wo, scale)
        self._link(w.kind in ("regions", "curve"))
        legend = {"regions": " Map: red = the models disagree with the majority there; pale colour "
                             "= the majority's class; dots = training, rings = validation.",
                  "curve": " Curve: mean prediction, dark band ±1 std, light band min–max, grey "
                           "lines the single models; dots = training, red rings = validation.",
                  "rate": " Bar: share of validation samples on which not all models agree."
                  if w.task == "classification" else " Bar: mean std of the predictions."}[w.kind]
        note = (f"This experiment has no regularizer, so {w.label.replace(' (added)', '')} was added "
                "for the comparison. " if comparison.added else "")
        self.message.setText(note + verdict(comparison) + legend)

    def _link(self, on: bool) -> None:
        self.without_panel.plot.setXLink(self.with_panel.plot if on else None)
        self.without_panel.plot.setYLink(self.with_panel.plot if on else None)
