"""Runs of the session (and of an opened project): a list; tick one to overlay its validation loss."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget


class RunsPanel(QWidget):
    """Signals: overlay_toggled(run_id, label, rows or None)."""

    overlay_toggled = Signal(str, str, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Runs of this session (tick to overlay the validation loss):"))
        self.list = QListWidget()
        self.list.setObjectName("runs_list")
        lay.addWidget(self.list, 1)
        self.runs: dict[str, dict] = {}
        self.list.itemChanged.connect(self._on_item)

    def add_run(self, run_id: str, label: str, history: list[dict], info: dict) -> None:
        best = info.get("best_epoch")
        best_row = next((r for r in history if r.get("epoch") == best), None)
        extra = ""
        if best_row:
            extra = f" · best epoch {best}: val loss {best_row.get('val_loss', float('nan')):.3f}"
            if "val_acc" in best_row:
                extra += f", val acc {best_row['val_acc']:.1%}"
        self.runs[run_id] = {"label": label, "history": history, "info": info}
        item = QListWidgetItem(f"{label}{extra} ({info.get('reason')})")
        item.setData(Qt.ItemDataRole.UserRole, run_id)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Unchecked)
        self.list.insertItem(0, item)

    def clear(self) -> None:
        """Forget every run (a project is being opened); overlays are switched off first."""
        for i in range(self.list.count()):
            self.list.item(i).setCheckState(Qt.CheckState.Unchecked)
        self.list.clear()
        self.runs.clear()

    def _on_item(self, item: QListWidgetItem) -> None:
        run_id = item.data(Qt.ItemDataRole.UserRole)
        run = self.runs.get(run_id)
        if run is None:
            return
        on = item.checkState() == Qt.CheckState.Checked
        self.overlay_toggled.emit(run_id, run["label"], run["history"] if on else None)
