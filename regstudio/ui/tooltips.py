"""Long tooltips wrap: Qt shows a plain-text tooltip on one line however long it is, so a
two-sentence tip can run off the screen. An application-wide filter shows such a tip as
rich text, which Qt word-wraps."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import Qt
from PySide6.QtWidgets import QToolTip, QWidget

WRAP_AFTER = 70  # characters: shorter tips stay on one line


def wrapped(text: str) -> str:
    """``text`` as a tooltip Qt word-wraps (unchanged when short or already rich text)."""
    if len(text) <= WRAP_AFTER or Qt.mightBeRichText(text):
        return text
    return "<p style='white-space:pre-wrap'>" + html.escape(text) + "</p>"


class WrapToolTips(QObject):
    """Installed on the QApplication (``app.installEventFilter``)."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip and isinstance(obj, QWidget):
            text = obj.toolTip()
            shown = wrapped(text)
            if shown != text:
                QToolTip.showText(event.globalPos(), shown, obj)
                return True
        return False
