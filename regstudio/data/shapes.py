"""Procedural shape images, drawn in NumPy with 2x2 supersampling."""

from __future__ import annotations

import numpy as np

_STAR_INNER = 0.45  # inner radius of the star relative to its tips
_CHUNK = 32  # images per chunk (drawn at 2x): small chunks stay in cache


def draw_shapes(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 (N, size, size, 3) images of shape ``labels`` (0 circle, 1 square, 2 triangle,
    3 star) with random colour, size, position, rotation and a random gradient background."""
    n = len(labels)
    radius = rng.uniform(0.22, 0.42, n) * size
    centre = rng.uniform(radius[:, None], size - radius[:, None], (n, 2))
    angle = rng.uniform(0, 2 * np.pi, n)
    dark = rng.random(n) < 0.5  # dark background, light shape, or the other way round
    low, high = rng.uniform(0, 110, (n, 3)), rng.uniform(145, 255, (n, 3))
    bg = np.where(dark[:, None], low, high)
    fg = np.where(dark[:, None], high, low)
    slope = rng.uniform(-1, 1, (n, 2)) * (25.0 / size)
    out = np.empty((n, size, size, 3), np.uint8)
    for s in range(0, n, _CHUNK):
        sl = slice(s, s + _CHUNK)
        alpha = _coverage(labels[sl], radius[sl], centre[sl], angle[sl], size)[..., None]
        pix = np.arange(size) - size / 2
        grad = slope[sl, 0, None, None] * pix[None, None, :] + slope[sl, 1, None, None] * pix[
            None, :, None]
        back = bg[sl, None, None, :] + grad[..., None]
        img = back + alpha * (fg[sl, None, None, :] - back)
        out[sl] = np.clip(np.rint(img), 0, 255)
    return out


def _coverage(labels, radius, centre, angle, size) -> np.ndarray:
    """Fraction of each pixel inside the shape, (n, size, size) float32."""
    u = (np.arange(2 * size, dtype=np.float32) + 0.5) / 2
    dx = (u[None, None, :] - centre[:, 0, None, None]) / radius[:, None, None]
    dy = (u[None, :, None] - centre[:, 1, None, None]) / radius[:, None, None]
    c, s = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    a, b = (c * dx + s * dy).astype(np.float32), (c * dy - s * dx).astype(np.float32)
    inside = np.zeros(a.shape, bool)
    for k, fn in enumerate((_circle, _square, _triangle, _star)):
        sel = labels == k
        if sel.any():
            inside[sel] = fn(a[sel], b[sel])
    return inside.reshape(len(labels), size, 2, size, 2).mean(axis=(2, 4), dtype=np.float32)


def _circle(a, b):
    return a * a + b * b <= 0.85


def _square(a, b):
    return np.maximum(np.abs(a), np.abs(b)) <= 0.78


def _triangle(a, b):
    ok = np.ones(a.shape, bool)
    for phi in (np.pi / 2, np.pi / 2 + 2 * np.pi / 3, np.pi / 2 + 4 * np.pi / 3):
        ok &= a * np.cos(phi) + b * np.sin(phi) <= 0.5
    return ok


def _star(a, b):
    wedge = 2 * np.pi / 5
    t = np.mod(np.arctan2(b, a), wedge)
    t = np.minimum(t, wedge - t)  # fold onto the half wedge between a tip and a notch
    r = np.hypot(a, b)
    px, py = r * np.cos(t), r * np.sin(t)
    bx, by = _STAR_INNER * np.cos(wedge / 2), _STAR_INNER * np.sin(wedge / 2)
    return (bx - 1.0) * py - by * (px - 1.0) >= 0
