"""Optimizer and penalty steps keep the precision of the parameters' dtype."""

from __future__ import annotations

import numpy as np
import pytest

from regstudio.engine import SGD, Adam, AdamW, PenaltyPlan, Sequential


def test_sgd_on_float64_uses_float64_constants():
    """lr = 0.1 and momentum = 0.9 as float32 would be off in the 8th digit."""
    w = np.array([1.0, -2.0])
    opt = SGD(0.1, momentum=0.9)
    for _ in range(2):
        opt.step(w, np.ones(2))
    v1, v2 = 1.0, 0.9 * 1.0 + 1.0
    np.testing.assert_array_equal(w, [1.0 - 0.1 * v1 - 0.1 * v2, -2.0 - 0.1 * v1 - 0.1 * v2])


def test_l2_gradient_on_float64_uses_float64_constants():
    model = Sequential.from_config([{"type": "dense"}], (3,), 2, dtype=np.float64)
    plan = PenaltyPlan.for_model(model, 0.0, 0.1)
    plan.add_grad(model.params, model.grads)
    weights = model.params[model.weights]
    np.testing.assert_array_equal(model.grads[model.weights], 0.2 * weights)


def test_adamw_on_float64_uses_float64_constants():
    """One AdamW step against its formula, written out in float64."""
    w, g = np.array([0.5, -1.5]), np.array([0.3, -0.7])
    AdamW(0.01, weight_decay=0.1).step(w, g)
    m, v = (1 - 0.9) * g, (1 - 0.999) * g * g
    decayed = np.array([0.5, -1.5]) * (1 - 0.01 * 0.1)
    expected = decayed - 0.01 / (1 - 0.9) * m / (np.sqrt(v) / np.sqrt(1 - 0.999) + 1e-8)
    np.testing.assert_allclose(w, expected, rtol=1e-14)


@pytest.mark.parametrize("make", [lambda: SGD(0.1, momentum=0.9), lambda: SGD(0.1), lambda: Adam(0.01),
                                  lambda: AdamW(0.01, weight_decay=0.1)])
def test_state_prepared_before_the_first_step_changes_no_number(make):
    """The trainer allocates the optimizer's state before its loop (the first step of a large
    model spent hundreds of ms touching fresh pages while Stop waited); the steps are the same."""
    rng = np.random.default_rng(3)
    w0, grads = rng.normal(size=40_000).astype(np.float32), rng.normal(size=(3, 40_000)).astype(np.float32)
    lazy, prepared = make(), make()
    a, b = w0.copy(), w0.copy()
    prepared.prepare(b)
    for g in grads:
        lazy.step(a, g)
        prepared.step(b, g)
    assert np.array_equal(a, b)
