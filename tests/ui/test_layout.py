"""The window fits a 1366x768 screen: no panel cut off, the plots keep the middle."""

import pytest
from PySide6.QtWidgets import QScrollArea


def _panel(dock):
    inner = dock.widget()
    return inner.widget() if isinstance(inner, QScrollArea) else inner


@pytest.mark.parametrize("size", [(1366, 700), (1920, 1040)])
def test_docks_show_their_panels_whole_and_leave_the_plots_the_middle(window, qtbot, size):
    window.resize(*size)
    window._size_docks()
    qtbot.wait(50)
    for name, dock in window.docks.items():
        dock.raise_()
        qtbot.wait(10)
        panel = _panel(dock)
        assert dock.width() >= panel.minimumSizeHint().width(), name  # nothing cut off on the right
        inner = dock.widget()
        if isinstance(inner, QScrollArea):
            assert not inner.horizontalScrollBar().isVisible(), name
    plots = window.tabs.width()
    assert plots >= 0.4 * size[0], (plots, {n: d.width() for n, d in window.docks.items()})
    # the Training dock shows all its fields: the progress bar is inside its visible part
    bar = window.training_panel.progress
    scroll = window.docks["training"].widget()
    bottom = bar.mapTo(window.training_panel, bar.rect().bottomLeft()).y()
    assert bottom <= scroll.viewport().height()


def test_a_dock_cannot_be_dragged_narrower_than_its_fields(window):
    for name, dock in window.docks.items():
        assert dock.minimumWidth() >= min(440, _panel(dock).minimumSizeHint().width()), name


def test_strengths_read_compactly_and_accept_scientific_notation(window, qtbot):
    from regstudio.ui.panels.forms import CompactSpinBox

    spin = CompactSpinBox()
    qtbot.addWidget(spin)
    spin.setDecimals(8)
    spin.setRange(0.0, 10.0)
    spin.setValue(0.01)
    assert spin.text() == "0.01"
    spin.setValue(1e-5)
    assert spin.text() == "1e-05"
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "3e-4")
    spin.interpretText()
    assert spin.value() == pytest.approx(3e-4)
    assert spin.validate("abc", 0)[0].name == "Invalid"
    assert spin.validate("1e", 2)[0].name == "Intermediate"
    assert spin.validate("11", 2)[0].name == "Intermediate"  # above the maximum
