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


def test_the_file_menu_offers_the_report_and_the_runs_table(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from tests.ui.test_window import set_small

    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]
    assert "Export &report (HTML)…" in texts and "Export runs &table CSV…" in texts
    assert not window.actions["export_report"].isEnabled()  # no run yet
    set_small(window)
    window.runner.start()
    window.runner.stop_and_wait()
    assert window.actions["export_report"].isEnabled()
    target = tmp_path / "report.html"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "HTML (*.html)"))
    window.actions["export_report"].trigger()
    assert target.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_a_project_opened_from_the_file_manager_opens_in_the_window(window, qtbot, tmp_path):
    """macOS hands a double-clicked project to the app as a QFileOpenEvent."""
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from regstudio.ui.app import _FileOpenFilter

    window.state.set("training.epochs", 7)
    path = tmp_path / "mine.regstudio"
    assert window.files.save_to(str(path))
    window.state.set("training.epochs", 99)
    window.state.undo_stack.clear()
    app = QApplication.instance()
    file_filter = _FileOpenFilter(window, app)
    app.installEventFilter(file_filter)
    try:
        QApplication.sendEvent(app, QFileOpenEvent(str(path)))
    finally:
        app.removeEventFilter(file_filter)
    assert window.state.get("training.epochs") == 7


def test_dropout_rows_rebuilt_leave_no_old_label_drawn_over_the_new_ones(window, qtbot):
    """Adding then removing dropout layers: the rows taken out are hidden at once, not left
    visible (until deleted) on top of the new rows."""
    from PySide6.QtWidgets import QLabel

    window.docks["regularization"].raise_()
    panel = window.reg_panel
    layers = window.state.config["model"]["layers"]
    window.state.set("model.layers", [layers[0], {"type": "dropout", "rate": 0.3}, *layers[1:]])
    window.state.set("model.layers", layers)  # the dropout layer goes again
    stale = [w for w in panel.findChildren(QLabel) + panel.drop_spins if w.isVisible()
             and (not isinstance(w, QLabel) or w.text().startswith("Layer "))]
    assert stale == []  # hidden at once, before the event loop deletes them
    qtbot.wait(20)
    visible = [w for w in panel.findChildren(QLabel) if w.isVisible() and "No dropout layer" in w.text()]
    assert len(visible) == 1


def test_a_layout_saved_on_a_larger_screen_fits_this_one(qtbot):
    """A window size saved on a big monitor comes back inside this screen, not beyond its edges."""
    from regstudio.ui import settings
    from regstudio.ui.main_window import MainWindow

    big = MainWindow(restore=False)
    qtbot.addWidget(big)
    screen = big.screen().availableGeometry()
    big.setGeometry(screen.x() + 200, screen.y() + 150, screen.width() + 900, screen.height() + 700)
    settings.write("geometry", big.saveGeometry())
    win = MainWindow(restore=True)
    win.confirm = lambda *a: True
    qtbot.addWidget(win)
    win.show()
    qtbot.wait(20)
    least = win.minimumSizeHint()  # (the offscreen screen, 800x800, is narrower than that)
    assert win.width() <= max(screen.width(), least.width())
    assert win.height() <= max(screen.height(), least.height())
    assert screen.contains(win.frameGeometry().topLeft()), (screen, win.frameGeometry())
    win.files.autosaver.timer.stop()
    win.close()


def test_tests_keep_their_own_settings(tmp_path):
    """UI tests (and the self-test) write their settings into a folder of their own."""
    from regstudio.ui import settings

    settings.write("log_y", True)
    assert settings.read("log_y") is True
    assert (tmp_path / "ini" / "regstudio.ini").is_file()


def test_long_tooltips_wrap_and_short_ones_stay_as_they_are(qtbot):
    """Qt shows plain-text tips on one line: a long one is shown as rich text, which wraps."""
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QLabel, QToolTip

    from regstudio.ui.app import _app
    from regstudio.ui.tooltips import wrapped

    _app()
    long_tip = "Where the data comes from. " * 6 + "Alpha < 1 & beta"
    label = QLabel("x")
    qtbot.addWidget(label)
    label.setToolTip(long_tip)
    label.show()
    QApplication.sendEvent(label, QHelpEvent(QEvent.Type.ToolTip, QPoint(2, 2), label.mapToGlobal(QPoint(2, 2))))
    assert QToolTip.isVisible() and QToolTip.text() == wrapped(long_tip)
    assert QToolTip.text().startswith("<p") and "Alpha &lt; 1 &amp; beta" in QToolTip.text()
    assert wrapped("Save this table as CSV") == "Save this table as CSV"
    QToolTip.hideText()


