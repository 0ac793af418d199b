"""Shared fixtures: seeded generators and small configs. UI tests set the offscreen QPA in tests/ui."""

from __future__ import annotations

import faulthandler
import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# pytest-timeout (300 s, pyproject) fails a test from a signal handler, which only runs when the
# main thread executes Python: a test stuck in C (a QThread.wait, a lock, a thread waiting for the
# GIL) would hang the whole run. This watchdog is a C thread: after WATCHDOG_S it writes every
# thread's stack to the real stderr and ends the process, so a hang fails fast and says where.
WATCHDOG_S = 420
_watchdog_fd: int | None = None


def pytest_configure(config):
    global _watchdog_fd
    _watchdog_fd = os.dup(2)  # output capture is suspended here: this is the terminal or CI log


def pytest_sessionfinish(session, exitstatus):
    if _watchdog_fd is not None:  # the exit too: a thread left running must not hang it
        faulthandler.dump_traceback_later(WATCHDOG_S, exit=True, file=_watchdog_fd)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if _watchdog_fd is not None:
        faulthandler.dump_traceback_later(WATCHDOG_S, exit=True, file=_watchdog_fd)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def moons_config():
    """A tiny two-feature classification experiment that trains in well under a second."""
    return {
        "name": "moons test",
        "data": {"source": "builtin", "name": "moons", "n_samples": 200, "noise": 0.25, "seed": 0},
        "model": {"layers": [{"type": "dense", "units": 32, "activation": "relu"},
                             {"type": "dropout", "rate": 0.2}, {"type": "dense"}]},
        "regularization": {"l2": 1e-4},
        "training": {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "batch_size": 32, "epochs": 8},
    }


@pytest.fixture
def disk_full_at(monkeypatch):
    """``disk_full_at(k)``: the k-th file synced from now on fails as on a full disk (ENOSPC)."""
    import errno

    def arm(k: int) -> None:
        calls = []

        def fsync(fd):
            calls.append(fd)
            if len(calls) == k:
                raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fsync", fsync)

    return arm
