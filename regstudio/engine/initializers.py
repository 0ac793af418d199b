"""Weight initialisers drawn from a passed ``numpy.random.Generator`` (seeded, reproducible)."""

from __future__ import annotations

import numpy as np


def he_normal(shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """N(0, 2 / fan_in): keeps ReLU activations' variance constant (He et al., 2015)."""
    return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)


def glorot_uniform(shape, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """U(-l, l), l = sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


def for_activation(activation: str | None):
    """He for the ReLU family, Glorot otherwise (tanh, sigmoid, linear)."""
    return he_normal if activation in ("relu", "leaky_relu") else glorot_uniform
