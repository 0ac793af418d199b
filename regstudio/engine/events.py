"""What the trainer reports between batches. Frozen; arrays inside are copies."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class BatchProgress:
    """Sent at most every ``Trainer.progress_seconds`` and after each epoch's last batch;
    ``recent_losses`` holds the loss of every batch since the previous one, this one last."""

    epoch: int
    batch: int  # 1-based within the epoch
    n_batches: int
    samples_per_second: float
    loss: float  # data loss + penalty of this batch
    recent_losses: tuple = ()


@dataclass(frozen=True)
class EpochEnd:
    epoch: int  # 1-based
    metrics: dict  # one history row, see Trainer.fit


@dataclass(frozen=True)
class WeightsSnapshot:
    epoch: int  # 0 = before training
    weights: dict[str, np.ndarray] = field(repr=False)


@dataclass(frozen=True)
class LiveChange:
    epoch: int
    batch: int
    key: str
    old: object
    new: object


@dataclass(frozen=True)
class Diverged:
    """The run hit NaN or inf, went back to the last good weights and paused
    (only with ``TrainingControl.pause_on_divergence``; otherwise it finishes as ``diverged``)."""

    epoch: int
    message: str


@dataclass(frozen=True)
class Finished:
    reason: str  # "completed" | "early_stopping" | "diverged" | "cancelled"
    best_epoch: int  # epoch of the lowest validation loss (0 if none)
    message: str = ""
