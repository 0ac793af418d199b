"""One-click lessons: each claim of the regularization lesson, reproduced on built-in data.

A lesson is one or two runs (the plain one first, then the cure) and a paragraph saying
what to look at. ``tests/experiments/test_lessons.py`` checks that each claim holds for these
exact configs, so what the text promises is what the screen shows.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .config import default_config, set_path


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    explanation: str
    runs: tuple[tuple[str, dict], ...]  # (label, config), run in this order


def _moons() -> dict:
    return default_config()


def _digits(layers=None, **regularization) -> dict:
    wide = [{"type": "dense", "units": 512, "activation": "relu"},
            {"type": "dense", "units": 512, "activation": "relu"}, {"type": "dense"}]
    return {
        "schema": 1, "name": "digits, wide MLP",
        "data": {"source": "builtin", "name": "digits", "train_size": 300, "val_fraction": 0.3, "seed": 0},
        "model": {"layers": layers or wide},
        "regularization": {"l1": 0.0, "l2": 0.0, "l1_method": "proximal", **regularization},
        "training": {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "batch_size": 32, "epochs": 30, "seed": 0},
    }


def _with_dropout(cfg: dict, rate: float) -> dict:
    layers = []
    for spec in cfg["model"]["layers"][:-1]:
        layers += [spec, {"type": "dropout", "rate": rate}]
    return set_path(cfg, "model.layers", layers + cfg["model"]["layers"][-1:])


def _shapes(augment: bool) -> dict:
    cnn = [{"type": "conv2d", "filters": 16, "kernel": 3}, {"type": "maxpool2d"},
           {"type": "conv2d", "filters": 32, "kernel": 3}, {"type": "maxpool2d"},
           {"type": "dense", "units": 64, "activation": "relu"}, {"type": "dense"}]
    return {
        "schema": 1, "name": "shapes, small CNN",
        "data": {"source": "builtin", "name": "shapes", "n_samples": 400, "val_fraction": 0.5, "seed": 0},
        "model": {"layers": cnn},
        "augmentation": {"enabled": augment, "ops": [{"op": "hflip", "p": 0.5},
                                                      {"op": "rotate", "degrees": 45, "p": 1.0},
                                                      {"op": "hue", "shift": 0.2, "p": 0.5}]},
        "training": {"optimizer": "adam", "lr": 0.002, "batch_size": 32, "epochs": 40, "seed": 0},
    }


def _named(cfg: dict, name: str) -> dict:
    cfg = copy.deepcopy(cfg)
    cfg["name"] = name
    return cfg


LESSONS: tuple[Lesson, ...] = (
    Lesson("overfitting", "Overfitting: the validation loss turns up",
           "A network with 130,000 weights learns 50 noisy points by heart. The training loss keeps "
           "falling, but after a few epochs the validation loss bottoms out (the green marker: the "
           "overfitting point) and climbs several-fold. In the Predictions tab the decision border "
           "wraps around single training points: it fits the noise, not the moons.",
           (("no regularization", _named(_moons(), "moons, no regularization")),)),
    Lesson("l1_sparse", "L1 makes the network sparse",
           "The same wide network on 300 digits, first plain, then with L1 alpha 0.01 (proximal). "
           "L1 adds alpha·Σ|w| to the loss; each step shrinks every weight by the same amount and "
           "stops at exactly zero. In the Weights tab the first layer's map empties: more than half "
           "of its weights end exactly at zero (see 'near zero' and the sparsity curve), while the "
           "digits are still recognised.",
           (("no regularization", _named(_digits(), "digits, no regularization")),
            ("L1 0.01", _named(_digits(l1=0.01), "digits, L1 0.01")))),
    Lesson("l2_shrinks", "L2 shrinks the weights without zeroing them",
           "The same network with L2 alpha 0.01. L2 adds alpha·Σw² to the loss; its pull is "
           "proportional to each weight, so large weights shrink a lot and small ones barely: the "
           "weight map dims evenly, the L2 norm falls far below the plain run's, and almost no "
           "weight becomes exactly zero (compare with the L1 lesson).",
           (("no regularization", _named(_digits(), "digits, no regularization")),
            ("L2 0.01", _named(_digits(l2=0.01), "digits, L2 0.01")))),
    Lesson("too_strong", "Too strong a penalty underfits",
           "Alpha must be tuned. With L2 alpha 0.01 the moons are learned and the validation loss "
           "stays low (about 0.4); with alpha 1 the penalty outweighs the data: every weight is "
           "pushed to zero, the network predicts the same for every point, and the training and "
           "validation losses both stay high (about 0.69, a coin flip). Use the Sweep tab to find "
           "the best alpha.",
           (("L2 0.01", _named(set_path(_moons(), "regularization.l2", 0.01), "moons, L2 0.01")),
            ("L2 1", _named(set_path(_moons(), "regularization.l2", 1.0), "moons, L2 1")))),
    Lesson("dropout_gap", "Dropout narrows the gap",
           "The overfitting moons network, then the same with dropout 0.5 after each hidden layer: "
           "in each step half of the units are switched off at random, so no unit can rely on a few "
           "others to memorise single points. The gap between the validation loss and the training "
           "data loss is much narrower at the end (tick both runs in Runs to compare the curves).",
           (("no dropout", _named(_moons(), "moons, no dropout")),
            ("dropout 0.5", _named(_with_dropout(_moons(), 0.5), "moons, dropout 0.5")))),
    Lesson("early_stopping", "Early stopping stops at the turn",
           "The overfitting moons network with early stopping (patience 10, restore best weights). "
           "Training stops (the grey dashed line) 10 epochs after the lowest validation loss (the "
           "green marker), and the weights of that best epoch are put back: the network you keep is "
           "the one from just before it started to memorise.",
           (("early stopping, patience 10",
             _named(set_path(_moons(), "early_stopping", {"enabled": True, "patience": 10,
                                                            "restore_best_weights": True}),
                    "moons, early stopping")),)),
    Lesson("augmentation", "Augmentation helps on images",
           "A small CNN on 200 drawn shapes, first plain, then with random flips, rotations up to "
           "45° and hue shifts applied to every training batch (see the Augmentation preview). The "
           "network sees a new variant of each image every epoch, so it cannot memorise them: the "
           "lowest validation loss is lower and the validation accuracy higher than without.",
           (("no augmentation", _named(_shapes(False), "shapes, no augmentation")),
            ("augmentation", _named(_shapes(True), "shapes, augmentation")))),
)


def lesson(lesson_id: str) -> Lesson:
    for item in LESSONS:
        if item.id == lesson_id:
            return item
    raise KeyError(f"unknown lesson {lesson_id!r}; known: {', '.join(x.id for x in LESSONS)}")
