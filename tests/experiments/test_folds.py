"""K-fold splits: disjoint, covering, stratified; the test split stays out."""

import numpy as np
import pytest

from regstudio.data import load_raw, validate_data
from regstudio.data.dataset import split_indices
from regstudio.experiments.config import ConfigError
from regstudio.experiments.folds import fold_indices, kfold


def test_folds_are_disjoint_cover_every_sample_and_keep_class_shares():
    y = np.array([0] * 30 + [1] * 12 + [2] * 7)
    folds = kfold(y, "classification", 5, seed=3)
    vals = [va for _tr, va in folds]
    assert sorted(np.concatenate(vals).tolist()) == list(range(len(y)))  # covering, disjoint
    for tr, va in folds:
        assert not set(tr) & set(va) and len(tr) + len(va) == len(y)
    counts = np.array([np.bincount(y[va], minlength=3) for va in vals])
    assert (counts.max(0) - counts.min(0) <= 1).all()  # each class spread evenly
    sizes = [len(va) for va in vals]
    assert max(sizes) - min(sizes) <= 1


def test_regression_folds_and_bad_k():
    folds = kfold(np.linspace(0, 1, 11), "regression", 3, seed=0)
    assert sorted(np.concatenate([va for _, va in folds]).tolist()) == list(range(11))
    with pytest.raises(ConfigError, match=r"--folds: must be from 2 to the 11 samples .* \(got 1\)"):
        kfold(np.zeros(11), "regression", 1, seed=0)


def test_fold_indices_keep_the_seeded_test_split_out_and_cap_train_size():
    cfg = validate_data({"source": "builtin", "name": "moons", "n_samples": 120, "test_fraction": 0.2,
                         "seed": 4})
    raw = load_raw(cfg)
    _tr, _va, test, _ = split_indices(raw.y, raw.task, cfg["val_fraction"], cfg["test_fraction"], None,
                                      np.random.default_rng([cfg["seed"], 1]), raw.classes)
    vals = []
    for f in range(4):
        tr, va, te = fold_indices(raw, cfg, 4, f)
        assert np.array_equal(np.sort(te), np.sort(test))
        assert not (set(tr) | set(va)) & set(te) and not set(tr) & set(va)
        assert len(tr) + len(va) == 120 - len(test)
        vals.append(va)
    assert len(np.unique(np.concatenate(vals))) == 120 - len(test)
    capped, va, _ = fold_indices(raw, {**cfg, "train_size": 20}, 4, 1)
    assert len(capped) == 20 and set(capped) <= set(fold_indices(raw, cfg, 4, 1)[0])
    assert abs(np.bincount(raw.y[capped]).tolist()[0] - 10) <= 1  # stratified subsample
