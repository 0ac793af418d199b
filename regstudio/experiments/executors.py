"""Run many independent trainings: one after another, on a local process pool, or on a Dask
cluster, with the same results whichever ran them (each job trains with one BLAS thread).

Used by sweeps and by the variance meter. The pool is ``spawn``-based so it works in the
frozen app too; cancelling terminates the workers at once, leaving no stray processes.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
from collections.abc import Callable

from .config import ConfigError

EXECUTORS = ("serial", "process", "dask")


class Cancelled(Exception):
    """The run was cancelled; results so far were passed to ``on_done``."""


def one_thread_worker() -> None:
    """Pool initializer: BLAS and OpenMP on one thread per worker process."""
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


def run_jobs(fn: Callable, jobs: list[tuple], executor: str = "process", workers: int | None = None,
             scheduler: str | None = None, on_done: Callable | None = None,
             cancel: threading.Event | None = None) -> list:
    """``fn(*job)`` for every job; the results in job order.

    ``on_done(index, result)`` is called in this thread as each job ends. When ``cancel`` is
    set, running jobs are stopped and :class:`Cancelled` is raised.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    cancel = cancel or threading.Event()
    results: list = [None] * len(jobs)

    def done(index: int, result) -> None:
        results[index] = result
        if on_done is not None:
            on_done(index, result)

    if executor == "serial":
        for index, job in enumerate(jobs):
            if cancel.is_set():
                raise Cancelled()
            done(index, fn(*job))
    elif executor == "process":
        _pool(fn, jobs, workers, cancel, done)
    else:
        _dask(fn, jobs, scheduler, cancel, done)
    return results


def _pool(fn, jobs, workers, cancel, done) -> None:
    n = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    pool = cf.ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=one_thread_worker)
    try:
        futures = {pool.submit(fn, *job): index for index, job in enumerate(jobs)}
        pending = set(futures)
        while pending:
            if cancel.is_set():
                raise Cancelled()
            ready, pending = cf.wait(pending, timeout=0.1, return_when=cf.FIRST_COMPLETED)
            for future in sorted(ready, key=futures.get):
                done(futures[future], future.result())
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:  # running jobs stop now, not when they finish
            proc.terminate()
        for proc in processes:
            proc.join(5)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(fn, jobs, scheduler, cancel, done) -> None:
    try:
        from distributed import Client, wait
    except ImportError:
        raise ConfigError("a Dask scheduler needs the cluster extra: pip install 'regstudio[cluster]'") from None
    if not scheduler:
        raise ConfigError("the Dask executor needs a scheduler address, e.g. tcp://host:8786")
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
    try:
        futures = [client.submit(fn, *job, pure=False) for job in jobs]
        number = {f.key: index for index, f in enumerate(futures)}
        pending = set(futures)
        while pending:
            if cancel.is_set():
                client.cancel(list(pending))
                raise Cancelled()
            try:
                result = wait(pending, timeout=0.2, return_when="FIRST_COMPLETED")
            except TimeoutError:  # distributed raises when nothing ended within the timeout
                continue
            for future in sorted(result.done, key=lambda f: number[f.key]):
                done(number[future.key], future.result())
            pending = set(result.not_done)
    finally:
        client.close()
