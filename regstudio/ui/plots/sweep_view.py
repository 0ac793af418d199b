"""The Sweep tab: train once per value of alpha (or a dropout rate, or the training-set size)
on a local process pool or a Dask cluster, and draw the validation curve as points arrive.

Too weak a penalty overfits (low training loss, high validation loss), too strong underfits
(both high); the best value sits at the bottom of the validation curve, marked here.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..background import BackgroundTask, where
from .loss_plot import TRAIN, VAL


class SweepWorker(QObject):
    """Runs an ``experiments.sweep.Sweep`` in a QThread; the pool's processes do the training.

    The sweep is built before the thread starts, so :meth:`cancel` works at any moment."""

    point_done = Signal(object)  # {"index", "value", "best_val_loss", ...}
    finished = Signal(object)  # rows in the order of the values
    failed = Signal(str)
    done = Signal()

    def __init__(self, sweep):
        super().__init__(None)
        self.sweep = sweep

    @Slot()
    def run(self) -> None:
        try:
            rows = self.sweep.run(lambda i, row: self.point_done.emit({"index": i, **row}))
            self.finished.emit(rows)
        except Exception as exc:  # shown in the tab; the app carries on
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.done.emit()

    def cancel(self) -> None:  # any thread
        self.sweep.cancel()


def sweep_parameters(config: dict) -> list[tuple[str, str]]:
    """(label, config path) of what can be swept in this experiment."""
    params = [("L2 alpha", "regularization.l2"), ("L1 alpha", "regularization.l1")]
    for i, layer in enumerate(config.get("model", {}).get("layers", [])):
        if layer.get("type") == "dropout":
            params.append((f"dropout rate, layer {i + 1}", f"model.layers[{i}].rate"))
    params.append(("training-set size", "data.train_size"))
    aug = config.get("augmentation", {})
    if aug.get("enabled"):
        from regstudio.data import OPS

        for i, op in enumerate(aug.get("ops", [])):
            spec = OPS.get(op.get("op"))
            for key, option in (spec.params.items() if spec else ()):
                if key not in ("p", "fill") and option.kind in ("int", "float"):
                    params.append((f"augmentation strength: {spec.title.lower()} {key}",
                                   f"augmentation.ops[{i}].{key}"))
    return params


def augmentation_option(config: dict, path: str):
    """The Option behind ``augmentation.ops[i].key`` (its range and type)."""
    from regstudio.data import OPS

    index, key = path.split("[", 1)[1].split("].")
    return OPS[config["augmentation"]["ops"][int(index)]["op"]].params[key]


def default_range(path: str) -> tuple[float, float, int, bool]:
    """(from, to, number of values, log scale) to start a sweep of ``path`` with."""
    if path.endswith(".rate"):
        return 0.0, 0.8, 9, False
    if path == "data.train_size":
        return 50, 800, 6, True
    if path.startswith("augmentation."):
        return 0.0, None, 5, False  # the upper end comes from the op's own range
    return 1e-5, 1e-1, 9, True


def grid(low: float, high: float, n: int, log: bool, integer: bool) -> list:
    """``n`` values from ``low`` to ``high``, evenly spaced on a log or linear scale."""
    if n == 1:
        values = [low]
    elif log:
        values = list(np.logspace(math.log10(low), math.log10(high), n))
    else:
        values = list(np.linspace(low, high, n))
    if integer:
        return sorted({int(round(v)) for v in values})
    return [float(f"{v:.4g}") for v in values]


class SweepView(BackgroundTask, QWidget):
    """Controls on top, the validation curve below."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.rows: dict[int, dict] = {}
        self.swept = ""  # the label of the parameter of the last sweep started
        self.swept_log = True  # and whether its axis is log-scaled

        self.param = QComboBox()
        self.param.setToolTip("The setting that changes from run to run; everything else stays as in the panels")
        self.low = QDoubleSpinBox(decimals=6, minimum=0.0, maximum=1e6, value=1e-5)
        self.high = QDoubleSpinBox(decimals=6, minimum=0.0, maximum=1e6, value=1e-1)
        self.count = QSpinBox(minimum=1, maximum=64, value=8)
        self.log = QCheckBox("log scale", checked=True)
        self.log.setToolTip("Space the values evenly in log10 (usual for alpha)")
        self.make_task_controls("Run sweep", "Train once per value, in parallel, and draw the validation curve",
                                "point", "points", (self.param, self.low, self.high, self.count, self.log))
        self.message = QLabel("Choose a setting and a range, then Run sweep. Too weak a penalty "
                              "overfits, too strong underfits: the best value is at the bottom of the "
                              "validation curve.")
        self.message.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Parameter", self.param)
        span = QHBoxLayout()
        for w in (QLabel("from"), self.low, QLabel("to"), self.high, QLabel("values"), self.count, self.log):
            span.addWidget(w)
        form.addRow("Values", span)
        where = QHBoxLayout()
        where.addWidget(QLabel("processes"))
        where.addWidget(self.workers)
        where.addWidget(self.scheduler, 1)
        form.addRow("Run on", where)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        form.addRow(buttons)

        self.plot = pg.PlotWidget()
        self.plot.setLabel("left", "loss at the best epoch")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.addLegend(offset=(-10, 10))
        self.train_curve = self.plot.plot([], [], pen=pg.mkPen(TRAIN, width=2), symbol="o", symbolSize=7,
                                          symbolBrush=TRAIN, name="training data loss")
        self.val_curve = self.plot.plot([], [], pen=pg.mkPen(VAL, width=2), symbol="o", symbolSize=7,
                                        symbolBrush=VAL, name="validation loss")
        self.best_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#2ca02c", width=2),
                                         label="best", labelOpts={"position": 0.9, "color": "#2ca02c",
                                                                  "fill": (255, 255, 255, 200)})
        self.best_line.hide()
        self.plot.addItem(self.best_line, ignoreBounds=True)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.plot, 1)

        self.param.currentIndexChanged.connect(self._on_param)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        state.changed.connect(lambda _section: self.refresh_parameters())
        self.refresh_parameters()

    # -- controls -----------------------------------------------------------------------
    def refresh_parameters(self) -> None:
        current = self.param.currentData()
        self.param.blockSignals(True)
        self.param.clear()
        for label, path in sweep_parameters(self.state.config):
            self.param.addItem(label, path)
        index = self.param.findData(current)
        self.param.setCurrentIndex(max(0, index))
        self.param.blockSignals(False)
        if index < 0:
            self._on_param()

    def _on_param(self) -> None:
        path = self.param.currentData() or ""
        low, high, count, log = default_range(path)
        if high is None:  # augmentation strength: up to the op's own maximum
            high = augmentation_option(self.state.config, path).high
        dataset = self.state.dataset
        if path == "data.train_size" and dataset is not None and self.state.get("data.train_size") is None:
            high = len(dataset.train.y)  # every sample the split leaves for training
            low = min(low, max(2, high // 16))
        self.low.setValue(low)
        self.high.setValue(high)
        self.count.setValue(count)
        self.log.setChecked(log)

    def values(self) -> list:
        low, high = self.low.value(), self.high.value()
        if self.log.isChecked() and low <= 0:
            raise ValueError("a log scale needs a 'from' value above 0")
        if high < low:
            raise ValueError("'to' must not be below 'from'")
        path = self.param.currentData() or ""
        integer = path == "data.train_size"
        if path.startswith("augmentation."):
            integer = augmentation_option(self.state.config, path).kind == "int"
        return grid(low, high, self.count.value(), self.log.isChecked(), integer)

    # -- running ------------------------------------------------------------------------
    def run(self) -> bool:
        if self.is_running:
            return False
        from regstudio.experiments.config import validate_config
        from regstudio.experiments.sweep import Sweep

        executor, scheduler = self.placement()
        base_dir = os.path.dirname(self.state.path) if self.state.path else None
        try:
            values = self.values()
            sweep = Sweep(validate_config(self.state.frozen()), self.param.currentData(), values, executor,
                          self.workers.value(), scheduler, base_dir)
        except Exception as exc:
            self.message.setText(f"Cannot start the sweep: {exc}")
            return False
        # the panels may change the parameter list while it runs: the results keep these
        self.swept, self.swept_log = self.param.currentText(), self.log.isChecked()
        self.rows.clear()
        self._redraw()
        self.plot.setLogMode(x=self.swept_log)
        self.plot.setLabel("bottom", self.swept)
        self.progress.setRange(0, len(values))
        self.progress.setValue(0)
        self.message.setText(f"Training {len(values)} networks on "
                             f"{where(scheduler, min(self.workers.value(), len(values)))}…")
        self.worker = w = SweepWorker(sweep)
        w.point_done.connect(self._on_point)
        w.finished.connect(self._on_finished)
        w.failed.connect(lambda text: self.message.setText(f"The sweep failed: {text}"))
        self.launch(w)
        return True

    def _on_point(self, row: dict) -> None:
        self.rows[row["index"]] = row
        done = len(self.rows)
        self.progress.setValue(done)
        total = self.progress.maximum()
        self.message.setText(self.progress_text(done, total, "points done"))
        self._redraw()

    def _on_finished(self, rows: list) -> None:
        best = self.best_row()
        cancelled = self.worker is not None and self.worker.sweep.cancelled
        if best is None:
            self.message.setText("The sweep was cancelled before any point finished." if cancelled
                                 else "No point finished.")
            return
        text = (f"Best {self.swept}: {best['value']:g} (validation loss "
                f"{best['best_val_loss']:.4f} at epoch {best['best_epoch']}).")
        self.message.setText(("Cancelled. " if cancelled else "") + text)

    def export_scene(self):
        """The validation-curve plot, for File > Export plot."""
        return self.plot.scene()

    # -- drawing ------------------------------------------------------------------------
    def best_row(self) -> dict | None:
        finite = [r for r in self.rows.values() if r.get("best_val_loss") is not None
                  and math.isfinite(r["best_val_loss"])]
        return min(finite, key=lambda r: r["best_val_loss"]) if finite else None

    def _redraw(self) -> None:
        rows = sorted(self.rows.values(), key=lambda r: r["value"])
        if self.swept_log:
            rows = [r for r in rows if r["value"] > 0]
        x = np.array([r["value"] for r in rows], float)
        # the training *data* loss: with the penalty added, a strong alpha would dwarf the plot
        for curve, key in ((self.train_curve, "train_data_loss_at_best"), (self.val_curve, "best_val_loss")):
            y = np.array([np.nan if r.get(key) is None else r[key] for r in rows], float)
            curve.setData(x, y, connect="finite")
        best = self.best_row()
        if best is None or (self.swept_log and best["value"] <= 0):
            self.best_line.hide()
            return
        self.best_line.setValue(math.log10(best["value"]) if self.swept_log else best["value"])
        self.best_line.label.setFormat(f"best: {best['value']:g}")
        self.best_line.show()



