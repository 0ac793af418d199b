"""A two-parameter sweep as a heat map: the mean validation loss of every cell, the values as
categories on the axes (so log-spaced values get equal room), the best and one-standard-error
cells marked, a colour bar, and a read-out of the cell under the mouse (mean, SE, n)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .sweep_curve import BEST, ONE_SE


def grid_array(values: list[list], points: list[dict]) -> np.ndarray:
    """Mean validation loss per cell, ``[j, i]`` for the second axis' value j and the first's
    i (row-major, the second parameter upwards); NaN where no fit finished."""
    first, second = values
    out = np.full((len(second), len(first)), np.nan, np.float32)
    for p in points:
        loss = p.get("best_val_loss")
        if loss is not None and math.isfinite(loss):
            out[second.index(p["value2"]), first.index(p["value"])] = loss
    return out


class SweepGridView(QWidget):
    """The heat map (``image``, ``colorbar``), the ``best_marker`` / ``one_se_marker`` and
    ``readout`` (the hovered cell)."""

    HINT = "Hover over a cell: its mean validation loss, standard error and number of fits."

    def __init__(self, parent=None):
        super().__init__(parent)
        self.canvas = pg.GraphicsLayoutWidget()
        self.plot = self.canvas.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap="viridis", interactive=False, width=18,
                                        label="mean validation loss")
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.legend = self.plot.addLegend(offset=(-10, 10), brush=(255, 255, 255, 210))
        self.one_se_marker = pg.ScatterPlotItem(symbol="s", size=30, brush=None,
                                                pen=pg.mkPen(ONE_SE, width=3), name="1-SE")
        self.best_marker = pg.ScatterPlotItem(symbol="star", size=20, brush=pg.mkBrush(BEST),
                                              pen=pg.mkPen("w", width=1.5), name="best")
        self.plot.addItem(self.one_se_marker)
        self.plot.addItem(self.best_marker)
        self.readout = QLabel(self.HINT)
        self.readout.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.readout)
        self.values: list[list] = [[], []]
        self.labels = ("", "")
        self.cells: dict[tuple[int, int], dict] = {}
        self.canvas.scene().sigMouseMoved.connect(self._on_mouse)

    def show_points(self, labels: tuple[str, str], values: list[list], points: list[dict],
                    best: dict | None, one_se: dict | None) -> None:
        """Draw ``points`` (sweep rows with ``value``/``value2``) of the grid ``values``."""
        self.labels, self.values = labels, values
        self.cells = {(values[0].index(p["value"]), values[1].index(p["value2"])): p for p in points}
        data = grid_array(values, points)
        finite = data[np.isfinite(data)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if high <= low:
            high = low + 1e-9
        self.image.setImage(data, autoLevels=False, levels=(low, high))
        self.image.setRect(-0.5, -0.5, len(values[0]), len(values[1]))
        self.colorbar.setLevels((low, high))
        for axis, vals, label in (("bottom", values[0], labels[0]), ("left", values[1], labels[1])):
            self.plot.getAxis(axis).setTicks([[(i, f"{v:g}") for i, v in enumerate(vals)]])
            self.plot.setLabel(axis, label)
        for marker, point in ((self.best_marker, best), (self.one_se_marker, one_se)):
            marker.setData(*([[c] for c in self.cell_of(point)] if point else ([], [])))
        self.plot.setRange(xRange=(-0.5, len(values[0]) - 0.5), yRange=(-0.5, len(values[1]) - 0.5),
                           padding=0)

    def cell_of(self, point: dict) -> tuple[int, int]:
        """(column, row) of a point: the indices of its two values."""
        return self.values[0].index(point["value"]), self.values[1].index(point["value2"])

    def cell_text(self, i: int, j: int) -> str:
        """The read-out of cell (column i, row j)."""
        where = (f"{self.labels[0]} = {self.values[0][i]:g}, {self.labels[1]} = {self.values[1][j]:g}")
        p = self.cells.get((i, j))
        if p is None or p.get("best_val_loss") is None:
            return f"{where}: not trained (yet)"
        se = p.get("best_val_loss_se")
        se_text = "no SE (one fit)" if se is None else f"SE {se:.4f}"
        return f"{where}: mean validation loss {p['best_val_loss']:.4f}, {se_text}, n = {p['n']}"

    def _on_mouse(self, scene_pos) -> None:
        if not self.values[0] or not self.plot.sceneBoundingRect().contains(scene_pos):
            return
        pos = self.plot.vb.mapSceneToView(scene_pos)
        i, j = round(pos.x()), round(pos.y())
        if 0 <= i < len(self.values[0]) and 0 <= j < len(self.values[1]):
            self.readout.setText(self.cell_text(i, j))

    def clear_points(self) -> None:
        self.cells, self.values = {}, [[], []]
        self.image.clear()
        self.best_marker.setData([], [])
        self.one_se_marker.setData([], [])
        self.readout.setText(self.HINT)
