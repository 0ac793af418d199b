"""Penalties follow the documented formulas; the proximal L1 step zeroes weights exactly."""

import numpy as np
import pytest

from regstudio.engine import PenaltyPlan, Sequential
from regstudio.engine.regularizers import L1, L1L2, L2


def model(**kw):
    return Sequential.from_config([{"type": "dense", "units": 4, "activation": "relu", **kw},
                                   {"type": "dense"}], (3,), 2, seed=1, dtype=np.float64)


def test_penalty_values_follow_keras_convention(rng):
    w = rng.standard_normal((5, 5))
    assert L1(0.1).penalty(w) == pytest.approx(0.1 * np.abs(w).sum())
    assert L2(0.1).penalty(w) == pytest.approx(0.1 * (w**2).sum())
    assert L1L2(0.1, 0.2).penalty(w) == pytest.approx(0.1 * np.abs(w).sum() + 0.2 * (w**2).sum())


def test_plan_sums_weights_only_unless_biases_are_included():
    m = model()
    m.params[m.slices["dense_0.b"]] = 1.0
    weights = np.concatenate([m.params[m.slices["dense_0.W"]], m.params[m.slices["dense_1.W"]]])
    plan = PenaltyPlan.for_model(m, l1=0.0, l2=0.5)
    assert plan.value(m.params) == pytest.approx(0.5 * (weights**2).sum())
    with_bias = PenaltyPlan.for_model(m, l1=0.0, l2=0.5, apply_to_bias=True)
    assert with_bias.value(m.params) == pytest.approx(0.5 * ((weights**2).sum() + 4))


def test_per_layer_override_replaces_the_global_strength():
    m = model()
    plan = PenaltyPlan.for_model(m, l1=0.0, l2=0.1, overrides={"dense_0": {"l2": 0.0}})
    w1 = m.params[m.slices["dense_1.W"]]
    assert plan.value(m.params) == pytest.approx(0.1 * (w1**2).sum())


def test_proximal_step_soft_thresholds_exactly():
    m = model()
    plan = PenaltyPlan.for_model(m, l1=0.5, l2=0.0)
    w = m.params[m.weights]
    w[:4] = [0.3, -0.3, 0.05, -0.04]
    expected = np.sign(w) * np.maximum(np.abs(w) - 0.1 * 0.5, 0)
    plan.proximal_step(m.params, lr=0.1)
    np.testing.assert_allclose(m.params[m.weights], expected)
    assert m.params[m.weights][2] == 0.0 and m.params[m.weights][3] == 0.0
    biases = m.params[m.weights.stop:]
    assert np.all(biases == 0)  # biases untouched (they start at zero and stay there)


def test_subgradient_method_adds_sign_and_skips_the_proximal_step():
    m = model()
    plan = PenaltyPlan.for_model(m, l1=0.5, l2=0.0, l1_method="subgradient")
    before = m.params.copy()
    plan.proximal_step(m.params, lr=0.1)
    np.testing.assert_array_equal(m.params, before)
    grads = np.zeros_like(m.params)
    plan.add_grad(m.params, grads)
    np.testing.assert_allclose(grads[m.weights], 0.5 * np.sign(m.params[m.weights]))


def test_unknown_l1_method_is_rejected():
    with pytest.raises(ValueError, match="proximal"):
        PenaltyPlan([], "lasso")
