"""What a model answers on the points a view draws: the one home of the prediction grids.

The Predictions view (through the training worker) and the variance meter both ask a model
about the same places: a regular grid over the plane of a two-feature classification set,
points along the x range of a one-feature regression set. Both ranges cover the training
and validation points with a margin, so every drawn point lies inside the map or curve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

GRID = 120  # cells per side of a two-feature map
CURVE_POINTS = 300  # points along a one-feature regression curve


def _all_x(dataset) -> np.ndarray:
    Xtr = np.asarray(dataset.train.X)
    return np.concatenate([Xtr, np.asarray(dataset.val.X)]) if len(dataset.val.X) else Xtr


def plane_grid(dataset, n: int = GRID) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """``(points, rect)``: an ``n x n`` grid (rows = y, columns = x) over the data's two
    features with a 10% margin, as ``(n*n, 2)`` float32 points, and its ``(x, y, w, h)``."""
    X = _all_x(dataset)
    (x0, y0), (x1, y1) = X.min(0), X.max(0)
    px, py = 0.1 * (x1 - x0 or 1), 0.1 * (y1 - y0 or 1)
    gx = np.linspace(x0 - px, x1 + px, n, dtype=np.float32)
    gy = np.linspace(y0 - py, y1 + py, n, dtype=np.float32)
    mx, my = np.meshgrid(gx, gy)
    rect = (float(gx[0]), float(gy[0]), float(gx[-1] - gx[0]), float(gy[-1] - gy[0]))
    return np.stack([mx.ravel(), my.ravel()], 1), rect


def curve_points(dataset, n: int = CURVE_POINTS) -> np.ndarray:
    """``(n, 1)`` float32 points along the one feature's range with a 5% margin."""
    X = _all_x(dataset)
    lo, hi = float(X.min()), float(X.max())
    pad = 0.05 * (hi - lo or 1.0)
    return np.linspace(lo - pad, hi + pad, n, dtype=np.float32)[:, None]


def is_plane(dataset) -> bool:
    """A two-feature classification set: its decision regions can be drawn."""
    X = np.asarray(dataset.train.X)
    return dataset.task == "classification" and X.ndim == 2 and X.shape[1] == 2


def is_curve(dataset) -> bool:
    """A one-feature regression set: its fitted curve can be drawn."""
    X = np.asarray(dataset.train.X)
    return dataset.task == "regression" and X.ndim == 2 and X.shape[1] == 1


def x_units(dataset, xs: np.ndarray) -> np.ndarray:
    """Standardized one-feature inputs back in the data's own units."""
    mean, std = float(np.ravel(dataset.x_mean)[0]), float(np.ravel(dataset.x_std)[0])
    return (np.asarray(xs, np.float64)[:, 0] * std + mean).astype(np.float32)


def y_units(dataset, y: np.ndarray) -> np.ndarray:
    """Standardized regression outputs back in the target's own units."""
    return np.asarray(dataset.inverse_y(np.asarray(y, np.float32).reshape(-1, 1)),
                      np.float32).reshape(-1)


def compute_predictions(model: Any, dataset: Any, cancel: Callable[[], bool] | None = None) -> dict:
    """What the Predictions view draws, for the dataset's shape: ``{"kind": "curve" |
    "regions" | "confusion" | "scatter", ...}`` (small copies, safe to ship across threads).
    ``cancel()`` true between chunks of rows raises :class:`Cancelled` (a run being stopped
    does not wait for a view)."""

    def predict(model, X):
        return predict_rows(model, X, cancel)
    train, val = dataset.train, dataset.val
    Xtr = np.asarray(train.X)
    if is_curve(dataset):
        xs = curve_points(dataset)
        ys = np.asarray(predict(model, xs), dtype=np.float32).reshape(-1)
        return {"kind": "curve", "x": x_units(dataset, xs), "y": y_units(dataset, ys),
                "train": (x_units(dataset, Xtr), y_units(dataset, train.y)),
                "val": (x_units(dataset, val.X), y_units(dataset, val.y))}
    if is_plane(dataset):
        grid, rect = plane_grid(dataset)
        probs = as_probs(predict(model, grid))
        return {"kind": "regions",
                "classes": probs.argmax(1).reshape(GRID, GRID).astype(np.int32),
                "confidence": probs.max(1).reshape(GRID, GRID).astype(np.float32),
                "rect": rect, "n_classes": probs.shape[1],
                "train": (Xtr.copy(), np.asarray(train.y).copy()),
                "val": (np.asarray(val.X).copy(), np.asarray(val.y).copy())}
    split = val if len(val.X) else train
    if dataset.task == "classification":
        probs = as_probs(predict(model, split.X))
        pred = probs.argmax(1)
        y = np.asarray(split.y).reshape(-1)
        k = probs.shape[1]
        cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k).astype(np.int64)
        wrong = np.flatnonzero(pred != y)[:24]
        images = getattr(split, "images", None)
        return {"kind": "confusion", "matrix": cm,
                "classes": [str(c) for c in (dataset.classes or range(k))],
                "wrong_images": None if images is None else np.asarray(images)[wrong].copy(),
                "wrong_true": y[wrong].copy(), "wrong_pred": pred[wrong].copy(),
                "split": "validation" if split is val else "training"}
    def pairs(part):  # (true, predicted) in the target's own units
        return y_units(dataset, part.y), y_units(dataset, predict(model, part.X))

    true, pred = pairs(split)
    return {"kind": "scatter", "true": true, "pred": pred,
            "split": "validation" if split is val else "training",
            "train": pairs(train) if split is val and len(train.X) else None}


def predict(model: Any, X: np.ndarray) -> np.ndarray:
    """Model outputs (probabilities / standardized values); ``outputs`` is the engine's name."""
    fn = getattr(model, "predict", None) or model.outputs
    return fn(X)


class Cancelled(Exception):
    """Predictions given up because ``cancel()`` turned true."""


CHUNK = 256  # rows predicted between two looks at cancel()


def predict_rows(model: Any, X: np.ndarray, cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """:func:`predict` in chunks of :data:`CHUNK` rows, checking ``cancel()`` before each."""
    if cancel is None:
        return predict(model, X)
    parts = []
    for start in range(0, max(1, len(X)), CHUNK):
        if cancel():
            raise Cancelled
        parts.append(np.asarray(predict(model, X[start:start + CHUNK])))
    return np.concatenate(parts)


def as_probs(out) -> np.ndarray:
    """Class probabilities, one column per class (a sigmoid's P(1) becomes two columns)."""
    p = np.asarray(out, dtype=np.float32)
    if p.ndim == 1 or p.shape[1] == 1:
        p = p.reshape(-1, 1)
        p = np.concatenate([1 - p, p], axis=1)
    return p
