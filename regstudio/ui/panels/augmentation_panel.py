"""Augmentation panel: each op with on/off, probability and magnitude; a live preview grid of
one sample under N random draws of the current pipeline (the same Pipeline training uses)."""

from __future__ import annotations

import copy

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..colors import error_html
from .data_panel import array_to_pixmap
from .forms import make_editor, signals_blocked

N_PREVIEW = 12
PREVIEW_PX = 72
PHOTOS = ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg")


class AugmentationPanel(QWidget):
    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.seed = 0
        self.sample_index = 0
        self._photo_cache: dict = {}
        lay = QVBoxLayout(self)
        self.na = QLabel("")
        self.na.setObjectName("augment_not_applicable")
        self.na.setWordWrap(True)
        self.na.setStyleSheet("color: #8a6d3b; background: #fcf8e3; padding: 6px;")
        self.na.hide()
        lay.addWidget(self.na)
        self.enabled = QCheckBox("Augment training batches")
        self.enabled.setObjectName("augment_enabled")
        self.enabled.setToolTip("Each training batch is transformed at random with the ops below. "
                                "Validation data is never augmented.")
        lay.addWidget(self.enabled)
        # preview
        prev = QGroupBox("Preview")
        prev.setToolTip("One sample under random draws of the pipeline")
        pl = QVBoxLayout(prev)
        row = QHBoxLayout()
        self.source = QComboBox()
        self.source.setObjectName("preview_source")
        self.source.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source.setMinimumContentsLength(12)  # a narrow dock elides the photo's name
        self.source.addItem("training sample", None)
        for p in PHOTOS:
            self.source.addItem(f"photo: {p}", p)
        self.reshuffle_button = QPushButton("Reshuffle")
        self.reshuffle_button.setObjectName("reshuffle")
        self.reshuffle_button.setToolTip("New random draws (and the next training sample)")
        row.addWidget(self.source, 1)
        row.addWidget(self.reshuffle_button)
        pl.addLayout(row)
        grid = QGridLayout()
        grid.setSpacing(3)
        self.tiles = []
        for i in range(N_PREVIEW):
            lab = QLabel()
            lab.setFixedSize(PREVIEW_PX, PREVIEW_PX)
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lab.setStyleSheet("background: #222;")
            grid.addWidget(lab, i // 4, i % 4)
            self.tiles.append(lab)
        pl.addLayout(grid)
        self.preview_note = QLabel("")
        self.preview_note.setWordWrap(True)
        pl.addWidget(self.preview_note)
        lay.addWidget(prev)
        # ops
        self.ops_box = QVBoxLayout()
        lay.addLayout(self.ops_box)
        lay.addStretch(1)
        self.op_widgets: dict[str, dict] = {}
        self._build_ops()
        self.last_preview: np.ndarray | None = None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(40)
        self._debounce.timeout.connect(self.update_preview)
        self.enabled.toggled.connect(lambda on: self.state.set("augmentation.enabled", bool(on),
                                                                "Augmentation on/off"))
        self.reshuffle_button.clicked.connect(self.reshuffle)
        self.source.currentIndexChanged.connect(lambda _i: self.update_preview())
        state.changed.connect(self._on_changed)
        state.dataset_changed.connect(self._on_dataset)
        self.refresh()

    # -- construction --------------------------------------------------------------------
    def _build_ops(self) -> None:
        from regstudio.data import OPS

        for name, spec in OPS.items():
            box = QGroupBox()
            gl = QGridLayout(box)
            gl.setContentsMargins(6, 4, 6, 4)
            check = QCheckBox(spec.title)
            check.setObjectName(f"op_{name}")
            check.setToolTip(spec.help)
            gl.addWidget(check, 0, 0, 1, 2)
            editors = {}
            r = 1
            for key, opt in spec.params.items():
                w, getter, setter, signal = make_editor(opt)
                w.setObjectName(f"op_{name}_{key}")
                w.setToolTip(opt.help or key)
                lab = QLabel("probability" if key == "p" else key.replace("_", " "))
                lab.setToolTip(w.toolTip())
                gl.addWidget(lab, r, 0)
                gl.addWidget(w, r, 1)
                r += 1
                editors[key] = (w, getter, setter, opt)
                signal.connect(lambda *_a, n=name, k=key: self._on_option(n, k))
            check.toggled.connect(lambda on, n=name: self.set_op_enabled(n, on))
            self.ops_box.addWidget(box)
            self.op_widgets[name] = {"check": check, "editors": editors, "box": box}

    # -- state -> widgets ----------------------------------------------------------------
    def _ops(self) -> list[dict]:
        return list(self.state.config.get("augmentation", {}).get("ops", []))

    def _index(self, name: str) -> int:
        return next((i for i, op in enumerate(self._ops()) if op.get("op") == name), -1)

    def _on_changed(self, section: str) -> None:
        if section in ("augmentation", "all"):
            self.refresh()

    def _on_dataset(self) -> None:
        self.sample_index = 0
        self.refresh()

    def refresh(self) -> None:
        aug = self.state.config.get("augmentation", {})
        with signals_blocked(self.enabled):
            self.enabled.setChecked(bool(aug.get("enabled", False)))
        ops = {op.get("op"): op for op in aug.get("ops", [])}
        for name, w in self.op_widgets.items():
            on = name in ops
            with signals_blocked(w["check"]):
                w["check"].setChecked(on)
            for key, (widget, _g, setter, opt) in w["editors"].items():
                with signals_blocked(widget, *widget.findChildren(QWidget)):
                    setter(ops.get(name, {}).get(key, opt.default))
                widget.setEnabled(on)
        ds = self.state.dataset
        tabular = ds is not None and ds.image_shape is None
        self.na.setVisible(tabular)
        if tabular:
            self.na.setText("This data set is a table, not images: flips, rotations and colour "
                            "changes have no meaning for its columns, so augmentation does not "
                            "apply. (Use dropout or a penalty instead, or preview on a photo.)")
        self._debounce.start()

    # -- widgets -> state ----------------------------------------------------------------
    def set_op_enabled(self, name: str, on: bool) -> None:
        ops = self._ops()
        i = self._index(name)
        if on and i < 0:
            w = self.op_widgets[name]
            op = {"op": name}
            for key, (_w, getter, _s, _o) in w["editors"].items():
                op[key] = getter()
            ops.append(op)
        elif not on and i >= 0:
            del ops[i]
        else:
            return
        aug = copy.deepcopy(self.state.config.get("augmentation", {}))
        aug["ops"] = ops
        if on:
            aug["enabled"] = True
        self.state.set_section("augmentation", aug, f"{'Add' if on else 'Remove'} {name}")

    def set_op_option(self, name: str, key: str, value) -> None:
        i = self._index(name)
        if i >= 0:
            self.state.set(f"augmentation.ops[{i}].{key}", value, f"{name} {key}")

    def _on_option(self, name: str, key: str) -> None:
        _w, getter, _s, _o = self.op_widgets[name]["editors"][key]
        self.set_op_option(name, key, getter())

    def reshuffle(self) -> None:
        self.seed += 1
        self.sample_index += 1
        self.update_preview()

    # -- preview ---------------------------------------------------------------------------
    def _sample(self) -> np.ndarray | None:
        photo = self.source.currentData()
        if photo:
            if photo not in self._photo_cache:
                from PIL import Image

                from regstudio.resources import resource_path

                img = Image.open(resource_path("photos", photo)).convert("RGB")
                img.thumbnail((160, 160))
                self._photo_cache[photo] = np.asarray(img, dtype=np.uint8)
            return self._photo_cache[photo]
        ds = self.state.dataset
        images = None if ds is None else getattr(ds.train, "images", None)
        if images is None or not len(images):
            return None
        return np.asarray(images[self.sample_index % len(images)])

    def update_preview(self) -> None:
        sample = self._sample()
        if sample is None:
            for t in self.tiles:
                t.clear()
            self.preview_note.setText("No images to preview: pick a photo above.")
            self.last_preview = None
            return
        from regstudio.data import Pipeline

        cfg = copy.deepcopy(self.state.config.get("augmentation", {}))
        cfg["enabled"] = True
        try:
            pipeline = Pipeline.from_config(cfg)
            batch = np.repeat(sample[None], N_PREVIEW, axis=0)
            out = pipeline(batch, np.random.default_rng(self.seed))
        except Exception as exc:
            self.preview_note.setText(error_html(str(exc)))
            return
        self.last_preview = np.asarray(out)
        scale = max(1, PREVIEW_PX // max(sample.shape[:2]))
        for t, img in zip(self.tiles, self.last_preview, strict=False):
            pm = array_to_pixmap(img, scale)
            if pm.width() > PREVIEW_PX or pm.height() > PREVIEW_PX:
                pm = pm.scaled(PREVIEW_PX, PREVIEW_PX, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
            t.setPixmap(pm)
        on = self.state.config.get("augmentation", {}).get("enabled", False)
        n_ops = len(cfg.get("ops", []))
        self.preview_note.setText(
            f"{n_ops} op(s) in the pipeline" + ("" if on else
                                                 " — augmentation is OFF for training"))
