"""Loss view: training/validation loss per epoch, data loss and penalty apart, accuracy or R²
below; a verdict (overfitting point or what the curve shows), early-stopping epoch,
patience what-ifs and live changes marked; overlaid runs of the session."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSizePolicy

from regstudio.experiments import curves

TRAIN = "#1f77b4"
VAL = "#d62728"
PENALTY = "#9467bd"
DATA = "#17becf"
BEST = "#2ca02c"
WHAT_IF_PATIENCE = (3, 10, 30)
# overlaid runs: none of the colours the current run's curves and markers use
OVERLAY_COLORS = ("#8c564b", "#e377c2", "#bcbd22", "#393b79", "#ad494a", "#637939", "#7b4173")



IDLE_HINT = ("Press Start (Ctrl+R) and watch the training loss fall\n"
             "while the validation loss turns up: that is overfitting.")

class GrowingCurve:
    """A PlotDataItem fed by a doubling buffer (no reallocation per point)."""

    def __init__(self, item: pg.PlotDataItem):
        self.item = item
        self._x = np.empty(64)
        self._y = np.empty(64)
        self.n = 0

    def extend(self, xs, ys) -> None:
        k = len(xs)
        if self.n + k > len(self._x):
            size = max(2 * len(self._x), self.n + k)
            self._x = np.resize(self._x, size)
            self._y = np.resize(self._y, size)
        self._x[self.n:self.n + k] = xs
        self._y[self.n:self.n + k] = ys
        self.n += k

    def draw(self) -> None:
        y = self._y[:self.n]
        self.item.setData(self._x[:self.n], y, skipFiniteCheck=bool(np.isfinite(y).all()))

    def clear(self) -> None:
        self.n = 0
        self.item.setData([], [])

    def data(self):
        return self._x[:self.n], self._y[:self.n]


class LossPlot(pg.GraphicsLayoutWidget):
    """Two linked plots with their legends and a verdict row above them; created once,
    updated with setData. The loss axis is ranged on what matters (``curves.view_range``)
    until the user pans or zooms; the "A" button puts the robust range back.

    Signals: log_y_changed(bool) when the log axis switches (by itself or by ``set_log_y``).
    """

    log_y_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        # GraphicsLayoutWidget copies ci.clear onto the instance: that would remove the plots.
        vars(self).pop("clear", None)
        self.setObjectName("loss_plot")
        self.verdict_label = _TextRow(justify="left")
        self.stops_label = _TextRow(justify="left", color="#555")
        for row, label in enumerate((self.verdict_label, self.stops_label)):
            self.addItem(label, row=row, col=0)
            self.ci.layout.setRowMaximumHeight(row, 20)
        self.legend = legend_row(self, 2, 0, 4)
        self.loss = self.addPlot(row=3, col=0)
        self.loss.legend = self.legend  # curves given a name list themselves in the row above
        self.loss.setLabel("left", "loss")
        self.loss.getAxis("left").enableAutoSIPrefix(False)
        self.metric_legend = legend_row(self, 4, 0, 4)
        self.metric = self.addPlot(row=5, col=0)
        self.metric.legend = self.metric_legend
        self.metric.setLabel("bottom", "epoch")
        self.metric.setLabel("left", "accuracy")
        self.metric.setXLink(self.loss)
        self.ci.layout.setRowStretchFactor(3, 3)
        self.ci.layout.setRowStretchFactor(5, 1)
        for p in (self.loss, self.metric):
            p.setClipToView(True)
            p.setDownsampling(auto=True, mode="peak")

        def curve(plot, color, name, style=Qt.PenStyle.SolidLine, width=2):
            return GrowingCurve(plot.plot([], [], name=name,
                                          pen=pg.mkPen(color, width=width, style=style)))

        # thousands of faint points: antialiasing them costs more than it shows
        self.batch = GrowingCurve(self.loss.plot([], [], antialias=False,
                                                 pen=pg.mkPen((31, 119, 180, 70), width=1)))
        self.batch.item.hide()  # opt-in (View > Training loss per batch)
        self.train = curve(self.loss, TRAIN, "training loss (data + penalty)")
        self.val = curve(self.loss, VAL, "validation loss")
        self.data = curve(self.loss, DATA, "training data loss", Qt.PenStyle.DashLine)
        self.penalty = curve(self.loss, PENALTY, "penalty", Qt.PenStyle.DotLine)
        self.train_m = curve(self.metric, TRAIN, "training")
        self.val_m = curve(self.metric, VAL, "validation")
        self.best_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(BEST, width=2))
        self.best_dot = pg.PlotDataItem([], [], pen=None, symbol="o", symbolSize=12,
                                        symbolBrush=BEST, symbolPen="w")
        self.stop_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen("#7f7f7f", width=2, style=Qt.PenStyle.DashLine))
        for item in (self.best_line, self.best_dot, self.stop_line):
            self.loss.addItem(item, ignoreBounds=True)
            item.hide()
        self.what_if = []
        for p in WHAT_IF_PATIENCE:
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen((127, 127, 127, 120), width=1,
                                                style=Qt.PenStyle.DotLine))
            line.hide()
            self.loss.addItem(line, ignoreBounds=True)
            self.what_if.append((p, line))
        self.change_lines: list = []
        self.overlays: dict = {}  # run id -> (label, rows, item)
        self.overlay_curve = "val_loss"
        self.readout = pg.TextItem("", anchor=(0, 0), color="#333", fill=(255, 255, 255, 210))
        self.loss.addItem(self.readout, ignoreBounds=True)
        self.readout.hide()
        self.hint = pg.TextItem(IDLE_HINT, anchor=(0.5, 0.5), color="#555")
        self.loss.addItem(self.hint, ignoreBounds=True)
        self.hint.setPos(0.5, 0.5)
        self.loss.setRange(xRange=(0, 1), yRange=(0, 1))
        self.metric.getAxis("left").enableAutoSIPrefix(False)
        self._proxy = pg.SignalProxy(self.loss.scene().sigMouseMoved, rateLimit=30,
                                     slot=self._on_mouse)
        self.rows: list[dict] = []
        self.best_epoch: int | None = None
        self.verdict = curves.Verdict("", None, "")
        self.stopped_epoch: int | None = None
        self.log_pref: bool | None = None  # None: log when it reads better (curves.view_range)
        self.log = False
        self.y_range: curves.ViewRange | None = None
        self.blown: int | None = None  # index of the epoch where the run's loss blew up
        self.follow = True  # False once the user pans or zooms the loss axis
        self.loss.vb.sigRangeChangedManually.connect(self._on_manual_range)
        self.loss.autoBtn.clicked.disconnect()
        self.loss.autoBtn.clicked.connect(self.reset_range)
        # the plot's own menu (Plot Options > Transforms > Log Y) is the user's choice too
        self._switching = False
        self.loss.ctrl.logYCheck.toggled.connect(self._on_menu_log)
        self._show_in_legend((self.data, "training data loss"), (self.penalty, "penalty"), on=False)

    def resizeEvent(self, event) -> None:  # noqa: N802
        """Legends take as many columns as fit (a legend wider than the view would clip it)."""
        super().resizeEvent(event)
        columns = max(1, min(4, self.width() // 210))
        for legend in (getattr(self, "legend", None), getattr(self, "metric_legend", None)):
            if legend is None:  # a resize while the constructor builds the rows
                continue
            legend.setColumnCount(columns)

    # -- API ----------------------------------------------------------------------------
    def clear(self) -> None:
        for c in (self.batch, self.train, self.val, self.data, self.penalty, self.train_m,
                  self.val_m):
            c.clear()
        for item in (self.best_line, self.best_dot, self.stop_line, self.readout):
            item.hide()
        for _p, line in self.what_if:
            line.hide()
        for line in self.change_lines:
            self.loss.removeItem(line)
        self.change_lines.clear()
        self.rows = []
        self.best_epoch = None
        self.stopped_epoch = None
        self.verdict = curves.Verdict("", None, "")
        self.verdict_label.setText("")
        self.stops_label.setText("")
        self.follow = True
        self._show_in_legend((self.data, "training data loss"), (self.penalty, "penalty"), on=False)
        self.hint.setText(IDLE_HINT)
        self.hint.show()
        self._set_log(bool(self.log_pref))
        self.loss.setRange(xRange=(0, 1), yRange=(0, 1))

    def show_starting(self) -> None:
        """A run is starting: say so until its first epoch, instead of "Press Start"."""
        self.hint.setText("Training… the curves appear after the first epoch.")

    def set_epoch_range(self, epochs: int) -> None:
        """Fix the epoch axis to the whole run: the axes then need no redraw as curves grow
        (repainting axes is most of the GUI's cost while training)."""
        self._epochs = max(1, int(epochs))

    def set_batch_visible(self, on: bool) -> None:
        """Show or hide the faint per-batch training loss, and its legend entry (it keeps
        recording either way; it never changes the axis range)."""
        self._show_in_legend((self.batch, "training loss per batch"), on=bool(on))
        if on:
            self.batch.draw()

    def set_log_y(self, on: bool | None) -> None:
        """The user's choice of a log loss axis: True / False, or None for automatic."""
        self.log_pref = None if on is None else bool(on)
        self.follow = True
        self._update_range()

    def reset_range(self) -> None:
        """Back to the robust range (the plot's "A" button)."""
        self.follow = True
        self._update_range()

    def add_epochs(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.hint.isVisible():
            self.hint.hide()
            self.metric.enableAutoRange(axis="y")
            epochs = getattr(self, "_epochs", None)
            if epochs:
                self.loss.disableAutoRange(axis="x")
                self.loss.setXRange(0, epochs, padding=0.02)
            else:
                self.loss.enableAutoRange(axis="x")
        self.rows.extend(rows)
        ep = [r["epoch"] for r in rows]

        def col(key):
            return [_num(r.get(key)) for r in rows]

        self.train.extend(ep, col("train_loss"))
        self.val.extend(ep, col("val_loss"))
        self.data.extend(ep, col("data_loss"))
        self.penalty.extend(ep, col("penalty"))
        metric = "acc" if "val_acc" in rows[0] or "train_acc" in rows[0] else "r2"
        if metric != getattr(self, "_metric_kind", None):  # a label set again re-lays out the plot
            self._metric_kind = metric
            self.metric.setLabel("left", "accuracy" if metric == "acc" else "R²")
        self.train_m.extend(ep, col(f"train_{metric}"))
        self.val_m.extend(ep, col(f"val_{metric}"))
        few = len(self.rows) < 3  # a line needs two points (a diverged run may have one): dots
        for c in (self.train, self.val, self.data, self.penalty, self.train_m, self.val_m):
            if few != (c.item.opts["symbol"] is not None):
                c.item.setSymbol("o" if few else None)
                c.item.setSymbolSize(6)
                c.item.setSymbolBrush(c.item.opts["pen"].color())
                for legend in (self.legend, self.metric_legend):
                    for sample, _label in legend.items:
                        sample.update()  # the sample draws the dot (or no longer)
            c.draw()
        has_penalty = any(_num(r.get("penalty")) > 0 for r in self.rows)
        self._show_in_legend((self.data, "training data loss"), (self.penalty, "penalty"), on=has_penalty)
        self._update_markers()
        self._update_range()

    def _show_in_legend(self, *items, on: bool) -> None:
        """Show the curves, and list them in the legend, only when they carry information."""
        for curve, name in items:
            curve.item.setVisible(on)
            listed = any(sample.item is curve.item for sample, _label in self.legend.items)
            if on and not listed:
                self.legend.addItem(curve.item, name)
            elif not on and listed:
                self.legend.removeItem(curve.item)

    def add_batches(self, pairs: list) -> None:
        if pairs:
            xs, ys = zip(*pairs, strict=True)
            self.batch.extend(xs, ys)
            if self.batch.item.isVisible():
                self.batch.draw()

    def add_change(self, change: dict) -> None:
        """A vertical line where a setting changed while training, labelled with what: the
        change applies before batch ``batch`` of ``epoch``, so at ``epoch - 1 + (batch - 1) / n``."""
        done = max(0, change.get("batch", 1) - 1) / max(1, change.get("n_batches", 1))
        x = max(0.0, change["epoch"] - 1 + done)
        key = str(change["key"]).replace("regularization.", "").replace("training.", "")
        text = f"{key}: {_fmt(change.get('old'))} → {_fmt(change.get('new'))}"
        line = pg.InfiniteLine(pos=x, angle=90, movable=False,
                               pen=pg.mkPen("#ff7f0e", width=1.5, style=Qt.PenStyle.DashDotLine),
                               label=text, labelOpts={"position": 0.6 - 0.08 * (len(self.change_lines) % 5),
                                                      "color": "#c25a00",
                                                      "fill": (255, 255, 255, 200)})
        self.loss.addItem(line, ignoreBounds=True)
        self.change_lines.append(line)

    def set_stopped(self, reason: str, epoch: int | None) -> None:
        """The run ended: the epoch axis shrinks to the epochs run (a run stopped early at
        epoch 18 of 150 is not squashed into the left eighth); early stopping is marked."""
        last = int(self.rows[-1]["epoch"]) if self.rows else 0
        if 0 < last < getattr(self, "_epochs", 0):
            self.loss.setXRange(0, last, padding=0.02)
        if reason == "early_stopping" and epoch:
            self.stopped_epoch = int(epoch)
            self.stop_line.setValue(epoch)
            self.stop_line.show()
            self._update_markers()

    def set_overlay(self, run_id: str, label: str, rows) -> None:
        """Show a past run's curve, dashed (``rows``: its history, or ``{"rows": history,
        "curve": key}`` with a key of curves.OVERLAY_CURVES), or hide it (None)."""
        old = self.overlays.pop(run_id, None)
        if old is not None:
            old[2].getViewBox().removeItem(old[2])
            for legend in (self.legend, self.metric_legend):
                legend.removeItem(old[2])
        if isinstance(rows, dict):
            self.overlay_curve = rows.get("curve", self.overlay_curve)
            rows = rows.get("rows")
        if rows:
            self.overlays[run_id] = (label, rows, self._overlay_item(label, rows, len(self.overlays)))
        self._update_range()

    def set_overlay_curve(self, key: str) -> None:
        """Which curve the overlaid runs show (a key of curves.OVERLAY_CURVES)."""
        if key not in curves.OVERLAY_CURVES:
            raise KeyError(f"unknown overlay curve {key!r}; known: {', '.join(curves.OVERLAY_CURVES)}")
        self.overlay_curve = key
        for run_id, (label, rows, _item) in list(self.overlays.items()):
            self.set_overlay(run_id, label, rows)

    # -- internals ----------------------------------------------------------------------
    def _overlay_item(self, label: str, rows: list[dict], n: int) -> pg.PlotDataItem:
        text, keys, pane = curves.OVERLAY_CURVES[self.overlay_curve]
        key = next((k for k in keys if any(k in r for r in rows)), keys[0])
        if self.overlay_curve == "val_metric":
            text = "validation R²" if key == "val_r2" else "validation accuracy"
        color = OVERLAY_COLORS[n % len(OVERLAY_COLORS)]
        plot = self.loss if pane == "loss" else self.metric
        return plot.plot([r["epoch"] for r in rows], [_num(r.get(key)) for r in rows],
                         pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine),
                         name=f"{text}: {label}")

    def _loss_overlays(self) -> list[np.ndarray]:
        return [item.getData()[1] for _label, _rows, item in self.overlays.values()
                if item.getViewBox() is self.loss.vb and item.getData()[1] is not None]

    def _update_range(self) -> None:
        """Range the loss axis on the validation and training data losses (and overlaid runs)
        after their first points, robust to spikes and a blow-up; the total loss and the
        penalty as far as they leave those curves a third of the height."""
        if self.hint.isVisible():
            if not self.overlays:
                return
            last = max(max((r["epoch"] for r in rows), default=1) for _l, rows, _i in self.overlays.values())
            self.loss.setXRange(0, last, padding=0.02)
        penalty = self.penalty.item.isVisible()
        own, self.blown = curves.before_blow_up([self.val.data()[1],
                                                 (self.data if penalty else self.train).data()[1]])
        secondary = [self.train.data()[1], self.penalty.data()[1]] if penalty else []
        if self.blown is not None:
            secondary = [c[:self.blown] for c in secondary]
        rng = curves.view_range([*own, *self._loss_overlays()], secondary, self.log_pref)
        if rng is None:
            return
        self.y_range = rng
        self._set_log(rng.log)
        if self.follow and not np.allclose(self.loss.viewRange()[1], (rng.lo, rng.hi), rtol=1e-6, atol=0):
            self.loss.disableAutoRange(axis="y")  # (a range set again repaints every curve)
            self.loss.setYRange(rng.lo, rng.hi, padding=0)

    def _set_log(self, on: bool) -> None:
        if on != self.log:
            self.log = on
            self._switching = True  # setLogMode ticks the menu's Log Y: not the user's choice
            try:
                self.loss.setLogMode(y=on)
            finally:
                self._switching = False
            self.loss.setLabel("left", "loss (log scale)" if on else "loss")
            self.log_y_changed.emit(on)

    def _on_menu_log(self, on: bool) -> None:
        if not self._switching:
            self.set_log_y(on)

    def _on_manual_range(self, *_args) -> None:
        self.follow = False

    def _update_markers(self) -> None:
        x, v = self.val.data()
        t = (self.data if self.penalty.item.isVisible() else self.train).data()[1]
        (good_v, good_t), blown = curves.before_blow_up([v, t])
        self.verdict = curves.verdict(x[:len(good_v)], good_v, good_t)
        turned = self.verdict.kind == "overfitting"
        text, color = self.verdict.text, BEST if turned else "#444"
        if blown is not None:
            text = (f"the loss blew up in epoch {int(x[blown])}: the axis shows the epochs before"
                    + (f" · {text}" if text else ""))
            color = "#b03a2e"
        self.verdict_label.setText(_html(text), color=color, bold=turned)
        ok = np.isfinite(v)
        if not ok.any():
            return
        i = int(np.nanargmin(np.where(ok, v, np.inf)))
        self.best_epoch = int(x[i])
        self.best_line.setValue(x[i])
        self.best_line.setVisible(turned)
        if self.best_dot.getData()[0] is None or list(self.best_dot.getData()[0]) != [x[i]]:
            self.best_dot.setData([x[i]], [v[i]])
        self.best_dot.setVisible(self.verdict.kind not in ("", "improving"))
        # where a patience P would have stopped: P epochs without a new minimum
        best, since = math.inf, 0
        stops = {}
        for xe, ve in zip(x, v, strict=True):
            if ve < best:
                best, since = ve, 0
            else:
                since += 1
            for p, _line in self.what_if:
                if p not in stops and since >= p:
                    stops[p] = xe
        for p, line in self.what_if:
            if p in stops:
                line.setValue(stops[p])
                line.show()
            else:
                line.hide()
        parts = [f"early stop: epoch {self.stopped_epoch}"] if self.stopped_epoch else []
        if stops:
            parts.append("patience " + ", ".join(str(p) for p, _ in self.what_if) + " would stop at epoch "
                         + ", ".join(f"{stops[p]:.0f}" if p in stops else "–" for p, _ in self.what_if))
        self.stops_label.setText(" · ".join(parts), color="#555")

    def _on_mouse(self, evt) -> None:
        pos = evt[0]
        if not self.rows or not self.loss.sceneBoundingRect().contains(pos):
            self.readout.hide()
            return
        pt = self.loss.vb.mapSceneToView(pos)
        epoch = int(round(pt.x()))
        row = next((r for r in self.rows if r["epoch"] == epoch), None)
        if row is None:
            self.readout.hide()
            return
        parts = [f"epoch {epoch}"]
        for key, name in (("train_loss", "train loss"), ("val_loss", "val loss"),
                          ("penalty", "penalty"), ("train_acc", "train acc"),
                          ("val_acc", "val acc"), ("train_r2", "train R²"), ("val_r2", "val R²")):
            if key in row:
                parts.append(f"{name}: {_fmt(row[key])}")
        self.readout.setText("\n".join(parts))
        self.readout.setPos(pt.x(), pt.y())
        self.readout.show()


class _TextRow(pg.LabelItem):
    """A one-line label that may be narrower than its text (it never widens the plots)."""

    def updateMin(self) -> None:  # noqa: N802
        super().updateMin()
        self.setMinimumWidth(0)

    def setText(self, text, **args) -> None:  # noqa: N802
        """As LabelItem's, but a text already shown costs nothing (no re-layout while training)."""
        key = (text, tuple(sorted(args.items())))
        if key != getattr(self, "_shown", None):
            self._shown = key
            super().setText(text, **args)


def legend_row(layout, row: int, col: int, columns: int) -> pg.LegendItem:
    """A legend in its own cell of ``layout`` (a GraphicsLayout or its widget), above a plot:
    left-aligned, never over the curves. A plot lists named curves in it after
    ``plot.legend = legend``."""
    legend = pg.LegendItem(colCount=columns, horSpacing=14)
    legend.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
    layout.addItem(legend, row=row, col=col)
    grid = layout.ci.layout if hasattr(layout, "ci") else layout.layout
    grid.setAlignment(legend, Qt.AlignmentFlag.AlignLeft)
    return legend


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return "changed"
    return str(v)
