"""Predictions view: decision regions (two features), fitted curve (one feature, regression),
confusion matrix and a strip of misclassified samples (images / many features)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

CLASS_COLORS = np.array([(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                         (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                         (188, 189, 34), (23, 190, 207)], np.float32)
TRAIN_BRUSH = (31, 119, 180, 170)
VAL_PEN = "#e6550d"


class PredictionsPlot(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Start training to see what the network predicts.")
        self.title.setWordWrap(True)  # a long caption never widens the window
        lay.addWidget(self.title)
        self.stack = QStackedWidget()
        lay.addWidget(self.stack, 1)
        # regions / curve / scatter share one plot
        self.glw = pg.GraphicsLayoutWidget()
        self.plot = self.glw.addPlot()
        self.legend = self.plot.addLegend(offset=(-5, 5))
        self.regions = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.regions)
        # named here, listed in the legend per view (``_list``): only what is drawn
        self.train_pts = pg.ScatterPlotItem(size=7, pen=pg.mkPen("k", width=0.5), brush=TRAIN_BRUSH)
        self.val_pts = pg.ScatterPlotItem(size=8, brush=None, pen=pg.mkPen(VAL_PEN, width=1.5),
                                          symbol="o")
        self.curve = pg.PlotDataItem([], [], pen=pg.mkPen("#d62728", width=3))
        self.diagonal = pg.PlotDataItem([], [], pen=pg.mkPen("#7f7f7f", width=1.5,
                                                             style=Qt.PenStyle.DashLine))
        for item in (self.diagonal, self.curve, self.train_pts, self.val_pts):
            self.plot.addItem(item)
        self.stack.addWidget(self.glw)
        # confusion matrix + misclassified strip
        conf = QWidget()
        cl = QVBoxLayout(conf)
        self.cm_glw = pg.GraphicsLayoutWidget()
        self.cm_plot = self.cm_glw.addPlot()
        self.cm_plot.setLabel("left", "true")
        self.cm_plot.setLabel("bottom", "predicted")
        self.cm_plot.setMouseEnabled(False, False)
        self.cm_plot.hideButtons()
        self.cm_plot.invertY(True)
        self.cm_plot.setAspectLocked(True)
        self.cm_image = pg.ImageItem(axisOrder="row-major")
        self.cm_image.setColorMap(pg.colormap.get("CET-L12") if hasattr(pg, "colormap") else None)
        self.cm_plot.addItem(self.cm_image)
        self.cm_texts: list = []
        cl.addWidget(self.cm_glw, 1)
        cl.addWidget(QLabel("Misclassified samples (true → predicted):"))
        self.strip = QHBoxLayout()
        strip_w = QWidget()
        strip_w.setLayout(self.strip)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(strip_w)
        scroll.setFixedHeight(118)  # a 56 px sample, its caption and the scroll bar
        cl.addWidget(scroll)
        self.stack.addWidget(conf)
        self.last: dict | None = None
        self._dirty = False

    def export_scene(self):
        return (self.glw if self.stack.currentIndex() == 0 else self.cm_glw).scene()

    def clear(self) -> None:
        self.regions.clear()
        self.train_pts.clear()
        self.val_pts.clear()
        self.curve.setData([], [])
        self.diagonal.setData([], [])
        self._list()
        self.cm_image.clear()
        self.last = None
        self.title.setText("Start training to see what the network predicts.")

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._dirty and self.last is not None:
            self.set_predictions(self.last)

    def set_predictions(self, p: dict) -> None:
        self.last = p
        self._dirty = not self.isVisible()  # hidden tab: draw when shown
        if self._dirty:
            return
        kind = p["kind"]
        if kind == "regions":
            self.stack.setCurrentIndex(0)
            self._regions(p)
        elif kind == "curve":
            self.stack.setCurrentIndex(0)
            self._curve(p)
        elif kind == "confusion":
            self.stack.setCurrentIndex(1)
            self._confusion(p)
        else:
            self.stack.setCurrentIndex(0)
            self._scatter(p)

    def _list(self, *entries) -> None:
        """The legend lists exactly ``entries`` ((item, name) pairs): what the view draws."""
        self.legend.clear()
        for item, name in entries:
            self.legend.addItem(item, name)

    def _scatter(self, p: dict) -> None:
        """Regression on many features: predicted against true, validation rings over
        training dots, the diagonal where a prediction is perfect."""
        self.regions.clear()
        self.curve.setData([], [])
        shown = {"validation": None, "training": p.get("train")}
        shown[p.get("split", "validation")] = (p["true"], p["pred"])
        entries = []
        for (name, pts), item in zip(shown.items(), (self.val_pts, self.train_pts), strict=True):
            if pts is None:
                item.clear()
            else:
                item.setData(pts[0], pts[1])
                entries.insert(0, (item, name))
        ends = np.concatenate([np.asarray(v, float).ravel() for pts in shown.values() if pts for v in pts])
        ends = ends[np.isfinite(ends)]
        lo, hi = (float(ends.min()), float(ends.max())) if len(ends) else (0.0, 1.0)
        self.diagonal.setData([lo, hi], [lo, hi])
        self._list(*entries, (self.diagonal, "perfect (predicted = true)"))
        self.legend.anchor((0, 0), (0, 0), offset=(10, 5))  # top left: the points run along the diagonal
        self.plot.setLabel("bottom", "true value")
        self.plot.setLabel("left", "predicted")
        self.title.setText("Predicted vs true: dots = training, rings = validation; on the dashed "
                           "diagonal is perfect. Dots near it and rings far off are overfitting.")

    def _regions(self, p: dict) -> None:
        cls, conf = p["classes"], p["confidence"]
        k = max(1, p["n_classes"])
        colors = CLASS_COLORS[np.arange(k) % len(CLASS_COLORS)]
        # lighten towards white where the network is unsure
        w = (0.25 + 0.45 * np.clip((conf - 1 / k) / (1 - 1 / k + 1e-9), 0, 1))[..., None]
        rgb = (255 * (1 - w) + colors[cls] * w).astype(np.uint8)
        self.regions.setImage(rgb, autoLevels=False, levels=(0, 255))
        x, y, wdt, hgt = p["rect"]
        self.regions.setRect(x, y, wdt, hgt)
        self.curve.setData([], [])
        Xt, yt = p["train"]
        Xv, yv = p["val"]
        self.train_pts.setData(Xt[:, 0], Xt[:, 1],
                               brush=[pg.mkBrush(*CLASS_COLORS[int(c) % 10]) for c in yt])
        self.val_pts.setData(Xv[:, 0], Xv[:, 1],
                             pen=[pg.mkPen(*CLASS_COLORS[int(c) % 10], width=2) for c in yv],
                             brush=None)
        self.diagonal.setData([], [])
        self._list((self.train_pts, "training"), (self.val_pts, "validation"))
        self.legend.anchor((1, 0), (1, 0), offset=(-5, 5))
        self.plot.setLabel("bottom", "feature 1 (standardized)")
        self.plot.setLabel("left", "feature 2 (standardized)")
        self.title.setText("Decision regions: filled dots = training, rings = validation; pale "
                           "colour = unsure. A wiggly border hugging single points is overfitting.")

    def _curve(self, p: dict) -> None:
        self.regions.clear()
        self.curve.setData(p["x"], p["y"])
        xt, yt = p["train"]
        xv, yv = p["val"]
        self.train_pts.setData(xt, yt, brush=(31, 119, 180, 200))
        self.val_pts.setData(xv, yv, pen=pg.mkPen(VAL_PEN, width=1.5), brush=None)
        self.diagonal.setData([], [])
        self._list((self.curve, "network"), (self.train_pts, "training"), (self.val_pts, "validation"))
        self.legend.anchor((1, 0), (1, 0), offset=(-5, 5))
        self.plot.setLabel("bottom", "x")  # the worker maps the curve back to the data's units
        self.plot.setLabel("left", "y")
        self.title.setText("Fitted curve (red) through training dots and validation rings (orange). "
                           "A curve chasing every training dot is overfitting.")

    def _confusion(self, p: dict) -> None:
        cm = p["matrix"].astype(np.float32)
        rows = cm.sum(1, keepdims=True)
        frac = cm / np.maximum(rows, 1)
        self.cm_image.setImage(frac, levels=(0, 1), autoLevels=False)
        k = cm.shape[0]
        names = list(p.get("classes") or range(k))[:k]
        ticks = [[(i + 0.5, str(name)) for i, name in enumerate(names)]]
        self.cm_plot.getAxis("bottom").setTicks(ticks)
        self.cm_plot.getAxis("left").setTicks(ticks)
        self.cm_plot.setRange(xRange=(0, k), yRange=(0, k), padding=0.02)
        if len(self.cm_texts) != (k * k if k <= 12 else 0):
            for t in self.cm_texts:
                self.cm_plot.removeItem(t)
            self.cm_texts = []
            if k <= 12:
                for i in range(k):
                    for j in range(k):
                        t = pg.TextItem("", anchor=(0.5, 0.5))
                        t.setPos(j + 0.5, i + 0.5)
                        self.cm_plot.addItem(t)
                        self.cm_texts.append(t)
        for n, t in enumerate(self.cm_texts):
            i, j = divmod(n, k)
            t.setText(f"{int(cm[i, j])}", color="w" if frac[i, j] > 0.5 else "k")
        acc = np.trace(cm) / max(1, cm.sum())
        self.title.setText(f"Confusion matrix on the {p['split']} set: accuracy {acc:.1%} "
                           "(rows: true class, columns: predicted)")
        while self.strip.count():
            item = self.strip.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        imgs = p.get("wrong_images")
        if imgs is not None:
            from ..panels.data_panel import array_to_pixmap

            names = p["classes"]
            for img, t, pr in zip(imgs, p["wrong_true"], p["wrong_pred"], strict=False):
                box = QLabel()
                box.setPixmap(array_to_pixmap(img, max(1, 56 // max(img.shape[:2]))))
                box.setToolTip(f"true {names[int(t)]}, predicted {names[int(pr)]}")
                cap = QLabel(f"{names[int(t)]}→{names[int(pr)]}")
                w = QWidget()
                v = QVBoxLayout(w)
                v.setContentsMargins(2, 2, 2, 2)
                v.addWidget(box)
                v.addWidget(cap)
                self.strip.addWidget(w)
        self.strip.addStretch(1)
