"""Colour augmentation ops on (N, H, W, C) batches, matching Pillow / torchvision."""

from __future__ import annotations

import numpy as np

from ._batch import col, per_image, run

LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2, as Pillow's "L"


def grey_plane(p: np.ndarray, top: float) -> np.ndarray:
    """(n, H, W) luma of planes; rounded to levels for uint8 data, as Pillow's "L" is."""
    if len(p) < 3:
        return p[0].copy()
    g = p[0] * np.float32(LUMA[0])
    g += p[1] * np.float32(LUMA[1])
    g += p[2] * np.float32(LUMA[2])
    return np.rint(g, out=g) if top == 255.0 else g


def _blend(base, p: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """base + factor * (p - base), like PIL.Image.blend(base, image, factor), in place."""
    p -= base
    p *= col(factor)
    p += base
    return p


def k_brightness(p, top, rng, factor):
    p *= col(factor)
    return p


def k_contrast(p, top, rng, factor):
    mean = grey_plane(p, top).mean(axis=(1, 2), dtype=np.float64).astype(np.float32)
    return _blend(col(np.rint(mean) if top == 255.0 else mean), p, factor)


def k_saturation(p, top, rng, factor):
    if len(p) < 3:
        return p
    return _blend(grey_plane(p, top), p, factor)


def k_grayscale(p, top, rng):
    p[:3] = grey_plane(p, top)
    return p


def k_invert(p, top, rng):
    return np.subtract(top, p, out=p)


def _mod6(a: np.ndarray) -> np.ndarray:
    """a mod 6 in place (np.mod is ten times slower)."""
    a -= np.floor(a * np.float32(1 / 6)) * np.float32(6)
    return a


def k_hue(p, top, rng, shift):
    """Exact HSV hue turn. With d = 6 h in [0, 6), v = max and c = max - min:
    R = m + c * w(|d - 3|), G = v - c * w(|d - 2|), B = v - c * w(|d - 4|), w(t) = clip(t - 1, 0, 1)
    (the same as v - c * clip(min(k, 4 - k), 0, 1) with k = (n + d) mod 6, n = 5, 3, 1)."""
    if len(p) < 3:
        return p
    r, g, b = p[0], p[1], p[2]
    v = np.maximum(np.maximum(r, g), b)
    low = np.minimum(np.minimum(r, g), b)
    c = v - low
    num = np.where(v == r, g - b, np.where(v == g, (b - r) + 2 * c, (r - g) + 4 * c))
    d = np.divide(num, np.maximum(c, np.float32(1e-12)), out=num)
    d += col(np.float32(6) * shift)
    _mod6(d)
    t = np.empty_like(d)
    for ch, centre, base, sign in ((0, 3.0, low, 1.0), (1, 2.0, v, -1.0), (2, 4.0, v, -1.0)):
        np.subtract(d, np.float32(centre), out=t)
        np.abs(t, out=t)
        t -= np.float32(1)
        np.clip(t, np.float32(0), np.float32(1), out=t)
        t *= c
        np.add(base, t, out=p[ch]) if sign > 0 else np.subtract(base, t, out=p[ch])
    return p


def k_noise(p, top, rng, std):
    p += rng.standard_normal(p.shape, dtype=np.float32) * col(std * np.float32(top))
    return p


def brightness(x: np.ndarray, factor) -> np.ndarray:
    """Blend with black: ``x * factor`` (PIL.ImageEnhance.Brightness)."""
    return run(x, k_brightness, per_image(factor, len(x)))


def contrast(x: np.ndarray, factor) -> np.ndarray:
    """Blend with the mean grey of each image's greyscale version (ImageEnhance.Contrast)."""
    return run(x, k_contrast, per_image(factor, len(x)))


def saturation(x: np.ndarray, factor) -> np.ndarray:
    """Blend with the greyscale image (ImageEnhance.Color): 0 grey, 1 unchanged, 2 vivid."""
    return run(x, k_saturation, per_image(factor, len(x)))


def grayscale(x: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma (0.299 R + 0.587 G + 0.114 B, like Pillow's "L") in every channel."""
    return run(x, k_grayscale)


def invert(x: np.ndarray) -> np.ndarray:
    """``255 - x`` (``1 - x`` for floats)."""
    return run(x, k_invert)


def hue(x: np.ndarray, shift) -> np.ndarray:
    """Turn the HSV hue by ``shift`` turns (-0.5..0.5), like torchvision's adjust_hue."""
    return run(x, k_hue, per_image(shift, len(x)))


def noise(x: np.ndarray, std, rng=None) -> np.ndarray:
    """Add Gaussian noise; ``std`` is a share of the full range (0.1 = 25.5 levels for uint8)."""
    return run(x, k_noise, per_image(std, len(x)), rng=np.random.default_rng(rng))
