"""The Sweep tab runs a real sweep on the process pool, draws the validation curve, cancels cleanly."""

import multiprocessing

import numpy as np
from PySide6.QtCore import Qt

from regstudio.ui.plots.sweep_view import grid, sweep_parameters

from .background import run_then_cancel


def small(window, epochs):
    s = window.state
    s.set("training.epochs", epochs)
    s.set("model.layers[0].units", 16)
    s.set("model.layers[1].units", 16)


def test_sweep_draws_the_validation_curve_and_marks_the_best(qtbot, window):
    small(window, 5)
    view = window.sweep_view
    view.param.setCurrentIndex(view.param.findData("regularization.l2"))
    view.low.setValue(1e-4)
    view.high.setValue(1.0)
    view.count.setValue(3)
    view.workers.setValue(2)
    assert view.run()
    qtbot.waitUntil(lambda: not view.is_running, timeout=60000)
    assert len(view.rows) == 3
    x, y = view.val_curve.getData()
    assert len(x) == 3 and np.all(np.isfinite(y))
    best = view.best_row()
    assert best["best_val_loss"] == min(r["best_val_loss"] for r in view.rows.values())
    assert view.best_line.isVisible() and "Best L2 alpha" in view.message.text()


def test_cancel_stops_the_sweep_and_its_processes(qtbot, window):
    small(window, 5000)
    view = window.sweep_view
    view.count.setValue(4)
    run_then_cancel(qtbot, view, 2500)
    assert view.run_button.isEnabled()


def test_cancel_right_after_run_stops_the_sweep(qtbot, window):
    """A Cancel that comes before the worker thread has started the sweep still stops it."""
    small(window, 100000)
    view = window.sweep_view
    view.count.setValue(2)
    view.workers.setValue(2)
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.is_running, timeout=15000)
    qtbot.waitUntil(lambda: not multiprocessing.active_children(), timeout=10000)
    assert view.message.text() == "The sweep was cancelled before any point finished."


def test_settings_are_locked_while_a_sweep_runs(qtbot, window):
    """Only Cancel is enabled while a sweep runs, and the results keep the swept parameter when
    the parameter list changes meanwhile (here its dropout layer is removed)."""
    small(window, 4)
    layers = window.state.get("model.layers")
    window.state.set("model.layers", [layers[0], {"type": "dropout", "rate": 0.5}, *layers[1:]])
    view = window.sweep_view
    view.param.setCurrentIndex(view.param.findData("model.layers[1].rate"))
    view.count.setValue(2)  # 0.0 and 0.8, on a linear scale
    view.workers.setValue(2)
    settings = (view.param, view.low, view.high, view.count, view.log, view.workers, view.scheduler,
                view.run_button)
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert view.is_running and view.cancel_button.isEnabled()
    assert not any(w.isEnabled() for w in settings)
    window.state.set("model.layers", layers)  # the list falls back to L2 alpha, on a log scale
    assert view.param.currentData() == "regularization.l2" and view.log.isChecked()
    qtbot.waitUntil(lambda: not view.is_running, timeout=60000)
    assert view.message.text().startswith("Best dropout rate, layer 2: "), view.message.text()
    assert sorted(view.val_curve.getData()[0]) == [0.0, 0.8]
    assert all(w.isEnabled() for w in settings) and not view.cancel_button.isEnabled()


def test_bad_range_is_explained(window):
    view = window.sweep_view
    view.log.setChecked(True)
    view.low.setValue(0.0)
    assert not view.run()
    assert "log scale needs" in view.message.text()


def test_grid_and_parameters():
    assert grid(1e-4, 1e-2, 3, log=True, integer=False) == [1e-4, 1e-3, 1e-2]
    assert grid(50, 800, 3, log=False, integer=True) == [50, 425, 800]
    cfg = {"model": {"layers": [{"type": "dense"}, {"type": "dropout"}, {"type": "dense"}]}}
    assert ("dropout rate, layer 2", "model.layers[1].rate") in sweep_parameters(cfg)


def test_augmentation_strength_can_be_swept():
    cfg = {"model": {"layers": [{"type": "dense"}]},
           "augmentation": {"enabled": True, "ops": [{"op": "hflip", "p": 0.5}, {"op": "rotate", "degrees": 15}]}}
    params = dict((path, label) for label, path in sweep_parameters(cfg))
    assert "augmentation.ops[1].degrees" in params and "rotation" in params["augmentation.ops[1].degrees"]
    assert not any(p.startswith("augmentation.ops[0]") for p in params)  # a flip has no strength


def test_training_set_size_range_fits_the_data(window):
    view = window.sweep_view
    pool = len(window.state.dataset.train.y)  # 50 of the default 100 moons
    view.param.setCurrentIndex(view.param.findData("data.train_size"))
    assert view.high.value() == pool and 2 <= view.low.value() < pool
    values = view.values()
    assert values[-1] == pool and len(set(values)) == len(values) > 2


def test_the_data_are_read_in_the_worker_thread(qtbot, window, monkeypatch):
    """Run returns at once: the sweep's data are parsed in its worker thread, not the window's."""
    import threading

    from regstudio import data

    real, threads = data.load_raw, []
    monkeypatch.setattr(data, "load_raw", lambda *a, **k: threads.append(threading.current_thread()) or
                        real(*a, **k))
    small(window, 3)
    view = window.sweep_view
    view.count.setValue(2)
    view.workers.setValue(1)
    assert view.run()
    qtbot.waitUntil(lambda: not view.is_running, timeout=60000)
    assert view.result is not None, view.message.text()
    assert len(threads) == 1 and threads[0] is not threading.main_thread()
