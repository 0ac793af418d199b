"""Real learning on the digits with fixed seeds: the shapes the lesson teaches."""

import numpy as np
import pytest

from regstudio.experiments.training import train


def digits_config(layers, training, regularization=None, epochs=40):
    return {
        "data": {"source": "builtin", "name": "digits", "train_size": 300, "val_fraction": 0.3, "seed": 0},
        "model": {"layers": layers},
        "regularization": regularization or {},
        "training": {**training, "epochs": epochs, "seed": 0},
    }


WIDE = [{"type": "dense", "units": 512, "activation": "relu"},
        {"type": "dense", "units": 512, "activation": "relu"}, {"type": "dense"}]


@pytest.mark.slow
def test_wide_mlp_without_regularization_overfits():
    result = train(digits_config(WIDE, {"optimizer": "adam", "lr": 0.001, "batch_size": 32}, epochs=60))
    rows = result.history
    best = result.summary["best_epoch"]
    assert rows[-1]["train_loss"] < 0.1 * rows[-1]["val_loss"]  # training loss far below validation
    assert 1 < best < len(rows)  # an interior minimum: validation loss turns up after it
    assert rows[-1]["val_loss"] > rows[best - 1]["val_loss"] * 1.05


@pytest.mark.slow
def test_l1_proximal_zeroes_most_first_layer_weights_while_l2_only_shrinks():
    sgd = {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "batch_size": 32}
    plain = train(digits_config(WIDE, sgd, epochs=30))
    l1 = train(digits_config(WIDE, sgd, {"l1": 1e-2, "l1_method": "proximal"}, epochs=30))
    l2 = train(digits_config(WIDE, sgd, {"l2": 1e-2}, epochs=30))
    w_l1 = l1.model.get_weights()["dense_0.W"]
    w_l2 = l2.model.get_weights()["dense_0.W"]
    assert np.mean(w_l1 == 0) > 0.5  # most first-layer weights exactly zero
    assert np.mean(w_l2 == 0) < 0.01  # L2 leaves them non-zero
    norm = {r.config["regularization"]["l2"]: r.summary["layers"][0]["l2_norm"] for r in (plain, l2)}
    assert norm[1e-2] < 0.8 * norm[0.0]  # ... but shrinks the norm
