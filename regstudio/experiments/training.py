"""Run one experiment from its config: what the GUI worker and ``regstudio train`` both call."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..engine import EarlyStopping, TrainingControl
from ..engine.events import LiveChange
from .build import build


@dataclass
class RunResult:
    config: dict
    history: list[dict]
    summary: dict
    model: object
    dataset: object
    changes: list[LiveChange] = field(default_factory=list)


def train(config: dict, base_dir: str | Path | None = None, on_event=None,
          control: TrainingControl | None = None, dataset=None) -> RunResult:
    """Build and train; blocks until the run ends (completed, stopped early, diverged or cancelled)."""
    started = time.perf_counter()
    built = build(config, base_dir, dataset)
    ds, trainer = built.dataset, built.trainer
    trainer.fit(ds.train.X, ds.train.y, ds.val.X, ds.val.y, on_event=on_event, control=control)
    summary = summarize(trainer, ds, time.perf_counter() - started)
    return RunResult(built.config, trainer.history.rows, summary, built.model, ds, trainer.changes)


def summarize(trainer, dataset, seconds: float) -> dict:
    """The ``summary.json`` contents (ARCHITECTURE.md) of a finished run. ``best_epoch`` is the
    epoch of the lowest validation loss; ``restored_epoch`` the epoch whose weights early
    stopping put back (None when the run ends with its last epoch's weights);
    ``data_report`` the data notes (texts, as printed), ``data_details`` the structured
    report (file, delimiter, encoding, columns with kind, role and missing count, categories,
    fill values, dates, imputed cells)."""
    rows = trainer.history.rows
    best = trainer.best_epoch
    final = {"train_loss": None, "val_loss": None}
    train_metrics = trainer.evaluate(dataset.train.X, dataset.train.y)
    penalty = trainer.penalty.value(trainer.model.params)
    final["train_data_loss"] = train_metrics.pop("loss")
    final["train_loss"] = final["train_data_loss"] + penalty
    final["penalty"] = penalty
    final.update({f"train_{k}": v for k, v in train_metrics.items()})
    final.update(trainer.evaluate(dataset.val.X, dataset.val.y, prefix="val_"))
    if len(dataset.test.X):
        final.update(trainer.evaluate(dataset.test.X, dataset.test.y, prefix="test_"))
    return {
        "best_epoch": best,
        "best_val_loss": rows[best - 1]["val_loss"] if best else None,
        "restored_epoch": next((cb.restored_epoch for cb in trainer.callbacks.callbacks
                                if isinstance(cb, EarlyStopping)), None),
        "stopped_epoch": rows[-1]["epoch"] if rows else 0,
        "stop_reason": trainer.stop_reason,
        "message": trainer.stop_message,
        "final": final,
        "layers": trainer.model.layer_norms(),
        "n_params": trainer.model.n_params(),
        "seconds": seconds,
        "data_report": list(dataset.report),
        "data_details": dict(getattr(dataset, "data_report", None) or {}),
    }
