"""Drive the real window offscreen: build, regularize, train, pause, resume, stop, close."""

import json

import numpy as np
import pytest

from regstudio.experiments.runs import COLUMNS


def set_small(window, epochs=20000):
    s = window.state
    s.set("training.epochs", epochs)
    s.set("early_stopping.enabled", False)


def use_digits(qtbot, window):
    window.state.set_section("data", {"source": "builtin", "name": "digits", "train_size": 300,
                                      "val_fraction": 0.3, "seed": 0})
    qtbot.waitUntil(lambda: window.state.dataset is not None
                    and window.state.dataset.name.startswith("digits"), timeout=5000)


def wait_epochs(qtbot, window, n, timeout=20000):
    qtbot.waitUntil(lambda: len(window.loss_plot.rows) >= n, timeout=timeout)


def test_default_experiment_ready(window):
    assert window.state.dataset is not None, window.state.dataset_error
    assert window.actions["start"].isEnabled()
    assert "params" in window.model_panel.list.item(0).text()
    assert "trainable parameters" in window.model_panel.total.text()


def test_build_model_pick_l2_start_pause_resume_stop(qtbot, window):
    mp = window.model_panel
    mp.apply_preset("Small MLP (32 units)")
    mp.list.setCurrentRow(0)
    mp.insert_layer("dropout")
    layers = window.state.config["model"]["layers"]
    assert [lay["type"] for lay in layers] == ["dense", "dropout", "dense"]
    assert "parameters" in mp.total.text() and not mp.reason
    # edit units through the layer editor widget
    widget = mp.editor if mp.list.currentRow() == 0 else None
    mp.list.setCurrentRow(0)
    spin = mp.editor.editors["units"][0]
    spin.setValue(48)
    assert window.state.get("model.layers[0].units") == 48
    # pick L2 with the radio button
    window.reg_panel.kind_buttons["l2"].click()
    assert window.state.get("regularization.l2") > 0
    assert window.state.get("regularization.l1") == 0
    assert "weight_decay" in window.reg_panel.converter.text()
    del widget
    set_small(window)
    with qtbot.waitSignal(window.runner.started, timeout=2000):
        window.actions["start"].trigger()
    wait_epochs(qtbot, window, 2)
    assert window.actions["stop"].isEnabled() and not window.actions["start"].isEnabled()
    window.actions["pause"].trigger()
    assert window.runner.worker.control.paused
    qtbot.wait(800)  # epochs finished before the pause still arrive (curves are throttled to 3 Hz)
    n_paused = len(window.loss_plot.rows)
    qtbot.wait(500)
    assert len(window.loss_plot.rows) <= n_paused + 1  # at most the epoch in flight
    window.actions["pause"].trigger()  # resume
    assert not window.runner.worker.control.paused
    wait_epochs(qtbot, window, n_paused + 2)
    with qtbot.waitSignal(window.runner.stopped, timeout=10000) as blocker:
        window.actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=10000)
    assert blocker.args == ["cancelled"]
    assert window.runs_panel.count() == 1
    assert window.actions["start"].isEnabled()
    # penalty shown apart from the data loss
    assert window.loss_plot.rows[-1]["penalty"] > 0


def test_stop_ends_a_long_run(qtbot, window):
    """Stop happens (how fast: tests/benchmarks/bench_stop.py)."""
    set_small(window)
    window.state.set("training.epochs", 100000)
    window.runner.start()
    wait_epochs(qtbot, window, 1)
    window.runner.stop()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=10000)
    assert window.runner.last_reason == "cancelled" and len(window.loss_plot.rows) < 100000


def test_live_change_is_marked(qtbot, window):
    set_small(window)
    window.runner.start()
    wait_epochs(qtbot, window, 1)
    with qtbot.waitSignal(window.runner.worker.live_change, timeout=5000):
        window.reg_panel.set_kind("l2")
    qtbot.waitUntil(lambda: len(window.loss_plot.change_lines) == 1, timeout=3000)
    window.runner.stop_and_wait()
    qtbot.waitUntil(lambda: window.runs_panel.count() == 1, timeout=5000)
    row = window.session.rows()[0]
    assert row["name"].endswith("+ live changes")
    assert row["changes"].startswith("L2 0 → ")  # the run started without a penalty
    cell = window.runs_panel.table.item(0, [key for key, _ in COLUMNS].index("changes"))
    assert cell.text() == row["changes"] and "started with" in cell.toolTip()


