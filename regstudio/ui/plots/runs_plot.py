"""Runs of the session (and of an opened project) as a sortable table; tick a run to overlay
its validation loss on the Loss view."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from regstudio.experiments.runs import COLUMNS, run_row

_RUN_ID = Qt.ItemDataRole.UserRole


class _Item(QTableWidgetItem):
    """A cell that sorts by its number when it has one."""

    def __init__(self, value):
        text = "" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))
        super().__init__(text)
        self.value = value
        self.setFlags(self.flags() & ~Qt.ItemFlag.ItemIsEditable)

    def __lt__(self, other):  # noqa: D105
        a, b = self.value, getattr(other, "value", None)
        if isinstance(a, int | float) and isinstance(b, int | float):
            return a < b
        return str(self.text()) < str(other.text())


class RunsPanel(QWidget):
    """Signals: overlay_toggled(run_id, label, rows or None); duplicate_requested(run_id)."""

    overlay_toggled = Signal(str, str, object)
    duplicate_requested = Signal(str)
    export_csv_requested = Signal()
    export_report_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Runs (tick to overlay the validation loss; click a header to sort):"))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("runs_table")
        self.table.setHorizontalHeaderLabels([title for _key, title in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSortingEnabled(True)
        lay.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.duplicate_button = QPushButton("Duplicate with change")
        self.duplicate_button.setToolTip("Load the selected run's settings into the panels: change one "
                                         "thing and press Start to compare")
        self.csv_button = QPushButton("Export table…")
        self.csv_button.setToolTip("Save this table as CSV")
        self.report_button = QPushButton("Export report…")
        self.report_button.setToolTip("A one-page HTML report of the ticked runs (plots, table, configs) "
                                      "that opens in any browser offline")
        for b in (self.duplicate_button, self.csv_button, self.report_button):
            buttons.addWidget(b)
        lay.addLayout(buttons)
        self.runs: dict[str, dict] = {}
        self.table.itemChanged.connect(self._on_item)
        self.duplicate_button.clicked.connect(self._on_duplicate)
        self.csv_button.clicked.connect(self.export_csv_requested)
        self.report_button.clicked.connect(self.export_report_requested)

    # -- content ------------------------------------------------------------------------
    def add_run(self, run_id: str, label: str, history: list[dict], info: dict) -> None:
        config = info.get("config") or {}
        row = run_row(label, config, history, info.get("summary") or {}, info.get("changes") or [])
        self.runs[run_id] = {"label": label, "history": history, "info": info, "row": row}
        self.table.setSortingEnabled(False)
        self.table.blockSignals(True)
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, (key, _title) in enumerate(COLUMNS):
            item = _Item(row.get(key))
            item.setData(_RUN_ID, run_id)
            if c == 0:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
            if key == "changes" and row.get(key):
                item.setToolTip(f"Changed while training: {row[key]}. The other columns and "
                                "“Duplicate with change” describe the settings the run started with.")
            self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        self.table.setSortingEnabled(True)

    def clear(self) -> None:
        """Forget every run (a project is being opened); overlays are switched off first."""
        for run_id in self.checked():
            self.set_checked(run_id, False)
        self.table.setRowCount(0)
        self.runs.clear()

    def count(self) -> int:
        return self.table.rowCount()

    def rows(self) -> list[dict]:
        """The table's rows, in the order runs were added."""
        return [run["row"] for run in self.runs.values()]

    def _name_item(self, run_id: str) -> QTableWidgetItem | None:
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.data(_RUN_ID) == run_id:
                return item
        return None

    def set_checked(self, run_id: str, on: bool) -> None:
        item = self._name_item(run_id)
        if item is not None:
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def checked(self) -> list[str]:
        return [rid for rid in self.runs
                if (item := self._name_item(rid)) is not None and item.checkState() == Qt.CheckState.Checked]

    def selected(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(_RUN_ID) if items else None

    # -- reactions ----------------------------------------------------------------------
    def _on_item(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        run_id = item.data(_RUN_ID)
        run = self.runs.get(run_id)
        if run is None:
            return
        on = item.checkState() == Qt.CheckState.Checked
        self.overlay_toggled.emit(run_id, run["label"], run["history"] if on else None)

    def _on_duplicate(self) -> None:
        run_id = self.selected() or next(reversed(self.runs), None)
        if run_id is not None:
            self.duplicate_requested.emit(run_id)
