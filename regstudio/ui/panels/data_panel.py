"""Data panel: source picker with the source's options, split sizes, summary, samples, errors."""

from __future__ import annotations

import html
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
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..colors import error_color
from ..file_drop import FileDropTarget
from .column_table import ColumnTable
from .forms import OptionForm, signals_blocked

# "csv" is the table source's older name: both show as the one entry (and "csv" is kept).
SOURCES = [("builtin", "Built-in data set"), ("csv", "Table (CSV, TSV, Excel)"),
           ("images", "Image folder"), ("npz", "NumPy .npz"), ("idx", "IDX (MNIST format)")]
TABLES = ("csv", "table")
SPLIT_KEYS = ("train_size", "val_fraction", "test_fraction", "seed", "standardize")
OWN_KEYS = ("source", "path", "target", "images", "labels", "task", "ignore", *SPLIT_KEYS)
TASKS = (("classification", "classification"), ("regression", "regression"))


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
    """Edits ``config["data"]``; shows the loaded data (or why it failed) and loads in the
    background (``state.loader``) with progress and Cancel."""

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
        self.source.setToolTip("Where the data comes from. Drop a table (.csv, .tsv, .xlsx), an "
                               ".npz or a folder of images on the window to use it.")
        form.addRow("Source", self.source)
        self.builtin = QComboBox()
        self.builtin.setObjectName("data_builtin")
        form.addRow("Data set", self.builtin)
        path_row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setObjectName("data_path")
        self.path.setPlaceholderText("file or folder…")
        self.browse = QPushButton("Open…")
        self.browse.setToolTip("Choose the file or folder (Ctrl+Shift+O in the Data panel)")
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        self.path_label = QLabel("Path")
        form.addRow(self.path_label, path_row)
        self.target = QComboBox()
        self.target.setObjectName("data_target")
        self.target.setToolTip("The column to predict; the others are features unless ignored "
                               "(see the column table).")
        self.target_label = QLabel("Target column")
        form.addRow(self.target_label, self.target)
        self.task = QComboBox()
        self.task.setObjectName("data_task")
        self.task.addItem("auto", None)
        for key, text in TASKS:
            self.task.addItem(text, key)
        self.task.setToolTip("What to predict. auto: a text or small-integer target means "
                             "classes, other numbers regression (shown in brackets once loaded)")
        self.task_label = QLabel("Task")
        form.addRow(self.task_label, self.task)
        lay.addLayout(form)
        self.columns = ColumnTable(state)
        lay.addWidget(self.columns)
        self.description = QLabel("")
        self.description.setWordWrap(True)
        self.description.setStyleSheet("font-style: italic;")  # secondary, yet as readable as the rest
        lay.addWidget(self.description)
        self.options_box = QVBoxLayout()
        lay.addLayout(self.options_box)
        self.options_form: OptionForm | None = None
        cap_form = QFormLayout()
        self.train_size = QSpinBox()
        self.train_size.setObjectName("data_train_size")
        self.train_size.setRange(0, 10_000_000)
        self.train_size.setSpecialValueText("all")
        self.train_size.setKeyboardTracking(False)
        self.train_size.setToolTip("Cap on the training samples (the rest is unused); few "
                                   "samples overfit quickly. 0 / all: no cap")
        cap_form.addRow("Training samples", self.train_size)
        lay.addLayout(cap_form)
        split = self._split_options()
        split.pop("train_size", None)
        self.split_form = OptionForm(state, "data.", split, {
            "val_fraction": "Validation share", "test_fraction": "Test share",
            "seed": "Split seed", "standardize": "Standardize"})
        lay.addWidget(self.split_form)
        load_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setObjectName("data_progress")
        self.progress.setFormat("%v / %m rows")
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("data_cancel")
        self.cancel.setToolTip("Stop loading; the data loaded before stay (Esc)")
        self.cancel.setShortcut("Esc")
        load_row.addWidget(self.progress, 1)
        load_row.addWidget(self.cancel)
        self.load_status = QLabel("")
        self.load_status.setObjectName("data_load_status")
        self.load_status.setWordWrap(True)
        lay.addLayout(load_row)
        lay.addWidget(self.load_status)
        self.error = QLabel("")
        self.error.setObjectName("data_error")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.error.setStyleSheet(f"color: {error_color()}; font-weight: bold;")
        self.error.hide()
        lay.addWidget(self.error)
        self.summary = QLabel("")
        self.summary.setObjectName("data_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
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
        self.task.currentIndexChanged.connect(self._on_task)
        self.train_size.valueChanged.connect(self._on_train_size)
        self.cancel.clicked.connect(self.cancel_loading)
        state.changed.connect(self._on_changed)
        state.dataset_changed.connect(self._show_dataset)
        state.loader.busy_changed.connect(self._on_busy)
        state.loader.progress.connect(self._on_progress)
        state.loader.phase.connect(self._on_phase)
        self._fill_builtins()
        self._phase = "reading"
        self._on_busy(False)
        self.refresh()

    # -- options tables from the data module --------------------------------------------
    @staticmethod
    def _split_options() -> dict:
        from regstudio.data import source_options

        table = source_options("builtin")
        return {k: table[k] for k in SPLIT_KEYS if k in table}

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
        with signals_blocked(self.source, self.builtin, self.path, self.task, self.train_size):
            self.source.setCurrentIndex(max(0, self.source.findData("csv" if src in TABLES
                                                                    else src)))
            self.builtin.setCurrentIndex(max(0, self.builtin.findData(cfg.get("name"))))
            self.path.setText(str(cfg.get("path", cfg.get("images", "")) or ""))
            self.task.setCurrentIndex(max(0, self.task.findData(cfg.get("task"))))
            self.train_size.setValue(int(cfg.get("train_size") or 0))
        is_builtin = src == "builtin"
        self.builtin.setVisible(is_builtin)
        for w in (self.path, self.browse, self.path_label):
            w.setVisible(not is_builtin)
        for w in (self.task, self.task_label):
            w.setVisible(src in (*TABLES, "npz", "idx"))
        self._show_columns()
        self._rebuild_options(src, cfg.get("name"))
        self.split_form.refresh()

    def _table_info(self):
        """The columns of the config's table file, once read (else None)."""
        cfg = self.state.config.get("data", {})
        info = self.state.table_info
        if cfg.get("source") not in TABLES or info is None or not cfg.get("path"):
            return None
        path = str(cfg["path"])
        if not os.path.isabs(path) and self.state.base_dir():
            path = os.path.join(self.state.base_dir(), path)
        same = os.path.abspath(os.path.expanduser(path)) == os.path.abspath(info.path)
        return info if same else None

    def _show_columns(self) -> None:
        info = self._table_info()
        names = [c["name"] for c in info.columns] if info else []
        for w in (self.target, self.target_label):
            w.setVisible(bool(names))
        self.columns.setVisible(bool(names))
        if names != self.columns.names:
            self.columns.show_columns(info.columns if info else [])
        else:
            self.columns.refresh()
        with signals_blocked(self.target):
            if [self.target.itemData(i) for i in range(self.target.count())] != names:
                self.target.clear()
                for n in names:
                    self.target.addItem(n, n)
            current = self.state.get("data.target") or (names[-1] if names else None)
            self.target.setCurrentIndex(max(0, self.target.findData(current)))

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
        from regstudio.data import BUILTINS, source_options

        options, desc = {}, ""
        if src == "builtin":
            spec = BUILTINS.get(name)
            options = dict(getattr(spec, "options", {}) or {})
            desc = getattr(spec, "description", "")
        else:
            options = {k: v for k, v in source_options(src).items() if k not in OWN_KEYS}
        self.description.setText(desc)
        if options:
            self.options_form = OptionForm(self.state, "data.", options)
            self.options_box.addWidget(self.options_form)

    def _show_dataset(self) -> None:
        ds, err = self.state.dataset, self.state.dataset_error
        self.error.setVisible(bool(err))
        self.error.setText(wrappable(f"Cannot load the data: {err}") if err else "")
        self._show_columns()
        self._show_task()
        while self.samples.count():
            item = self.samples.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        if ds is None:
            self.summary.setText("")
            return
        current = self.state.dataset_for(self.state.config.get("data", {})) is not None
        text = describe_dataset(ds, self.state.samples)
        self.summary.setText(text if current or not err else
                             f"<i>Still in use: the data loaded before.</i><br>{text}")
        images = getattr(ds.train, "images", None)
        if images is not None and len(images):
            for i, img in enumerate(np.asarray(images)[:8]):
                lab = QLabel()
                lab.setPixmap(array_to_pixmap(img, max(1, 48 // max(img.shape[:2]))))
                lab.setToolTip(f"class {ds.classes[int(ds.train.y[i])] if ds.classes else ''}")
                self.samples.addWidget(lab, 0, i)

    def _show_task(self) -> None:
        """"auto (regression)": what the loader inferred, while the user has not chosen."""
        data = self.state.config.get("data", {})
        ds = self.state.dataset_for(data)
        inferred = ds.task if ds is not None and not data.get("task") else None
        self.task.setItemText(0, f"auto ({inferred})" if inferred else "auto")

    def _on_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel.setVisible(busy)
        if busy:
            self._phase = "reading"
            self.progress.setFormat("%v / %m rows")
            self.progress.setRange(0, 0)  # busy until the first count arrives
            self.load_status.setText("Loading the data…")
        elif self.load_status.text().startswith(("Loading", "Preparing")):
            self.load_status.setText("")

    def _on_phase(self, name: str) -> None:
        """Reading the file (rows or files), then encoding and splitting (steps, in %)."""
        self._phase = name
        if name == "encoding":
            self.progress.setFormat("%p%")
            self.progress.setRange(0, 0)
            self.load_status.setText("Preparing the data (encoding, filling gaps, splitting, "
                                     "standardising)…")

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        if self._phase == "encoding":
            share = f" {100 * done // total}%" if total > 0 else ""
            self.load_status.setText("Preparing the data (encoding, filling gaps, splitting, "
                                     f"standardising)…{share}")
            return
        self.load_status.setText(f"Loading the data… {done:,} rows or files read"
                                 + (f" of {total:,}" if total > 0 else ""))

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
        name = self.target.currentData()
        if name is not None and name != self.state.get("data.target"):
            self.columns.set_role(name, "target")

    def _set_optional(self, key: str, value, text: str) -> None:
        """Set ``data.key``, or leave it out (its default) when ``value`` is None."""
        data = dict(self.state.config.get("data", {}))
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        self.state.set_section("data", data, text)

    def _on_task(self) -> None:
        self._set_optional("task", self.task.currentData(), "Choose the task")

    def _on_train_size(self, value: int) -> None:
        self._set_optional("train_size", value or None, "Cap the training samples")

    def _browse(self) -> None:
        src = self.source.currentData()
        if src == "images":
            path = QFileDialog.getExistingDirectory(self, "Image folder (one sub-folder per class)")
        else:
            filt = {"csv": "Tables (*.csv *.csv.gz *.tsv *.txt *.xlsx *.xlsm)",
                    "npz": "NumPy (*.npz)",
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
        new = {"source": data.get("source") if data.get("source") in TABLES and src == "csv"
               else src, **keep}
        if src == "idx":
            new["images"] = path
            new["labels"] = data.get("labels", path.replace("images", "labels"))
        else:
            new["path"] = path
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
        """Load the config's data in the background (a no-op when it is loaded)."""
        self.state.loader.load()

    def cancel_loading(self) -> None:
        if self.state.loader.loading:
            self.state.loader.cancel()
            self.load_status.setText("Loading cancelled: the data loaded before stay in use. "
                                     "Change a data setting to load again.")


def wrappable(text: str) -> str:
    """``text`` with a zero-width break after each path separator, so that a long path wraps
    in a word-wrapped label instead of widening the dock or being cut off."""
    return text.replace("/", "/\u200b").replace("\\", "\\\u200b")


def describe_dataset(ds, samples: int = 0) -> str:
    """The summary under the Data panel: task, inputs, split sizes (adding up), classes."""
    n_tr, n_va = len(ds.train.X), len(ds.val.X)
    n_te = len(ds.test.X) if getattr(ds, "test", None) is not None else 0
    shape = ds.image_shape
    what = (f"images {shape[0]}×{shape[1]}×{shape[2]}" if shape
            else f"{ds.train.X.shape[1]} inputs")
    total = max(samples, n_tr + n_va + n_te)
    unused = total - n_tr - n_va - n_te
    split = f"{n_tr:,} training + {n_va:,} validation + {n_te:,} test"
    split += f" + {unused:,} unused (training cap)" if unused else ""
    lines = [f"<b>{html.escape(ds.name)}</b> · {ds.task} · {what}", f"{split} = {total:,} samples"]
    if ds.task == "classification" and ds.classes is not None:
        counts = np.bincount(np.asarray(ds.train.y).reshape(-1), minlength=len(ds.classes))
        per = ", ".join(f"{html.escape(str(c))}: {n}" for c, n in zip(ds.classes, counts, strict=False))
        lines.append(f"{len(ds.classes)} classes (training counts: {per})")
    for line in (getattr(ds, "report", None) or [])[:6]:
        lines.append(f"<i>{html.escape(line)}</i>")
    return "<br>".join(lines)
