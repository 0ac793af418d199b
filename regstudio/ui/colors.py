"""Text colours that stay readable on the light and the dark system palettes."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication


def dark_palette() -> bool:
    """The window background is dark (a dark system theme)."""
    app = QApplication.instance()
    return app is not None and app.palette().window().color().lightness() < 128


def error_color() -> str:
    """Red for error text: the usual dark red on light backgrounds, a light red on dark ones
    (the dark red reads at under 3:1 contrast there)."""
    return "#ff7b6b" if dark_palette() else "#c0392b"


def error_html(text: str) -> str:
    """``text`` (already HTML) in the error colour."""
    return f"<span style='color:{error_color()}'>{text}</span>"
