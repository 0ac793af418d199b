"""Shared fixtures: seeded generators and small configs. UI tests set the offscreen QPA in tests/ui."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
