"""Training panel: optimizer, learning rate, batch size, epochs, seed; run controls; progress."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QVBoxLayout, QWidget

from ..colors import error_html
from .forms import OptionForm

LABELS = {"optimizer": "Optimizer", "lr": "Learning rate", "momentum": "Momentum",
          "batch_size": "Batch size", "epochs": "Epochs", "seed": "Seed",
          "weight_decay": "Weight decay (AdamW)"}


def training_options() -> dict:
    from regstudio.experiments.config import TRAINING_OPTIONS

    return dict(TRAINING_OPTIONS)


class TrainingPanel(QWidget):
    def __init__(self, state, actions: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        lay = QVBoxLayout(self)
        self.form = OptionForm(state, "training.", training_options(), LABELS)
        lay.addWidget(self.form)
        buttons = QHBoxLayout()  # Step one epoch and Reset weights are on the toolbar beside these
        for key in ("start", "pause", "stop"):
            b = QToolButton()
            b.setDefaultAction(actions[key])
            b.setToolButtonStyle(b.toolButtonStyle().ToolButtonTextBesideIcon)
            b.setObjectName(f"button_{key}")
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setObjectName("training_progress")
        self.progress.setFormat("ready")
        self.progress.setValue(0)
        lay.addWidget(self.progress)
        self.reason = QLabel("")
        self.reason.setWordWrap(True)
        self.reason.setObjectName("start_reason")
        self.reason.hide()
        lay.addWidget(self.reason)
        lay.addStretch(1)
        state.changed.connect(self._on_changed)

    def _on_changed(self, section: str) -> None:
        if section in ("training", "all"):
            self.form.refresh()

    def set_progress(self, epoch: int, epochs: int, text: str) -> None:
        """Only what changed: QProgressBar repaints at once (in the GUI thread, holding the
        GIL the training thread needs) on each change."""
        bar = self.progress
        if bar.maximum() != max(1, epochs):
            bar.setRange(0, max(1, epochs))
        if bar.value() != min(epoch, epochs):
            bar.setValue(min(epoch, epochs))
        if bar.format() != text:
            bar.setFormat(text)

    def set_blocked_reason(self, text: str) -> None:
        self.reason.setText(error_html(text) if text else "")
        self.reason.setVisible(bool(text))