def test_lazy_tabs_build_a_view_once_in_place_of_its_placeholder(qtbot):
    from PySide6.QtWidgets import QLabel, QTabWidget

    from regstudio.ui.lazy_tabs import LazyTabs

    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(QLabel("first"), "First")
    lazy = LazyTabs(tabs)
    built = []
    index = lazy.add(lambda: built.append(1) or QLabel("late"), "Late", "built on first use")
    assert index == 1 and lazy.built(index) is None and built == [] and lazy.views() == []
    view = lazy.view(index)  # asked for while another tab is shown: that tab stays current
    assert built == [1] and tabs.widget(index) is view and tabs.currentIndex() == 0
    assert (tabs.tabText(index), tabs.tabToolTip(index)) == ("Late", "built on first use")
    tabs.setCurrentIndex(index)  # showing it builds nothing again
    assert built == [1] and lazy.built(index) is view and lazy.views() == [view]
    assert lazy.view(0) is None  # not a lazy tab


def test_the_sweep_tab_is_built_when_first_shown(window):
    sweep = [window.tabs.tabText(i) for i in range(window.tabs.count())].index("Sweep")
    assert window.lazy_tabs.built(sweep) is None
    window.tabs.setCurrentIndex(sweep)
    assert window.lazy_tabs.built(sweep) is window.tabs.currentWidget() is window.sweep_view


def test_the_runs_table_shows_the_comparison_before_the_settings(window):
    """A narrow Runs dock shows each run's name, best validation loss, its epoch and the gap
    without scrolling; the settings columns follow (the CSV keeps its own column order)."""
    table = window.runs_panel.table
    header = table.horizontalHeader()
    shown = [table.horizontalHeaderItem(header.logicalIndex(v)).text() for v in range(4)]
    assert shown == ["run", "best val loss", "best epoch", "final gap"]
    gap = table.horizontalHeaderItem(header.logicalIndex(3))
    assert gap.toolTip() == "final gap (val − train data loss)"


def test_no_tab_makes_the_window_wider_than_a_1366_px_screen(window, qtbot):
    """A tab whose controls or caption cannot wrap forces the whole window wider than the
    screen (the Sweep tab did: 1,502 px). Each tab, shown after a run, leaves it narrower."""
    from tests.ui.test_window import set_small

    set_small(window, epochs=2)
    assert window.runner.start()
    qtbot.waitUntil(lambda: not window.runner.is_running, timeout=30000)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(20)
        assert window.minimumSizeHint().width() <= 1366 - 12, window.tabs.tabText(index)  # frame


def test_error_text_stays_readable_on_a_dark_palette(window):
    """Dark red on a dark window reads at under 3:1: a dark system theme gets a light red."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    light = app.palette()
    try:
        window.training_panel.set_blocked_reason("the data is loading")
        assert "#c0392b" in window.training_panel.reason.text()
        dark = QPalette(light)
        dark.setColor(QPalette.ColorRole.Window, QColor("#353535"))
        app.setPalette(dark)
        window.training_panel.set_blocked_reason("the data is loading")
        assert "#ff7b6b" in window.training_panel.reason.text()
    finally:
        app.setPalette(light)
    assert "palette(mid)" not in window.data_panel.description.styleSheet()  # pale: read as disabled


def test_runs_table_cells_read_whole_numbers():
    """A tiny gap reads +0.000, not 9.842e-05 (cut to "9.842" by a narrow column)."""
    from regstudio.ui.panels.runs_panel import FORMATS, _Item

    assert _Item(9.842e-05, FORMATS["gap"]).text() == "+0.000"
    assert _Item(-0.1234, FORMATS["gap"]).text() == "-0.123"
    assert _Item(0.594, FORMATS["sparsity"]).text() == "59%"
    assert _Item(0.35934).text() == "0.3593" and _Item(None).text() == "" and _Item(12).text() == "12"
    assert _Item(0.001, FORMATS["gap"]) < _Item(0.002, FORMATS["gap"])  # sorted by the number
