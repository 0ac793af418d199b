"""Trainer behaviour: determinism, divergence, stop/pause, live changes, events."""

import threading

import numpy as np
import pytest

from regstudio.engine import (
    SGD,
    BatchProgress,
    EpochEnd,
    Finished,
    LiveChange,
    Sequential,
    SoftmaxCrossEntropy,
    Trainer,
    TrainingControl,
    WeightsSnapshot,
)


def data(rng, n=120):
    X = rng.standard_normal((n, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X, y


def make(lr=0.1, epochs=5, dropout=0.2, **kw):
    model = Sequential.from_config([{"type": "dense", "units": 16, "activation": "relu"},
                                    {"type": "dropout", "rate": dropout}, {"type": "dense"}], (2,), 2, seed=4)
    return Trainer(model, SoftmaxCrossEntropy(), SGD(lr, momentum=0.9), batch_size=16, epochs=epochs,
                   seed=5, **kw)


def test_same_seed_same_results_bit_for_bit(rng):
    X, y = data(rng)
    runs = []
    for _ in range(2):
        t = make(l2=1e-3, l1=1e-4)
        t.fit(X, y, X[:40], y[:40])
        runs.append((t.model.params.copy(), [r["val_loss"] for r in t.history.rows]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]


def test_history_rows_have_the_documented_columns_and_train_loss_adds_the_penalty(rng):
    X, y = data(rng)
    t = make(l2=1e-2)
    t.fit(X, y, X[:40], y[:40])
    row = t.history.rows[-1]
    for key in ("epoch", "train_loss", "data_loss", "penalty", "val_loss", "train_acc", "val_acc",
                "lr", "seconds", "layers"):
        assert key in row
    assert row["train_loss"] == pytest.approx(row["data_loss"] + row["penalty"])
    assert row["penalty"] > 0
    assert [r["epoch"] for r in t.history.rows] == [1, 2, 3, 4, 5]


def test_events_arrive_in_order(rng):
    X, y = data(rng)
    events = []
    make(epochs=2).fit(X, y, X[:40], y[:40], on_event=events.append)
    kinds = [type(e) for e in events]
    assert kinds[0] is WeightsSnapshot and events[0].epoch == 0
    assert kinds.count(EpochEnd) == 2 and 2 <= kinds.count(BatchProgress) <= 2 * 8
    batches = [e for e in events if isinstance(e, BatchProgress)]
    assert sum(len(e.recent_losses) for e in batches) == 2 * 8  # every batch loss arrives
    assert kinds[-1] is Finished and events[-1].reason == "completed"
    snap = events[0].weights["dense_0.W"]
    snap[...] = 99  # a copy: editing it must not touch the model
    assert not np.any(make(epochs=1).model.params == 99)


def test_divergence_stops_with_the_last_good_weights(rng):
    X, y = data(rng)
    X[:, 0] *= 1e4
    t = make(lr=1e6, epochs=20, dropout=0.0)
    events = []
    t.fit(X, y, X[:40], y[:40], on_event=events.append)
    assert t.stop_reason == "diverged"
    assert np.isfinite(t.model.params).all()
    assert "learning rate" in events[-1].message or "validation" in events[-1].message


def test_stop_from_another_thread_cancels_quickly(rng):
    X, y = data(rng, 2000)
    control = TrainingControl()
    t = make(epochs=10000)
    seen = threading.Event()

    def on_event(event):
        if isinstance(event, EpochEnd):
            seen.set()

    worker = threading.Thread(target=t.fit, args=(X, y, X[:40], y[:40], on_event, control))
    worker.start()
    assert seen.wait(10)
    control.stop()
    worker.join(2)
    assert not worker.is_alive()
    assert t.stop_reason == "cancelled"


def test_pause_holds_and_step_runs_one_epoch(rng):
    X, y = data(rng)
    control = TrainingControl()
    control.step_epochs(1)  # run one epoch, then pause
    epochs = []
    t = make(epochs=50)
    worker = threading.Thread(target=t.fit, args=(X, y, X[:40], y[:40],
                                                  lambda e: isinstance(e, EpochEnd) and epochs.append(e.epoch),
                                                  control))
    worker.start()
    worker.join(0.5)
    assert worker.is_alive() and control.paused and epochs == [1]
    control.step_epochs(2)
    worker.join(0.5)
    assert epochs == [1, 2, 3]
    control.stop()
    worker.join(2)
    assert not worker.is_alive()


def test_live_changes_apply_at_the_next_batch_and_are_recorded(rng):
    X, y = data(rng)
    control = TrainingControl()
    t = make(epochs=3, l2=0.0)
    changes = []

    def on_event(event):
        if isinstance(event, LiveChange):
            changes.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 1:
            control.change("regularization.l2", 0.05)
            control.change("training.lr", 0.01)
            control.change("model.layers[1].rate", 0.5)

    t.fit(X, y, X[:40], y[:40], on_event=on_event, control=control)
    rows = t.history.rows
    assert rows[0]["penalty"] == 0 and rows[1]["penalty"] > 0
    assert rows[0]["lr"] == 0.1 and rows[1]["lr"] == 0.01
    assert t.model.layers[1].rate == 0.5
    assert [(c.epoch, c.batch, c.key, c.old, c.new) for c in changes] == [
        (2, 1, "regularization.l2", 0.0, 0.05), (2, 1, "training.lr", 0.1, 0.01),
        (2, 1, "model.layers[1].rate", 0.2, 0.5)]


def test_bad_live_keys_are_refused():
    control = TrainingControl()
    with pytest.raises(ValueError, match="cannot change during training"):
        control.change("model.layers[0].units", 5)


def test_divergence_can_pause_for_a_fix_and_then_resume(rng):
    """With pause_on_divergence, the run goes back to the last good weights, pauses, and
    carries on once the user lowers the learning rate."""
    from regstudio.engine import Diverged

    X, y = data(rng)
    X[:, 0] *= 1e4
    control = TrainingControl(pause_on_divergence=True)
    t = make(lr=1e6, epochs=3, dropout=0.0)
    events = []

    def on_event(event):
        events.append(event)
        if isinstance(event, Diverged):
            control.change("training.lr", 1e-6)
            threading.Timer(0.1, control.resume).start()

    worker = threading.Thread(target=t.fit, args=(X, y, X[:40], y[:40], on_event, control))
    worker.start()
    worker.join(20)
    assert not worker.is_alive()
    assert any(isinstance(e, Diverged) for e in events)
    assert t.stop_reason == "completed" and [r["epoch"] for r in t.history.rows] == [1, 2, 3]
    assert np.isfinite(t.model.params).all()


def _cnn_trainer(splits, threads, dropout=0.25):
    layers = [{"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "maxpool2d"},
              {"type": "dense", "units": 16, "activation": "relu"}, {"type": "dropout", "rate": dropout},
              {"type": "dense"}]
    model = Sequential.from_config(layers, (8, 8, 1), 3, seed=2)
    return Trainer(model, SoftmaxCrossEntropy(), SGD(0.05, momentum=0.9), l2=1e-3, batch_size=20,
                   epochs=3, seed=1, splits=splits, threads=threads)


def test_split_batches_give_the_same_bits_with_one_or_two_threads(rng):
    X = rng.standard_normal((90, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 3, 90)
    one, two = _cnn_trainer(2, 1), _cnn_trainer(2, 2)
    one.fit(X, y, X[:30], y[:30])
    two.fit(X, y, X[:30], y[:30])
    np.testing.assert_array_equal(one.model.params, two.model.params)
    assert [r["val_loss"] for r in one.history.rows] == [r["val_loss"] for r in two.history.rows]


def test_split_batch_gradient_equals_the_whole_batch_gradient(rng):
    """Without dropout, two half-batches weighted by their size give the full-batch gradient."""
    X = rng.standard_normal((20, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 3, 20)
    whole, split = _cnn_trainer(1, 1, dropout=0.0), _cnn_trainer(2, 2, dropout=0.0)
    for t in (whole, split):
        t._pool = None
        loss_value, _ = t._batch(X, y)
        t.loss_value = loss_value
    np.testing.assert_allclose(split.model.grads, whole.model.grads, rtol=1e-4, atol=1e-6)
    assert split.loss_value == pytest.approx(whole.loss_value, rel=1e-5)
