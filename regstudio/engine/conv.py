"""Convolution helpers for NHWC tensors: padding arithmetic, im2col, and a naive reference.

Layout: inputs ``(N, H, W, C)``, kernels ``(KH, KW, C, F)``, outputs ``(N, OH, OW, F)``.
``im2col`` turns every receptive field into a row so a convolution is one
matrix product; ``conv2d_naive`` loops over output pixels and exists only as
the reference the fast path is tested against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided


def conv_geometry(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) along one axis, TensorFlow's ``same``/``valid`` rules."""
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return out, total // 2, total - total // 2
    if padding == "valid":
        if size < kernel:
            return 0, 0, 0
        return (size - kernel) // stride + 1, 0, 0
    raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")


def patches_view(xp: np.ndarray, kh: int, kw: int, stride: int, oh: int, ow: int,
                 window: int = 1) -> np.ndarray:
    """Read-only strided view of the receptive fields of padded ``xp``, with shape
    ``(window, window, N, OH // window, OW // window, KH, KW, C)``.

    Entry ``[a, b, n, p, q]`` is the field of output pixel ``(window * p + a, window * q + b)``:
    ``window=1`` is plain row-major order, a pooling window groups the pixels of every
    window into ``window**2`` separate blocks (pixels a pool would drop are left out).
    """
    n, _, _, c = xp.shape
    sn, sh, sw, sc = xp.strides
    s = window
    return as_strided(
        xp,
        shape=(s, s, n, oh // s, ow // s, kh, kw, c),
        strides=(sh * stride, sw * stride, sn, sh * stride * s, sw * stride * s, sh, sw, sc),
        writeable=False,
    )


@dataclass(frozen=True)
class ConvGeometry:
    """Sizes of one convolution: input ``size`` (H, W) at ``offset`` inside a zero border of
    ``padded`` (H, W), output ``out`` (OH, OW); square ``kernel``; C ``channels`` in, F ``filters`` out."""

    size: tuple[int, int]
    padded: tuple[int, int]
    offset: tuple[int, int]
    out: tuple[int, int]
    kernel: int
    stride: int
    channels: int
    filters: int


@dataclass
class ConvPlan:
    """A convolution's work arrays for one batch size, and views into them, laid out once
    (the arrays are reused, so the views stay valid).

    Forward: ``x_in`` is where the input goes inside the zero border of ``xp``. Each piece
    is (receptive fields, the im2col cells they are copied to, the im2col rows, the output
    rows those rows give); a row holds a receptive field and then a constant 1 that
    multiplies the bias, so one matrix product adds it (and sums its gradient). ``kept``:
    the whole matrix is one piece built in forward and read again in backward; otherwise a
    cache-sized buffer is refilled.

    Input gradient: ``dz_rows`` takes the output gradient in row-major pixel order; each
    kernel tap's product goes to ``tap`` and is added into its window of ``dxp``
    (``windows``: (window, tap viewed like it), in tap order); ``dx`` is the gradient
    without the border, copied out of ``dxp_in`` (or ``dxp`` itself when there is none).
    """

    xp: np.ndarray
    x_in: np.ndarray
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, slice]]
    kept: bool
    rows: int
    dz_rows: np.ndarray
    tap: np.ndarray
    dxp: np.ndarray
    windows: list[tuple[np.ndarray, np.ndarray]]
    dxp_in: np.ndarray
    dx: np.ndarray


def conv_plan(geo: ConvGeometry, n: int, window: int, dtype, piece_bytes: int) -> ConvPlan:
    """With few channels (< 8) the im2col matrix is small: it is kept whole, stored column by
    column so copying the fields in writes long runs. With more channels it comes in pieces
    of about ``piece_bytes``, each multiplied while it is still in the cache: copying the
    fields again in backward costs less than reading a large matrix back from memory.
    Rows follow :func:`patches_view`'s order (window-major when ``window`` > 1)."""
    k, c, st = geo.kernel, geo.channels, geo.stride
    xp = np.zeros((n, *geo.padded, c), dtype)
    inside = (slice(None), slice(geo.offset[0], geo.offset[0] + geo.size[0]),
              slice(geo.offset[1], geo.offset[1] + geo.size[1]))
    fields = patches_view(xp, k, k, st, *geo.out, window)
    s, _, _, ph, pw = fields.shape[:5]
    taps = k * k * c
    rows = s * s * n * ph * pw
    if c < 8:
        col = np.ones((taps + 1, rows), dtype).T
        pieces = [(fields, np.reshape(col[:, :taps], fields.shape, copy=False), col, slice(None))]
    else:
        per = max(1, piece_bytes // (ph * pw * (taps + 1) * np.dtype(dtype).itemsize))
        buffer = np.ones((min(per, n) * ph * pw, taps + 1), dtype)
        pieces, row = [], 0
        for a in range(s):
            for b in range(s):
                for start in range(0, n, per):
                    part = fields[a, b, start : start + per]
                    col = buffer[: math.prod(part.shape[:3])]
                    cells = np.reshape(col[:, :taps], part.shape, copy=False)
                    pieces.append((part, cells, col, slice(row, row + len(col))))
                    row += len(col)
    oh, ow = s * ph, s * pw  # the output pixels computed (a pool drops the rest)
    tap = np.empty((rows, c), dtype)
    dxp = np.zeros_like(xp)
    span_h, span_w = st * (oh - 1) + 1, st * (ow - 1) + 1
    windows = [(dxp[:, i : i + span_h : st, j : j + span_w : st, :], tap.reshape(n, oh, ow, c))
               for i in range(k) for j in range(k)]
    bordered = geo.padded != geo.size
    dx = np.empty((n, *geo.size, c), dtype) if bordered else dxp
    return ConvPlan(xp, xp[inside], pieces, c < 8, rows,
                    np.empty((n, ph, s, pw, s, geo.filters), dtype), tap, dxp, windows, dxp[inside], dx)


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, padding: str) -> np.ndarray:
    """Rows of flattened receptive fields: ``(N * OH * OW, KH * KW * C)``."""
    n, h, w, c = x.shape
    oh, top, bottom = conv_geometry(h, kh, stride, padding)
    ow, left, right = conv_geometry(w, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    return patches_view(xp, kh, kw, stride, oh, ow).reshape(n * oh * ow, kh * kw * c)


def conv2d_naive(x, kernel, bias, stride: int = 1, padding: str = "same") -> np.ndarray:
    """Direct convolution (cross-correlation, as in every DL library), one output pixel at a time."""
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    oh, top, bottom = conv_geometry(h, kh, stride, padding)
    ow, left, right = conv_geometry(w, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    out = np.zeros((n, oh, ow, f), dtype=np.result_type(x, kernel))
    for i in range(oh):
        for j in range(ow):
            field = xp[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(field, kernel, axes=([1, 2, 3], [0, 1, 2])) + bias
    return out
