"""Config validation names the key, the allowed range and the value received."""

import pytest

from regstudio.experiments.config import (
    ConfigError,
    default_config,
    get_path,
    set_path,
    validate_config,
)


def test_default_config_is_valid_and_fills_defaults():
    cfg = validate_config(default_config())
    assert cfg["early_stopping"]["patience"] == 10
    assert cfg["training"]["momentum"] == 0.9
    assert cfg["model"]["layers"][-1] == {"type": "dense", "activation": "linear"}


@pytest.mark.parametrize("path,value,message", [
    ("regularization.l2", -1, "regularization.l2 must be a number from 0 to 10 (got -1"),
    ("training.optimizer", "rmsprop", "training.optimizer must be one of sgd, adam, adamw"),
    ("training.batch_size", 2.5, "training.batch_size must be an integer from 1 to 65536 (got 2.5)"),
    ("model.layers[0].units", 0, "model.layers[0].units must be an integer from 1 to 8192 (got 0)"),
    ("model.layers[1].type", "lstm", "model.layers[1].type must be one of dense"),
    ("early_stopping.patience", "10", "early_stopping.patience must be an integer"),
    ("data.name", "mnist", "data.name must be one of"),
    ("data.name", ["moons"], "data.name must be one of curve, moons"),
    ("model.layers[0].type", {"dense": 1}, "model.layers[0].type must be one of dense"),
    ("model.layers[0]", "dense", "model.layers[0].type must be one of dense"),
    ("augmentation.ops[0]", "hflip", 'augmentation.ops[0] must be an object such as {"op": "hflip"'),
    ("regularization.dropout_scaling", "none", "regularization.dropout_scaling must be one of"),
])
def test_bad_values_name_key_and_range(path, value, message):
    with pytest.raises(ConfigError) as info:
        validate_config(set_path(default_config(), path, value))
    assert message in str(info.value)


def test_data_source_and_name_take_their_documented_defaults():
    cfg = default_config()
    cfg["data"] = {"name": "digits"}
    assert validate_config(cfg)["data"]["source"] == "builtin"
    cfg["data"] = {"n_samples": 60}  # a key of the default set, moons
    data = validate_config(cfg)["data"]
    assert (data["source"], data["name"], data["n_samples"]) == ("builtin", "moons", 60)


def test_unknown_keys_are_errors():
    cfg = default_config()
    cfg["regularization"]["l3"] = 1
    with pytest.raises(ConfigError, match=r"regularization.l3 is not a known key here \(known: l1, l2"):
        validate_config(cfg)
    cfg = default_config()
    cfg["extra"] = 1
    with pytest.raises(ConfigError, match="extra is not a known key here"):
        validate_config(cfg)


def test_newer_schema_is_refused():
    cfg = default_config()
    cfg["schema"] = 2
    with pytest.raises(ConfigError, match="newer Regularization Studio"):
        validate_config(cfg)


def test_last_layer_must_be_dense():
    cfg = set_path(default_config(), "model.layers", [{"type": "dense", "units": 4}, {"type": "dropout"}])
    with pytest.raises(ConfigError, match=r"model.layers\[1\]: the last layer must be a dense output layer"):
        validate_config(cfg)


def test_paths_get_and_set_without_mutating():
    cfg = default_config()
    new = set_path(cfg, "model.layers[0].units", 7)
    assert get_path(new, "model.layers[0].units") == 7
    assert get_path(cfg, "model.layers[0].units") == 256
