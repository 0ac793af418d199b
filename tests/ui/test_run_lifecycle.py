"""A run's life in the window: what a stopped run leaves behind, questions asked once, files kept."""

import dataclasses
import json
import os

from tests.ui.test_sweep_bands import set_up
from tests.ui.test_window import set_small, wait_epochs


def _run_until(qtbot, window, epochs=1):
    set_small(window)
    assert window.runner.start()
    wait_epochs(qtbot, window, epochs)


def test_answering_no_undoes_only_the_refused_edit_and_asks_once(qtbot, window):
    state = window.state
    state.set("model.layers[0].units", 128)  # an earlier edit to keep
    _run_until(qtbot, window)
    asked = []
    window.confirm = lambda *a: asked.append(a) or False
    window.model_panel.list.setCurrentRow(0)
    window.model_panel.insert_layer("dropout")
    qtbot.wait(500)
    assert len(asked) == 1
    assert [layer["type"] for layer in state.config["model"]["layers"]] == ["dense", "dense", "dense"]
    assert state.get("model.layers[0].units") == 128 and window.runner.is_running


def test_a_finished_run_is_an_unsaved_change(qtbot, window, tmp_path):
    assert window.files.save_to(str(tmp_path / "p.regstudio")) and not window.state.is_modified
    _run_until(qtbot, window)
    window.runner.stop_and_wait()
    assert window.runs_panel.count() == 1 and window.state.is_modified
    assert window.isWindowModified()


def test_a_stopped_runs_late_signals_do_not_reach_what_comes_next(qtbot, window):
    """Reset right after a run: nothing of the stopped run may refill the cleared views."""
    _run_until(qtbot, window, 2)
    window.runner.reset()
    assert window.runs_panel.count() == 1  # the stopped run is recorded, under its own name
    qtbot.wait(600)
    assert window.loss_plot.rows == [] and window.status_label.text() == "ready"


def test_a_lesson_chosen_during_a_run_starts_cleanly(qtbot, window):
    from regstudio.experiments.config import set_path
    from regstudio.experiments.lessons import lesson

    _run_until(qtbot, window, 2)
    item = lesson("too_strong")
    short = dataclasses.replace(item, runs=tuple((label, set_path(cfg, "training.epochs", 3))
                                                 for label, cfg in item.runs))
    assert window.lessons.run_lesson(short)
    qtbot.waitUntil(lambda: window.runs_panel.count() == 2 and window.runner.thread is None, timeout=30000)
    ids = window.session.ids()
    assert ids == ["run1", "run2"]  # a lesson's own clean session: the earlier run is not in it
    assert [len(window.session.get(i).history) for i in ids] == [3, 3]
    assert [row["epoch"] for row in window.loss_plot.rows] == [1, 2, 3]
    names = [window.session.get(i).name for i in ids]  # the lesson's own labels name its runs
    assert [name.split(" ", 1)[0] for name in names] == ["#1", "#2"]
    assert [label in name for name, (label, _cfg) in zip(names, item.runs, strict=True)] == [True, True]


def test_opening_a_project_during_a_run_keeps_the_projects_runs(qtbot, window, tmp_path):
    set_small(window, epochs=2)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=20000)
    path = tmp_path / "p.regstudio"
    assert window.files.save_to(str(path))
    saved = window.session.ids()
    _run_until(qtbot, window, 3)
    assert window.files.open_file(str(path))
    qtbot.wait(500)  # time for any late signal of the stopped run
    assert window.session.ids() == list(saved)
    assert len(window.session.get("run1").history) == 2
    _run_until(qtbot, window)
    window.runner.stop_and_wait()
    assert window.session.ids() == ["run1", "run2"]  # a new id, nothing overwritten


def test_start_checks_the_model_against_data_chosen_a_moment_ago(qtbot, window):
    from regstudio.experiments.config import set_path
    from regstudio.experiments.lessons import lesson

    image_lesson = set_path(lesson("augmentation").runs[0][1], "training.epochs", 1)
    window.state.replace(image_lesson)  # image data and a CNN, before the Data panel reloads
    assert window.runner.start(), window.banner.text()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=60000)
    assert window.runs_panel.count() == 1 and not window.banner.text().startswith("Training failed")