def test_step_one_epoch(qtbot, window):
    set_small(window)
    window.actions["step"].trigger()
    wait_epochs(qtbot, window, 1)
    qtbot.wait(300)
    assert len(window.loss_plot.rows) == 1
    assert window.actions["pause"].isChecked()
    assert window.status_label.text().startswith("paused after epoch 1")  # not "stepping…" forever
    window.runner.stop_and_wait()


def test_training_error_becomes_message(qtbot, window, monkeypatch):
    import regstudio.experiments.training as training

    def boom(*a, **k):
        raise RuntimeError("engine exploded on purpose")

    monkeypatch.setattr(training, "train", boom)
    with qtbot.waitSignal(window.runner.stopped, timeout=5000) as blocker:
        window.runner.start()
    assert blocker.args == ["error"]
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=3000)
    assert "engine exploded on purpose" in window.banner.text()
    assert window.banner.isVisible()
    assert window.actions["start"].isEnabled()


def test_close_mid_training_joins_thread(qtbot, window):
    set_small(window)
    window.runner.start()
    wait_epochs(qtbot, window, 1)
    thread = window.runner.thread
    window.close()
    assert window.runner.thread is None
    assert thread is not None


def test_impossible_stack_disables_start(qtbot, window):
    window.state.set_section("data", {"source": "builtin", "name": "moons", "train_size": 100,
                                      "val_fraction": 0.3, "seed": 0})
    qtbot.waitUntil(lambda: window.state.dataset is not None
                    and window.state.dataset.name.startswith("moons"), timeout=3000)
    window.model_panel.apply_preset("Small CNN (images)")
    assert not window.actions["start"].isEnabled()
    assert "Cannot start" in window.actions["start"].toolTip()
    assert any("⚠" in window.model_panel.list.item(i).text()
               for i in range(window.model_panel.list.count()))
    window.state.undo_stack.undo()
    assert window.actions["start"].isEnabled()


def test_undo_redo_model_edits(window):
    mp = window.model_panel
    before = json.dumps(window.state.config["model"])
    mp.insert_layer("dropout", at=1)
    mp.move_layer(+1, index=0)
    assert json.dumps(window.state.config["model"]) != before
    window.actions["undo"].trigger()
    window.actions["undo"].trigger()
    assert json.dumps(window.state.config["model"]) == before
    window.actions["redo"].trigger()
    assert window.state.config["model"]["layers"][1]["type"] == "dropout"


def test_augmentation_preview_changes(qtbot, window):
    use_digits(qtbot, window)
    ap = window.aug_panel
    ap.update_preview()
    before = ap.last_preview.copy()
    ap.op_widgets["invert"]["check"].setChecked(True)
    qtbot.waitUntil(lambda: ap.last_preview is not None
                    and not np.array_equal(ap.last_preview, before), timeout=2000)
    assert any(op["op"] == "invert" for op in window.state.config["augmentation"]["ops"])
    shown = ap.last_preview.copy()
    ap.reshuffle()
    assert ap.last_preview.shape == shown.shape


def test_tabular_data_says_augmentation_does_not_apply(qtbot, window):
    window.state.set_section("data", {"source": "builtin", "name": "moons", "train_size": 100,
                                      "val_fraction": 0.3, "seed": 0})
    qtbot.waitUntil(lambda: window.aug_panel.na.isVisible(), timeout=3000)
    assert "does not apply" in window.aug_panel.na.text()


