"""The experiment config: one JSON format for the GUI, saved files and the command line.

A config is a plain dict (see ARCHITECTURE.md). :func:`validate_config` returns
a normalized copy with every default filled in, or raises :class:`ConfigError`
whose message names the key, the allowed values and the value received. Each
section's keys, defaults, ranges and help texts live in one table (``*_OPTIONS``)
that also drives the GUI's widgets and tooltips.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import stat
from contextlib import contextmanager

from ..engine.model import LAYER_OPTIONS, ModelSpecError, normalized_layers
from ..options import Option, shown, validate

SCHEMA = 1
MAX_CONFIG_BYTES = 16 * 2**20  # a config is a few KB; this stops /dev/zero and the like
MAX_LAYERS = 100
MAX_HIDDEN_WEIGHTS = 2**26  # weights between consecutive dense layers: one 8192 x 8192 link


class ConfigError(ValueError):
    """A config that cannot be used; the message is one line naming the key."""


REGULARIZATION_OPTIONS = {
    "l1": Option(0.0, "float", 0.0, 10.0, log=True,
                 help="L1 strength alpha: adds alpha * sum|w| to the loss and pushes weights to exactly "
                      "zero (a sparse network). Too strong underfits."),
    "l2": Option(0.0, "float", 0.0, 10.0, log=True,
                 help="L2 strength alpha: adds alpha * sum w^2 to the loss and shrinks every weight "
                      "towards zero without zeroing it. Too strong underfits."),
    "l1_method": Option("proximal", "choice", choices=("proximal", "subgradient"),
                        help="proximal: soft-threshold after each step so weights reach exactly zero; "
                             "subgradient: add alpha * sign(w) to the gradient (Keras, PyTorch)."),
    "apply_to_bias": Option(False, "bool", help="Penalize the biases too (usually not done)."),
    "dropout_scaling": Option("inverted", "choice", choices=("inverted", "keep_probability"),
                              help="inverted: scale kept units by 1/(1-p) while training (PyTorch, Keras); "
                                   "keep_probability: scale by 1-p at test time (the original paper)."),
}

EARLY_STOPPING_OPTIONS = {
    "enabled": Option(False, "bool", help="Stop when the monitored value stops improving."),
    "monitor": Option("val_loss", "choice", choices=("val_loss", "val_acc", "val_r2", "train_loss"),
                      help="The value watched for improvement."),
    "patience": Option(10, "int", 0, 100000,
                       help="Epochs without improvement before stopping. Small values stop on noise."),
    "min_delta": Option(0.0, "float", 0.0, 1e9, help="Smallest change that counts as an improvement."),
    "mode": Option("auto", "choice", choices=("auto", "min", "max"),
                   help="Whether lower (min) or higher (max) is better; auto picks from the name."),
    "baseline": Option(None, "float", None, None, nullable=True,
                       help="A value the monitor must beat to count as an improvement (optional)."),
    "restore_best_weights": Option(True, "bool",
                                   help="Put back the weights of the best epoch when training ends."),
    "start_from_epoch": Option(0, "int", 0, 100000, help="Ignore the first epochs (warm-up)."),
}

TRAINING_OPTIONS = {
    "optimizer": Option("sgd", "choice", choices=("sgd", "adam", "adamw"),
                        help="sgd: stochastic gradient descent with momentum; adam: adaptive steps; "
                             "adamw: Adam with decoupled weight decay."),
    "lr": Option(0.01, "float", 1e-7, 10.0, log=True,
                 help="Learning rate: step size. Too high diverges, too low crawls."),
    "momentum": Option(0.9, "float", 0.0, 0.999, help="SGD momentum (0 = plain SGD)."),
    "nesterov": Option(False, "bool", help="Nesterov momentum for SGD."),
    "weight_decay": Option(0.0, "float", 0.0, 1.0, log=True,
                           help="AdamW's decoupled weight decay: w -= lr * decay * w each step, "
                                "separate from the L2 penalty in the loss."),
    "batch_size": Option(32, "int", 1, 65536, help="Samples per gradient step."),
    "epochs": Option(100, "int", 1, 100000, help="Passes over the training set."),
    "seed": Option(0, "int", 0, 2**31 - 1, help="Seed for initial weights, shuffling, dropout."),
    "loss": Option("auto", "choice", choices=("auto", "cross_entropy", "sigmoid_bce", "mse"),
                   help="auto: cross-entropy for classes, mean squared error for regression; "
                        "sigmoid_bce: one sigmoid output for two classes."),
}

AUGMENTATION_DEFAULT = {"enabled": False, "ops": []}


def default_config() -> dict:
    """A ready experiment that overfits within seconds: 50 noisy moons, a wide MLP, Adam.

    Validation loss bottoms out after a few epochs and then climbs several-fold while
    the training loss goes to zero; the decision regions wrap around single points.
    """
    return {
        "schema": SCHEMA,
        "name": "moons, wide MLP (overfits)",
        "data": {"source": "builtin", "name": "moons", "n_samples": 100, "noise": 0.3,
                 "val_fraction": 0.5, "test_fraction": 0.0, "standardize": True, "seed": 0},
        "model": {"layers": [
            {"type": "dense", "units": 256, "activation": "relu"},
            {"type": "dense", "units": 256, "activation": "relu"},
            {"type": "dense"},
        ]},
        "regularization": {"l1": 0.0, "l2": 0.0, "l1_method": "proximal", "apply_to_bias": False,
                           "dropout_scaling": "inverted"},
        "early_stopping": {"enabled": False, "monitor": "val_loss", "patience": 10, "min_delta": 0.0,
                           "restore_best_weights": True, "start_from_epoch": 0},
        "augmentation": {"enabled": False, "ops": [
            {"op": "hflip", "p": 0.5}, {"op": "rotate", "degrees": 15, "p": 1.0},
        ]},
        "training": {"optimizer": "adam", "lr": 0.01, "batch_size": 16, "epochs": 150, "seed": 0},
    }


def _validate_data(data) -> dict:
    from ..data import DataError, validate_data  # lazy: the data layer imports Pillow

    try:
        return validate_data(data)
    except DataError as exc:
        raise ConfigError(str(exc)) from None


def _validate_augmentation(aug) -> dict:
    from ..data import DataError, Pipeline

    try:
        return Pipeline.from_config(aug).to_config()
    except DataError as exc:
        raise ConfigError(str(exc)) from None


def _validate_model(model) -> dict:
    if not isinstance(model, dict) or set(model) - {"layers"}:
        raise ConfigError("model: must be an object with one key, layers (a list of layer objects)")
    if isinstance(model.get("layers"), list) and len(model["layers"]) > MAX_LAYERS:
        raise ConfigError(f"model.layers: at most {MAX_LAYERS} layers (got {len(model['layers'])}); "
                          "see docs/limits.md")
    layers = normalized_layers(model.get("layers"), None)
    units = [spec.get("units") for spec in layers if spec["type"] == "dense"]
    hidden = sum(a * b for a, b in itertools.pairwise(units) if a and b)
    if hidden > MAX_HIDDEN_WEIGHTS:
        raise ConfigError(f"model.layers: the dense layers hold {hidden:,} weights between them, "
                          f"more than the limit of {MAX_HIDDEN_WEIGHTS:,}; use fewer or smaller layers")
    for spec in layers:  # keep saved files short: no empty overrides, no unknown output size
        for key in ("l1", "l2", "units"):
            if key in spec and spec[key] is None:
                del spec[key]
    return {"layers": layers}


def validate_config(cfg: dict) -> dict:
    """A normalized deep copy of ``cfg``; raises ConfigError naming the first bad key."""
    if not isinstance(cfg, dict):
        raise ConfigError(f"the config must be a JSON object, got {type(cfg).__name__}")
    allowed = ("schema", "name", "data", "model", "regularization", "early_stopping",
               "augmentation", "training")
    unknown = [k for k in cfg if k not in allowed]
    if unknown:
        raise ConfigError(f"{unknown[0]} is not a known key here (known: {', '.join(allowed)})")
    check_schema(cfg.get("schema", SCHEMA), SCHEMA, "schema", ConfigError)
    for key in ("data", "model"):
        if key not in cfg:
            raise ConfigError(f"{key}: missing; every config needs a data and a model section")
    name = cfg.get("name", "experiment")
    if not isinstance(name, str):
        raise ConfigError(f"name: must be a text, got {name!r}")
    try:
        return {
            "schema": SCHEMA,
            "name": name,
            "data": _validate_data(cfg["data"]),
            "model": _validate_model(cfg["model"]),
            "regularization": validate(cfg.get("regularization", {}), REGULARIZATION_OPTIONS,
                                       "regularization."),
            "early_stopping": validate(cfg.get("early_stopping", {}), EARLY_STOPPING_OPTIONS,
                                       "early_stopping."),
            "augmentation": _validate_augmentation(cfg.get("augmentation", AUGMENTATION_DEFAULT)),
            "training": validate(cfg.get("training", {}), TRAINING_OPTIONS, "training."),
        }
    except ConfigError:
        raise
    except (ValueError, ModelSpecError) as exc:
        raise ConfigError(str(exc)) from None


def live_option(key: str, layers: list[dict]):
    """What a live change of ``key`` (see ``engine.control.live_key``) takes: the Option of a
    number, ``"section"`` for augmentation, or None when ``key`` cannot change while training
    (a dropout key must name one of ``layers``' dropout layers)."""
    from ..engine.control import LIVE_KEYS, dropout_index

    if key == "augmentation":
        return "section"
    if key in LIVE_KEYS:
        section, name = key.split(".")
        return (REGULARIZATION_OPTIONS if section == "regularization" else TRAINING_OPTIONS)[name]
    index = dropout_index(key)
    if index is not None and index < len(layers) and layers[index].get("type") == "dropout":
        return LAYER_OPTIONS["dropout"]["rate"]
    return None


def check_schema(schema, current: int, key: str, error: type[Exception]) -> None:
    """``schema`` must be an integer from 1 to ``current``; the message says which way it is off."""
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise error(f"{key}: must be an integer from 1 to {current} (got {shown(schema)}); "
                    "the file is damaged or not from Regularization Studio")
    if schema > current:
        raise error(f"{key}: {shown(schema)} is newer than this version reads ({current}); a newer "
                    "Regularization Studio wrote this file: update to open it")


def parse_json(data: bytes | str, where: str, error: type[Exception] = ConfigError,
               limit: int = MAX_CONFIG_BYTES):
    """JSON text (UTF-8, an optional BOM) to Python; anything malformed, nested too deeply,
    larger than ``limit`` bytes or with an integer over 4,300 digits raises ``error``
    naming ``where`` (and the line and column when the syntax is wrong)."""
    if len(data) > limit:
        raise error(f"{where}: larger than {limit // 2**20} MB, too large for a config")
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise error(f"{where}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise error(f"{where}: nested too deeply to be a config") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise error(f"{where}: not a usable JSON file ({str(exc).split(';')[0]})") from None


@contextmanager
def open_regular(path, limit: int, error: type[Exception], noun: str = "a config"):
    """``path`` opened for reading after checking that it is a regular file of at most ``limit``
    bytes: a device such as /dev/zero, a pipe (which would block) or a folder is refused
    before anything is read, with ``error`` naming the file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise error(f"{path}: no such file; check the path") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{path}: is a folder; choose {noun} file")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: not a regular file (a device, pipe or socket); choose {noun} file")
        if info.st_size > limit:
            raise error(f"{path}: larger than {limit // 2**20} MB, the limit for {noun} (see docs/limits.md)")
        yield fh


def read_json_file(path, error: type[Exception] = ConfigError):
    """The JSON in ``path``, a regular file of at most MAX_CONFIG_BYTES (so a device such as
    /dev/zero, a pipe or a huge file is refused, not read until memory runs out)."""
    try:
        with open_regular(path, MAX_CONFIG_BYTES, error) as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return parse_json(data, str(path), error)


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _tokens(path: str) -> list:
    tokens = [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _TOKEN.finditer(path)]
    if not tokens:
        raise KeyError(f"empty config path {path!r}")
    return tokens


def get_path(cfg: dict, path: str):
    """Value at a dotted path such as ``"model.layers[1].rate"``."""
    node = cfg
    for token in _tokens(path):
        node = node[token]
    return node


def set_path(cfg: dict, path: str, value) -> dict:
    """A deep copy of ``cfg`` with the value at ``path`` replaced (created for a missing dict key)."""
    new = copy.deepcopy(cfg)
    tokens = _tokens(path)
    node = new
    for token in tokens[:-1]:
        node = node[token]
    node[tokens[-1]] = copy.deepcopy(value)
    return new
