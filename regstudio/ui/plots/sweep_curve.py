"""A validation (or learning) curve with bands: the mean loss at the best epoch against the
swept value, mean +/- one standard error as a band, the single fits as faint points on demand,
and the best and one-standard-error choices marked and named."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from regstudio.experiments.sweep_stats import band

from .loss_plot import TRAIN, VAL

BEST = "#2ca02c"
ONE_SE = "#ff7f0e"
CURVES = (("train", "train_loss_at_best", TRAIN, "training data loss"),
          ("val", "best_val_loss", VAL, "validation loss"))


def _rgba(colour: str, alpha: int) -> tuple:
    c = pg.mkColor(colour)
    return c.red(), c.green(), c.blue(), alpha


class SweepCurvePlot(pg.PlotWidget):
    """Items are made once; :meth:`show_points` only sets their data. For each curve in
    :data:`CURVES`: ``mean[name]``, ``lo[name]``, ``hi[name]`` (PlotDataItems, raw data in
    ``xData``/``yData``), ``bands[name]`` (FillBetweenItem) and ``fits[name]`` (faint points)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setLabel("left", "loss at the best epoch")
        self.getAxis("left").enableAutoSIPrefix(False)
        self.legend = self.addLegend(offset=(-10, 10))
        self.mean, self.lo, self.hi, self.bands, self.fits = {}, {}, {}, {}, {}
        for name, _key, colour, title in CURVES:
            edge = pg.mkPen(*_rgba(colour, 70), width=1)  # a drawn curve: the band needs its path
            self.lo[name] = pg.PlotDataItem(pen=edge)
            self.hi[name] = pg.PlotDataItem(pen=edge)
            self.bands[name] = pg.FillBetweenItem(self.lo[name], self.hi[name], brush=pg.mkBrush(*_rgba(colour, 55)))
            self.fits[name] = pg.PlotDataItem(pen=None, symbol="o", symbolSize=5, symbolPen=None,
                                              symbolBrush=pg.mkBrush(*_rgba(colour, 80)))
            self.mean[name] = pg.PlotDataItem(pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=7,
                                              symbolBrush=colour, name=f"{title} (mean ± 1 SE)")
            for item in (self.lo[name], self.hi[name], self.bands[name], self.fits[name]):
                self.addItem(item)
            self.addItem(self.mean[name])
            self.bands[name].hide()
        # labels below the legend (top right) and above a U-shaped curve's bottom
        self.best_line = self._marker(BEST, "best", 0.72)
        self.one_se_line = self._marker(ONE_SE, "1-SE", 0.62)
        self.log_x = True

    def _marker(self, colour: str, name: str, position: float) -> pg.InfiniteLine:
        pen = pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine)
        opts = {"position": position, "color": colour, "fill": (255, 255, 255, 210)}
        line = pg.InfiniteLine(angle=90, movable=False, pen=pen, label=name, labelOpts=opts)
        line.hide()
        self.addItem(line, ignoreBounds=True)
        return line

    def clear_points(self) -> None:
        self.show_points([], [], None, None)

    def show_points(self, points: list[dict], fits: list[dict], best: dict | None, one_se: dict | None,
                    show_fits: bool = False) -> None:
        """Draw ``points`` (sweep rows) and, with ``show_fits``, ``fits`` (a row per fit);
        mark ``best`` and ``one_se`` (points or None). On a log axis values <= 0 are left out."""
        keep = (lambda v: v > 0) if self.log_x else (lambda v: True)
        points = sorted((p for p in points if keep(p["value"])), key=lambda p: p["value"])
        for name, key, _colour, _title in CURVES:
            x, mean, lo, hi = band(points, key)
            self.mean[name].setData(x, mean)
            self.lo[name].setData(x, lo)
            self.hi[name].setData(x, hi)
            self.bands[name].setVisible(len(x) > 1 and lo != hi)
            shown = [f for f in fits if keep(f["value"]) and _finite(f.get(key))] if show_fits else []
            self.fits[name].setData([f["value"] for f in shown], [f[key] for f in shown])
        for line, point, name in ((self.best_line, best, "best"), (self.one_se_line, one_se, "1-SE")):
            if point is None or not keep(point["value"]):
                line.hide()
                continue
            line.setValue(math.log10(point["value"]) if self.log_x else point["value"])
            line.label.setFormat(f"{name}: {point['value']:g}")
            line.show()

    def set_axis(self, label: str, log: bool) -> None:
        self.log_x = log
        self.setLogMode(x=log)
        self.setLabel("bottom", label)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and bool(np.isfinite(x))
