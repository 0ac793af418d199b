"""Shared plumbing of the augmentation ops. Ops are kernels over channel planes: float32
(C, n, H, W) in the batch's own scale (0..255 for uint8, 0..1 for floats), called on chunks of
about CHUNK_PIXELS pixels (64 images of 32x32) so each plane stays in the L2 cache: chunks of 256
such images ran 2x slower here."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CHUNK_PIXELS = 65536


def chunk_size(x: np.ndarray) -> int:
    """Images per chunk for a batch of x's image size."""
    return max(1, CHUNK_PIXELS // (x.shape[1] * x.shape[2]))

Kernel = Callable[..., np.ndarray]  # kernel(planes, top, rng, *per_image_arrays) -> planes


def check_batch(x: np.ndarray) -> float:
    """Validate an (N, H, W, C) uint8 or float batch; return its top level (255 or 1)."""
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        raise ValueError(f"augmentation needs a batch (N, H, W, C) (got {getattr(x, 'shape', x)})")
    if x.dtype == np.uint8:
        return 255.0
    if x.dtype.kind == "f":
        return 1.0
    raise ValueError(f"augmentation needs uint8 or float images (got {x.dtype})")


def per_image(value, n: int) -> np.ndarray:
    """A scalar or (N,) array -> float32 (N,)."""
    arr = np.asarray(value, dtype=np.float32)
    if arr.ndim > 1 or (arr.ndim == 1 and len(arr) != n):
        raise ValueError(f"expected a scalar or one value per image ({n}), got shape {arr.shape}")
    return np.broadcast_to(arr, (n,))


def to_planes(chunk: np.ndarray) -> np.ndarray:
    """(n, H, W, C) -> new float32 (C, n, H, W)."""
    return np.ascontiguousarray(chunk.transpose(3, 0, 1, 2), dtype=np.float32)


def settle(planes: np.ndarray, top: float, integer: bool) -> np.ndarray:
    """Clip to [0, top] (and round for uint8 data) in place, as storing would."""
    np.clip(planes, 0.0, top, out=planes)
    if integer:
        np.rint(planes, out=planes)
    return planes


def store(planes: np.ndarray, dest: np.ndarray, top: float) -> None:
    """Write settled planes (C, n, H, W) into ``dest`` (n, H, W, C)."""
    dest[...] = settle(planes, top, dest.dtype == np.uint8).transpose(1, 2, 3, 0)


def run(x: np.ndarray, kernel: Kernel, *arrays: np.ndarray, rng=None) -> np.ndarray:
    """Apply ``kernel`` chunk by chunk; a new array of x's shape and dtype."""
    top = check_batch(x)
    out = np.empty_like(x)
    step = chunk_size(x)
    for s in range(0, len(x), step):
        sl = slice(s, s + step)
        store(kernel(to_planes(x[sl]), top, rng, *(a[sl] for a in arrays)), out[sl], top)
    return out


def col(a: np.ndarray) -> np.ndarray:
    """Per-image values (n,) shaped to broadcast over planes (C, n, H, W)."""
    return np.asarray(a, dtype=np.float32)[:, None, None]
