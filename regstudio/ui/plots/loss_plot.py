"""Loss view: training/validation loss per epoch, data loss and penalty apart, accuracy or R²
below; overfitting point, early-stopping epoch, patience what-ifs and live changes marked."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

TRAIN = "#1f77b4"
VAL = "#d62728"
PENALTY = "#9467bd"
DATA = "#17becf"
WHAT_IF_PATIENCE = (3, 10, 30)


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
    """Two linked plots; created once, updated with setData."""

    def __init__(self, parent=None):
        super().__init__(parent)
        # GraphicsLayoutWidget copies ci.clear onto the instance: that would remove the plots.
        vars(self).pop("clear", None)
        self.setObjectName("loss_plot")
        self.loss = self.addPlot(row=0, col=0)
        self.loss.setLabel("left", "loss")
        self.legend = self.loss.addLegend(offset=(-10, 10))
        self.metric = self.addPlot(row=1, col=0)
        self.metric.setLabel("bottom", "epoch")
        self.metric.setLabel("left", "accuracy")
        self.metric.setXLink(self.loss)
        self.metric_legend = self.metric.addLegend(offset=(-10, -10))
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 1)
        for p in (self.loss, self.metric):
            p.setClipToView(True)
            p.setDownsampling(auto=True, mode="peak")

        def curve(plot, color, name, style=Qt.PenStyle.SolidLine, width=2):
            return GrowingCurve(plot.plot([], [], name=name,
                                          pen=pg.mkPen(color, width=width, style=style)))

        # thousands of faint points: antialiasing them costs more than it shows
        self.batch = GrowingCurve(self.loss.plot([], [], name="training loss per batch", antialias=False,
                                                 pen=pg.mkPen((31, 119, 180, 70), width=1)))
        self.train = curve(self.loss, TRAIN, "training loss (data + penalty)")
        self.val = curve(self.loss, VAL, "validation loss")
        self.data = curve(self.loss, DATA, "training data loss", Qt.PenStyle.DashLine)
        self.penalty = curve(self.loss, PENALTY, "penalty", Qt.PenStyle.DotLine)
        self.train_m = curve(self.metric, TRAIN, "training")
        self.val_m = curve(self.metric, VAL, "validation")
        self.best_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen("#2ca02c", width=2),
                                         label="lowest val loss, overfitting after: epoch {value:.0f}",
                                         labelOpts={"position": 0.55, "color": "#2ca02c",
                                                    "fill": (255, 255, 255, 200)})
        self.best_dot = pg.ScatterPlotItem(size=12, brush="#2ca02c", pen="w", symbol="o")
        self.stop_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen("#7f7f7f", width=2, style=Qt.PenStyle.DashLine),
                                         label="early stop: epoch {value:.0f}",
                                         labelOpts={"position": 0.75, "color": "#555"})
        for item in (self.best_line, self.best_dot, self.stop_line):
            self.loss.addItem(item, ignoreBounds=True)
            item.hide()
        self.what_if = []
        for p in WHAT_IF_PATIENCE:
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen((127, 127, 127, 90), width=1,
                                                style=Qt.PenStyle.DotLine),
                                   label=f"patience {p}",
                                   labelOpts={"position": 0.05, "color": (110, 110, 110),
                                              "rotateAxis": (1, 0), "anchors": [(0, 0), (0, 0)]})
            line.hide()
            self.loss.addItem(line, ignoreBounds=True)
            self.what_if.append((p, line))
        self.change_lines: list = []
        self.overlays: dict = {}
        self.readout = pg.TextItem("", anchor=(0, 0), color="#333", fill=(255, 255, 255, 210))
        self.loss.addItem(self.readout, ignoreBounds=True)
        self.readout.hide()
        self.hint = pg.TextItem("Press Start (Ctrl+R) and watch the training loss fall\n"
                                "while the validation loss turns up: that is overfitting.",
                                anchor=(0.5, 0.5), color="#666")
        self.loss.addItem(self.hint, ignoreBounds=True)
        self.hint.setPos(0.5, 0.5)
        self.loss.setRange(xRange=(0, 1), yRange=(0, 1))
        self.metric.getAxis("left").enableAutoSIPrefix(False)
        self._proxy = pg.SignalProxy(self.loss.scene().sigMouseMoved, rateLimit=30,
                                     slot=self._on_mouse)
        self.rows: list[dict] = []
        self.best_epoch: int | None = None
        self._show_in_legend((self.data, "training data loss"), (self.penalty, "penalty"), on=False)

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
        self._show_in_legend((self.data, "training data loss"), (self.penalty, "penalty"), on=False)
        self.hint.show()
        self.loss.setRange(xRange=(0, 1), yRange=(0, 1))

    def set_epoch_range(self, epochs: int) -> None:
        """Fix the epoch axis to the whole run: the axes then need no redraw as curves grow
        (repainting axes is most of the GUI's cost while training)."""
        self._epochs = max(1, int(epochs))

    def set_batch_visible(self, on: bool) -> None:
        """Show or hide the faint per-batch training loss, and its legend entry (it keeps
        recording either way)."""
        self._show_in_legend((self.batch, "training loss per batch"), on=bool(on))

    def set_log_y(self, on: bool) -> None:
        self.loss.setLogMode(y=on)

    def add_epochs(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.hint.isVisible():
            self.hint.hide()
            self.loss.enableAutoRange(axis="y")
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
        self.metric.setLabel("left", "accuracy" if metric == "acc" else "R²")
        self.train_m.extend(ep, col(f"train_{metric}"))
        self.val_m.extend(ep, col(f"val_{metric}"))
        for c in (self.train, self.val, self.data, self.penalty, self.train_m, self.val_m):
            c.draw()
        has_penalty = any(_num(r.get("penalty")) > 0 for r in self.rows)
        self._show_in_legend((self.data, "training data loss"), (self.penalty, "penalty"), on=has_penalty)
        self._update_markers()

    def _show_in_legend(self, *curves, on: bool) -> None:
        """Show the curves, and list them in the legend, only when they carry information."""
        for curve, name in curves:
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
        if reason == "early_stopping" and epoch:
            self.stop_line.setValue(epoch)
            self.stop_line.show()
            self.stop_line.label.valueChanged()

    def set_overlay(self, run_id: str, label: str, rows: list[dict] | None) -> None:
        """Show (rows) or hide (None) a past run's validation loss, dashed."""
        item = self.overlays.pop(run_id, None)
        if item is not None:
            self.loss.removeItem(item)
            self.legend.removeItem(item)
        if rows:
            color = pg.intColor(len(self.overlays) + 3, hues=9, alpha=200)
            item = self.loss.plot([r["epoch"] for r in rows], [_num(r.get("val_loss")) for r in rows],
                                  pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine),
                                  name=f"val loss: {label}")
            self.overlays[run_id] = item

    # -- internals ----------------------------------------------------------------------
    def _update_markers(self) -> None:
        x, v = self.val.data()
        ok = np.isfinite(v)
        if not ok.any():
            return
        i = int(np.nanargmin(np.where(ok, v, np.inf)))
        self.best_epoch = int(x[i])
        self.best_line.setValue(x[i])
        self.best_dot.setData([x[i]], [v[i]])
        show = len(v) > i + 1  # once the curve has turned up (or flattened) after the minimum
        self.best_line.setVisible(show)
        self.best_dot.setVisible(show)
        self.best_line.label.valueChanged()  # a hidden label skips updates: refresh its text
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
