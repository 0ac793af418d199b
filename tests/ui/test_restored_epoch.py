"""The Weights view labels the weights a run ends with by the epoch they are from: the epoch
early stopping put back (``restored_epoch``), which differs from ``best_epoch`` (lowest
validation loss) with another monitor or ``min_delta`` > 0; else the last epoch run."""

import types

from regstudio.engine import Sequential
from regstudio.experiments.project import RunRecord
from regstudio.ui.worker import TrainingWorker

LAYERS = [{"type": "dense", "units": 4}, {"type": "dense"}]


def _finished(summary):
    model = Sequential.from_config(LAYERS, (2,), 2)
    result = types.SimpleNamespace(model=model, dataset=None, summary=summary, history=[], changes=[],
                                   config={"early_stopping": {"restore_best_weights": True}})
    worker = TrainingWorker({"early_stopping": {"restore_best_weights": True}, "training": {"epochs": 9}},
                            dataset=None)
    shown = []
    worker.weights.connect(lambda snap: shown.append(snap["epoch"]))
    worker._finish(result)  # noqa: SLF001 (the end of a run, without training one)
    return shown


def test_restored_weights_carry_the_restored_epoch(qtbot):
    assert _finished({"stop_reason": "early_stopping", "best_epoch": 3, "restored_epoch": 5,
                      "stopped_epoch": 8}) == [5]


def test_weights_not_restored_carry_the_last_epoch(qtbot):
    assert _finished({"stop_reason": "early_stopping", "best_epoch": 3, "restored_epoch": None,
                      "stopped_epoch": 8}) == [8]
    assert _finished({"stop_reason": "completed", "best_epoch": 3, "stopped_epoch": 9}) == [9]


def test_a_reopened_run_shows_its_restored_epoch(window):
    model = Sequential.from_config(LAYERS, (2,), 2)
    history = [{"epoch": e, "train_loss": 1.0, "val_loss": 1.0} for e in range(1, 9)]
    record = RunRecord("run1", "run 1", window.state.frozen(), history,
                       {"best_epoch": 3, "restored_epoch": 5, "stopped_epoch": 8,
                        "stop_reason": "early_stopping"}, [], model.get_weights())
    window.runner.show_run(record)
    assert window.weights_plot.epoch == 5
