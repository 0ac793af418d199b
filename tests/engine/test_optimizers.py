"""SGD's one-product momentum step on a model's parameter bank against the plain step."""

from __future__ import annotations

import numpy as np
import pytest

from regstudio.engine import SGD, Adam, PenaltyPlan, Sequential
from regstudio.engine.optimizers import bank_of

LAYERS = [{"type": "dense", "units": 7, "activation": "relu"}, {"type": "dense"}]


def model(dtype=np.float64):
    return Sequential.from_config(LAYERS, (5,), 3, seed=1, dtype=dtype)


def test_bank_is_found_only_for_a_models_own_rows():
    m = model()
    assert bank_of(m.params, m.grads) is m.bank
    assert bank_of(m.params.copy(), m.grads) is None
    assert bank_of(m.grads, m.params) is None  # rows in the wrong roles
    assert bank_of(m.params[1:], m.grads[1:]) is None


def test_banked_step_equals_the_plain_step_with_l2_and_a_changed_lr(rng):
    """Same numbers with and without the bank, including an L2 part, a part with its own
    strength, an lr change between steps (PyTorch keeps v; so must the scaled row) and a
    reset."""
    banked = model()
    plan = PenaltyPlan.for_model(banked, 0.0, 0.01, overrides={"dense_1": {"l2": 0.3}})
    parts = plan.l2_parts()
    assert len(parts) == 2
    plain_w = banked.params.copy()
    fast, slow = SGD(0.1, 0.9), SGD(0.1, 0.9)
    for step in range(6):
        g = rng.standard_normal(plain_w.shape)
        if step == 3:
            fast.lr = slow.lr = 0.02
        if step == 4:
            fast.reset()
            slow.reset()
        banked.grads[...] = g
        fast.step(banked.params, banked.grads, parts)
        slow.step(plain_w, g.copy(), parts)
        np.testing.assert_allclose(banked.params, plain_w, rtol=1e-12, atol=1e-14)
    assert fast.velocity is None and slow.velocity is not None  # only `slow` took the plain path


def test_banked_step_in_float32_is_close_to_the_plain_step(rng):
    m = model(np.float32)
    parts = PenaltyPlan.for_model(m, 0.0, 1e-3).l2_parts()
    w = m.params.copy()
    fast, slow = SGD(0.05, 0.9), SGD(0.05, 0.9)
    for _ in range(20):
        g = rng.standard_normal(w.shape).astype(np.float32)
        m.grads[...] = g
        fast.step(m.params, m.grads, parts)
        slow.step(w, g, parts)
    np.testing.assert_allclose(m.params, w, rtol=1e-5, atol=1e-6)


def test_other_optimizers_add_the_l2_gradient_before_their_update(rng):
    """Adam with ``l2`` parts takes the gradient plus 2 * alpha * w on those parts only."""
    m = model()
    parts = PenaltyPlan.for_model(m, 0.0, 0.05).l2_parts()
    g = rng.standard_normal(m.params.shape)
    expected = g.copy()
    for part, alpha in parts:
        expected[part] += 2 * alpha * m.params[part]
    w = m.params.copy()
    with_parts, by_hand = Adam(0.01), Adam(0.01)
    with_parts.step(m.params, g.copy(), parts)
    by_hand.step(w, expected)
    np.testing.assert_allclose(m.params, w, rtol=1e-14)


def test_blas_on_one_core_sets_one_thread_and_restores_the_count():
    from regstudio.engine.threads import blas_on_one_core, blas_threads, set_threads

    set_threads(2)
    try:
        with blas_on_one_core():
            assert blas_threads() == 1
        assert blas_threads() == 2
        with pytest.raises(RuntimeError), blas_on_one_core():
            raise RuntimeError
        assert blas_threads() == 2
    finally:
        set_threads()