def test_ticking_augmentation_during_a_table_run_does_not_stop_it(qtbot, window):
    _run_until(qtbot, window)
    window.state.set("augmentation.enabled", True)
    qtbot.wait(500)
    assert window.runner.is_running and "failed" not in window.banner.text()


def test_live_change_line_sits_before_its_batch(qtbot, window):
    window.loss_plot.add_change({"epoch": 5, "batch": 31, "n_batches": 32, "key": "regularization.l2",
                                 "old": 0.0, "new": 1e-3})
    assert window.loss_plot.change_lines[-1].value() == 4 + 30 / 32


def test_pause_button_says_what_it_will_do(qtbot, window):
    _run_until(qtbot, window)
    pause = window.actions["pause"]
    pause.trigger()
    assert pause.isChecked() and pause.text() == "&Resume"
    pause.trigger()
    assert not pause.isChecked() and pause.text() == "&Pause"
    window.actions["step"].trigger()
    assert pause.text() == "&Resume"
    pause.trigger()
    assert pause.text() == "&Pause"


def test_early_stopping_shows_the_restored_weights(qtbot, window):
    state = window.state
    set_small(window, epochs=300)
    state.set("early_stopping.enabled", True)
    state.set("early_stopping.patience", 3)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=30000)
    best = window.session.last.summary["best_epoch"]
    assert window.session.last.summary["stop_reason"] == "early_stopping"
    qtbot.waitUntil(lambda: window.weights_plot.epoch == best, timeout=3000)
    stopped = window.session.last.summary["stopped_epoch"]
    assert stopped == best + 3


def test_save_as_asks_before_replacing_the_name_it_completes(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    existing = tmp_path / "mine.regstudio"
    assert window.files.save_to(str(existing))
    before = existing.read_bytes()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "mine"), ""))
    window.confirm = lambda *a: False
    window.state.set("regularization.l2", 0.5)
    assert not window.files.save_as()
    assert existing.read_bytes() == before


def test_saving_keeps_the_files_permissions(window, tmp_path):
    path = tmp_path / "p.regstudio"
    assert window.files.save_to(str(path))
    os.chmod(path, 0o644)
    window.state.set("regularization.l2", 0.5)
    assert window.files.save_to(str(path))
    assert path.stat().st_mode & 0o777 == 0o644


def test_save_of_an_opened_json_config_asks_for_a_project_name(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from regstudio.experiments.config import default_config

    config = tmp_path / "e.json"
    config.write_text(json.dumps(default_config()))
    assert window.files.open_file(str(config))
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a[2]) or ("", ""))
    assert not window.files.save()
    assert asked == [str(tmp_path / "e.regstudio")] and json.loads(config.read_text())


def test_a_project_moves_with_the_data_in_its_folder(window, tmp_path):
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "t.csv").write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    window.state.set_section("data", {"source": "csv", "path": str(folder / "t.csv")})
    assert window.files.save_to(str(folder / "p.regstudio"))
    moved = tmp_path / "elsewhere"
    folder.rename(moved)
    from regstudio.experiments.project import load_project

    project = load_project(moved / "p.regstudio")
    assert project.experiment["data"]["path"] == "t.csv"
    assert window.files.open_file(str(moved / "p.regstudio"))
    window.state.reload_dataset()
    assert window.state.dataset_error == "" and window.state.dataset is not None


def test_export_history_write_error_is_a_message(qtbot, window, tmp_path, monkeypatch):
    import regstudio.ui.exports as exports

    set_small(window, epochs=1)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=20000)
    shown = []
    monkeypatch.setattr(exports, "show_error", lambda *a: shown.append(a[1]))
    assert not window.exports.history(str(tmp_path / "missing" / "h.csv"))
    assert shown == ["Cannot export the history"]


