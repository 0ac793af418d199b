"""Where a model is asked to predict for the Predictions view and the variance meter
(experiments.predictions): the grid over a two-feature plane, the points along one feature."""

from types import SimpleNamespace

import numpy as np
import pytest

from regstudio.experiments.predictions import CURVE_POINTS, GRID, curve_points, is_curve, is_plane, plane_grid


def dataset(train_x, val_x=None, task="classification"):
    train_x = np.asarray(train_x, np.float32)
    val_x = np.zeros((0, *train_x.shape[1:]), np.float32) if val_x is None else np.asarray(val_x, np.float32)
    return SimpleNamespace(task=task, train=SimpleNamespace(X=train_x), val=SimpleNamespace(X=val_x))


def test_plane_grid_covers_training_and_validation_points_with_a_tenth_more_each_side():
    ds = dataset([[0.0, -1.0], [4.0, 1.0]], val_x=[[10.0, 0.0]])  # validation widens x
    points, rect = plane_grid(ds, n=5)
    assert points.shape == (25, 2) and points.dtype == np.float32
    assert rect == pytest.approx((-1.0, -1.2, 12.0, 2.4))  # x, y, width, height
    assert points[0] == pytest.approx([-1.0, -1.2]) and points[-1] == pytest.approx([11.0, 1.2])
    assert points[1] == pytest.approx([2.0, -1.2])  # columns run along x
    assert points[5] == pytest.approx([-1.0, -0.6])  # rows run along y
    for x, y in [(0.0, -1.0), (4.0, 1.0), (10.0, 0.0)]:
        assert rect[0] < x < rect[0] + rect[2] and rect[1] < y < rect[1] + rect[3]


def test_plane_grid_of_a_constant_feature_still_has_a_width():
    points, rect = plane_grid(dataset([[2.0, 0.0], [2.0, 5.0]]), n=3)
    assert rect == pytest.approx((1.9, -0.5, 0.2, 6.0))
    assert np.all(np.isfinite(points)) and len(np.unique(points[:, 0])) == 3


def test_plane_grid_default_size_is_what_the_views_reshape_to():
    points, _ = plane_grid(dataset([[0.0, 0.0], [1.0, 1.0]]))
    assert points.shape == (GRID * GRID, 2)


def test_curve_points_span_both_splits_with_a_twentieth_more_each_side():
    ds = dataset([[0.0], [2.0]], val_x=[[-2.0]], task="regression")
    xs = curve_points(ds, n=9)
    assert xs.shape == (9, 1) and xs.dtype == np.float32
    assert xs[0, 0] == pytest.approx(-2.2) and xs[-1, 0] == pytest.approx(2.2)
    assert np.all(np.diff(xs[:, 0]) > 0)
    assert curve_points(ds).shape == (CURVE_POINTS, 1)


def test_curve_points_of_a_constant_feature_and_of_no_validation_split():
    xs = curve_points(dataset([[3.0], [3.0]], task="regression"), n=3)
    assert xs[:, 0] == pytest.approx([2.95, 3.0, 3.05])


@pytest.mark.parametrize(("shape", "task", "plane", "curve"), [
    ((10, 2), "classification", True, False),
    ((10, 2), "regression", False, False),
    ((10, 1), "regression", False, True),
    ((10, 1), "classification", False, False),
    ((10, 3), "classification", False, False),
    ((10, 8, 8, 1), "classification", False, False),  # images
    ((10, 2, 1), "regression", False, False),
])
def test_which_sets_draw_regions_and_which_a_curve(shape, task, plane, curve):
    ds = dataset(np.zeros(shape), task=task)
    assert (is_plane(ds), is_curve(ds)) == (plane, curve)
