"""Element-wise activations, applied in place on a layer's pre-activation buffer.

Each activation has ``forward(z) -> a`` (may overwrite ``z``) and
``backward(a, da) -> dz`` written into ``da``; the derivative is expressed in
terms of the output ``a`` so the layer keeps only one array per batch.
"""

from __future__ import annotations

import numpy as np

LEAKY_SLOPE = 0.01


class Activation:
    name = "linear"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z

    def backward(self, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        return da


class ReLU(Activation):
    name = "relu"

    def forward(self, z):
        return np.maximum(z, 0, out=z)

    def backward(self, a, da):
        # relu'(z) = 1 where a > 0; multiplying by the boolean mask is faster than where().
        np.multiply(da, a > 0, out=da)
        return da


class LeakyReLU(Activation):
    name = "leaky_relu"

    def forward(self, z):
        np.maximum(z, LEAKY_SLOPE * z, out=z)
        return z

    def backward(self, a, da):
        slope = np.where(a > 0, da.dtype.type(1), da.dtype.type(LEAKY_SLOPE))
        np.multiply(da, slope, out=da)
        return da


class Tanh(Activation):
    name = "tanh"

    def forward(self, z):
        return np.tanh(z, out=z)

    def backward(self, a, da):
        np.multiply(da, 1 - a * a, out=da)
        return da


class Sigmoid(Activation):
    name = "sigmoid"

    def forward(self, z):
        return sigmoid(z, out=z)

    def backward(self, a, da):
        np.multiply(da, a * (1 - a), out=da)
        return da


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Numerically stable logistic function: 1 / (1 + exp(-z)) without overflow."""
    ez = np.exp(-np.abs(z))
    pos = z >= 0
    if out is None:
        out = np.empty_like(z)
    np.divide(np.where(pos, 1, ez), 1 + ez, out=out)
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax with the max subtracted first (log-sum-exp trick)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Activation, ReLU, LeakyReLU, Tanh, Sigmoid)
}


def get_activation(name: str | None) -> Activation:
    """Activation instance by name (None means linear)."""
    key = name or "linear"
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {key!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[key]()
