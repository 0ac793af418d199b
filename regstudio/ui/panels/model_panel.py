"""Model builder: the layer stack as a list with shapes and parameter counts, a per-layer
editor, presets, and a validity check that disables Start with the reason."""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..colors import error_color, error_html
from .forms import OptionForm, signals_blocked

PRESETS = {
    "Small MLP (32 units)": [
        {"type": "dense", "units": 32, "activation": "relu"},
        {"type": "dense"},
    ],
    "Wide MLP — overfits": [
        {"type": "dense", "units": 256, "activation": "relu"},
        {"type": "dense", "units": 256, "activation": "relu"},
        {"type": "dense"},
    ],
    "Wide MLP + dropout": [
        {"type": "dense", "units": 256, "activation": "relu"},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 256, "activation": "relu"},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense"},
    ],
    "Small CNN (images)": [
        {"type": "conv2d", "filters": 8, "kernel": 3, "activation": "relu"},
        {"type": "maxpool2d", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 32, "activation": "relu"},
        {"type": "dense"},
    ],
}
NEW_LAYER = {
    "dense": {"type": "dense", "units": 64, "activation": "relu"},
    "conv2d": {"type": "conv2d", "filters": 8, "kernel": 3, "activation": "relu"},
    "maxpool2d": {"type": "maxpool2d", "size": 2},
    "flatten": {"type": "flatten"},
    "dropout": {"type": "dropout", "rate": 0.25},
}


def layer_options() -> dict:
    from regstudio.engine.model import LAYER_OPTIONS

    return LAYER_OPTIONS


def output_count(dataset, loss: str) -> int | None:
    """Units the engine gives the output layer for ``dataset`` and ``loss`` (None without data)."""
    if dataset is None:
        return None
    from regstudio.experiments.build import choose_loss
    from regstudio.experiments.config import ConfigError

    try:
        return choose_loss(dataset.task, dataset.n_classes, loss)[1]
    except ConfigError:  # a loss that does not fit the data: Start reports it
        return dataset.n_outputs


def describe(layers, dataset, n_out: int | None):
    """LayerInfo list from the engine (never raises), or None without data."""
    if dataset is None:
        return None
    from regstudio.engine.model import describe_layers

    return describe_layers(layers, dataset.input_shape, n_out)


def layer_text(i: int, layer: dict, n_layers: int) -> str:
    t = layer.get("type", "?")
    if t == "dense":
        units = layer.get("units", "auto")
        act = layer.get("activation") or ("output" if i == n_layers - 1 else "linear")
        return f"Dense {units} · {act}"
    if t == "conv2d":
        return (f"Conv2D {layer.get('filters', '?')} × {layer.get('kernel', 3)}² "
                f"· {layer.get('activation') or 'linear'}")
    if t == "maxpool2d":
        return f"MaxPool {layer.get('size', 2)}"
    if t == "dropout":
        return f"Dropout {layer.get('rate', 0.5):g}"
    return t.capitalize()


