"""The Sweep tab with repeats and folds: bands against the fits' numbers, best and 1-SE marked,
Use this value (undoable), the grid's heat map and hover read-out, Cancel that keeps the finished
fits, the learning curve, and a sweep saved and reopened with its project."""

import math
import multiprocessing

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from regstudio.ui.plots.sweep_grid_view import grid_array

from .test_sweep_view import small


def set_up(view, param, low, high, count, n=2, spread="repeats", second=None, workers=2):
    """The Sweep tab's controls, as a user sets them."""
    view.param.setCurrentIndex(view.param.findData(param))
    view.low.setValue(low)
    view.high.setValue(high)
    view.count.setValue(count)
    if second:
        view.param2.setCurrentIndex(view.param2.findData(second[0]))
        view.axis2.low.setValue(second[1])
        view.axis2.high.setValue(second[2])
        view.axis2.count.setValue(second[3])
    view.spread.setCurrentIndex(view.spread.findData(spread))
    view.n_fits.setValue(n)
    view.workers.setValue(workers)


def run_sweep(qtbot, view, param, low, high, count, n=2, spread="repeats", second=None):
    set_up(view, param, low, high, count, n, spread, second)
    assert view.run(), view.message.text()
    qtbot.waitUntil(lambda: not view.is_running, timeout=90000)
    assert view.result is not None, view.message.text()
    return view.result


def shown(item) -> int:
    return 0 if item.xData is None else len(item.xData)


def by_hand(result, key="best_val_loss"):
    """value -> (mean, SE) from the fits, computed here with NumPy (ddof=1)."""
    out = {}
    for value in sorted({f["value"] for f in result.fits}):
        xs = np.array([f[key] for f in result.fits if f["value"] == value])
        out[value] = (xs.mean(), xs.std(ddof=1) / math.sqrt(len(xs)))
    return out


def test_bands_are_the_mean_plus_minus_one_se_of_the_fits(qtbot, window):
    small(window, 5)
    view = window.sweep_view
    result = run_sweep(qtbot, view, "regularization.l2", 1e-4, 1e-2, 3, n=2)
    assert len(result.fits) == 6 and view.progress.value() == view.progress.maximum() == 6
    curve = view.curve
    for name, key in (("val", "best_val_loss"), ("train", "train_loss_at_best")):
        expect = by_hand(result, key)
        assert list(curve.mean[name].xData) == sorted(expect) == [1e-4, 1e-3, 1e-2]
        mean = np.array([m for m, _ in expect.values()])
        se = np.array([s for _, s in expect.values()])
        np.testing.assert_allclose(curve.mean[name].yData, mean, rtol=1e-12)
        np.testing.assert_allclose(curve.lo[name].yData, mean - se, rtol=1e-12)
        np.testing.assert_allclose(curve.hi[name].yData, mean + se, rtol=1e-12)
        assert curve.bands[name].isVisible()
    # the single fits on demand
    assert shown(curve.fits["val"]) == 0
    view.show_fits.setChecked(True)
    assert sorted(curve.fits["val"].yData) == sorted(f["best_val_loss"] for f in result.fits)
    # best and 1-SE marked where the rules put them, and named
    best = min(by_hand(result).items(), key=lambda kv: kv[1][0])
    assert result.best["value"] == best[0]
    assert view.best_line.value() == pytest.approx(math.log10(best[0]))
    assert view.best_line.label.format == f"best: {best[0]:g}"
    limit = best[1][0] + best[1][1]
    one_se = max(v for v, (m, _s) in by_hand(result).items() if m <= limit)
    assert result.one_se["value"] == one_se
    assert curve.one_se_line.isVisible() and curve.one_se_line.label.format == f"1-SE: {one_se:g}"
    assert view.use_one_se.text() == f"Use 1-SE ({one_se:g})" and view.use_one_se.isEnabled()
    assert view.message.text().startswith(f"Best L2 alpha: {best[0]:g} (validation loss {best[1][0]:.4f} ± ")
    # it joins the session, and the project has something unsaved
    assert window.session.sweeps == [result] and window.state.is_modified


def test_use_this_value_sets_the_config_and_undo_restores_it(qtbot, window):
    small(window, 5)
    view = window.sweep_view
    result = run_sweep(qtbot, view, "regularization.l2", 1e-4, 1e-2, 3, n=2)
    assert window.state.get("regularization.l2") == 0.0
    qtbot.mouseClick(view.use_one_se, Qt.MouseButton.LeftButton)
    assert window.state.get("regularization.l2") == result.one_se["value"]
    assert window.state.undo_stack.undoText() == f"Use the sweep's 1-SE choice: L2 alpha: {result.one_se['value']:g}"
    qtbot.mouseClick(view.use_best, Qt.MouseButton.LeftButton)
    assert window.state.get("regularization.l2") == result.best["value"]
    window.state.undo_stack.undo()
    window.state.undo_stack.undo()
    assert window.state.get("regularization.l2") == 0.0
    assert window.reg_panel is not None and view.use_best.isEnabled()


