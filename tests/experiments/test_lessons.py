"""Each lesson's claim holds for its exact configs (what the text promises, the screen shows)."""

import numpy as np
import pytest

from regstudio.experiments.config import validate_config
from regstudio.experiments.lessons import LESSONS, lesson
from regstudio.experiments.training import train


def run_all(lesson_id):
    return [train(cfg) for _label, cfg in lesson(lesson_id).runs]


def test_every_lesson_config_is_valid():
    assert len(LESSONS) == 7
    for item in LESSONS:
        for _label, cfg in item.runs:
            validate_config(cfg)


def test_overfitting():
    (r,) = run_all("overfitting")
    best = r.summary["best_epoch"]
    assert best <= 20 and r.history[-1]["val_loss"] > 2 * r.history[best - 1]["val_loss"]


def test_l1_sparse():
    plain, l1 = run_all("l1_sparse")
    assert np.mean(l1.model.get_weights()["dense_0.W"] == 0) > 0.5
    assert np.mean(plain.model.get_weights()["dense_0.W"] == 0) < 0.01
    assert l1.summary["final"]["val_acc"] > 0.85


def test_l2_shrinks():
    plain, l2 = run_all("l2_shrinks")
    assert l2.summary["layers"][0]["l2_norm"] < 0.5 * plain.summary["layers"][0]["l2_norm"]
    assert np.mean(l2.model.get_weights()["dense_0.W"] == 0) < 0.01


def test_too_strong_underfits():
    good, strong = run_all("too_strong")
    assert strong.summary["final"]["train_data_loss"] > 0.6 and strong.summary["final"]["val_loss"] > 0.6
    assert strong.summary["final"]["train_acc"] < good.summary["final"]["train_acc"] - 0.2
    # the good alpha is better on the validation set too, at its best epoch and at the end
    assert good.summary["best_val_loss"] < strong.summary["best_val_loss"]
    assert good.summary["final"]["val_loss"] < strong.summary["final"]["val_loss"] - 0.15


def gap(result):
    final = result.summary["final"]
    return final["val_loss"] - final["train_data_loss"]


def test_dropout_narrows_the_gap():
    plain, dropped = run_all("dropout_gap")
    assert gap(dropped) < 0.75 * gap(plain)


def test_early_stopping_stops_at_the_turn():
    (r,) = run_all("early_stopping")
    s = r.summary
    assert s["stop_reason"] == "early_stopping" and s["stopped_epoch"] == s["best_epoch"] + 10
    assert s["final"]["val_loss"] == pytest.approx(s["best_val_loss"], rel=1e-5)


@pytest.mark.slow
def test_augmentation_helps_on_images():
    plain, augmented = run_all("augmentation")
    assert augmented.summary["best_val_loss"] < plain.summary["best_val_loss"]
    best = augmented.summary["best_epoch"]
    assert augmented.history[best - 1]["val_acc"] > plain.history[plain.summary["best_epoch"] - 1]["val_acc"]