class ModelPanel(QWidget):
    """Signals: validity_changed(str) — "" when the stack builds, else the reason."""

    validity_changed = Signal(str)

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Preset"))
        self.presets = QComboBox()
        self.presets.setObjectName("model_presets")
        self.presets.addItem("choose…")
        for name in PRESETS:
            self.presets.addItem(name)
        self.presets.setToolTip("Replace the layer stack with a ready one (undo with Ctrl+Z)")
        row.addWidget(self.presets, 1)
        lay.addLayout(row)
        self.list = QListWidget()
        self.list.setObjectName("layer_list")
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setToolTip("The network, input at the top. Drag to reorder.")
        self.list.setMinimumHeight(150)
        lay.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.add_button = QToolButton()
        self.add_button.setText("Add ▾")
        self.add_button.setToolTip("Insert a layer after the selected one")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        for t in NEW_LAYER:
            menu.addAction(t, lambda t=t: self.insert_layer(t))
        self.add_button.setMenu(menu)
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("↑")
        self.down_button = QPushButton("↓")
        self.up_button.setToolTip("Move the selected layer up")
        self.down_button.setToolTip("Move the selected layer down")
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(b)
        lay.addLayout(buttons)
        self.total = QLabel("")
        self.total.setObjectName("model_total")
        self.total.setWordWrap(True)
        lay.addWidget(self.total)
        self.editor_box = QVBoxLayout()
        lay.addLayout(self.editor_box)
        self.editor: OptionForm | None = None
        self._editor_key = None
        self.reason = ""
        self.infos = None
        self.n_outputs: int | None = None  # output units the engine builds (None without data)
        self.presets.activated.connect(self._on_preset)
        self.remove_button.clicked.connect(self.remove_layer)
        self.up_button.clicked.connect(lambda: self.move_layer(-1))
        self.down_button.clicked.connect(lambda: self.move_layer(+1))
        self.list.currentRowChanged.connect(lambda _r: self._rebuild_editor())
        self.list.model().rowsMoved.connect(self._on_rows_moved)
        state.changed.connect(self._on_changed)
        state.dataset_changed.connect(self.refresh)
        self.refresh()

    @property
    def layers(self) -> list[dict]:
        return list(self.state.config.get("model", {}).get("layers", []))

    def _output_count(self) -> int | None:
        return output_count(self.state.dataset, self.state.get("training.loss", "auto"))

    def _on_changed(self, section: str) -> None:
        if section in ("model", "all") or (section == "training"
                                           and self._output_count() != self.n_outputs):
            self.refresh()

    def refresh(self) -> None:
        layers = self.layers
        self.n_outputs = self._output_count()
        infos = describe(layers, self.state.dataset, self.n_outputs)
        self.infos = infos
        row = self.list.currentRow()
        with signals_blocked(self.list):
            self.list.clear()
            for i, layer in enumerate(layers):
                text = f"{i + 1}. {layer_text(i, layer, len(layers))}"
                tip = ""
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, i)
                if infos is not None and i < len(infos):
                    info = infos[i]
                    if info.error:
                        text += f"   ⚠ {info.error}"
                        item.setForeground(QBrush(QColor(error_color())))
                        tip = info.error
                    else:
                        shape = "×".join(str(d) for d in (info.output_shape or ())) or "?"
                        text += f"   → {shape}   {info.n_params:,} params"
                item.setText(text)
                item.setToolTip(tip or "Select to edit; drag to reorder")
                self.list.addItem(item)
            if layers:
                self.list.setCurrentRow(min(max(row, 0), len(layers) - 1))
        reason = ""
        if not layers:
            reason = "the model has no layers"
            self.total.setText(f"<span style='color:{error_color()}'>{reason}: add a dense output "
                               "layer</span>")
        elif infos is not None:
            bad = [inf for inf in infos if inf.error]
            if bad:
                reason = f"layer {bad[0].index + 1} ({bad[0].type}): {bad[0].error}"
            total = sum(inf.n_params for inf in infos)
            self.total.setText(f"<b>{total:,}</b> trainable parameters"
                               + (f" — {error_html(reason)}" if reason else ""))
        else:
            self.total.setText("load the data to see shapes and parameter counts")
        if reason != self.reason:
            self.reason = reason
            self.validity_changed.emit(reason)
        self._rebuild_editor()

    def _rebuild_editor(self) -> None:
        i = self.list.currentRow()
        layers = self.layers
        key = (i, layers[i].get("type") if 0 <= i < len(layers) else None, i == len(layers) - 1)
        if key == self._editor_key and self.editor is not None:
            self.editor.refresh()
            self._show_output_layer(i)
            return
        self._editor_key = key
        if self.editor is not None:
            self.editor.setParent(None)
            self.editor.deleteLater()
            self.editor = None
        if key[1] is None:
            return
        try:
            options = dict(layer_options().get(key[1], {}))
        except Exception:
            options = {}
        options.pop("type", None)
        if options:
            self.editor = OptionForm(self.state, f"model.layers[{i}].", options)
            self.editor.setObjectName("layer_editor")
            self.editor_box.addWidget(self.editor)
            self._show_output_layer(i)

    def _show_output_layer(self, i: int) -> None:
        """The output layer's editor shows what the engine builds: as many units as the data
        has outputs (read-only unless the config sets a wrong count) and, unless the config
        sets one, a linear activation."""
        layer = self.layers[i]
        if i != len(self.layers) - 1 or layer.get("type") != "dense" or self.editor is None:
            return
        units, activation = self.editor.editors["units"][0], self.editor.editors["activation"][0]
        follows = layer.get("units") is None
        with signals_blocked(units, activation):
            units.setSpecialValueText("from the data" if follows and not self.n_outputs else "")
            if follows:
                units.setValue(self.n_outputs or units.minimum())
            if "activation" not in layer:
                activation.setCurrentIndex(activation.findData("linear"))
        units.setEnabled(layer.get("units") not in (None, self.n_outputs))
        units.setToolTip("The output layer follows the data: one unit per output "
                         f"({self.n_outputs or 'known once the data loads'}).")

    # -- edits ---------------------------------------------------------------------------
    def _set_layers(self, layers: list[dict], text: str) -> None:
        model = copy.deepcopy(self.state.config.get("model", {}))
        model["layers"] = layers
        self.state.set_section("model", model, text)

    def _on_preset(self, index: int) -> None:
        if index <= 0:
            return
        name = self.presets.itemText(index)
        self._set_layers(copy.deepcopy(PRESETS[name]), f"Preset: {name}")
        with signals_blocked(self.presets):
            self.presets.setCurrentIndex(0)

    def apply_preset(self, name: str) -> None:
        self._set_layers(copy.deepcopy(PRESETS[name]), f"Preset: {name}")

    def insert_layer(self, layer_type: str, at: int | None = None) -> None:
        layers = self.layers
        if at is None:
            cur = self.list.currentRow()
            # never after the output layer: the last dense stays last
            at = min(cur + 1 if cur >= 0 else len(layers), max(0, len(layers) - 1))
        layers.insert(at, copy.deepcopy(NEW_LAYER[layer_type]))
        self._set_layers(layers, f"Add {layer_type}")
        self.list.setCurrentRow(at)

    def remove_layer(self, index: int | None = None) -> None:
        layers = self.layers
        i = self.list.currentRow() if index is None else index
        if 0 <= i < len(layers):
            del layers[i]
            self._set_layers(layers, "Remove layer")

    def move_layer(self, delta: int, index: int | None = None) -> None:
        layers = self.layers
        i = self.list.currentRow() if index is None else index
        j = i + delta
        if 0 <= i < len(layers) and 0 <= j < len(layers):
            layers[i], layers[j] = layers[j], layers[i]
            self._set_layers(layers, "Move layer")
            self.list.setCurrentRow(j)

    def _on_rows_moved(self, *_args) -> None:
        order = [self.list.item(r).data(Qt.ItemDataRole.UserRole) for r in range(self.list.count())]
        layers = self.layers
        if sorted(order) == list(range(len(layers))) and order != list(range(len(layers))):
            self._set_layers([layers[i] for i in order], "Reorder layers")
