"""The Sweep tab runs a real sweep on the process pool, draws the validation curve, cancels cleanly."""


import numpy as np

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
