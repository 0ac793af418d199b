"""Building from a config: output size from the data, losses by task, model files round-trip."""

import numpy as np
import pytest

from regstudio.experiments.build import build
from regstudio.experiments.config import ConfigError, set_path
from regstudio.experiments.export import load_model, save_model
from regstudio.experiments.training import train


def test_output_layer_size_follows_the_data(moons_config):
    built = build(moons_config)
    assert built.model.output_shape == (2,)
    bad = set_path(moons_config, "model.layers[2].units", 5)
    with pytest.raises(ConfigError, match=r"model.layers\[2\].units: the output layer must have 2 units"):
        build(bad)


def test_conv_on_tabular_data_is_flagged(moons_config):
    cfg = set_path(moons_config, "model.layers", [{"type": "conv2d", "filters": 4}, {"type": "dense"}])
    with pytest.raises(ConfigError, match=r"model.layers\[0\]: Conv2D needs image input"):
        build(cfg)


def test_sigmoid_bce_needs_two_classes(moons_config):
    built = build(set_path(moons_config, "training.loss", "sigmoid_bce"))
    assert built.model.output_shape == (1,)
    cfg = set_path(moons_config, "data", {"source": "builtin", "name": "blobs"})
    cfg = set_path(cfg, "training.loss", "sigmoid_bce")
    with pytest.raises(ConfigError, match="needs two classes"):
        build(cfg)


def test_regression_uses_mse_and_reports_r2():
    cfg = {"data": {"source": "builtin", "name": "curve"},
           "model": {"layers": [{"type": "dense", "units": 16, "activation": "tanh"}, {"type": "dense"}]},
           "training": {"optimizer": "adam", "lr": 0.01, "epochs": 5, "batch_size": 8}}
    result = train(cfg)
    assert "val_r2" in result.history[-1] and "val_acc" not in result.history[-1]
    assert set(result.summary["final"]) >= {"train_loss", "val_loss", "train_r2", "val_r2"}


def test_model_file_round_trip_is_exact(moons_config, tmp_path):
    result = train(moons_config)
    path = tmp_path / "model.npz"
    save_model(path, result.model, result.config)
    loaded, cfg = load_model(path)
    assert cfg == result.config
    for name, value in result.model.get_weights().items():
        np.testing.assert_array_equal(loaded.get_weights()[name], value)
    X = result.dataset.val.X
    np.testing.assert_array_equal(loaded.outputs(X), result.model.outputs(X))
    with np.load(path, allow_pickle=False) as data:  # loads without pickle
        assert "dense_0.W" in data.files


def test_summary_reports_best_epoch_and_stop(moons_config):
    cfg = set_path(moons_config, "early_stopping", {"enabled": True, "patience": 2})
    cfg = set_path(cfg, "training.epochs", 200)
    result = train(cfg)
    s = result.summary
    assert s["stop_reason"] == "early_stopping"
    assert s["stopped_epoch"] == s["best_epoch"] + 2
    losses = [r["val_loss"] for r in result.history]
    assert s["best_val_loss"] == min(losses)
    # restore_best_weights (default true): the final validation loss is the best one
    assert s["final"]["val_loss"] == pytest.approx(s["best_val_loss"], rel=1e-5)


def test_predict_gives_probabilities_for_classes(moons_config, tmp_path):
    result = train(moons_config)
    proba = result.model.predict(result.dataset.val.X)
    assert proba.shape == (len(result.dataset.val.X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    save_model(tmp_path / "m.npz", result.model, result.config, "classification")
    loaded, _ = load_model(tmp_path / "m.npz")
    np.testing.assert_allclose(loaded.predict(result.dataset.val.X), proba, rtol=1e-6)


def test_a_saved_model_carries_the_standardisation_of_its_data(tmp_path, moons_config):
    import json

    import numpy as np

    from regstudio.experiments.export import write_run
    from regstudio.experiments.training import train

    config = {**moons_config, "training": {**moons_config["training"], "epochs": 1}}
    result = train(config)
    write_run(tmp_path, result)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as data:
        meta = json.loads(str(data["__meta__"]))
    scaling = meta["standardization"]
    raw = result.dataset  # the model's inputs are (raw - x_mean) / x_std
    assert np.allclose(scaling["x_mean"], np.ravel(raw.x_mean)) and scaling["pixel_scale"] == 1.0
    assert np.allclose(scaling["x_std"], np.ravel(raw.x_std))
