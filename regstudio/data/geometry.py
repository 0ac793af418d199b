"""Geometric augmentation ops on (N, H, W, C) batches: flips, and affine warps done as one
inverse-mapped bilinear gather per chunk (Pillow's ``Image.transform`` conventions)."""

from __future__ import annotations

import numpy as np

from ._batch import check_batch, per_image, run


def k_hflip(p, top, rng):
    return p[..., ::-1]


def k_vflip(p, top, rng):
    return p[..., ::-1, :]


def k_affine(p, top, rng, matrices, fill):
    """Warp planes (C, n, H, W) by per-image inverse maps (n, 2, 3): output pixel centre (u, v)
    samples the input at (a u + b v + c, d u + e v + f), bilinear, edge-clamped; samples
    outside the image get ``fill`` (n,) in 0..255 levels. Pixel i covers [i, i + 1), as in
    Pillow."""
    nc, n, h, w = p.shape
    m = np.asarray(matrices, dtype=np.float32)[:, :, :, None, None]
    u = np.arange(w, dtype=np.float32) + np.float32(0.5)
    v = (np.arange(h, dtype=np.float32) + np.float32(0.5))[:, None]
    xin = m[:, 0, 0] * u + m[:, 0, 1] * v + m[:, 0, 2]
    yin = m[:, 1, 0] * u + m[:, 1, 1] * v + m[:, 1, 2]
    outside = ((xin < 0) | (xin >= w) | (yin < 0) | (yin >= h)).ravel()
    # Pad one edge pixel all round: neighbours of any inside sample are then valid indices, so
    # one index array serves all four taps (from shifted views), with no clamping.
    wp = w + 2
    padded = np.pad(p, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge").reshape(nc, -1)
    np.clip(xin, np.float32(0), np.float32(w - 1e-3), out=xin)
    np.clip(yin, np.float32(0), np.float32(h - 1e-3), out=yin)
    xin += np.float32(0.5)  # -0.5 to pixel-index space, +1 for the padding
    yin += np.float32(0.5)
    x0, y0 = np.floor(xin), np.floor(yin)
    xin -= x0
    yin -= y0
    wx, wy = xin.ravel(), yin.ravel()
    y0 += (np.arange(n, dtype=np.float32) * np.float32(h + 2))[:, None, None]
    y0 *= np.float32(wp)
    y0 += x0  # exact in float32 up to 2**24 pixels per chunk
    idx = y0.ravel().astype(np.intp)
    p00, p01, p10, p11 = (np.take(padded[:, k:], idx, axis=1) for k in (0, 1, wp, wp + 1))
    p01 -= p00
    p01 *= wx
    p00 += p01
    p11 -= p10
    p11 *= wx
    p10 += p11
    p10 -= p00
    p10 *= wy
    p00 += p10
    if outside.any():
        fill = np.repeat(np.asarray(fill, np.float32) * np.float32(top / 255), h * w)
        np.copyto(p00, fill, where=outside)
    return p00.reshape(nc, n, h, w)


def hflip(x: np.ndarray) -> np.ndarray:
    """Mirror left-right (ImageOps.mirror)."""
    check_batch(x)
    return x[:, :, ::-1].copy()


def vflip(x: np.ndarray) -> np.ndarray:
    """Flip upside down (ImageOps.flip)."""
    check_batch(x)
    return x[:, ::-1].copy()


def rotation_matrices(degrees, n: int, h: int, w: int) -> np.ndarray:
    """Inverse maps of a counter-clockwise turn about the centre, as Image.rotate builds them."""
    a = -np.radians(per_image(degrees, n).astype(np.float64))
    cos, sin = np.cos(a), np.sin(a)
    cx, cy = w / 2, h / 2
    m = np.empty((n, 2, 3))
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = cos, sin, -sin, cos
    m[:, 0, 2] = cx - cos * cx - sin * cy
    m[:, 1, 2] = cy + sin * cx - cos * cy
    return m


def crop_matrices(box, n: int, h: int, w: int) -> np.ndarray:
    """Inverse maps that resize ``box`` = (left, top, right, bottom) fractions to full size."""
    box = np.broadcast_to(np.asarray(box, dtype=np.float64), (n, 4))
    m = np.zeros((n, 2, 3))
    m[:, 0, 0] = box[:, 2] - box[:, 0]
    m[:, 1, 1] = box[:, 3] - box[:, 1]
    m[:, 0, 2] = box[:, 0] * w
    m[:, 1, 2] = box[:, 1] * h
    return m


def affine(x: np.ndarray, matrices: np.ndarray, fill: float = 0) -> np.ndarray:
    """Warp each image by its inverse map (N, 2, 3); see ``k_affine``."""
    return run(x, k_affine, np.asarray(matrices), per_image(fill, len(x)))


def rotate(x: np.ndarray, degrees, fill: float = 0) -> np.ndarray:
    """Rotate about the centre; positive degrees turn counter-clockwise, like Image.rotate with
    BILINEAR. ``fill`` (0..255 levels) paints the corners that come from outside."""
    n, h, w = x.shape[:3]
    return affine(x, rotation_matrices(degrees, n, h, w), fill)


def shift_box(dx, dy, n: int) -> np.ndarray:
    """The source box of a shift by (dx, dy) fractions."""
    dx, dy = per_image(dx, n).astype(np.float64), per_image(dy, n).astype(np.float64)
    return np.stack([-dx, -dy, 1 - dx, 1 - dy], axis=1)


def zoom_box(scale, n: int) -> np.ndarray:
    """The source box of a zoom by ``scale`` about the centre."""
    side = 1.0 / per_image(scale, n).astype(np.float64)
    lo = (1.0 - side) / 2
    return np.stack([lo, lo, lo + side, lo + side], axis=1)


def translate(x: np.ndarray, dx, dy, fill: float = 0) -> np.ndarray:
    """Shift by ``dx`` and ``dy`` fractions of the width and height (positive: right, down)."""
    return crop(x, shift_box(dx, dy, len(x)), fill)


def zoom(x: np.ndarray, scale, fill: float = 0) -> np.ndarray:
    """Scale about the centre: ``scale`` > 1 zooms in (crops), < 1 zooms out (fills)."""
    return crop(x, zoom_box(scale, len(x)), fill)


def crop(x: np.ndarray, box, fill: float = 0) -> np.ndarray:
    """Resize the region ``box`` = (left, top, right, bottom), fractions of the size, one row per
    image (or one for all), to the full size: a resized crop."""
    n, h, w = x.shape[:3]
    return affine(x, crop_matrices(box, n, h, w), fill)


def k_cutout(p, top, rng, cy, cx, size, fill):
    """Paint squares of side ``size`` (fraction) centred at (cy, cx) (fractions) with ``fill``."""
    nc, n, h, w = p.shape
    half = np.asarray(size, np.float32)[:, None] / 2
    rows = (np.arange(h, dtype=np.float32) + 0.5) / h
    cols = (np.arange(w, dtype=np.float32) + 0.5) / w
    in_r = np.abs(rows - np.asarray(cy, np.float32)[:, None]) < half
    in_c = np.abs(cols - np.asarray(cx, np.float32)[:, None]) < half
    mask = in_r[:, :, None] & in_c[:, None, :]
    value = (np.asarray(fill, np.float32) * np.float32(top / 255))[:, None, None]
    return np.where(mask, value, p)


def cutout(x: np.ndarray, size, rng=None, fill: float = 0) -> np.ndarray:
    """Random erasing: paint a square of side ``size`` (fraction of the image side) with
    ``fill`` (0..255 levels) at a random centre (it may hang over the border)."""
    n = len(x)
    cy, cx = cutout_centres(n, np.random.default_rng(rng))
    return run(x, k_cutout, cy, cx, per_image(size, n), per_image(fill, n))


def cutout_centres(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(0, 1, n), rng.uniform(0, 1, n)
