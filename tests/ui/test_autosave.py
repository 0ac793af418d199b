"""Autosave after each run; a session that did not close cleanly is offered for recovery."""

import pytest
from PySide6.QtCore import QStandardPaths


@pytest.fixture
def app_data(tmp_path, monkeypatch):
    QStandardPaths.setTestModeEnabled(True)  # Qt's app-data folder moves under ~/.qttest
    from regstudio.ui import autosave

    monkeypatch.setattr(autosave, "autosave_path", lambda: tmp_path / "app" / "autosave.regstudio")
    yield tmp_path / "app" / "autosave.regstudio"
    QStandardPaths.setTestModeEnabled(False)


def session_window(qtbot):
    from regstudio.ui.main_window import MainWindow

    win = MainWindow(restore=True)
    win.files.maybe_save = lambda: True  # no modal question in tests
    qtbot.addWidget(win)
    win.show()
    win.state.reload_dataset()
    return win


def test_autosave_after_a_run_and_recovery_after_a_crash(qtbot, app_data):
    win = session_window(qtbot)
    assert not win.files.recovery_bar.isVisible()
    win.state.set("training.epochs", 3)
    win.state.set("regularization.l2", 0.02)
    win.runner.start()
    qtbot.waitUntil(lambda: win.runner.thread is None, timeout=20000)
    assert app_data.is_file()  # written when the run finished
    win.runner.stop_and_wait()
    # a crash: the window goes away without closeEvent, the autosave stays
    win.files.autosaver.timer.stop()
    again = session_window(qtbot)
    assert again.files.recovery_bar.isVisible() and "did not close cleanly" in again.files.recovery_label.text()
    assert again.files.recover_autosave()
    assert again.state.get("regularization.l2") == 0.02
    assert again.runs_panel.count() == 1
    assert again.state.is_modified and not again.state.path
    again.close()  # a clean exit removes the autosave
    assert not app_data.exists()


def test_discard_deletes_the_autosave(qtbot, app_data):
    app_data.parent.mkdir(parents=True)
    from regstudio.experiments.config import default_config, validate_config
    from regstudio.experiments.project import Project, save_project

    save_project(app_data, Project(validate_config(default_config())))
    win = session_window(qtbot)
    assert win.files.recovery_bar.isVisible()
    win.files.discard_button.click()
    assert not app_data.exists() and not win.files.recovery_bar.isVisible()