def test_bad_csv_shows_message(qtbot, window, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,x\n3,oops\n")
    window.data_panel.use_path(str(bad))
    qtbot.waitUntil(lambda: window.data_panel.error.isVisible(), timeout=3000)
    assert "Cannot load the data" in window.data_panel.error.text()
    assert not window.actions["start"].isEnabled()
    window.state.undo_stack.undo()
    qtbot.waitUntil(lambda: not window.data_panel.error.isVisible(), timeout=3000)


def _drop(widget, path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPointF(5, 5).toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    widget.dragEnterEvent(enter)
    assert enter.isAccepted()
    widget.dropEvent(QDropEvent(QPointF(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))


def test_dropping_files_loads_data_or_opens_a_project(qtbot, window, tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(40)))
    _drop(window, table)
    assert window.state.config["data"]["source"] == "csv"
    assert window.state.config["data"]["path"] == str(table)
    window.state.set("regularization.l2", 0.004)
    project = tmp_path / "dropped.regstudio"
    assert window.files.save_to(str(project))
    window.state.set("regularization.l2", 0.0)
    _drop(window, project)
    assert window.state.config["regularization"]["l2"] == 0.004
    other = tmp_path / "other.csv"
    other.write_text(table.read_text())
    _drop(window.data_panel, other)  # the Data panel takes drops of its own
    assert window.state.config["data"]["path"] == str(other)


def test_save_open_roundtrip(window, tmp_path):
    window.state.set("regularization.l2", 0.003)
    path = tmp_path / "exp.regstudio"
    assert window.files.save_to(str(path))
    assert not window.state.is_modified
    window.state.set("regularization.l2", 0.0)
    assert window.files.open_file(str(path))
    assert window.state.get("regularization.l2") == pytest.approx(0.003)
    assert not list(tmp_path.glob(".tmp-*"))


def test_export_history_and_plot(qtbot, window, tmp_path):
    use_digits(qtbot, window)
    set_small(window, epochs=3)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=20000)
    assert window.exports.history(str(tmp_path / "h.csv"))
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,train_loss,data_loss,penalty,val_loss")
    assert len(lines) == 4
    assert window.exports.model(str(tmp_path / "m.npz"))
    from regstudio.experiments.export import load_model

    model, cfg = load_model(tmp_path / "m.npz")
    assert cfg["data"]["name"] == "digits" and model.output_shape == (10,)
    assert window.exports.plot(str(tmp_path / "p.png"))
    assert (tmp_path / "p.png").stat().st_size > 1000
    # every view rendered something after the run
    assert window.predictions_plot.last is not None
    assert window.predictions_plot.last["kind"] == "confusion"
    assert window.weights_plot.weights


def test_regions_for_two_features(qtbot, window):
    window.state.set_section("data", {"source": "builtin", "name": "moons", "train_size": 100,
                                      "val_fraction": 0.3, "seed": 0})
    qtbot.waitUntil(lambda: window.state.dataset is not None
                    and window.state.dataset.name.startswith("moons"), timeout=3000)
    set_small(window, epochs=3)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=20000)
    assert window.predictions_plot.last["kind"] == "regions"


def test_self_test_gui():
    from regstudio.ui.self_test import self_test_gui

    assert self_test_gui() == []


def test_divergence_pauses_and_says_what_to_try(qtbot, window):
    set_small(window, epochs=50)
    window.state.set("training.optimizer", "sgd")
    window.state.set("training.lr", 10.0)
    window.state.set("training.momentum", 0.99)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.worker is not None and window.runner.worker.control.paused
                    and window.actions["pause"].isChecked(), timeout=20000)
    assert "Lower the learning rate" in window.banner.text()
    window.state.set("training.lr", 1e-4)  # the live change reaches the paused run
    window.actions["pause"].trigger()  # resume
    wait_epochs(qtbot, window, 2)
    window.runner.stop()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=5000)


def test_per_batch_loss_can_be_hidden(window):
    def legend():
        return [label.text for _sample, label in window.loss_plot.legend.items]

    window.actions["batch_loss"].setChecked(True)
    assert window.loss_plot.batch.item.isVisible()
    assert legend().count("training loss per batch") == 1
    window.actions["batch_loss"].setChecked(False)
    assert not window.loss_plot.batch.item.isVisible()
    assert "training loss per batch" not in legend()
    window.actions["batch_loss"].setChecked(True)
    assert legend().count("training loss per batch") == 1


def test_project_keeps_runs_and_weights(qtbot, window, tmp_path):
    set_small(window, epochs=3)
    for l2 in (0.0, 0.01):
        window.state.set("regularization.l2", l2)
        window.runner.start()
        qtbot.waitUntil(lambda: window.runner.thread is None, timeout=20000)
    assert window.runs_panel.count() == 2
    path = tmp_path / "two-runs.regstudio"
    assert window.files.save_to(str(path))
    window.session.clear()
    assert window.files.open_file(str(path))
    assert window.runs_panel.count() == 2
    runs = list(window.session)
    assert [r.config["regularization"]["l2"] for r in runs] == [0.0, 0.01]
    assert all(r.weights["dense_0.W"].shape == (2, 256) and len(r.history) == 3 for r in runs)
    window.runs_panel.set_checked(window.session.ids()[0], True)
    assert window.loss_plot.overlays  # a loaded run overlays like a fresh one
    path.write_bytes(path.read_bytes()[:100])  # damaged: nothing changes, the app carries on
    window.state.set("regularization.l2", 0.5)
    from regstudio.ui.dialogs import error as error_dialog

    shown = []
    error_dialog_show = error_dialog.show_error
    try:
        import regstudio.ui.project_files as mw

        mw.show_error = lambda *args, **kw: shown.append(args)
        assert not window.files.open_file(str(path))
    finally:
        mw.show_error = error_dialog_show
    assert "damaged or truncated" in shown[0][2]
    assert window.state.get("regularization.l2") == 0.5 and window.runs_panel.count() == 2


