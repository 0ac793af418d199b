"""Analytic gradients of every layer, loss and penalty against central differences (float64)."""

import numpy as np
import pytest

from regstudio.engine import PenaltyPlan, Sequential, get_loss
from regstudio.engine.gradcheck import model_gradient_error, numerical_gradient, relative_error
from regstudio.engine.regularizers import L1, L1L2, L2

TOL = 1e-6

STACKS = {
    "dense tanh/relu/sigmoid/leaky": (
        [{"type": "dense", "units": 5, "activation": "tanh"},
         {"type": "dense", "units": 4, "activation": "relu"},
         {"type": "dense", "units": 4, "activation": "sigmoid"},
         {"type": "dense", "units": 3, "activation": "leaky_relu"},
         {"type": "dense"}], (3,)),
    "dropout inverted": (
        [{"type": "dense", "units": 6, "activation": "tanh"}, {"type": "dropout", "rate": 0.4},
         {"type": "dense"}], (4,)),
    "conv same stride 1 + pool": (
        [{"type": "conv2d", "filters": 3, "kernel": 3, "activation": "tanh"},
         {"type": "maxpool2d", "size": 2}, {"type": "flatten"}, {"type": "dense"}], (6, 6, 2)),
    "conv relu + pool (fused), dense": (
        [{"type": "conv2d", "filters": 3, "kernel": 3, "activation": "relu"},
         {"type": "maxpool2d", "size": 2}, {"type": "dense", "units": 4, "activation": "relu"},
         {"type": "dense"}], (6, 5, 2)),
    "conv same stride 2, odd size": (
        [{"type": "conv2d", "filters": 2, "kernel": 3, "stride": 2, "activation": "sigmoid"},
         {"type": "dense"}], (7, 5, 1)),
    "conv valid, even kernel, odd pool edge": (
        [{"type": "conv2d", "filters": 2, "kernel": 2, "padding": "valid", "activation": "tanh"},
         {"type": "maxpool2d", "size": 2}, {"type": "dense"}], (6, 6, 2)),
    "conv even kernel same": (
        [{"type": "conv2d", "filters": 2, "kernel": 4, "padding": "same", "activation": "linear"},
         {"type": "dense"}], (5, 5, 1)),
    "conv valid stride 1, no pool": (
        [{"type": "conv2d", "filters": 2, "kernel": 3, "padding": "valid", "activation": "tanh"},
         {"type": "dense"}], (5, 6, 2)),
    "conv 5x5 same on 3x3, pool: taps with no output": (
        [{"type": "conv2d", "filters": 2, "kernel": 5, "activation": "tanh"},
         {"type": "maxpool2d", "size": 2}, {"type": "dense"}], (3, 3, 2)),
    "two convs, 1x1 kernel second": (
        [{"type": "conv2d", "filters": 3, "kernel": 3, "activation": "relu"},
         {"type": "conv2d", "filters": 2, "kernel": 1, "activation": "tanh"},
         {"type": "dense"}], (4, 5, 1)),
}


@pytest.mark.parametrize("name", STACKS)
@pytest.mark.parametrize("loss_name", ["softmax_cross_entropy", "sigmoid_binary_cross_entropy", "mse"])
def test_model_gradients_match_finite_differences(name, loss_name, rng):
    layers, shape = STACKS[name]
    n_out = 2 if loss_name != "sigmoid_binary_cross_entropy" else 1
    model = Sequential.from_config(layers, shape, n_out, seed=3, dtype=np.float64)
    X = rng.standard_normal((5, *shape))
    y = rng.integers(0, 2, 5) if loss_name != "mse" else rng.standard_normal((5, n_out))
    param_err, input_err = model_gradient_error(model, get_loss(loss_name), X, y)
    assert param_err < TOL
    assert input_err < TOL


@pytest.mark.parametrize("apply_to_bias", [False, True])
def test_penalty_gradients_match_finite_differences(apply_to_bias, rng):
    layers = [{"type": "dense", "units": 4, "activation": "tanh"}, {"type": "dense"}]
    model = Sequential.from_config(layers, (3,), 2, seed=0, dtype=np.float64)
    plan = PenaltyPlan.for_model(model, l1=0.03, l2=0.05, apply_to_bias=apply_to_bias,
                                 l1_method="subgradient")
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    param_err, _ = model_gradient_error(model, get_loss("softmax_cross_entropy"), X, y, plan)
    assert param_err < TOL


@pytest.mark.parametrize("reg", [L1(0.1), L2(0.2), L1L2(0.1, 0.3)])
def test_single_regularizer_gradient(reg, rng):
    w = rng.standard_normal((4, 3))
    numeric = numerical_gradient(lambda: reg.penalty(w), w)
    assert relative_error(reg.grad(w), numeric) < TOL


def test_gradcheck_detects_a_wrong_gradient(rng):
    """The checker itself must fail on a broken backward pass."""
    model = Sequential.from_config([{"type": "dense", "units": 3, "activation": "tanh"}, {"type": "dense"}],
                                   (2,), 2, dtype=np.float64)
    layer = model.layers[1]
    original = layer.backward

    def broken(dy):
        dx = original(dy)
        layer.grads["W"] *= 1.01
        return dx

    layer.backward = broken
    param_err, _ = model_gradient_error(model, get_loss("softmax_cross_entropy"),
                                        rng.standard_normal((4, 2)), rng.integers(0, 2, 4))
    assert param_err > 1e-3
