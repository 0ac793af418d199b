"""Hostile config inputs (issue 17, defects 5 and 7): huge numbers, long integers, odd schemas,
size caps; and a fuzz of the validator in which only ConfigError may escape."""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regstudio.experiments.config import (
    MAX_HIDDEN_WEIGHTS,
    MAX_LAYERS,
    ConfigError,
    default_config,
    parse_json,
    read_json_file,
    set_path,
    validate_config,
)

HUGE = 10**400


@pytest.mark.parametrize("path", [
    "training.lr", "training.momentum", "training.weight_decay", "regularization.l1", "regularization.l2",
    "early_stopping.min_delta", "early_stopping.baseline", "data.noise", "data.val_fraction",
    "training.epochs", "training.batch_size", "training.seed", "early_stopping.patience",
])
@pytest.mark.parametrize("sign", [1, -1])
def test_a_huge_integer_is_a_config_error_naming_the_key(path, sign):
    with pytest.raises(ConfigError, match=rf"^{path.replace('.', '[.]')} must be .* \(got an integer of about "
                                          r"401 digits\)$"):
        validate_config(set_path(default_config(), path, sign * HUGE))


def test_a_huge_dropout_rate_is_a_config_error():
    cfg = default_config()
    cfg["model"]["layers"].insert(1, {"type": "dropout", "rate": HUGE})
    with pytest.raises(ConfigError, match=r"model.layers\[1\].rate must be a number from 0 to 0.95"):
        validate_config(cfg)


def test_json_with_an_integer_over_4300_digits_is_a_config_error():
    text = '{"training": {"lr": 1' + "0" * 4400 + "}}"
    with pytest.raises(ConfigError, match=r"^cfg.json: not a usable JSON file \(Exceeds the limit \(4300 digits\) "
                                          r"for integer string conversion: value has 4401 digits\)$"):
        parse_json(text, "cfg.json")


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "cfg.json: not valid JSON at line 1, column 2"),
    (b"\xff\xfe{}", "cfg.json: not UTF-8 text"),
    ("[" * 100_000 + "]" * 100_000, "cfg.json: nested too deeply to be a config"),
])
def test_malformed_json_is_a_config_error(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_json(text, "cfg.json")


def test_a_device_or_huge_file_is_not_read_whole(tmp_path):
    with pytest.raises(ConfigError, match="/dev/zero: not a regular file"):
        read_json_file("/dev/zero")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    with pytest.raises(ConfigError, match="fifo.json: not a regular file"):
        read_json_file(fifo)
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as fh:
        fh.truncate(17 * 2**20)
    with pytest.raises(ConfigError, match="huge.json: larger than 16 MB, the limit for a config"):
        read_json_file(huge)


@pytest.mark.parametrize(("schema", "message"), [
    (True, r"^schema: must be an integer from 1 to 1 \(got True\); the file is damaged"),
    (0, r"^schema: must be an integer from 1 to 1 \(got 0\)"),
    (-3, r"^schema: must be an integer from 1 to 1 \(got -3\)"),
    (1.0, r"^schema: must be an integer from 1 to 1 \(got 1.0\)"),
    (2, r"^schema: 2 is newer than this version reads \(1\)"),
])
def test_schema_must_be_an_integer_and_only_larger_is_newer(schema, message):
    cfg = default_config()
    cfg["schema"] = schema
    with pytest.raises(ConfigError, match=message):
        validate_config(cfg)


def test_the_layer_count_is_capped():
    cfg = default_config()
    cfg["model"]["layers"] = [{"type": "dense", "units": 4}] * MAX_LAYERS + [{"type": "dense"}]
    with pytest.raises(ConfigError, match=rf"^model.layers: at most {MAX_LAYERS} layers \(got {MAX_LAYERS + 1}\)"):
        validate_config(cfg)
    cfg["model"]["layers"] = cfg["model"]["layers"][1:]
    assert len(validate_config(cfg)["model"]["layers"]) == MAX_LAYERS


def test_a_hundred_thousand_layers_are_refused_at_once():
    cfg = default_config()
    cfg["model"]["layers"] = [{"type": "dense", "units": 4}] * 100_000
    with pytest.raises(ConfigError, match=r"at most 100 layers \(got 100000\)"):
        validate_config(cfg)


def test_the_weights_between_dense_layers_are_capped():
    cfg = default_config()
    cfg["model"]["layers"] = [{"type": "dense", "units": 8192}, {"type": "dense", "units": 8192},
                              {"type": "dense"}]
    assert validate_config(cfg)  # one 8192 x 8192 link is the limit
    cfg["model"]["layers"].insert(0, {"type": "dense", "units": 2})
    with pytest.raises(ConfigError, match=f"the dense layers hold {MAX_HIDDEN_WEIGHTS + 2 * 8192:,} weights"):
        validate_config(cfg)


# -- fuzz: whatever the JSON holds, only ConfigError escapes ---------------------------------
_leaf = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-10**500, max_value=10**500)
         | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8)
         | st.sampled_from(["dense", "dropout", "conv2d", "flatten", "maxpool2d", "builtin", "moons", "npz",
                            "relu", "adam", "val_loss", "hflip", "rotate"]))
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=6) | st.sampled_from(
                         ["type", "units", "rate", "op", "p", "lr", "name", "source", "layers"]), inner, max_size=4),
                     max_leaves=20)
_PATHS = ["schema", "name", "data", "data.name", "data.source", "data.noise", "data.n_samples", "model",
          "model.layers", "model.layers[0]", "model.layers[0].units", "model.layers[1].type",
          "model.layers[2]", "regularization", "regularization.l2", "early_stopping.min_delta",
          "early_stopping.monitor", "augmentation", "augmentation.ops", "augmentation.ops[0].p",
          "training", "training.lr", "training.epochs", "training.batch_size"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(_PATHS), value=_json)
def test_fuzz_one_value_only_config_errors_escape(path, value):
    try:
        validate_config(set_path(default_config(), path, value))
    except ConfigError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=200, deadline=None)
@given(cfg=_json)
def test_fuzz_whole_config_only_config_errors_escape(cfg):
    try:
        validate_config(cfg)
    except ConfigError:
        pass


@settings(max_examples=200, deadline=None)
@given(value=_json)
def test_fuzz_parse_json_round_trip_or_config_error(value):
    try:
        text = json.dumps(value)
    except ValueError:  # an integer too long to print
        return
    try:
        parsed = parse_json(text, "f.json")
    except ConfigError:
        return
    assert json.dumps(parsed) == text
