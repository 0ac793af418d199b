"""BLAS thread count: all cores headless, cores - 1 while the window is open."""

from __future__ import annotations

import os


def default_threads(gui: bool) -> int:
    cores = os.cpu_count() or 1
    return max(1, cores - 1) if gui else cores


def set_threads(n: int | None = None, gui: bool = False) -> int:
    """Limit BLAS (OpenBLAS, MKL) threads process-wide; returns the count applied."""
    n = n or default_threads(gui)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional at run time: BLAS then keeps its own default
        return n
    threadpool_limits(limits=n, user_api="blas")
    return n
