"""Early stopping follows Keras' documented rules on scripted validation losses."""

import numpy as np
import pytest

from regstudio.engine import EarlyStopping


class FakeModel:
    def __init__(self):
        self.params = np.zeros(1)


class FakeTrainer:
    def __init__(self):
        self.model = FakeModel()
        self.stop_training = False


def run(losses, **kwargs):
    """Feed a script of val_loss values; the 'weights' are the epoch number. Returns
    (stopped epoch or None, weights left at the end)."""
    cb = EarlyStopping(**kwargs)
    cb.trainer = FakeTrainer()
    cb.on_train_begin()
    stopped = None
    for epoch, value in enumerate(losses, start=1):
        cb.trainer.model.params[:] = epoch
        cb.on_epoch_end(epoch, {"val_loss": value, "val_acc": -value})
        if cb.trainer.stop_training:
            stopped = epoch
            break
    cb.on_train_end()
    return stopped, int(cb.trainer.model.params[0])


LOSSES = [1.0, 0.8, 0.7, 0.72, 0.71, 0.75, 0.69, 0.7, 0.71, 0.72, 0.73]


def test_stops_patience_epochs_after_the_best():
    # best 0.7 at epoch 3; epochs 4, 5 do not improve; patience 2 stops at 3 + 2.
    assert run(LOSSES, patience=2) == (5, 5)


def test_patience_resets_on_improvement():
    # 0.69 at epoch 7 improves on 0.7 -> wait resets; stops at 7 + 4 = 11.
    assert run(LOSSES, patience=4) == (11, 11)


def test_restore_best_weights_puts_back_the_best_epoch():
    assert run(LOSSES, patience=2, restore_best_weights=True) == (5, 3)
    # Like Keras 3, the best weights are restored at the end even without a stop.
    assert run(LOSSES, patience=50, restore_best_weights=True) == (None, 7)


def test_min_delta_requires_a_large_enough_improvement():
    # With min_delta 0.05 only 1.0 -> 0.8 (epoch 2) counts; 0.7 is 0.1 lower: counts (epoch 3);
    # 0.69 is not 0.05 below 0.7. Best epoch 3, patience 3 -> stop at 6.
    assert run(LOSSES, patience=3, min_delta=0.05, restore_best_weights=True) == (6, 3)


def test_start_from_epoch_ignores_the_first_epochs():
    # Epochs 1-4 ignored: the first counted is 0.71 (epoch 5), then 0.69 at 7; patience 2 -> 9.
    assert run(LOSSES, patience=2, start_from_epoch=4) == (9, 9)


def test_baseline_must_be_beaten_to_reset_the_wait():
    # baseline 0.6 is never beaten: the wait counts from epoch 1 and never resets, but an
    # epoch that improves on the best returns before the check (Keras), so epochs 1-3 pass
    # and the first non-improving epoch with wait >= 3 (epoch 4) stops.
    assert run(LOSSES, patience=3, baseline=0.6) == (4, 4)


def test_max_mode_for_accuracy():
    assert run(LOSSES, monitor="val_acc", patience=2) == (5, 5)
    assert EarlyStopping("val_acc").mode == "max"


def test_patience_zero_never_stops_on_the_first_epoch():
    assert run([1.0, 1.1], patience=0) == (2, 2)


def test_missing_monitor_warns_with_available_keys():
    cb = EarlyStopping(monitor="val_auc")
    cb.trainer = FakeTrainer()
    cb.on_train_begin()
    with pytest.warns(UserWarning, match="val_loss"):
        cb.on_epoch_end(1, {"val_loss": 1.0})
