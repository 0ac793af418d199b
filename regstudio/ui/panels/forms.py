"""Editors built from Option tables (kind, range, choices, help) and bound to state paths."""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QWidget,
)


@contextmanager
def signals_blocked(*widgets):
    blockers = [QSignalBlocker(w) for w in widgets]
    try:
        yield
    finally:
        del blockers


def _attr(opt: Any, name: str, default: Any = None) -> Any:
    return getattr(opt, name, default)


class CompactSpinBox(QDoubleSpinBox):
    """A double spin box that shows 0.01 and 1e-05, not 0.01000000 and 0.00001000; it still
    accepts up to ``decimals`` places, typed plainly or in scientific notation."""

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return f"{value:.4g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text.strip().replace(",", "."))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        stripped = text.strip().replace(",", ".")
        try:
            value = float(stripped)
        except ValueError:  # "1e", "-", "" on the way to a number
            ok = all(c in "0123456789.eE+-" for c in stripped)
            return (QValidator.State.Intermediate if ok else QValidator.State.Invalid), text, pos
        inside = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate), text, pos


class LogSlider(QWidget):
    """A logarithmic slider plus an exact spin box; ``valueChanged(float)``.

    The slider moves in steps of 1/20 decade between ``low`` and ``high``; 0 sits at the far
    left (an explicit "off"), so the spin box is the exact value and the slider the feel.
    Slider moves and spin arrows apply at once; a typed value when editing is finished
    (Enter or focus out), so its first digits are never applied on their own.
    """

    valueChanged = Signal(float)

    def __init__(self, low: float, high: float, allow_zero: bool = True, decimals: int = 8,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.low, self.high, self.allow_zero = low, high, allow_zero
        self._lo10, self._hi10 = math.log10(low), math.log10(high)
        self.steps = round((self._hi10 - self._lo10) * 20)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(60)
        self.slider.setRange(-1 if allow_zero else 0, self.steps)
        self.spin = CompactSpinBox()
        self.spin.setDecimals(decimals)
        self.spin.setRange(0.0 if allow_zero else low, high)
        self.spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.spin.setKeyboardTracking(False)
        self.spin.setMinimumWidth(110)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)
        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)

    def value(self) -> float:
        return float(self.spin.value())

    def setValue(self, v: float) -> None:  # noqa: N802
        with signals_blocked(self.slider, self.spin):
            self.spin.setValue(float(v))
            self.slider.setValue(self._to_pos(float(v)))

    def _to_pos(self, v: float) -> int:
        if v <= 0:
            return -1 if self.allow_zero else 0
        return round((math.log10(max(v, self.low)) - self._lo10) * 20)

    def _from_slider(self, pos: int) -> None:
        v = 0.0 if pos < 0 else float(f"{10 ** (self._lo10 + pos / 20):.3g}")
        with signals_blocked(self.spin):
            self.spin.setValue(v)
        self.valueChanged.emit(v)

    def _from_spin(self, v: float) -> None:
        with signals_blocked(self.slider):
            self.slider.setValue(self._to_pos(v))
        self.valueChanged.emit(float(v))


def make_editor(opt: Any) -> tuple[QWidget, Any, Any, Any]:
    """(widget, getter, setter, changed-signal) for one Option."""
    kind = _attr(opt, "kind", "str")
    low, high = _attr(opt, "low"), _attr(opt, "high")
    if kind == "bool":
        w = QCheckBox()
        return w, w.isChecked, lambda v: w.setChecked(bool(v)), w.toggled
    if kind == "choice":
        w = QComboBox()
        choices = list(_attr(opt, "choices", ()) or ())
        for c in choices:
            w.addItem(str(c), c)
        def setter(v):
            i = w.findData(v)
            w.setCurrentIndex(max(0, i))
        return w, w.currentData, setter, w.currentIndexChanged
    if kind == "int":
        w = QSpinBox()
        lo = int(low) if low is not None else -(2**31 - 1)
        hi = int(high) if high is not None else 2**31 - 1
        w.setRange(max(lo, -(2**31 - 1)), min(hi, 2**31 - 1))
        w.setKeyboardTracking(False)  # typing 128 is one edit, not 1, 12, 128
        return w, w.value, lambda v: w.setValue(int(v if v is not None else 0)), w.valueChanged
    if kind == "float":
        lo = float(low) if low is not None else -1e9
        hi = float(high) if high is not None else 1e9
        if _attr(opt, "log", False) and lo >= 0 and hi > 0:
            w = LogSlider(max(lo, hi * 1e-7) if lo == 0 else lo, hi, allow_zero=lo == 0)
            return w, w.value, lambda v: w.setValue(float(v or 0)), w.valueChanged
        w = QDoubleSpinBox()
        w.setDecimals(4)
        w.setRange(lo, hi)
        w.setSingleStep(0.05 if hi - lo <= 5 else 1.0)
        w.setKeyboardTracking(False)
        return w, w.value, lambda v: w.setValue(float(v if v is not None else 0)), w.valueChanged
    w = QLineEdit()
    return (w, lambda: w.text() or None, lambda v: w.setText("" if v is None else str(v)),
            w.editingFinished)


class OptionForm(QWidget):
    """A QFormLayout of editors for ``{key: Option}``, bound to ``state`` at ``prefix + key``.

    Each row's tooltip is the option's help text. ``refresh()`` rereads the state with the
    editors' signals blocked, so model updates never come back as edits.
    """

    def __init__(self, state, prefix: str, options: dict, labels: dict | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.state, self.prefix, self.options = state, prefix, options
        self.editors: dict[str, tuple] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, opt in options.items():
            widget, getter, setter, signal = make_editor(opt)
            widget.setObjectName(f"edit_{prefix}{key}".replace(".", "_"))
            help_text = _attr(opt, "help", "") or ""
            widget.setToolTip(help_text)
            label = QLabel((labels or {}).get(key, key.replace("_", " ").capitalize()))
            label.setToolTip(help_text)
            form.addRow(label, widget)
            self.editors[key] = (widget, getter, setter)
            signal.connect(lambda *_a, k=key: self._edited(k))
        self.refresh()

    def _edited(self, key: str) -> None:
        _w, getter, _s = self.editors[key]
        self.state.set(self.prefix + key, getter())

    def refresh(self) -> None:
        for key, (widget, _g, setter) in self.editors.items():
            value = self.state.get(self.prefix + key, _attr(self.options[key], "default"))
            with signals_blocked(widget, *widget.findChildren(QWidget)):
                setter(value)
