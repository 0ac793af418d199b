"""Seeded minibatch indices."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def minibatches(n: int, batch_size: int, rng: np.random.Generator,
                shuffle: bool = True) -> Iterator[np.ndarray]:
    """Index arrays covering range(n) once, in batches of ``batch_size`` (last one may be
    smaller); a fresh permutation from ``rng`` when ``shuffle``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1 (got {batch_size})")
    order = rng.permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]
