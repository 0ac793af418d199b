"""``y += a * x`` and ``y = b * y + x`` in one pass over memory: BLAS ``axpy`` and
``axpby`` from the OpenBLAS that NumPy links.

NumPy has no fused multiply-add, so ``y += a * x`` costs a temporary and two passes; the
optimizers and the L2 penalty run such updates over every parameter on every batch (an
MLP step on MNIST-sized data: 1.65 -> 1.52 times its bare matrix products, see
``tests/benchmarks``). The library is the one NumPy already loaded (found with
threadpoolctl), called through ctypes; where there is none (NumPy built on Accelerate or
MKL), and for small arrays, NumPy does the same in two or three passes.
"""

from __future__ import annotations

import ctypes

import numpy as np

# OpenBLAS builds name their CBLAS functions with or without the ``scipy_`` prefix of
# NumPy's wheels and the ``64_`` suffix of 64-bit-integer (ILP64) builds.
_NAMINGS = [("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "")]
_LETTERS = {np.float32: ("s", ctypes.c_float), np.float64: ("d", ctypes.c_double)}
SMALLEST = 1 << 14  # below this size a call (about 3 us) costs more than the passes it saves


def _openblas() -> tuple[ctypes.CDLL, str, str] | None:
    """NumPy's OpenBLAS and the (prefix, suffix) of its CBLAS names, if it is loaded."""
    if ctypes.sizeof(ctypes.c_void_p) != 8:  # see _bind: sizes are passed as 64-bit integers
        return None
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    for pool in threadpool_info():
        if pool.get("internal_api") != "openblas":
            continue
        try:
            lib = ctypes.CDLL(pool["filepath"])
        except OSError:
            continue
        for before, after in _NAMINGS:
            if hasattr(lib, f"{before}cblas_saxpy{after}"):
                return lib, before, after
    return None


def _bind(found, routine: str) -> dict:
    """``{np.float32: s<routine>, np.float64: d<routine>}``, or ``{}``.

    Sizes and strides go as 64-bit integers: a 32-bit (LP64) build reads their low half on
    every 64-bit ABI, and our arrays stay far below 2**31 elements.
    """
    if found is None:
        return {}
    lib, before, after = found
    scaled = routine == "axpby"  # y = a x + b y takes b before y
    bound = {}
    for dtype, (letter, real) in _LETTERS.items():
        fn = getattr(lib, f"{before}cblas_{letter}{routine}{after}", None)
        if fn is None:
            return {}
        fn.argtypes = [ctypes.c_int64, real, ctypes.c_void_p, ctypes.c_int64,
                       *([real] if scaled else []), ctypes.c_void_p, ctypes.c_int64]
        fn.restype = None
        bound[dtype] = fn
    return bound


_FOUND = _openblas()
_AXPY = _bind(_FOUND, "axpy")
_AXPBY = _bind(_FOUND, "axpby")


def uses_blas(dtype=np.float32) -> bool:
    """Whether :func:`axpy` and :func:`axpby` on this dtype run in BLAS for large arrays."""
    return np.dtype(dtype).type in _AXPY and np.dtype(dtype).type in _AXPBY


def _routine(table: dict, x: np.ndarray, y: np.ndarray):
    """The BLAS function for these arrays, or None for the NumPy path (small arrays, whose
    mistakes NumPy's own checks catch, skip the checks: they cost as much as the update)."""
    if y.size < SMALLEST:
        return None
    if x.shape != y.shape or x.dtype != y.dtype or not (x.flags.c_contiguous and y.flags.c_contiguous):
        raise ValueError("BLAS updates need two contiguous arrays of one shape and dtype")
    if not y.flags.writeable:  # NumPy raises on it
        return None
    return table.get(y.dtype.type)


def axpy(a: float, x: np.ndarray, y: np.ndarray, scratch: np.ndarray) -> None:
    """``y += a * x`` for contiguous arrays of one shape and dtype. ``scratch`` (like ``x``,
    or ``x`` itself when it may be overwritten) is only written on the NumPy path."""
    fn = _routine(_AXPY, x, y)
    if fn is not None:
        fn(y.size, a, x.ctypes.data, 1, y.ctypes.data, 1)
        return
    np.multiply(x, y.dtype.type(a), out=scratch)
    np.add(y, scratch, out=y)


def axpby(a: float, x: np.ndarray, b: float, y: np.ndarray, scratch: np.ndarray) -> None:
    """``y = a * x + b * y`` (a momentum: ``v = g + mu * v``); ``scratch`` as for :func:`axpy`,
    not written when ``a`` is 1."""
    fn = _routine(_AXPBY, x, y)
    if fn is not None:
        fn(y.size, a, x.ctypes.data, 1, b, y.ctypes.data, 1)
        return
    np.multiply(y, y.dtype.type(b), out=y)
    if a == 1:
        np.add(y, x, out=y)
    else:
        np.multiply(x, y.dtype.type(a), out=scratch)
        np.add(y, scratch, out=y)
