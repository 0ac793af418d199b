"""The Data panel's column table: each column of a table file with its kind, missing count and
role (feature / target / ignore), editing exactly ``data.target`` and ``data.ignore``."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHeaderView, QTableWidget, QTableWidgetItem

from .forms import signals_blocked

ROLES = ("feature", "target", "ignore")
LEFT_OUT = "left out"  # the role shown for an id-like or empty column that is not ignored
KIND_TEXT = {"numeric": "number", "category": "category", "date": "date → numbers",
             "text-id": "text, one per row", "empty": "empty"}
KIND_TIP = {"numeric": "Numbers: used as they are (standardised with the training split)",
            "category": "Text with few distinct values: one input per category (one-hot)",
            "date": "Dates: turned into year, month, day and day of week (and hour, minute)",
            "text-id": "Text with too many distinct values to be a category (an id or a name): "
                       "left out; set its role to ignore to silence the note",
            "empty": "Every cell is empty: left out; set its role to ignore to silence the note"}
LEFT_OUT_KINDS = ("text-id", "empty")


def roles_of(names: list[str], data_cfg: dict, kinds: dict[str, str] | None = None) -> dict[str, str]:
    """The role of each column under ``data_cfg`` (no target: the last column is the target);
    with ``kinds``, an id-like or empty column that would be a feature is "left out"."""
    target = data_cfg.get("target") or (names[-1] if names else None)
    ignore = set(data_cfg.get("ignore") or ())
    kinds = kinds or {}
    return {n: "target" if n == target else "ignore" if n in ignore else
            LEFT_OUT if kinds.get(n) in LEFT_OUT_KINDS else "feature" for n in names}


def with_role(data_cfg: dict, names: list[str], name: str, role: str) -> dict:
    """``data_cfg`` with column ``name`` given ``role``; only ``target`` and ``ignore`` change
    ("left out" is a feature the loader leaves out by itself)."""
    new = dict(data_cfg)
    ignore = [n for n in (data_cfg.get("ignore") or ()) if n != name]
    if role == "target":
        new["target"] = name
    elif role == "ignore":
        ignore.append(name)
    if ignore:
        new["ignore"] = [n for n in names if n in ignore]  # in file order
    else:
        new.pop("ignore", None)
    return new


def kind_text(col: dict) -> tuple[str, str]:
    """(what the Kind cell says, its tooltip) for one column of ``TableInfo.columns``."""
    text = KIND_TEXT.get(col["kind"], col["kind"])
    tip = KIND_TIP.get(col["kind"], "")
    if col.get("levels"):
        tip += f" ({col['levels']} distinct values)"
    stray = col.get("stray")
    if stray:
        text += f" · {stray['count']} not a number"
        tip += (f". {stray['count']} cell(s) are not numbers (first: {stray['first']!r}): fix them "
                "in the file, or set the role to ignore; used as a feature or target, the "
                "column stops the load")
    for note in col.get("notes", ()):
        tip += f". {note}"
    return text, tip


class ColumnTable(QTableWidget):
    """Rows of ``TableInfo.columns``; a role change goes to ``state`` as one undoable edit."""

    HEADERS = ("Column", "Kind", "Missing", "Role")

    def __init__(self, state, parent=None):
        super().__init__(0, len(self.HEADERS), parent)
        self.state = state
        self.setObjectName("data_columns")
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(False)
        head = self.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for i in (1, 2, 3):
            head.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip("The columns of the file: pick the target (what to predict) and the "
                        "columns to leave out; every other column is a feature")
        self.names: list[str] = []
        self.kinds: dict[str, str] = {}

    def show_columns(self, columns: list[dict]) -> None:
        """Rebuild the rows for a newly read table."""
        self.names = [c["name"] for c in columns]
        self.kinds = {c["name"]: c["kind"] for c in columns}
        self.setRowCount(len(columns))
        for r, col in enumerate(columns):
            name = QTableWidgetItem(col["name"])
            name.setToolTip(col["name"])
            text, tip = kind_text(col)
            kind = QTableWidgetItem(text)
            kind.setToolTip(tip)
            missing = QTableWidgetItem(str(col["missing"]))
            missing.setToolTip("Empty or NA cells: imputed from the training split by default "
                               "(data.missing)")
            for c, item in enumerate((name, kind, missing)):
                self.setItem(r, c, item)
            combo = QComboBox()
            combo.setObjectName(f"role_{r}")
            left_out = col["kind"] in LEFT_OUT_KINDS
            combo.addItems((LEFT_OUT, *ROLES[1:]) if left_out else ROLES)
            combo.currentTextChanged.connect(lambda role, n=col["name"]: self._on_role(n, role))
            self.setCellWidget(r, 3, combo)
        self.refresh()
        height = self.horizontalHeader().height() + 2 * self.frameWidth() + sum(
            self.rowHeight(r) for r in range(min(len(columns), 10)))
        self.setFixedHeight(height + 2)

    def refresh(self) -> None:
        """Show the roles the config gives (no signals come back as edits)."""
        roles = roles_of(self.names, self.state.config.get("data", {}), self.kinds)
        for r, name in enumerate(self.names):
            combo = self.cellWidget(r, 3)
            with signals_blocked(combo):
                combo.setCurrentText(roles[name])
            combo.setEnabled(roles[name] != "target")  # a new target is chosen on its own row
            combo.setToolTip("The target: set another column to target to change it"
                             if roles[name] == "target" else
                             KIND_TIP[self.kinds[name]] if roles[name] == LEFT_OUT else
                             "feature: an input of the network · target: what to predict · "
                             "ignore: left out (data.ignore)")

    def role(self, name: str) -> str:
        return self.cellWidget(self.names.index(name), 3).currentText()

    def set_role(self, name: str, role: str) -> None:
        """What choosing ``role`` in the row of ``name`` does."""
        self.cellWidget(self.names.index(name), 3).setCurrentText(role)

    def _on_role(self, name: str, role: str) -> None:
        data = self.state.config.get("data", {})
        new = with_role(data, self.names, name, role)
        if new != data:
            self.state.set_section("data", new, f"Column {name}: {role}")
