"""Convolution helpers for NHWC tensors: padding arithmetic, im2col, and a naive reference.

Layout: inputs ``(N, H, W, C)``, kernels ``(KH, KW, C, F)``, outputs ``(N, OH, OW, F)``.
``im2col`` turns every receptive field into a row so a convolution is one
matrix product; ``conv2d_naive`` loops over output pixels and exists only as
the reference the fast path is tested against.
"""

from __future__ import annotations

import math
from collections.abc import Callable
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

    Input gradient: ``dz_rows`` takes the output gradient in row-major pixel order; then
    ``zero`` is cleared, each step ``(tap, out, add)`` writes the product of the output
    gradient and kernel tap ``tap`` to ``out`` and, with ``add = (dst, src)``, adds ``src``
    into ``dst``; last, each ``finish`` entry ``(op, dst, src)`` runs ``op(dst, src)``. ``dx``
    then holds the gradient (see :func:`_shifted_input_gradient`, :func:`_windowed_input_gradient`).
    """

    xp: np.ndarray
    x_in: np.ndarray
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, slice]]
    kept: bool
    rows: int
    dz_rows: np.ndarray
    zero: list[np.ndarray]
    steps: list[tuple[int, np.ndarray, tuple[np.ndarray, np.ndarray] | None]]
    finish: list[tuple[Callable, np.ndarray, np.ndarray]]
    dx: np.ndarray


def conv_plan(geo: ConvGeometry, n: int, window: int, dtype, piece_bytes: int) -> ConvPlan:
    """With few channels (< 8) the im2col matrix is small: it is kept whole, stored column by
    column so copying the fields in writes long runs. With more channels it comes in pieces
    of about ``piece_bytes``, each multiplied while it is still in the cache: copying the
    fields again in backward costs less than reading a large matrix back from memory.
    Rows follow :func:`patches_view`'s order (window-major when ``window`` > 1)."""
    k, c, st = geo.kernel, geo.channels, geo.stride
    xp = np.zeros((n, *geo.padded, c), dtype)
    fields = patches_view(xp, k, k, st, *geo.out, window)
    s, _, _, ph, pw = fields.shape[:5]
    taps = k * k * c
    rows = s * s * n * ph * pw
    if c < 8:
        col = np.empty((taps + 1, rows), dtype).T
        col[:, taps] = 1  # the bias column; forward copies the fields into the others
        pieces = [(fields, np.reshape(col[:, :taps], fields.shape, copy=False), col, slice(None))]
    else:
        per = max(1, piece_bytes // (ph * pw * (taps + 1) * np.dtype(dtype).itemsize))
        buffer = np.empty((min(per, n) * ph * pw, taps + 1), dtype)
        buffer[:, taps] = 1
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
    gradient = _shifted_input_gradient if st == 1 else _windowed_input_gradient
    zero, steps, finish, dx = gradient(geo, n, oh, ow, dtype)
    return ConvPlan(xp, xp[_inside(geo)], pieces, c < 8, rows,
                    np.empty((n, ph, s, pw, s, geo.filters), dtype), zero, steps, finish, dx)


def _inside(geo: ConvGeometry) -> tuple[slice, ...]:
    """Where the input sits in a zero-bordered (N, padded H, padded W, C) array."""
    (top, left), (h, w) = geo.offset, geo.size
    return slice(None), slice(top, top + h), slice(left, left + w)


def accumulate(dst: np.ndarray, src: np.ndarray) -> None:
    np.add(dst, src, out=dst)


def _shifted_input_gradient(geo: ConvGeometry, n: int, oh: int, ow: int, dtype):
    """Stride 1: ``dx[h, w] = sum over taps (i, j) of tap_ij[h + top - i, w + left - j]``.

    Summed in two stages, so that all but a few additions run over long contiguous rows:
    for each kernel column ``j``, the taps ``(i, j)`` are added into ``column_j[h]``, whole
    pixel rows shifted by ``i`` (the tap whose rows line up is written there directly by its
    matrix product); then each column is added into ``dx`` shifted by ``j`` (the column that
    lines up is ``dx`` itself). Strided windows would make every tap's addition several
    times slower (NumPy's element-wise loops are slow on short strided runs).
    """
    k, c = geo.kernel, geo.channels
    (h, w), (top, left) = geo.size, geo.offset
    tap = np.empty((n * oh * ow, c), dtype)
    tap_rows = tap.reshape(n, oh, ow * c)
    dx = np.empty((n, h, w, c), dtype)
    zero, direct, added, finish = [], [], [], []
    if ow != w:
        zero.append(dx)
    for j in range(k):
        column = dx if (ow == w and j == left) else np.empty((n, h, ow, c), dtype)
        rows = column.reshape(n, h, ow * c)
        aligned = top if oh == h else None
        if aligned is None:
            zero.append(column)
        for i in range(k):
            h0, h1 = max(0, i - top), min(h, oh + i - top)
            if i == aligned:
                direct.append((i * k + j, column.reshape(-1, c), None))
            elif h1 > h0:
                added.append((i * k + j, tap, (rows[:, h0:h1], tap_rows[:, h0 + top - i : h1 + top - i])))
        if column is not dx:
            w0, w1 = max(0, j - left), min(w, ow + j - left)
            if w1 > w0:
                finish.append((accumulate, dx[:, :, w0:w1], column[:, :, w0 + left - j : w1 + left - j]))
    return zero, direct + added, finish, dx


def _windowed_input_gradient(geo: ConvGeometry, n: int, oh: int, ow: int, dtype):
    """Any stride: each tap's product is added into its strided window of a zero-bordered
    buffer, whose inside is copied out last (no scatter-add col2im)."""
    k, c, st = geo.kernel, geo.channels, geo.stride
    tap = np.empty((n * oh * ow, c), dtype)
    dxp = np.empty((n, *geo.padded, c), dtype)
    span_h, span_w = st * (oh - 1) + 1, st * (ow - 1) + 1
    steps = [(i * k + j, tap, (dxp[:, i : i + span_h : st, j : j + span_w : st, :], tap.reshape(n, oh, ow, c)))
             for i in range(k) for j in range(k)]
    if geo.padded == geo.size:
        return [dxp], steps, [], dxp
    dx = np.empty((n, *geo.size, c), dtype)
    return [dxp], steps, [(np.copyto, dx, dxp[_inside(geo)])], dx


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