def test_duplicating_a_run_can_be_undone(qtbot, window):
    set_small(window, epochs=1)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=20000)
    window.state.set("regularization.l2", 0.25)  # an edit made after the run
    assert window.runner.duplicate_run("run1")
    assert window.banner.isVisible() and "Ctrl+Z goes back" in window.banner.text()
    assert window.state.get("regularization.l2") == 0.0
    window.state.undo_stack.undo()
    assert window.state.get("regularization.l2") == 0.25


def test_new_and_open_leave_nothing_of_the_previous_session(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from regstudio.experiments.config import default_config

    asked = []  # the finished run is an unsaved change: New asks first
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a: asked.append(a[2]) or QMessageBox.StandardButton.Discard)

    config = tmp_path / "e.json"
    config.write_text(json.dumps(default_config()))
    for fresh in (window.files.new_experiment, lambda: window.files.open_file(str(config))):
        set_small(window, epochs=2)
        window.runner.start()
        qtbot.waitUntil(lambda: window.runner.thread is None, timeout=20000)
        assert window.loss_plot.rows and window.actions["export_model"].isEnabled()
        fresh()
        assert window.loss_plot.rows == [] and window.weights_plot.weights == {}
        assert window.session.last is None and not window.actions["export_model"].isEnabled()
        assert window.runs_panel.count() == 0
    assert asked[0] == "Save the changes to the experiment first?"


def test_weights_histogram_counts_every_weight_and_tiles_show_images(qtbot, window):
    import numpy as np

    plot = window.weights_plot
    window.tabs.setCurrentWidget(plot)  # a hidden tab draws when shown
    plot.set_image_shape((8, 8, 1))
    small = np.full((64, 4), 0.1, np.float32)
    plot.set_snapshot({"epoch": 1, "weights": {"dense_0.W": small}})
    grown = small * 30  # weights that grew past the first snapshot's range
    plot.set_snapshot({"epoch": 2, "weights": {"dense_0.W": grown}})
    assert plot.hist.getData()[1].sum() == grown.size
    plot.view.setCurrentIndex(1)  # as image tiles: one 8x8 tile per unit
    assert plot.map_plot.getAxis("bottom").labelText == "one tile per unit"


def test_a_run_on_images_tells_the_weights_view_the_image_shape(qtbot, window):
    window.state.set_section("data", {"source": "builtin", "name": "digits", "train_size": 100})
    window.state.set_section("model", {"layers": [{"type": "dense", "units": 8}, {"type": "dense"}]})
    set_small(window, epochs=1)
    assert window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=30000)
    assert window.weights_plot.image_shape == (8, 8, 1)


def test_garbage_is_collected_in_the_gui_thread_only(qtbot, window):
    """A widget cycle collected in the training thread deadlocks Qt against the GIL."""
    import gc

    from PySide6.QtWidgets import QApplication

    from regstudio.ui import gc_policy

    assert not gc.isenabled()  # no automatic collection in whichever thread allocates
    timer = gc_policy._COLLECTOR.timer
    assert timer.isActive() and timer.thread() is QApplication.instance().thread()


def test_export_model_carries_the_standardisation(qtbot, window, tmp_path):
    import numpy as np

    set_small(window, epochs=1)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=20000)
    assert window.exports.model(str(tmp_path / "m.npz"))
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        scaling = json.loads(str(data["__meta__"]))["standardization"]
    assert np.allclose(scaling["x_std"], np.ravel(window.state.dataset.x_std))


def test_stop_gives_start_back_when_the_engine_stops_and_the_run_still_joins(qtbot, window):
    """Start is enabled as soon as the loop ends (the summary is computed after); a Start in
    that moment waits for the stopped run, which joins the session before the new one begins."""
    _run_until(qtbot, window)
    stopped_loops = []
    window.runner.worker.loop_ended.connect(stopped_loops.append)
    window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.actions["start"].isEnabled(), timeout=10000)
    assert stopped_loops == ["cancelled"] and not window.runner.is_training
    assert not window.actions["stop"].isEnabled() and not window.actions["pause"].isEnabled()
    assert window.runner.start()  # waits for the first run's summary, then starts
    assert window.session.last is not None and len(window.session) == 1
    assert window.runner.is_training
    window.runner.stop_and_wait()
    assert len(window.session) == 2


