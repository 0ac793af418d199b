"""Weights view: heat map of a layer's weights (diverging colours centred at zero, fixed
symmetric levels), first-layer weights as image tiles, a histogram, norms over epochs."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .loss_plot import GrowingCurve, legend_row

N_BINS = 61


def diverging_cmap() -> pg.ColorMap:
    """Blue - white - red, white at zero (like matplotlib's RdBu_r)."""
    pos = [0.0, 0.25, 0.5, 0.75, 1.0]
    colors = [(5, 48, 97), (67, 147, 195), (247, 247, 247), (214, 96, 77), (103, 0, 31)]
    return pg.ColorMap(pos, colors)


def tiles(W: np.ndarray, image_shape) -> np.ndarray | None:
    """First-layer weights as a mosaic: one tile per unit/filter (float32, NaN gaps)."""
    if W.ndim == 4:  # conv (kh, kw, c_in, filters): average over input channels
        t = W.mean(axis=2).transpose(2, 0, 1)
    elif W.ndim == 2 and image_shape is not None and W.shape[0] == int(np.prod(image_shape)):
        h, w, c = image_shape
        t = W.T.reshape(-1, h, w, c).mean(axis=3)
    else:
        return None
    n, h, w = t.shape
    n = min(n, 64)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan, np.float32)
    for k in range(n):
        r, c = divmod(k, cols)
        out[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = t[k]
    return out


class WeightsPlot(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer"))
        self.layer = QComboBox()
        self.layer.setObjectName("weights_layer")
        self.layer.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer.setMinimumContentsLength(10)  # "dense_10.W" whole before the first run
        self.layer.setToolTip("The layer whose weights the map, the histogram and the norms show")
        row.addWidget(self.layer)
        self.view = QComboBox()
        self.view.addItems(["matrix", "as image tiles"])
        self.view.setToolTip("First-layer weights of image inputs can be shown as one image per "
                             "unit / filter")
        row.addWidget(self.view)
        self.info = QLabel("Start training to see the weights.")
        self.info.setWordWrap(True)
        row.addWidget(self.info, 1)
        lay.addLayout(row)
        self.glw = pg.GraphicsLayoutWidget()
        lay.addWidget(self.glw, 1)
        self.map_plot = self.glw.addPlot(row=0, col=0, rowspan=3)
        self.map_plot.setTitle("weights: blue &lt; 0 &lt; red")
        self.map_plot.setLabel("left", "input")
        self.map_plot.setLabel("bottom", "unit")
        self.map_plot.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.cmap = diverging_cmap()
        self.image.setColorMap(self.cmap)
        self.map_plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap=self.cmap, values=(-1, 1), interactive=False,
                                        width=12)
        self.colorbar.setImageItem(self.image, insert_in=self.map_plot)
        self.hist_plot = self.glw.addPlot(row=0, col=1)
        self.hist_plot.setTitle("histogram of weights")
        self.hist = self.hist_plot.plot([0, 1], [0], stepMode="center", fillLevel=0,
                                        brush=(100, 100, 200, 150), pen="#3c3c8c")
        self.norm_legend = legend_row(self.glw, 1, 1, 1)  # above the curves, never over them
        self.norm_plot = self.glw.addPlot(row=2, col=1)
        self.norm_plot.legend = self.norm_legend
        self.norm_plot.setLabel("left", "norms over epochs")
        self.norm_plot.setLabel("bottom", "epoch")
        self.l1c = GrowingCurve(self.norm_plot.plot([], [], pen=pg.mkPen("#ff7f0e", width=2),
                                                    name="L1 norm / max"))
        self.l2c = GrowingCurve(self.norm_plot.plot([], [], pen=pg.mkPen("#1f77b4", width=2),
                                                    name="L2 norm / max"))
        self.spc = GrowingCurve(self.norm_plot.plot([], [], pen=pg.mkPen("#2ca02c", width=2),
                                                    name="share |w| &lt; 1e-3"))
        self.glw.ci.layout.setColumnStretchFactor(0, 3)
        self.glw.ci.layout.setColumnStretchFactor(1, 2)
        self.weights: dict = {}
        self.epoch = 0
        self.levels: dict[str, float] = {}
        self.image_shape = None
        self.rows: list = []
        self.layer.currentIndexChanged.connect(lambda _i: self._redraw())
        self.view.currentIndexChanged.connect(lambda _i: self._redraw())

    def export_scene(self):
        return self.glw.scene()

    def clear(self) -> None:
        self.weights = {}
        self.levels = {}
        self.rows = []
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.blockSignals(False)
        self.image.clear()
        self.hist.setData([0, 1], [0])
        for c in (self.l1c, self.l2c, self.spc):
            c.clear()
        self.info.setText("Start training to see the weights.")

    def set_image_shape(self, shape) -> None:
        self.image_shape = shape

    def set_snapshot(self, snap: dict) -> None:
        self.epoch = snap.get("epoch", 0)
        self.weights = {k: W for k, W in ((k, drawable(v)) for k, v in snap["weights"].items()
                                          if str(k).endswith(".W")) if W is not None}
        names = list(self.weights)
        if [self.layer.itemText(i) for i in range(self.layer.count())] != names:
            cur = self.layer.currentText()
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems(names)
            if cur in names:
                self.layer.setCurrentText(cur)
            elif self.image_shape is None and len(names) > 1:
                # tables: a first layer with few inputs is a thin strip; show the widest matrix
                widest = max(names, key=lambda k: min(self.weights[k].shape[0], self.weights[k].shape[-1]))
                self.layer.setCurrentText(widest)
            self.layer.blockSignals(False)
        for k, W in self.weights.items():
            if k not in self.levels:  # fixed for the whole run: set from the first snapshot
                self.levels[k] = _reach(W)
        self._redraw()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._redraw()

    def _redraw(self) -> None:
        if not self.isVisible():  # hidden tab: drawn when shown
            return
        name = self.layer.currentText()
        W = self.weights.get(name)
        if W is None:
            return
        lim = self.levels.get(name, 1.0)
        mosaic = tiles(W, self.image_shape) if self.view.currentIndex() == 1 else None
        if mosaic is not None:
            img = mosaic
            self.map_plot.setLabel("left", "")
            self.map_plot.setLabel("bottom", "one tile per unit")
        else:
            img = W.reshape(-1, W.shape[-1]) if W.ndim != 2 else W
            self.map_plot.setLabel("left", "input")
            self.map_plot.setLabel("bottom", "unit")
        # The image gets weights / lim in [-1, 1] (native colour mapping overflows on values near
        # the float32 limit); the colour bar shows the real scale.
        with np.errstate(over="ignore"):  # a weight that outgrew the run's scale: clipped to 1
            scaled = np.divide(img, lim, dtype=np.float32)  # one float32 pass (it runs while training)
        np.clip(scaled, -1.0, 1.0, out=scaled)
        self.image.setImage(np.ascontiguousarray(scaled), levels=(-1.0, 1.0), autoLevels=False)
        self.colorbar.setLevels((-lim, lim), update_items=False)
        # the colour scale stays fixed for the run; the histogram widens to count every weight
        reach = max(lim, _reach(W))
        counts, edges = np.histogram(W.astype(np.float64), bins=N_BINS, range=(-reach, reach))
        self.hist.setData(edges, counts)
        n_zero = float(np.mean(np.abs(W) < 1e-3))
        self.info.setText(f"{name}  shape {tuple(W.shape)} · epoch {self.epoch} · "
                          f"|w|max {float(np.abs(W).max()):.3g} · {n_zero:.0%} near zero")
        self._redraw_norms()

    def add_norms(self, rows: list[dict]) -> None:
        self.rows.extend(rows)
        if self.isVisible():
            self._redraw_norms()

    def _redraw_norms(self) -> None:
        name = self.layer.currentText().rsplit(".", 1)[0]
        xs, l1, l2, sp = [], [], [], []
        for r in self.rows:
            layers = r.get("layers") if isinstance(r, dict) else None
            if not isinstance(layers, list) or not _number(r.get("epoch")):
                continue  # a row without per-layer norms (or not a row): nothing to draw
            for lay in layers:
                if isinstance(lay, dict) and (lay.get("name") in (name, name + ".W")
                                              or (not name and lay is layers[0])):
                    xs.append(float(r["epoch"]))
                    l1.append(_float(lay.get("l1_norm")))
                    l2.append(_float(lay.get("l2_norm")))
                    sp.append(_float(lay.get("sparsity")))
                    break
        for c in (self.l1c, self.l2c, self.spc):
            c.clear()
        if xs:
            l1a, l2a = np.asarray(l1, float), np.asarray(l2, float)
            self.l1c.extend(xs, _relative(l1a))
            self.l2c.extend(xs, _relative(l2a))
            self.spc.extend(xs, np.clip(np.asarray(sp, float), 0.0, 1.0))
            for c in (self.l1c, self.l2c, self.spc):
                c.draw()


def drawable(W) -> np.ndarray | None:
    """``W`` as a float32 array the views can draw (non-finite values as 0), or None when it is
    no weight matrix at all (empty, 0-d, not numbers): native drawing code never sees those."""
    try:
        W = np.asarray(W)
    except Exception:  # noqa: BLE001 (whatever a caller handed over)
        return None
    if W.dtype.kind not in "fiub" or W.size == 0 or W.ndim not in (1, 2, 3, 4):
        return None
    W = W.astype(np.float32, copy=False)
    if not np.isfinite(W).all():
        W = np.nan_to_num(W, nan=0.0, posinf=0.0, neginf=0.0)
    return W


def _reach(W: np.ndarray) -> float:
    """The largest |w|: a finite positive number for colour levels and histogram ranges."""
    top = float(np.abs(W).max(initial=0.0))
    return top if 0.0 < top < np.inf else 1.0


def _number(x) -> bool:
    return isinstance(x, int | float | np.number) and not isinstance(x, bool) and bool(np.isfinite(x))


def _float(x) -> float:
    return float(x) if _number(x) else np.nan


def _relative(values: np.ndarray) -> np.ndarray:
    """``values`` over their largest finite value (NaN where not finite)."""
    values = np.where(np.isfinite(values), values, np.nan)
    top = np.nanmax(values) if np.isfinite(values).any() else 0.0
    return values / (top if top > 0 else 1.0)
