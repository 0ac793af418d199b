"""K-fold cross-validation splits over the training + validation samples (the test split stays out).

Folds are stratified for classes: each class's samples, shuffled with the data seed, are dealt
in turn to the folds, so every fold holds each class's share (to one sample) and the fold
sizes differ by at most one.
"""

from __future__ import annotations

import numpy as np

from ..options import shown
from .config import ConfigError


def kfold(y: np.ndarray, task: str, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` (train, val) index pairs over ``range(len(y))``: the val parts are disjoint and
    cover every sample; stratified by class for ``task == "classification"``."""
    n = len(y)
    if not 2 <= k <= n:
        raise ConfigError(f"--folds: must be from 2 to the {n} samples for training and validation "
                          f"(got {shown(k)})")
    rng = np.random.default_rng([seed, 2])
    if task == "classification":
        labels = np.asarray(y).reshape(-1)
        order = np.concatenate([rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)])
    else:
        order = rng.permutation(n)
    fold_of = np.empty(n, np.intp)
    fold_of[order] = np.arange(n) % k
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]


def fold_indices(raw, data_cfg: dict, k: int, fold: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(train, val, test)`` of fold ``fold`` of ``k`` for ``dataset_from_raw``: the test split
    is the seeded one (``data.test_fraction``); the folds divide the rest; ``data.train_size``
    caps each fold's training part (a stratified subsample)."""
    from ..data.dataset import _subsample, split_indices

    rng = np.random.default_rng([data_cfg["seed"], 1])
    train, val, test, _notes = split_indices(raw.y, raw.task, data_cfg["val_fraction"],
                                             data_cfg["test_fraction"], None, rng, raw.classes)
    pool = np.sort(np.concatenate([train, val]))
    tr, va = kfold(raw.y[pool], raw.task, k, data_cfg["seed"])[fold]
    tr, va = pool[tr], pool[va]
    size = data_cfg.get("train_size")
    if size is not None and size < len(tr):
        sub = np.random.default_rng([data_cfg["seed"], 3, fold])
        if raw.task == "classification":
            groups = [sub.permutation(tr[raw.y[tr] == c]) for c in np.unique(raw.y[tr])]
        else:
            groups = [sub.permutation(tr)]
        tr = np.sort(np.concatenate(_subsample(groups, size, sub)))
    return tr, va, test
