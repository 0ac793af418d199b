"""Error dialog with the one-line message up front and the traceback under Details."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def show_error(parent: QWidget | None, title: str, message: str, details: str = "",
               modal: bool = False) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok,
                      parent)
    box.setObjectName("error_dialog")
    if details:
        box.setDetailedText(details)
    if modal:
        box.exec()
    else:
        box.setModal(False)
        box.show()
    return box
