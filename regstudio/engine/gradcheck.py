"""Numerical gradient checks (central differences in float64), used by tests and ``--self-test``."""

from __future__ import annotations

import numpy as np

from .losses import Loss
from .model import Sequential
from .regularizers import PenaltyPlan


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``max |a - b| / max(|a|, |b|, tiny)``: scale-free, 0 when equal."""
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-12)
    return float(np.max(np.abs(a - b))) / scale


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Gradient of scalar ``f()`` with respect to array ``x`` (modified in place, then restored)."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        plus = f()
        flat[i] = orig - eps
        minus = f()
        flat[i] = orig
        g[i] = (plus - minus) / (2 * eps)
    return grad


def model_gradient_error(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray,
                         penalty: PenaltyPlan | None = None, seed: int = 0) -> tuple[float, float]:
    """Relative errors of (parameter gradients, input gradient) against central differences.

    The model must be float64. Dropout masks are re-drawn from the same seed at
    every evaluation so the function being differentiated is fixed.
    """
    X = np.array(X, dtype=np.float64)

    def reseed():
        for _, layer in model.dropout_layers():
            layer.rng = np.random.default_rng(seed)

    def objective() -> float:
        reseed()
        value = loss.value(model.forward(X, training=True), y)
        return value + (penalty.value(model.params) if penalty else 0.0)

    for layer in model.layers:
        layer.needs_input_grad = True
    reseed()
    _, dout = loss.value_and_grad(model.forward(X, training=True), y)
    dy = dout
    for layer in reversed(model.layers):
        dy = layer.backward(dy)
    analytic_x = np.array(dy)
    analytic = model.grads.copy()
    if penalty:
        penalty.add_grad(model.params, analytic)
    numeric = numerical_gradient(objective, model.params)
    numeric_x = numerical_gradient(objective, X)
    return relative_error(analytic, numeric), relative_error(analytic_x, numeric_x)
