"""What a sweep varies: the sweepable settings of an experiment, their default ranges, and one
row of controls (setting, from, to, number of values, log scale) per swept axis."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

NONE = ""  # the data of the second axis' "(none)" entry


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


def parameter_label(config: dict, path: str) -> str:
    """The label of ``path`` in ``config`` (the path itself if it is not in the list)."""
    return dict((p, label) for label, p in sweep_parameters(config)).get(path, path)


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


class AxisControls:
    """One swept axis: ``param`` (combo), ``low``, ``high``, ``count``, ``log`` and the row
    holding them. ``optional``: the combo starts with "(none)" (the grid's second axis), which
    hides the range; ``max_count`` caps the default number of values (a grid multiplies them)."""

    def __init__(self, state, optional: bool = False, max_count: int = 64):
        self.state, self.optional, self.max_count = state, optional, max_count
        self.param = QComboBox()
        self.param.setMinimumWidth(100)  # its full width when there is room; elided on a 1366-pixel screen
        self.param.setToolTip("A second setting makes a grid: every combination is trained, and the "
                              "mean validation loss drawn as a heat map" if optional else
                              "The setting that changes from run to run; everything else stays as in "
                              "the panels")
        self.low = QDoubleSpinBox(decimals=6, minimum=0.0, maximum=1e6, value=1e-5)
        self.low.setToolTip("The first value")
        self.high = QDoubleSpinBox(decimals=6, minimum=0.0, maximum=1e6, value=1e-1)
        self.high.setToolTip("The last value")
        self.count = QSpinBox(minimum=1, maximum=64, value=8)
        self.count.setToolTip("How many values, from 'from' to 'to'")
        for spin in (self.low, self.high):  # narrow enough for a 1366-pixel screen; 0.000100 fits
            spin.setMinimumWidth(84)
            spin.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.log = QCheckBox("log", checked=True)
        self.log.setToolTip("Log scale: space the values evenly in log10 (usual for alpha)")
        self._labels = [QLabel("from"), QLabel("to"), QLabel("values")]
        self.row = QWidget()
        lay = QHBoxLayout(self.row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.param, 1)
        for w in (self._labels[0], self.low, self._labels[1], self.high, self._labels[2], self.count,
                  self.log):
            lay.addWidget(w)
        self.widgets = (self.param, self.low, self.high, self.count, self.log)
        self.param.currentIndexChanged.connect(self._on_param)

    @property
    def path(self) -> str:
        return self.param.currentData() or NONE

    @property
    def label(self) -> str:
        return self.param.currentText()

    def refresh(self) -> None:
        """Fill the combo from the experiment, keeping the choice while it still exists."""
        current = self.param.currentData()
        self.param.blockSignals(True)
        self.param.clear()
        if self.optional:
            self.param.addItem("(none)", NONE)
            self.param.setItemData(0, "One setting only: a validation curve", Qt.ItemDataRole.ToolTipRole)
        for label, path in sweep_parameters(self.state.config):
            self.param.addItem(label, path)
        index = self.param.findData(current)
        self.param.setCurrentIndex(max(0, index))
        self.param.blockSignals(False)
        if index < 0:
            self._on_param()

    def _on_param(self) -> None:
        path = self.path
        for w in (*self.widgets[1:], *self._labels):
            w.setVisible(path != NONE)
        if path == NONE:
            return
        low, high, count, log = default_range(path)
        if high is None:  # augmentation strength: up to the op's own maximum
            high = augmentation_option(self.state.config, path).high
        dataset = self.state.dataset
        if path == "data.train_size" and dataset is not None and self.state.get("data.train_size") is None:
            high = len(dataset.train.y)  # every sample the split leaves for training
            low = min(low, max(2, high // 16))
        self.low.setValue(low)
        self.high.setValue(high)
        self.count.setValue(min(count, self.max_count))
        self.log.setChecked(log)

    def values(self) -> list:
        """The values to sweep; ValueError (shown in the tab) for a range that makes none."""
        low, high = self.low.value(), self.high.value()
        if self.log.isChecked() and low <= 0:
            raise ValueError("a log scale needs a 'from' value above 0")
        if high < low:
            raise ValueError("'to' must not be below 'from'")
        path = self.path
        integer = path == "data.train_size"
        if path.startswith("augmentation."):
            integer = augmentation_option(self.state.config, path).kind == "int"
        return grid(low, high, self.count.value(), self.log.isChecked(), integer)
