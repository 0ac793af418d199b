"""``axpy``: y += a * x, in BLAS for large arrays and in NumPy otherwise, with one result."""

from __future__ import annotations

import numpy as np
import pytest

from regstudio.engine import blas
from regstudio.engine.blas import SMALLEST, axpby, axpy, uses_blas


def _numpy_blas_in_use() -> bool:
    from threadpoolctl import threadpool_info

    return any(pool.get("internal_api") == "openblas" for pool in threadpool_info())


def test_numpys_openblas_is_found():
    """Wheels of NumPy ship OpenBLAS: if it is loaded, axpy must find it (else it silently
    falls back to two passes, and the engine is slower than it should be)."""
    if not _numpy_blas_in_use():
        pytest.skip("this NumPy is not built on OpenBLAS")
    assert uses_blas(np.float32) and uses_blas(np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [7, SMALLEST + 3])
def test_axpy_adds_a_times_x(dtype, size, rng):
    x = rng.standard_normal(size).astype(dtype)
    y = rng.standard_normal(size).astype(dtype)
    expected = y.astype(np.float64) + 0.37 * x.astype(np.float64)
    axpy(0.37, x, y, np.empty_like(x))
    np.testing.assert_allclose(y, expected, rtol=1e-6 if dtype == np.float32 else 1e-15, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [7, SMALLEST + 3])
@pytest.mark.parametrize("a", [1.0, 0.1])
def test_axpby_scales_y_and_adds_a_times_x(dtype, size, a, rng):
    x = rng.standard_normal(size).astype(dtype)
    y = rng.standard_normal(size).astype(dtype)
    expected = 0.9 * y.astype(np.float64) + a * x.astype(np.float64)
    axpby(a, x, 0.9, y, np.empty_like(x))
    np.testing.assert_allclose(y, expected, rtol=1e-6 if dtype == np.float32 else 1e-15, atol=1e-6)


def test_blas_and_numpy_paths_agree(rng, monkeypatch):
    x, y = rng.standard_normal(2 * SMALLEST), rng.standard_normal(2 * SMALLEST)
    by_blas = [y.copy(), y.copy()]
    axpy(-1e-3, x, by_blas[0], np.empty_like(x))
    axpby(0.1, x, 0.9, by_blas[1], np.empty_like(x))
    monkeypatch.setattr(blas, "_AXPY", {})
    monkeypatch.setattr(blas, "_AXPBY", {})
    by_numpy = [y.copy(), y.copy()]
    axpy(-1e-3, x, by_numpy[0], np.empty_like(x))
    axpby(0.1, x, 0.9, by_numpy[1], np.empty_like(x))
    for fast, slow in zip(by_blas, by_numpy, strict=True):
        np.testing.assert_allclose(fast, slow, rtol=1e-15, atol=1e-15)  # FMA: one rounding fewer


def test_axpy_in_place_of_its_own_scratch(rng, monkeypatch):
    """Adam passes x as its own scratch: on the NumPy path x is scaled, y still right."""
    monkeypatch.setattr(blas, "_AXPBY", {})
    x, y = np.full(5, 2.0), np.ones(5)
    axpby(0.5, x, 3.0, y, x)
    np.testing.assert_array_equal(y, np.full(5, 4.0))


@pytest.mark.parametrize("x, y", [
    (np.zeros(SMALLEST), np.zeros(SMALLEST + 1)),
    (np.zeros(SMALLEST, np.float32), np.zeros(SMALLEST)),
    (np.zeros(2 * SMALLEST)[::2], np.zeros(SMALLEST)),
])
def test_blas_updates_refuse_arrays_they_cannot_pass_to_blas(x, y):
    for update in (lambda: axpy(1.0, x, y, np.empty_like(y)), lambda: axpby(1.0, x, 0.5, y, np.empty_like(y))):
        with pytest.raises(ValueError, match="BLAS updates need two contiguous arrays of one shape and dtype"):
            update()


def test_axpy_never_writes_a_read_only_array():
    y = np.zeros(2 * SMALLEST)
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        axpy(1.0, np.ones(2 * SMALLEST), y, np.empty(2 * SMALLEST))
    assert not y.any()
