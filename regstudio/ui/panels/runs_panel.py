"""Runs of the session (and of an opened project) as a sortable table; tick a run to overlay
its validation loss (or the curve chosen above the table) on the Loss view."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from regstudio.experiments.curves import OVERLAY_CURVES
from regstudio.experiments.runs import COLUMNS
from regstudio.experiments.session import Session

_RUN_ID = Qt.ItemDataRole.UserRole
FIRST_SHOWN = ("name", "best_val_loss", "best_epoch", "gap")  # the comparison first, settings after


# How a column's numbers read in the table (the CSV keeps them whole): a loss difference of
# 9.8e-05 must not read "9.842" where a narrow column cuts it off.
FORMATS = {"gap": "{:+.3f}", "sparsity": "{:.0%}", "seconds": "{:.1f}"}
# Headers short enough for a narrow dock; the full title is the header's tooltip.
SHORT = {"gap": "final gap", "sparsity": "sparsity", "changes": "changed live", "early_stopping": "early stop"}


class _Item(QTableWidgetItem):
    """A cell that sorts by its number when it has one."""

    def __init__(self, value, fmt: str = "{:.4g}"):
        text = "" if value is None else (fmt.format(value) if isinstance(value, float) else str(value))
        super().__init__(text)
        self.value = value
        self.setFlags(self.flags() & ~Qt.ItemFlag.ItemIsEditable)

    def __lt__(self, other):  # noqa: D105
        a, b = self.value, getattr(other, "value", None)
        if isinstance(a, int | float) and isinstance(b, int | float):
            return a < b
        return str(self.text()) < str(other.text())


class RunsPanel(QWidget):
    """A view of the session's runs. Signals: overlay_toggled(run_id, label, {"rows": history,
    "curve": key of OVERLAY_CURVES} or None); duplicate_requested(run_id);
    remove_requested(run_id) (the Remove button, Delete, the context menu);
    export_csv_requested(); export_report_requested()."""

    overlay_toggled = Signal(str, str, object)
    duplicate_requested = Signal(str)
    remove_requested = Signal(str)
    export_csv_requested = Signal()
    export_report_requested = Signal()

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        hint = QLabel("Tick to overlay:")
        hint.setToolTip("Ticked runs are drawn dashed on the Loss view; click a header to sort")
        self.curve_box = QComboBox()
        self.curve_box.setObjectName("overlay_curve")
        for key, (text, _cols, _pane) in OVERLAY_CURVES.items():
            self.curve_box.addItem(text, key)
        self.curve_box.setToolTip("The curve the ticked runs show on the Loss view (accuracy / R² "
                                  "in its lower pane)")
        hint.setBuddy(self.curve_box)
        top.addWidget(hint)
        top.addWidget(self.curve_box, 1)
        lay.addLayout(top)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("runs_table")
        self.table.setHorizontalHeaderLabels([SHORT.get(key, title) for key, title in COLUMNS])
        for c, (_key, title) in enumerate(COLUMNS):  # the whole title (and the report's) on hover
            self.table.horizontalHeaderItem(c).setToolTip(title)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        keys = [key for key, _title in COLUMNS]
        for visual, key in enumerate(FIRST_SHOWN):  # what a narrow dock shows without scrolling
            header.moveSection(header.visualIndex(keys.index(key)), visual)
        self.table.setSortingEnabled(True)
        self.table.setMinimumHeight(80)  # a short screen scrolls the rows, not the whole dock
        lay.addWidget(self.table, 1)
        buttons = QGridLayout()  # two rows: the dock stays narrow enough for a 1366-px screen
        self.duplicate_button = QPushButton("Duplicate with change")
        self.duplicate_button.setToolTip("Load the selected run's settings into the panels: change one "
                                         "thing and press Start to compare")
        self.csv_button = QPushButton("Export table…")
        self.csv_button.setToolTip("Save this table as CSV")
        self.report_button = QPushButton("Export report…")
        self.report_button.setToolTip("A one-page HTML report of the ticked runs (plots, table, configs) "
                                      "that opens in any browser offline")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Take the selected run out of this session (Delete; Ctrl+Z puts it back)")
        buttons.addWidget(self.duplicate_button, 0, 0)
        buttons.addWidget(self.remove_button, 0, 1)
        buttons.addWidget(self.csv_button, 1, 0)
        buttons.addWidget(self.report_button, 1, 1)
        lay.addLayout(buttons)
        self._items: dict[str, QTableWidgetItem] = {}  # run id -> its name cell (the tick box)
        self.table.itemChanged.connect(self._on_item)
        self.duplicate_button.clicked.connect(self._on_duplicate)
        self.remove_button.clicked.connect(self._on_remove)
        remove = QAction("Remove run", self.table)
        remove.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)])
        remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove.triggered.connect(self._on_remove)
        duplicate = QAction("Duplicate with change", self.table)
        duplicate.triggered.connect(self._on_duplicate)
        self.table.addActions([duplicate, remove])
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()
        self.csv_button.clicked.connect(self.export_csv_requested)
        self.report_button.clicked.connect(self.export_report_requested)
        self.curve_box.currentIndexChanged.connect(self._on_curve)
        session.subscribe(self._on_session)

    # -- following the session ----------------------------------------------------------
    def _on_session(self, event: str, run_id: str) -> None:
        if event == "added":
            self._fill([run_id], append=True)
        elif event in ("cleared", "loaded"):
            self._forget()
            self._fill(self.session.ids())
        elif event == "removed":
            item = self._items.pop(run_id, None)
            if item is not None:
                if item.checkState() == Qt.CheckState.Checked:
                    self.overlay_toggled.emit(run_id, item.text(), None)
                self.table.removeRow(item.row())
        elif event == "renamed" and run_id in self._items:
            self._fill_row(self._items[run_id].row(), run_id)

    def _forget(self) -> None:
        """No rows and no overlays (a project is replacing the session)."""
        for run_id, item in self._items.items():  # the session holds the new runs already
            if item.checkState() == Qt.CheckState.Checked:
                self.overlay_toggled.emit(run_id, "", None)
        self.table.setRowCount(0)
        self._items.clear()

    def _fill(self, ids: list[str], append: bool = False) -> None:
        """Rows for ``ids`` in one model update (thousands of runs fill at once)."""
        self.table.setSortingEnabled(False)
        self.table.blockSignals(True)
        self.table.setUpdatesEnabled(False)
        try:
            first = self.table.rowCount() if append else 0
            self.table.setRowCount(first + len(ids))
            for r, run_id in enumerate(ids, start=first):
                self._fill_row(r, run_id)
        finally:
            self.table.setUpdatesEnabled(True)
            self.table.blockSignals(False)
            self.table.setSortingEnabled(True)
        if len(self.session) <= 200:  # fitting the columns reads every cell
            self.table.resizeColumnsToContents()

    def _fill_row(self, r: int, run_id: str) -> None:
        row = self.session.row(run_id)
        old = self._items.get(run_id)
        checked = old is not None and old.checkState() == Qt.CheckState.Checked
        for c, (key, _title) in enumerate(COLUMNS):
            item = _Item(row.get(key), FORMATS.get(key, "{:.4g}"))
            item.setData(_RUN_ID, run_id)
            if c == 0:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                self._items[run_id] = item
            if key == "changes" and row.get(key):
                item.setToolTip(f"Changed while training: {row[key]}. The other columns and "
                                "“Duplicate with change” describe the settings the run started with.")
            self.table.setItem(r, c, item)

    # -- reading ------------------------------------------------------------------------
    def count(self) -> int:
        return self.table.rowCount()

    def set_checked(self, run_id: str, on: bool) -> None:
        item = self._items.get(run_id)
        if item is not None:
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def checked(self) -> list[str]:
        """Ticked run ids, oldest first."""
        return [rid for rid in self.session.ids()
                if (item := self._items.get(rid)) is not None and item.checkState() == Qt.CheckState.Checked]

    def selected(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(_RUN_ID) if items else None

    # -- reactions ----------------------------------------------------------------------
    def _on_item(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        run_id = item.data(_RUN_ID)
        run = self.session.get(run_id)
        if run is None:
            return
        on = item.checkState() == Qt.CheckState.Checked
        self.overlay_toggled.emit(run_id, run.name, self._payload(run) if on else None)

    def overlay_curve(self) -> str:
        return self.curve_box.currentData()

    def _payload(self, run) -> dict:
        return {"rows": run.history, "curve": self.overlay_curve()}

    def _on_curve(self, _index: int) -> None:
        """The ticked runs show the newly chosen curve."""
        for run_id in self.checked():
            run = self.session.get(run_id)
            self.overlay_toggled.emit(run_id, run.name, self._payload(run))

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self.selected() is not None)

    def _on_remove(self) -> None:
        run_id = self.selected()
        if run_id is not None:
            self.remove_requested.emit(run_id)

    def _on_duplicate(self) -> None:
        run_id = self.selected() or (self.session.last.id if self.session.last else None)
        if run_id is not None:
            self.duplicate_requested.emit(run_id)
