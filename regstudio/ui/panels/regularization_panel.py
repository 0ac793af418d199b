"""Regularization panel: penalty type and strength (log slider + exact value), L1 method,
biases, dropout rates and scaling, early stopping; a converter to other libraries' numbers."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from .forms import LogSlider, OptionForm, signals_blocked

HELP = {
    "none": "No penalty: the network is free to use huge weights to memorise the training set.",
    "l2": "L2 adds alpha·Σw² to the loss: every weight shrinks in proportion to its size, so the "
          "weight map dims evenly. Too strong and the net underfits: both losses stay high (the Sweep "
          "tab finds the alpha between).",
    "l1": "L1 adds alpha·Σ|w|: small weights are pushed to exactly zero, so the weight map empties "
          "and sparsity rises. Too strong and whole units die.",
    "elastic": "Elastic net: both penalties at once; L1 selects, L2 shrinks what is left.",
}
ALPHA_LOW, ALPHA_HIGH = 1e-6, 1.0


def reg_options() -> dict:
    from regstudio.experiments.config import REGULARIZATION_OPTIONS

    return dict(REGULARIZATION_OPTIONS)


def es_options() -> dict:
    from regstudio.experiments.config import EARLY_STOPPING_OPTIONS

    return dict(EARLY_STOPPING_OPTIONS)


def convert_strength(l1: float, l2: float, batch_size: int, lr: float, optimizer: str) -> str:
    """The chosen strength in other conventions, as rich text (numbers: experiments.conventions)."""
    from regstudio.experiments.conventions import equivalents

    rows = equivalents(l1, l2, batch_size, lr, optimizer)
    if not rows:
        return "No penalty. Choose L2 or L1 to see the strength in other libraries' terms."
    return "<br>".join(f"<b>{e.library}</b> <code>{e.setting}</code>" + (f" ({e.note})" if e.note else "")
                       for e in rows)


class RegularizationPanel(QWidget):
    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self._remember = {"l1": 1e-4, "l2": 1e-3}
        self._pending_kind: str | None = None  # the choice kept while its alpha is at 0
        lay = QVBoxLayout(self)

        # -- penalty ---------------------------------------------------------------------
        box = QGroupBox("Weight penalty")
        form = QFormLayout(box)
        kinds = QHBoxLayout()
        self.kind_group = QButtonGroup(self)
        self.kind_buttons = {}
        for key, text in (("none", "None"), ("l1", "L1"), ("l2", "L2"), ("elastic", "Elastic net")):
            b = QRadioButton(text)
            b.setObjectName(f"penalty_{key}")
            b.setToolTip(HELP[key])
            self.kind_group.addButton(b)
            self.kind_buttons[key] = b
            kinds.addWidget(b)
        form.addRow(kinds)
        self.l2 = LogSlider(ALPHA_LOW, ALPHA_HIGH)
        self.l2.setObjectName("alpha_l2")
        self.l2.setToolTip(HELP["l2"])
        self.l1 = LogSlider(ALPHA_LOW, ALPHA_HIGH)
        self.l1.setObjectName("alpha_l1")
        self.l1.setToolTip(HELP["l1"])
        self.l2_label, self.l1_label = QLabel("L2 alpha"), QLabel("L1 alpha")
        form.addRow(self.l2_label, self.l2)
        form.addRow(self.l1_label, self.l1)
        self.help = QLabel("")
        self.help.setWordWrap(True)
        self.help.setObjectName("penalty_help")
        small = self.help.font()  # the palette's normal text colour (grey reads as disabled)
        small.setPointSizeF(small.pointSizeF() * 0.92)
        self.help.setFont(small)
        form.addRow(self.help)
        try:
            opts = reg_options()
        except Exception:
            opts = {}
        extra = {k: opts[k] for k in ("l1_method", "apply_to_bias") if k in opts}
        self.extra = OptionForm(state, "regularization.", extra,
                                {"l1_method": "L1 method", "apply_to_bias": "Apply to biases"})
        form.addRow(self.extra)
        self.converter = QLabel("")
        self.converter.setObjectName("converter")
        self.converter.setWordWrap(True)
        self.converter.setToolTip("The same strength written the way other libraries define it, "
                                  "for the current batch size")
        conv_box = QGroupBox("Same strength elsewhere")
        QVBoxLayout(conv_box).addWidget(self.converter)
        lay.addWidget(box)
        lay.addWidget(conv_box)

        # -- dropout ---------------------------------------------------------------------
        self.drop_box = QGroupBox("Dropout")
        self.drop_layout = QFormLayout(self.drop_box)
        self.drop_spins: list = []
        dextra = {k: opts[k] for k in ("dropout_scaling",) if k in opts}
        self.drop_form = OptionForm(state, "regularization.", dextra,
                                    {"dropout_scaling": "Scaling"})
        self.add_dropout = QPushButton("Add dropout 0.25 after each hidden layer")
        self.add_dropout.setObjectName("add_dropout")
        self.add_dropout.clicked.connect(self._add_dropout_everywhere)
        lay.addWidget(self.drop_box)

        # -- early stopping --------------------------------------------------------------
        es_box = QGroupBox("Early stopping")
        es_lay = QVBoxLayout(es_box)
        try:
            es = es_options()
        except Exception:
            es = {}
        self.es_form = OptionForm(state, "early_stopping.", es, {
            "enabled": "Enabled", "monitor": "Monitor", "patience": "Patience (epochs)",
            "min_delta": "Min. improvement", "restore_best_weights": "Restore best weights",
            "start_from_epoch": "Start from epoch"})
        es_lay.addWidget(self.es_form)
        lay.addWidget(es_box)
        lay.addStretch(1)

        self.kind_group.buttonClicked.connect(self._on_kind)
        self.l1.valueChanged.connect(lambda v: self._set_alpha("l1", v))
        self.l2.valueChanged.connect(lambda v: self._set_alpha("l2", v))
        state.changed.connect(self._on_changed)
        self.refresh()

    # -- state -> widgets -----------------------------------------------------------------
    def _on_changed(self, section: str) -> None:
        if section == "all":  # a new config: show its own penalty
            self._pending_kind = None
        if section in ("regularization", "model", "training", "early_stopping", "all"):
            self.refresh()

    def _set_alpha(self, which: str, value: float) -> None:
        """An alpha slid or typed down to 0 keeps its box and the chosen penalty (hiding the
        slider under the mouse would end the drag); the radio buttons switch penalties."""
        checked = next(k for k, b in self.kind_buttons.items() if b.isChecked())
        self._pending_kind = checked if value == 0 else None
        self.state.set(f"regularization.{which}", value, f"{which.upper()} alpha")

    def _shown_kind(self) -> str:
        kind, pending = self.kind(), self._pending_kind
        if pending and (kind in ("none", pending) or pending == "elastic"):
            return pending
        return kind

    def kind(self) -> str:
        l1 = float(self.state.get("regularization.l1", 0.0) or 0.0)
        l2 = float(self.state.get("regularization.l2", 0.0) or 0.0)
        return {(False, False): "none", (True, False): "l1", (False, True): "l2",
                (True, True): "elastic"}[(l1 > 0, l2 > 0)]

    def refresh(self) -> None:
        l1 = float(self.state.get("regularization.l1", 0.0) or 0.0)
        l2 = float(self.state.get("regularization.l2", 0.0) or 0.0)
        kind = self._shown_kind()
        with signals_blocked(self.kind_group, *self.kind_buttons.values()):
            self.kind_buttons[kind].setChecked(True)
        self.l1.setValue(l1)
        self.l2.setValue(l2)
        show_l1, show_l2 = kind in ("l1", "elastic"), kind in ("l2", "elastic")
        for w in (self.l1, self.l1_label):
            w.setVisible(show_l1)
        for w in (self.l2, self.l2_label):
            w.setVisible(show_l2)
        self.help.setText(HELP[kind])
        self.extra.refresh()
        self.es_form.refresh()
        self.drop_form.refresh()
        self.converter.setText(convert_strength(
            l1, l2, int(self.state.get("training.batch_size", 32) or 32),
            float(self.state.get("training.lr", 0.01) or 0.01),
            str(self.state.get("training.optimizer", "sgd"))))
        self._refresh_dropout()

    def _refresh_dropout(self) -> None:
        layers = self.state.config.get("model", {}).get("layers", [])
        idx = [i for i, lay in enumerate(layers) if lay.get("type") == "dropout"]
        if getattr(self, "_drop_built", False) and [s.property("layer") for s in self.drop_spins] == idx:
            for s in self.drop_spins:
                with signals_blocked(s):
                    s.setValue(float(layers[s.property("layer")].get("rate", 0.5)))
            return
        self._drop_built = True
        while self.drop_layout.rowCount():
            row = self.drop_layout.takeRow(0)
            for item in (row.labelItem, row.fieldItem):
                w = item.widget() if item is not None else None
                if w is not None and w not in (self.add_dropout, self.drop_form):
                    w.hide()  # out of the layout now; deleted later, never drawn over the new rows
                    w.deleteLater()
        for s in self.drop_spins:
            s.hide()
            s.deleteLater()
        self.drop_spins = []
        for i in idx:
            spin = QDoubleSpinBox()
            spin.setRange(0.0, 0.95)
            spin.setSingleStep(0.05)
            spin.setDecimals(2)
            spin.setKeyboardTracking(False)
            spin.setProperty("layer", i)
            spin.setObjectName(f"dropout_rate_{i}")
            spin.setValue(float(layers[i].get("rate", 0.5)))
            spin.setToolTip("Share of the previous layer's units switched off at each training "
                            "step. 0.2–0.5 is typical; too high and even the training set cannot "
                            "be fitted. Can be changed while training.")
            spin.valueChanged.connect(
                lambda v, i=i: self.state.set(f"model.layers[{i}].rate", float(v), "Dropout rate"))
            self.drop_spins.append(spin)
            self.drop_layout.addRow(f"Layer {i + 1} rate", spin)
        if not idx:
            self.drop_layout.addRow(QLabel("No dropout layer in the model."))
        self.drop_layout.addRow(self.add_dropout)
        self.drop_layout.addRow(self.drop_form)
        self.add_dropout.setVisible(not idx)

    # -- widgets -> state -----------------------------------------------------------------
    def _on_kind(self, button) -> None:
        kind = next(k for k, b in self.kind_buttons.items() if b is button)
        self.set_kind(kind)

    def set_kind(self, kind: str) -> None:
        self._pending_kind = None
        l1 = float(self.state.get("regularization.l1", 0.0) or 0.0)
        l2 = float(self.state.get("regularization.l2", 0.0) or 0.0)
        if l1 > 0:
            self._remember["l1"] = l1
        if l2 > 0:
            self._remember["l2"] = l2
        new_l1 = self._remember["l1"] if kind in ("l1", "elastic") else 0.0
        new_l2 = self._remember["l2"] if kind in ("l2", "elastic") else 0.0
        reg = dict(self.state.config.get("regularization", {}))
        reg["l1"], reg["l2"] = new_l1, new_l2
        self.state.set_section("regularization", reg, f"Penalty: {kind}")

    def _add_dropout_everywhere(self) -> None:
        layers = self.state.config.get("model", {}).get("layers", [])
        out = []
        for i, lay in enumerate(layers):
            out.append(dict(lay))
            if i < len(layers) - 1 and lay.get("type") == "dense":
                out.append({"type": "dropout", "rate": 0.25})
        model = dict(self.state.config.get("model", {}))
        model["layers"] = out
        self.state.set_section("model", model, "Add dropout")
