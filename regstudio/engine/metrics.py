"""Metrics per epoch, and the overfitting point."""

from __future__ import annotations

import math

import numpy as np


def accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """Share of samples whose highest output is the target class (one logit: > 0 is class 1)."""
    if len(targets) == 0:
        return float("nan")
    pred = (outputs[:, 0] > 0).astype(np.int64) if outputs.shape[1] == 1 else outputs.argmax(axis=1)
    return np.count_nonzero(pred == targets) / len(targets)


def r2_score(predictions: np.ndarray, targets: np.ndarray) -> float:
    """Coefficient of determination, ``1 - SSE / SST`` over all outputs."""
    targets = targets.reshape(predictions.shape)
    sst = float(np.sum((targets - targets.mean(axis=0)) ** 2))
    sse = float(np.sum((targets - predictions) ** 2))
    return 1.0 - sse / sst if sst > 0 else float("nan")


def overfitting_point(val_losses) -> int:
    """1-based epoch of the lowest finite validation loss (0 when there is none)."""
    best, best_epoch = math.inf, 0
    for epoch, value in enumerate(val_losses, start=1):
        if value is not None and math.isfinite(value) and value < best:
            best, best_epoch = value, epoch
    return best_epoch