def test_lesson_runs_both_configs_and_overlays_them(qtbot, window):
    import dataclasses

    from regstudio.experiments.config import set_path
    from regstudio.experiments.lessons import lesson

    item = lesson("too_strong")
    short = dataclasses.replace(item, runs=tuple((label, set_path(cfg, "training.epochs", 3))
                                                 for label, cfg in item.runs))
    assert window.lessons.run_lesson(short)
    assert "Lesson: Too strong a penalty underfits" in window.banner.text()
    qtbot.waitUntil(lambda: window.runs_panel.count() == 2 and window.runner.thread is None, timeout=30000)
    assert window.state.get("regularization.l2") == 1.0  # the second run's config is loaded
    assert len(window.runs_panel.checked()) == 1 and window.loss_plot.overlays
    assert "run 2 of 2" in window.banner.text()
    # the next lesson starts clean: none of this lesson's runs or overlays stay
    first = {window.session.get(i).name for i in window.session.ids()}
    assert window.lessons.run_lesson(short)
    assert window.runs_panel.count() == 0 and not window.loss_plot.overlays
    qtbot.waitUntil(lambda: window.runs_panel.count() == 2 and window.runner.thread is None, timeout=30000)
    assert len(window.runs_panel.checked()) == 1 and len(window.loss_plot.overlays) == 1
    assert window.session.ids() == ["run1", "run2"] and first  # numbered afresh


def test_export_pytorch_and_keras_scripts(window, tmp_path):
    assert window.exports.script("pytorch", str(tmp_path / "exp_torch.py"))
    assert window.exports.script("keras", str(tmp_path / "exp_keras.py"))
    torch_src = (tmp_path / "exp_torch.py").read_text()
    compile(torch_src, "exp_torch.py", "exec")
    assert "import torch" in torch_src and "import keras" in (tmp_path / "exp_keras.py").read_text()


def test_runs_table_duplicate_csv_and_report(qtbot, window, tmp_path):
    set_small(window, epochs=3)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None, timeout=20000)
    panel = window.runs_panel
    assert panel.count() == 1 and panel.table.item(0, 1).text() == "none"
    window.state.set("regularization.l2", 0.5)
    panel.table.selectRow(0)
    panel.duplicate_button.click()  # back to the run's settings, ready for a variant
    assert window.state.get("regularization.l2") == 0.0 and window.state.is_modified
    window.state.set("regularization.l2", 0.01)
    window.runner.start()
    qtbot.waitUntil(lambda: window.runner.thread is None and panel.count() == 2, timeout=20000)
    panel.table.sortItems(5)  # by best validation loss
    assert window.exports.runs_csv(str(tmp_path / "runs.csv"))
    assert len((tmp_path / "runs.csv").read_text().splitlines()) == 3
    panel.set_checked(window.session.ids()[0], True)
    assert window.exports.report(str(tmp_path / "report.html"))
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 1 and "L2 0.01" not in page.split("<tbody>")[1].split("</tbody>")[0]


def test_every_tab_exports_a_picture(window, tmp_path):
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        path = tmp_path / f"tab{index}.png"
        assert window.exports.plot(str(path)), window.tabs.tabText(index)
        assert path.stat().st_size > 1000
    window.tabs.setCurrentWidget(window.loss_plot)
    assert window.exports.plot(str(tmp_path / "loss.svg"))
    assert (tmp_path / "loss.svg").read_text().lstrip().startswith("<?xml")


def test_a_run_removed_from_the_table_comes_back_with_undo(qtbot, window):
    """Remove (button, Delete, context menu) takes a run out of the session, its overlay off
    the plot; Ctrl+Z puts it back in its place; the project counts as changed."""
    from PySide6.QtCore import Qt

    set_small(window, epochs=2)
    for l2 in (0.0, 0.01):
        window.state.set("regularization.l2", l2)
        assert window.runner.start()
        qtbot.waitUntil(lambda: not window.runner.is_running, timeout=20000)
    panel, session = window.runs_panel, window.session
    first, second = session.ids()
    assert not panel.remove_button.isEnabled()  # nothing selected
    panel.set_checked(first, True)
    assert first in window.loss_plot.overlays
    row = next(r for r in range(panel.count()) if panel.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == first)
    panel.table.selectRow(row)
    panel.remove_button.click()
    assert session.ids() == [second] and panel.count() == 1 and window.state.is_modified
    assert first not in window.loss_plot.overlays
    window.state.undo_stack.undo()
    assert session.ids() == [first, second] and panel.count() == 2
    panel.table.setFocus()
    panel.table.selectRow(0)
    doomed = panel.selected()
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert doomed not in session.ids() and len(session) == 1