def test_a_second_parameter_makes_a_heat_map_with_a_hover_read_out(qtbot, window):
    small(window, 5)
    view = window.sweep_view
    result = run_sweep(qtbot, view, "regularization.l2", 1e-4, 1e-2, 3, n=2,
                       second=("regularization.l1", 1e-5, 1e-3, 2))
    assert result.params == ["regularization.l2", "regularization.l1"] and len(result.fits) == 12
    hm = view.heatmap
    assert view.views.currentWidget() is hm and not view.show_fits.isEnabled()
    image = hm.image.image
    assert image.shape == (2, 3)  # rows: the L1 values upwards; columns: the L2 values
    for p in result.points:
        i, j = [1e-4, 1e-3, 1e-2].index(p["value"]), [1e-5, 1e-3].index(p["value2"])
        assert image[j, i] == pytest.approx(p["best_val_loss"], rel=1e-6)
    np.testing.assert_array_equal(image, grid_array(result.values, result.points))
    assert [label for _, label in hm.plot.getAxis("bottom")._tickLevels[0]] == ["0.0001", "0.001", "0.01"]
    assert [label for _, label in hm.plot.getAxis("left")._tickLevels[0]] == ["1e-05", "0.001"]
    assert hm.plot.getAxis("bottom").labelText == "L2 alpha"
    bx, by = hm.best_marker.getData()
    assert (bx[0], by[0]) == hm.cell_of(result.best)
    if result.one_se is not None:
        sx, sy = hm.one_se_marker.getData()
        assert (sx[0], sy[0]) == hm.cell_of(result.one_se)
    # hovering a cell reads out its mean, SE and n
    p = result.points[4]
    i, j = hm.cell_of(p)
    hm._on_mouse(hm.plot.vb.mapViewToScene(QPointF(i + 0.2, j - 0.2)))
    assert hm.readout.text() == (f"L2 alpha = {p['value']:g}, L1 alpha = {p['value2']:g}: mean validation "
                                 f"loss {p['best_val_loss']:.4f}, SE {p['best_val_loss_se']:.4f}, n = 2")
    qtbot.mouseClick(view.use_best, Qt.MouseButton.LeftButton)
    assert (window.state.get("regularization.l2"), window.state.get("regularization.l1")) == \
        (result.best["value"], result.best["value2"])
    window.state.undo_stack.undo()
    assert (window.state.get("regularization.l2"), window.state.get("regularization.l1")) == (0.0, 0.0)


def test_cancel_keeps_the_finished_fits_and_ends_the_worker(qtbot, window):
    small(window, 1500)
    view = window.sweep_view
    set_up(view, "regularization.l2", 1e-4, 1e-2, 3, n=1, workers=1)
    assert view.run()
    thread = view.thread
    qtbot.waitUntil(lambda: view.progress.value() >= 1, timeout=60000)
    assert "of 3 fits done · about" in view.message.text()  # the ETA
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.is_running, timeout=20000)
    # the worker ended: its thread finished and was let go, its process is gone
    assert thread.isFinished() and view.thread is None and view.worker is None
    qtbot.waitUntil(lambda: not multiprocessing.active_children(), timeout=10000)
    # every fit that had finished is kept, and only those
    result = view.result
    assert result is not None and result.cancelled and 1 <= len(result.fits) < 3
    assert sorted(view.live_fits, key=lambda f: f["point"]) == result.fits
    assert list(view.val_curve.xData) == [p["value"] for p in result.points]
    assert view.message.text().startswith("Cancelled: the finished fits are kept. Best L2 alpha: ")
    assert window.session.sweeps == [result]


def test_single_fits_are_drawn_as_they_arrive(qtbot, window):
    from PySide6.QtCore import QObject, Slot

    small(window, 5)
    view = window.sweep_view
    view.show_fits.setChecked(True)
    set_up(view, "regularization.l2", 1e-4, 1e-2, 3, n=2, workers=1)
    seen = []

    class Spy(QObject):  # lives in this thread: its slot runs after the view's, in order
        @Slot(object)
        def on_fit(self, _fit):
            seen.append((shown(view.curve.fits["val"]), view.result is None))

    spy = Spy()
    assert view.run()
    view.worker.fit_done.connect(spy.on_fit)
    qtbot.waitUntil(lambda: not view.is_running, timeout=60000)
    # drawn fit by fit while the sweep ran (result None), not only once it had finished
    assert seen == [(n, True) for n in range(1, 7)]
    assert sorted(view.curve.fits["val"].yData) == sorted(f["best_val_loss"] for f in view.result.fits)


def test_training_set_size_sweep_is_a_learning_curve_with_bands(qtbot, window):
    small(window, 5)
    view = window.sweep_view
    result = run_sweep(qtbot, view, "data.train_size", 10, 40, 3, n=3, spread="folds")
    assert result.mode == "folds" and result.n == 3 and [p["value"] for p in result.points] == [10, 20, 40]
    assert view.curve.plotItem.titleLabel.text.startswith("Learning curve")
    assert view.curve.getAxis("bottom").labelText == "training-set size (samples)"
    train = by_hand(result, "train_loss_at_best")
    np.testing.assert_allclose(view.curve.hi["train"].yData, [m + s for m, s in train.values()], rtol=1e-12)
    assert not view.use_one_se.isEnabled() and view.use_best.isEnabled()  # a size is no strength


def test_a_finished_sweep_is_saved_and_reopened_with_the_project(qtbot, window, tmp_path):
    small(window, 5)
    view = window.sweep_view
    result = run_sweep(qtbot, view, "regularization.l2", 1e-4, 1e-2, 3, n=2)
    drawn = list(view.val_curve.yData)
    path = str(tmp_path / "tuned.regstudio")
    assert window.files.save_to(path)
    assert window.files.new_experiment()
    assert view.result is None and shown(view.val_curve) == 0
    assert window.files.open_file(path)
    back = view.result
    assert back is not result and back.to_dict() == result.to_dict()
    assert list(view.val_curve.yData) == drawn and view.best_line.isVisible()
    assert view.message.text().startswith("The project's last sweep: Best L2 alpha: ")
