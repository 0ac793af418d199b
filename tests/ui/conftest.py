"""UI tests: offscreen Qt, isolated QSettings, a fresh main window per test."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    from regstudio.ui import settings

    settings.use_folder(str(tmp_path / "ini"))
    yield
    settings.use_folder(None)


@pytest.fixture
def window(qtbot):
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=False, background="w", foreground="k")
    from regstudio.ui.main_window import MainWindow

    win = MainWindow(restore=False)
    win.confirm = lambda *a: True
    qtbot.addWidget(win)
    win.show()
    win.state.reload_dataset()
    yield win
    win.runner.stop_and_wait()
    assert win.runner.thread is None
