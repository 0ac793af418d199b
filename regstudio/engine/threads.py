"""BLAS thread count: all cores headless, cores - 1 while the window is open."""

from __future__ import annotations

import os
from contextlib import contextmanager


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


def blas_threads() -> int:
    """The BLAS thread count in force (1 when it cannot be read)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 1
    counts = [pool["num_threads"] for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return max(counts, default=1)


@contextmanager
def one_blas_thread(active: bool = True):
    """While ``active``: BLAS on one thread (our own threads split the work instead)."""
    if not active:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
