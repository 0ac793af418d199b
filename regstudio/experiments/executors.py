"""Run many independent trainings: one after another, on a local process pool, or on a Dask
cluster, with the same results whichever ran them (each job trains with one BLAS thread).

Used by sweeps and by the variance meter. The pool is ``spawn``-based so it works in the
frozen app too; cancelling terminates the workers at once, leaving no stray processes.

Data shipped once: ``shared`` (e.g. the parsed data) reaches every worker once, through the
pool's initializer or Dask's ``Client.scatter(..., broadcast=True)``, and each job is called
as ``fn(shared, *job)``; so a Dask worker needs regstudio, not the data files.

Cancelling: with ``stop=True`` each job also gets a cancel flag as its last argument, an
object with ``is_set()`` that the job checks between batches (see :class:`CancelControl`):
the serial executor's own ``threading.Event``; on Dask a :class:`DaskCancel`, which reads a
``distributed.Event`` set by the client (``Client.cancel`` only drops tasks that have not
started: a running fit would otherwise train to its end and hold its worker); in a pool,
``None``, since cancelling terminates the pool's processes.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable

from ..engine import TrainingControl
from .config import ConfigError

EXECUTORS = ("serial", "process", "dask")


class Cancelled(Exception):
    """The run was cancelled; results so far were passed to ``on_done``."""


_NOTHING = object()
_SHARED = _NOTHING  # in a pool worker: what the initializer received


def one_thread_worker(shared=_NOTHING) -> None:
    """Pool initializer: BLAS and OpenMP on one thread per worker process; keeps ``shared``.
    Ctrl-C is left to the parent, which cancels (and terminates the pool) itself."""
    global _SHARED
    _SHARED = shared
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


def _with_shared(fn: Callable, *job):
    """In a pool worker: ``fn(shared, *job)`` with what the initializer kept."""
    return fn(_SHARED, *job)


class CancelControl(TrainingControl):
    """A TrainingControl that also stops when ``event`` is set (the serial executor: a
    running fit ends after its current batch, not at its end)."""

    def __init__(self, event: threading.Event):
        super().__init__()
        self._event = event

    def wait_if_paused(self) -> bool:
        return super().wait_if_paused() and not self._event.is_set()


class DaskCancel:
    """The cancel flag of a Dask job: the ``distributed.Event`` named ``name``, read on the
    worker at most every :attr:`POLL` seconds (each read asks the scheduler). Pickles as its
    name only."""

    POLL = 0.2

    def __init__(self, name: str):
        self.name = name
        self._event = None
        self._asked = -math.inf
        self._set = False

    def __reduce__(self):
        return (DaskCancel, (self.name,))

    def is_set(self) -> bool:
        if not self._set and time.monotonic() - self._asked >= self.POLL:
            self._asked = time.monotonic()
            try:
                if self._event is None:
                    from distributed import Event

                    self._event = Event(self.name)
                self._set = bool(self._event.is_set())
            except Exception:  # not on a worker, or the scheduler went away: nothing to obey
                pass
        return self._set


def run_jobs(fn: Callable, jobs: list[tuple], executor: str = "process", workers: int | None = None,
             scheduler: str | None = None, on_done: Callable | None = None,
             cancel: threading.Event | None = None, shared=_NOTHING, stop: bool = False) -> list:
    """``fn(*job)`` (or ``fn(shared, *job)`` when ``shared`` is given) for every job; the
    results in job order.

    ``on_done(index, result)`` is called in this thread as each job ends. When ``cancel`` is
    set, running jobs are stopped and :class:`Cancelled` is raised. ``stop``: each job gets
    the executor's cancel flag as its last argument (see the module docstring).
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
            job = (*job, cancel) if stop else job
            done(index, fn(*job) if shared is _NOTHING else fn(shared, *job))
    elif executor == "process":
        _pool(fn, [(*job, None) for job in jobs] if stop else jobs, workers, cancel, done, shared)
    else:
        _dask(fn, jobs, scheduler, cancel, done, shared, stop)
    return results


def _pool(fn, jobs, workers, cancel, done, shared) -> None:
    n = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    pool = cf.ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=one_thread_worker, initargs=(shared,))
    call = (lambda job: pool.submit(fn, *job)) if shared is _NOTHING else \
        (lambda job: pool.submit(_with_shared, fn, *job))
    try:
        futures = {call(job): index for index, job in enumerate(jobs)}
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


def _dask(fn, jobs, scheduler, cancel, done, shared, stop=False) -> None:
    try:
        from distributed import Event, wait
    except ImportError:
        raise ConfigError("a Dask scheduler needs the cluster extra: pip install 'regstudio[cluster]'") from None
    if not scheduler:
        raise ConfigError("the Dask executor needs a scheduler address, e.g. tcp://host:8786")
    client = connect(scheduler)
    flag = Event(f"regstudio-cancel-{uuid.uuid4().hex}", client=client) if stop else None
    tail = (DaskCancel(flag.name),) if stop else ()
    try:
        head = () if shared is _NOTHING else (client.scatter([shared], broadcast=True)[0],)
        call = (_quietly_cancelled, fn) if stop else (fn,)  # no "Compute Failed" in worker logs
        futures = [client.submit(*call, *head, *job, *tail, pure=False) for job in jobs]
        number = {f.key: index for index, f in enumerate(futures)}
        pending = set(futures)
        while pending:
            if cancel.is_set():
                _stop_dask(client, flag, pending, wait)
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


def _quietly_cancelled(fn, *args):
    """On a Dask worker: ``fn(*args)``, with a cancelled job ending as a plain result (ignored:
    the client has stopped collecting) rather than an error the worker logs."""
    try:
        return fn(*args)
    except Cancelled:
        return None


CANCEL_GRACE = 30.0  # seconds a cancelled Dask run waits for its running fits to see the flag


def _stop_dask(client, flag, pending, wait) -> None:
    """Cancel a Dask run: set the flag the running jobs read, drop the queued ones, and wait
    until the running ones have stopped (so their workers are free for the next run). Without
    a flag (``stop=False``) only queued jobs can be dropped. The flag stays set on the scheduler
    (a few bytes): a job that started just now still sees it."""
    if flag is None:
        client.cancel(list(pending))
        return
    flag.set()
    running = {key for keys in client.processing().values() for key in keys}
    client.cancel([f for f in pending if f.key not in running])
    try:
        wait([f for f in pending if f.key in running], timeout=CANCEL_GRACE)
    except TimeoutError:
        pass  # a job that does not check the flag: it is the worker's now


def connect(scheduler: str):
    """A Dask ``Client`` for ``scheduler``; a bad or unreachable address, or no Dask installed,
    is a ConfigError."""
    if not isinstance(scheduler, str) or not re.fullmatch(r"([a-z]+://)?[^\s:/]+(:\d+)?(/\S*)?", scheduler.strip()):
        raise ConfigError(f"{scheduler!r} is not a Dask scheduler address; give one like "
                          "tcp://host:8786")
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--scheduler needs Dask: install the cluster extra "
                          "(pip install 'regstudio[cluster]')") from None
    try:
        return Client(scheduler.strip(), timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler} ({reason}); "
                          "check that it runs and the address is right") from None