def test_predictions_give_up_between_chunks_when_cancelled():
    import numpy as np
    import pytest

    from regstudio.experiments.predictions import CHUNK, Cancelled, predict_rows

    class Model:
        calls = 0

        def outputs(self, X):
            Model.calls += 1
            return X * 2

    X = np.arange(3 * CHUNK, dtype=np.float32).reshape(-1, 1)
    assert np.array_equal(predict_rows(Model(), X, cancel=lambda: False), X * 2)
    assert Model.calls == 3
    asked = iter([False, True])
    with pytest.raises(Cancelled):
        predict_rows(Model(), X, cancel=lambda: next(asked))
    assert Model.calls == 4  # one chunk, then it stopped


def test_a_reopened_project_shows_its_last_run_as_it_was(qtbot, window, tmp_path):
    """Curves, final weights and predictions of the last run, not empty views and "Press Start"."""
    import numpy as np

    set_small(window, epochs=3)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=20000)
    epochs = [r["epoch"] for r in window.loss_plot.rows]
    weights = {k: v.copy() for k, v in window.weights_plot.weights.items()}
    path = tmp_path / "p.regstudio"
    assert window.files.save_to(str(path))
    window.files.new_experiment()
    assert window.loss_plot.rows == [] and window.predictions_plot.last is None
    assert window.files.open_file(str(path))
    qtbot.waitUntil(lambda: window.predictions_plot.last is not None, timeout=10000)
    assert [r["epoch"] for r in window.loss_plot.rows] == epochs
    assert set(window.weights_plot.weights) == set(weights)
    assert all(np.allclose(window.weights_plot.weights[k], w, atol=1e-6) for k, w in weights.items())


def test_predictions_are_computed_while_training_only_when_their_view_is_shown(qtbot, window, monkeypatch):
    """Each prediction is a forward pass in the training thread: none while the Loss tab is
    shown (the final one always), several while the Predictions tab is."""
    from regstudio.ui import worker as worker_module

    calls = []
    real = worker_module.compute_predictions
    monkeypatch.setattr(worker_module, "compute_predictions", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(worker_module, "SNAPSHOT_HZ", 1000.0)  # every snapshot, not once a second
    set_small(window)
    window.state.set("training.epochs", 6)
    counts = {}
    for tab in (window.loss_plot, window.predictions_plot):
        window.tabs.setCurrentWidget(tab)
        calls.clear()
        assert window.runner.start()
        qtbot.waitUntil(lambda: not window.runner.is_running, timeout=60000)
        counts[tab] = len(calls)
    assert counts[window.loss_plot] == 1  # the final predictions only
    assert counts[window.predictions_plot] > 2


def _start_then_pause(monkeypatch):
    """QThread.start that returns only once the thread has finished: a busy machine can pause
    the GUI thread right after start(), long enough for a short worker to end."""
    from PySide6.QtCore import QThread

    real_start = QThread.start

    def start(thread, *args):
        real_start(thread, *args)
        assert thread.wait(60000)

    monkeypatch.setattr(QThread, "start", start)


def test_a_run_that_ends_before_start_returns_still_ends(qtbot, window, monkeypatch):
    set_small(window, epochs=1)
    _start_then_pause(monkeypatch)
    assert window.runner.start()
    qtbot.waitUntil(lambda: not window.runner.is_running, timeout=10000)
    assert window.runner.thread is None and window.actions["start"].isEnabled()


def test_a_sweep_that_ends_before_its_start_returns_still_ends(qtbot, window, monkeypatch):
    set_small(window, epochs=1)
    view = window.sweep_view
    set_up(view, "regularization.l2", 1e-4, 1e-2, 2, n=1, workers=1)
    _start_then_pause(monkeypatch)
    assert view.run()
    qtbot.waitUntil(lambda: not view.is_running, timeout=10000)
    assert view.result is not None and view.run_button.isEnabled() and not view.cancel_button.isEnabled()
