"""Layers against references: naive convolution, formulas, PyTorch where installed."""

import numpy as np
import pytest

from regstudio.engine import Conv2D, Dense, Dropout, MaxPool2D, Sequential
from regstudio.engine.conv import conv2d_naive, conv_geometry, im2col


def _built(layer, shape, rng, dtype=np.float64):
    layer.dtype = dtype
    layer.build(shape)
    for key, s in layer.param_shapes.items():
        layer.params[key] = rng.standard_normal(s).astype(dtype)
        layer.grads[key] = np.zeros(s, dtype)
    return layer


@pytest.mark.parametrize("shape,kernel,stride,padding", [
    ((7, 7, 3), 3, 1, "same"), ((8, 6, 2), 3, 2, "same"), ((9, 9, 1), 5, 1, "valid"),
    ((6, 7, 2), 2, 2, "valid"), ((5, 5, 2), 4, 1, "same"), ((4, 4, 1), 1, 1, "same"),
])
def test_conv_matches_naive(shape, kernel, stride, padding, rng):
    layer = _built(Conv2D(4, kernel, stride, padding, activation="linear"), shape, rng)
    x = rng.standard_normal((3, *shape))
    expected = conv2d_naive(x, layer.params["W"], layer.params["b"], stride, padding)
    np.testing.assert_allclose(layer.forward(x, training=True), expected, rtol=1e-10, atol=1e-10)


def test_conv_geometry_follows_tensorflow():
    assert conv_geometry(28, 3, 1, "same") == (28, 1, 1)
    assert conv_geometry(7, 3, 2, "same") == (4, 1, 1)
    assert conv_geometry(8, 3, 2, "same") == (4, 0, 1)
    assert conv_geometry(9, 5, 1, "valid") == (5, 0, 0)
    with pytest.raises(ValueError, match="padding"):
        conv_geometry(5, 3, 1, "full")


def test_im2col_rows_are_receptive_fields(rng):
    x = rng.standard_normal((1, 4, 4, 2))
    cols = im2col(x, 3, 3, 1, "valid")
    assert cols.shape == (4, 18)
    np.testing.assert_array_equal(cols[3], x[0, 1:4, 1:4, :].reshape(-1))


def test_dense_forward_is_affine_then_activation(rng):
    layer = _built(Dense(3, "relu"), (4,), rng)
    x = rng.standard_normal((5, 4))
    expected = np.maximum(x @ layer.params["W"] + layer.params["b"], 0)
    np.testing.assert_allclose(layer.forward(x, True), expected)


def test_maxpool_takes_window_maxima_and_routes_gradient_to_one_winner():
    layer = MaxPool2D(2)
    layer.dtype = np.float64
    layer.build((2, 2, 1))
    x = np.array([[[[1.0], [5.0]], [[5.0], [2.0]]]])  # a tie between two 5s
    assert layer.forward(x, training=True).item() == 5.0
    dx = layer.backward(np.ones((1, 1, 1, 1)))
    assert dx.sum() == 1.0 and dx[0, 0, 1, 0] == 1.0


@pytest.mark.parametrize("scaling", ["inverted", "keep_probability"])
def test_dropout_scalings_have_the_same_expected_activation(scaling):
    p = 0.3
    layer = Dropout(p, scaling)
    layer.rng = np.random.default_rng(7)
    x = np.ones((2000, 500), np.float32)
    train_mean = layer.forward(x, training=True).mean()
    test_mean = layer.forward(x, training=False).mean()
    # the rate is applied in steps of 1/65536
    assert test_mean == pytest.approx(1.0 if scaling == "inverted" else 1 - p, abs=2e-5)
    # Expected activation in training equals the test-time activation (1e6 draws: SE ~ 6e-4).
    assert train_mean == pytest.approx(test_mean, abs=4e-3)
    kept = layer._mask != 0
    assert kept.mean() == pytest.approx(1 - p, abs=3e-3)


def test_dropout_evaluation_is_deterministic_and_training_is_not(rng):
    model = Sequential.from_config([{"type": "dense", "units": 50, "activation": "relu"},
                                    {"type": "dropout", "rate": 0.5}, {"type": "dense"}], (4,), 3)
    x = rng.standard_normal((10, 4)).astype(np.float32)
    np.testing.assert_array_equal(model.outputs(x), model.outputs(x))
    a = model.forward(x, training=True).copy()
    b = model.forward(x, training=True).copy()
    assert not np.array_equal(a, b)


def test_dropout_rejects_unknown_scaling():
    with pytest.raises(ValueError, match="inverted"):
        Dropout(0.5, "scaled")


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("size, channels, stride, padding, pool", [
    ((8, 8), 2, 1, "same", 2),      # few channels: per-tap copies
    ((9, 7), 8, 1, "same", 2),      # odd edges the pool drops; block copy
    ((11, 11), 3, 2, "valid", 2),   # strided convolution
    ((9, 9), 8, 1, "same", 3),      # 3x3 pool
])
def test_fused_convolution_and_pooling_compute_the_same_numbers(rng, activation, size, channels,
                                                                stride, padding, pool):
    """Window-major convolution (and ReLU after pooling) must not change values or gradients."""
    from regstudio.engine import SoftmaxCrossEntropy

    layers = [{"type": "conv2d", "filters": 4, "kernel": 3, "stride": stride, "padding": padding,
               "activation": activation},
              {"type": "maxpool2d", "size": pool},
              {"type": "conv2d", "filters": 5, "kernel": 3, "activation": activation},
              {"type": "maxpool2d", "size": 2}, {"type": "dense"}]
    fused = Sequential.from_config(layers, (*size, channels), 3, seed=1, dtype=np.float64)
    plain = Sequential.from_config(layers, (*size, channels), 3, seed=1, dtype=np.float64, fuse=False)
    assert fused.layers[0].pool_window == pool and fused.layers[3].window_major
    assert fused.layers[3].relu_after == (activation == "relu")
    assert fused.layers[0].get_config()["activation"] == activation
    x = rng.standard_normal((5, *size, channels))
    x[:, :4, :4, :] = 0.0  # constant patches: ties in the pooling windows
    y = rng.integers(0, 3, 5)
    loss = SoftmaxCrossEntropy()
    for model in (fused, plain):
        _, d = loss.value_and_grad(model.forward(x, True), y)
        model.backward(d)
    np.testing.assert_array_equal(fused.forward(x, False), plain.forward(x, False))
    np.testing.assert_allclose(fused.grads, plain.grads, rtol=1e-12, atol=1e-15)
    assert np.abs(plain.grads).max() > 0
