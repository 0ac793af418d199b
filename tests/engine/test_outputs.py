"""Evaluation in chunks of one size: the same outputs as one forward pass, and one set of
convolution work buffers however many rows are evaluated (each new size used to allocate a
fresh plan, hundreds of MB for a training set, holding the GIL while the window waited)."""

import numpy as np

from regstudio.engine.model import EVAL_BATCH, Sequential


def cnn():
    spec = [{"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "maxpool2d"},
            {"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense"}]
    return Sequential.from_config(spec, input_shape=(8, 8, 1), n_outputs=3, seed=0, dtype=np.float64)


def test_outputs_in_padded_chunks_match_one_forward_pass():
    model, rng = cnn(), np.random.default_rng(0)
    for n in (1, 37, EVAL_BATCH, EVAL_BATCH + 5, 3 * EVAL_BATCH - 1):
        X = rng.normal(size=(n, 8, 8, 1))
        expected = model.forward(X, training=False).copy()
        assert np.allclose(model.outputs(X), expected, rtol=1e-12, atol=1e-12), n
    assert model.outputs(np.zeros((0, 8, 8, 1))).shape == (0, 3)


def test_evaluating_many_sizes_keeps_one_convolution_plan():
    model, rng = cnn(), np.random.default_rng(1)
    conv = model.layers[0]
    for n in (30, 70, 300, 700, 1001):
        model.outputs(rng.normal(size=(n, 8, 8, 1)))
    plans = [key for key in conv._buffers if key[0] == "plan"]
    assert plans == [("plan", EVAL_BATCH)]
