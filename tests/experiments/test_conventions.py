"""Strength conversions give the same update as our penalty in the other library."""

import numpy as np
import pytest

from regstudio.experiments.conventions import equivalents, sklearn_alpha, weight_decay


def test_pytorch_weight_decay_step_equals_our_l2_penalty_step():
    torch = pytest.importorskip("torch")
    l2, lr = 3e-3, 0.1
    w0 = np.random.default_rng(0).normal(size=(5, 4))
    ours = torch.tensor(w0, requires_grad=True)  # our convention: alpha * sum(w^2) in the loss
    opt = torch.optim.SGD([ours], lr=lr)
    (l2 * (ours ** 2).sum()).backward()
    opt.step()
    theirs = torch.tensor(w0, requires_grad=True)  # theirs: no penalty term, weight_decay
    opt = torch.optim.SGD([theirs], lr=lr, weight_decay=weight_decay(l2))
    (0 * theirs.sum()).backward()
    opt.step()
    np.testing.assert_allclose(theirs.detach().numpy(), ours.detach().numpy(), rtol=1e-12)


def test_sklearn_alpha_matches_its_penalty_formula():
    # sklearn's MLP adds 0.5 * alpha * sum(w^2) / n_samples_in_batch to the batch loss.
    l2, batch = 1e-3, 32
    alpha = sklearn_alpha(l2, batch)
    w = np.random.default_rng(1).normal(size=50)
    assert 0.5 * alpha * (w ** 2).sum() / batch == pytest.approx(l2 * (w ** 2).sum())


def test_equivalents_name_each_library_and_nothing_without_a_penalty():
    assert equivalents(0.0, 0.0, 32, 0.1, "sgd") == []
    rows = equivalents(1e-4, 1e-3, 32, 0.1, "sgd")
    assert [e.library for e in rows] == ["Keras", "PyTorch", "scikit-learn MLP", "AdamW-style decoupled decay",
                                         "Keras", "PyTorch", "scikit-learn MLP"]
    assert rows[1].setting == "weight_decay=0.002" and rows[2].setting == "alpha=0.064"
    assert all(e.library != "AdamW-style decoupled decay" for e in equivalents(0, 1e-3, 32, 0.1, "adam"))
