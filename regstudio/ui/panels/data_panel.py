"""Data panel: source picker with the source's options, split sizes, summary, samples, errors."""

from __future__ import annotations

import csv
import gzip
import os

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..file_drop import FileDropTarget
from .forms import OptionForm, signals_blocked

SOURCES = [("builtin", "Built-in data set"), ("csv", "CSV file"), ("images", "Image folder"),
           ("npz", "NumPy .npz"), ("idx", "IDX (MNIST format)")]
SPLIT_KEYS = ("train_size", "val_fraction", "test_fraction", "seed", "standardize")


def array_to_pixmap(img: np.ndarray, scale: int = 1) -> QPixmap:
    """uint8 (H, W) or (H, W, C) -> QPixmap (nearest-neighbour scaled)."""
    a = np.ascontiguousarray(img)
    if a.dtype != np.uint8:
        a = np.clip(a * (255 if a.max() <= 1.0 else 1), 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    a = np.ascontiguousarray(a)
    h, w = a.shape[:2]
    if a.ndim == 2:
        q = QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        if a.shape[2] == 4:
            a = np.ascontiguousarray(a[:, :, :3])
        q = QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    pm = QPixmap.fromImage(q.copy())
    if scale != 1:
        pm = pm.scaled(w * scale, h * scale, Qt.AspectRatioMode.KeepAspectRatio,
                       Qt.TransformationMode.FastTransformation)
    return pm


class DataPanel(FileDropTarget, QWidget):
    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.setAcceptDrops(True)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.source = QComboBox()
        self.source.setObjectName("data_source")
        for key, text in SOURCES:
            self.source.addItem(text, key)
        self.source.setToolTip("Where the data comes from. Drop a CSV, .npz or a folder of "
                               "images on the window to use it.")
        form.addRow("Source", self.source)
        self.builtin = QComboBox()
        self.builtin.setObjectName("data_builtin")
        form.addRow("Data set", self.builtin)
        path_row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setObjectName("data_path")
        self.path.setPlaceholderText("file or folder…")
        self.browse = QPushButton("Open…")
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        self.path_label = QLabel("Path")
        form.addRow(self.path_label, path_row)
        self.target = QComboBox()
        self.target.setObjectName("data_target")
        self.target.setToolTip("The CSV column to predict; every other column is a feature.")
        self.target_label = QLabel("Target column")
        form.addRow(self.target_label, self.target)
        lay.addLayout(form)
        self.description = QLabel("")
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: palette(mid);")
        lay.addWidget(self.description)
        self.options_box = QVBoxLayout()
        lay.addLayout(self.options_box)
        self.options_form: OptionForm | None = None
        self.split_form = OptionForm(state, "data.", self._split_options(), {
            "train_size": "Training samples", "val_fraction": "Validation share",
            "test_fraction": "Test share", "seed": "Split seed", "standardize": "Standardize"})
        lay.addWidget(self.split_form)
        self.error = QLabel("")
        self.error.setObjectName("data_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b; font-weight: bold;")
        self.error.hide()
        lay.addWidget(self.error)
        self.summary = QLabel("")
        self.summary.setObjectName("data_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.summary)
        self.samples = QGridLayout()
        lay.addLayout(self.samples)
        lay.addStretch(1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.reload)
        self.source.currentIndexChanged.connect(self._on_source)
        self.builtin.currentIndexChanged.connect(self._on_builtin)
        self.browse.clicked.connect(self._browse)
        self.path.editingFinished.connect(lambda: self._set_path(self.path.text()))
        self.target.currentIndexChanged.connect(self._on_target)
        state.changed.connect(self._on_changed)
        state.dataset_changed.connect(self._show_dataset)
        self._fill_builtins()
        self.refresh()

    # -- options tables from the data module --------------------------------------------
    @staticmethod
    def _split_options() -> dict:
        try:
            from regstudio.data import source_options

            table = source_options("builtin")
            return {k: table[k] for k in SPLIT_KEYS if k in table}
        except Exception:
            from regstudio.data import Option

            return {"train_size": Option(300, "int", 10, 100000, help="Training samples"),
                    "val_fraction": Option(0.3, "float", 0.05, 0.9, help="Validation share"),
                    "seed": Option(0, "int", 0, 2**31 - 1, help="Seed of the split")}

    def _fill_builtins(self) -> None:
        from regstudio.data import BUILTINS

        with signals_blocked(self.builtin):
            self.builtin.clear()
            for name, spec in BUILTINS.items():
                self.builtin.addItem(f"{getattr(spec, 'title', name)}", name)

    # -- state -> widgets ----------------------------------------------------------------
    def _on_changed(self, section: str) -> None:
        if section in ("data", "all"):
            self.refresh()
            self._debounce.start()

    def refresh(self) -> None:
        cfg = self.state.config.get("data", {})
        src = cfg.get("source", "builtin")
        with signals_blocked(self.source, self.builtin, self.path):
            self.source.setCurrentIndex(max(0, self.source.findData(src)))
            self.builtin.setCurrentIndex(max(0, self.builtin.findData(cfg.get("name"))))
            self.path.setText(str(cfg.get("path", cfg.get("images", "")) or ""))
        is_builtin = src == "builtin"
        self.builtin.setVisible(is_builtin)
        for w in (self.path, self.browse, self.path_label):
            w.setVisible(not is_builtin)
        for w in (self.target, self.target_label):
            w.setVisible(src == "csv")
        if src == "csv":
            self._fill_targets(cfg.get("path"), cfg.get("target"))
        self._rebuild_options(src, cfg.get("name"))
        self.split_form.refresh()

    def _rebuild_options(self, src: str, name: str | None) -> None:
        key = (src, name)
        if getattr(self, "_options_key", None) == key:
            if self.options_form:
                self.options_form.refresh()
            return
        self._options_key = key
        if self.options_form is not None:
            self.options_form.setParent(None)
            self.options_form.deleteLater()
            self.options_form = None
        options = {}
        desc = ""
        try:
            if src == "builtin":
                from regstudio.data import BUILTINS

                spec = BUILTINS.get(name)
                options = dict(getattr(spec, "options", {}) or {})
                desc = getattr(spec, "description", "")
            else:
                from regstudio.data import source_options

                skip = {"source", "path", "target", "images", "labels", *SPLIT_KEYS}
                options = {k: v for k, v in source_options(src).items() if k not in skip}
        except Exception:
            options = {}
        self.description.setText(desc)
        if options:
            self.options_form = OptionForm(self.state, "data.", options)
            self.options_box.addWidget(self.options_form)

    def _fill_targets(self, path, current) -> None:
        cols = read_csv_header(path, self.state.base_dir())
        with signals_blocked(self.target):
            self.target.clear()
            for c in cols:
                self.target.addItem(c, c)
            i = self.target.findData(current)
            self.target.setCurrentIndex(i if i >= 0 else self.target.count() - 1)

    def _show_dataset(self) -> None:
        ds, err = self.state.dataset, self.state.dataset_error
        self.error.setVisible(bool(err))
        self.error.setText(f"Cannot load the data: {err}" if err else "")
        while self.samples.count():
            item = self.samples.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        if ds is None:
            self.summary.setText("")
            return
        self.summary.setText(describe_dataset(ds))
        images = getattr(ds.train, "images", None)
        if images is not None and len(images):
            for i, img in enumerate(np.asarray(images)[:8]):
                lab = QLabel()
                lab.setPixmap(array_to_pixmap(img, max(1, 48 // max(img.shape[:2]))))
                lab.setToolTip(f"class {ds.classes[int(ds.train.y[i])] if ds.classes else ''}")
                self.samples.addWidget(lab, 0, i)

    # -- widgets -> state ----------------------------------------------------------------
    def _on_source(self) -> None:
        src = self.source.currentData()
        data = dict(self.state.config.get("data", {}))
        keep = {k: data[k] for k in SPLIT_KEYS if k in data}
        new = {"source": src, **keep}
        if src == "builtin":
            new["name"] = self.builtin.currentData() or "digits"
        self.state.set_section("data", new, f"Data source: {src}")

    def _on_builtin(self) -> None:
        data = self.state.config.get("data", {})
        keep = {k: data[k] for k in SPLIT_KEYS if k in data}
        self.state.set_section("data", {"source": "builtin", "name": self.builtin.currentData(),
                                        **keep}, "Choose data set")

    def _on_target(self) -> None:
        if self.target.currentData() is not None:
            self.state.set("data.target", self.target.currentData(), "Choose target column")

    def _browse(self) -> None:
        src = self.source.currentData()
        if src == "images":
            path = QFileDialog.getExistingDirectory(self, "Image folder (one sub-folder per class)")
        else:
            filt = {"csv": "CSV (*.csv *.csv.gz *.txt)", "npz": "NumPy (*.npz)",
                    "idx": "IDX (*-ubyte *-ubyte.gz *.idx *.gz)"}.get(src, "All files (*)")
            path, _ = QFileDialog.getOpenFileName(self, "Open data", "", filt)
        if path:
            self._set_path(path)

    def _set_path(self, path: str) -> None:
        src = self.source.currentData()
        if not path or src == "builtin":
            return
        data = self.state.config.get("data", {})
        keep = {k: data[k] for k in SPLIT_KEYS if k in data}
        new = {"source": src, **keep}
        if src == "idx":
            new["images"] = path
            new["labels"] = data.get("labels", path.replace("images", "labels"))
        else:
            new["path"] = path
        if src == "csv":
            cols = read_csv_header(path, self.state.base_dir())
            if cols:
                new["target"] = cols[-1]
        self.state.set_section("data", new, "Choose data file")

    def use_path(self, path: str) -> None:
        """A dropped file or folder: pick the source from what it is."""
        if os.path.isdir(path):
            src = "images"
        elif path.lower().endswith(".npz"):
            src = "npz"
        elif "ubyte" in path.lower() or path.lower().endswith(".idx"):
            src = "idx"
        else:
            src = "csv"
        with signals_blocked(self.source):
            self.source.setCurrentIndex(self.source.findData(src))
        self._set_path(path)

    file_dropped = use_path

    def reload(self) -> None:
        self.state.reload_dataset()


def read_csv_header(path, base_dir=None) -> list[str]:
    if not path:
        return []
    p = str(path)
    if base_dir and not os.path.isabs(p):
        p = os.path.join(base_dir, p)
    try:
        opener = gzip.open if p.endswith(".gz") else open
        with opener(p, "rt", encoding="utf-8", errors="replace", newline="") as fh:
            return [c.strip() for c in next(csv.reader(fh), [])]
    except (OSError, StopIteration, csv.Error):
        return []


def describe_dataset(ds) -> str:
    try:
        s = ds.summary()
    except Exception:
        s = {}
    n_tr, n_va = len(ds.train.X), len(ds.val.X)
    n_te = len(ds.test.X) if getattr(ds, "test", None) is not None else 0
    shape = ds.image_shape
    what = (f"images {shape[0]}×{shape[1]}×{shape[2]}" if shape
            else f"{ds.train.X.shape[1]} features")
    lines = [f"<b>{ds.name}</b> · {ds.task} · {what}",
             f"{n_tr} training · {n_va} validation · {n_te} test samples"]
    if ds.task == "classification" and ds.classes is not None:
        counts = np.bincount(np.asarray(ds.train.y).reshape(-1), minlength=len(ds.classes))
        per = ", ".join(f"{c}: {n}" for c, n in zip(ds.classes, counts, strict=False))
        lines.append(f"{len(ds.classes)} classes (training counts: {per})")
    for line in (getattr(ds, "report", None) or [])[:4]:
        lines.append(f"<i>{line}</i>")
    del s
    return "<br>".join(lines)
