"""Config -> (Dataset, Model, Trainer): the single place the GUI and the command line use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import EarlyStopping, Sequential, Trainer
from ..engine.losses import MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy
from ..engine.model import ModelSpecError
from ..engine.optimizers import SGD, Adam, AdamW
from ..engine.threads import blas_threads
from .config import ConfigError, validate_config


@dataclass
class Built:
    config: dict  # validated
    dataset: object  # regstudio.data.Dataset
    model: Sequential
    trainer: Trainer


class AugmentedBatches:
    """Training batches of augmented images: gather uint8 originals, augment, standardize.

    Draws from its own generator so turning augmentation on or off does not change
    the order of batches. The pipeline can be swapped between batches (live change).
    """

    def __init__(self, dataset, pipeline, seed: int):
        self.images = dataset.train.images
        self.to_X = dataset.images_to_X
        self.pipeline = pipeline
        self.rng = np.random.default_rng([seed, 1])

    def __call__(self, idx, rng):
        batch = np.take(self.images, idx, axis=0)
        if self.pipeline is not None:
            batch = self.pipeline(batch, self.rng)
        return self.to_X(batch)

    def set_config(self, aug_cfg: dict):
        """Live change of the ``augmentation`` section; returns the previous section."""
        from ..data import Pipeline

        old = self.pipeline.to_config() if self.pipeline is not None else {"enabled": False, "ops": []}
        self.pipeline = Pipeline.from_config(aug_cfg) if aug_cfg.get("enabled") else None
        return old


def choose_loss(task: str, n_classes: int, name: str):
    """The loss the task asks for; ``sigmoid_bce`` only for two classes."""
    if task == "regression":
        if name not in ("auto", "mse"):
            raise ConfigError(f"training.loss: regression data needs 'mse' (or 'auto'), got {name!r}")
        return MeanSquaredError(), 1
    if name == "mse":
        raise ConfigError("training.loss: 'mse' is for regression; these data have classes")
    if name == "sigmoid_bce":
        if n_classes != 2:
            raise ConfigError(f"training.loss: 'sigmoid_bce' needs two classes, the data have {n_classes}")
        return SigmoidBinaryCrossEntropy(), 1
    return SoftmaxCrossEntropy(), n_classes


def make_optimizer(training: dict, decay_slice: slice):
    kind = training["optimizer"]
    if kind == "sgd":
        return SGD(training["lr"], training["momentum"], training["nesterov"])
    if kind == "adam":
        return Adam(training["lr"])
    return AdamW(training["lr"], weight_decay=training["weight_decay"], decay_slice=decay_slice)


def parallelism(layers: list[dict]) -> dict:
    """Convolutional networks compute each batch as two halves on two threads (NumPy's
    element-wise passes are single-threaded; this uses both cores). The halves are part of
    the computation, so the numbers are the same when only one thread is free (the GUI,
    sweep workers); dense networks keep one part (BLAS already uses every core there)."""
    if not any(spec["type"] == "conv2d" for spec in layers):
        return {"splits": 1, "threads": 1}
    return {"splits": 2, "threads": 2 if blas_threads() >= 2 else 1}


def load_data(config: dict, base_dir: str | Path | None = None):
    from ..data import load_dataset  # lazy: Pillow is only needed once data is loaded

    return load_dataset(config["data"], base_dir=base_dir)


def build(config: dict, base_dir: str | Path | None = None, dataset=None) -> Built:
    """Validate the config, load the data (unless given) and build model and trainer."""
    cfg = validate_config(config)
    if dataset is None:
        dataset = load_data(cfg, base_dir)
    reg, training, es = cfg["regularization"], cfg["training"], cfg["early_stopping"]
    loss, n_outputs = choose_loss(dataset.task, len(dataset.classes), training["loss"])
    try:
        model = Sequential.from_config(cfg["model"]["layers"], dataset.input_shape, n_outputs,
                                       seed=training["seed"], dropout_scaling=reg["dropout_scaling"],
                                       batch_size=training["batch_size"])
    except ModelSpecError as exc:
        raise ConfigError(str(exc)) from None
    model.head = loss.predict
    overrides = {
        layer.name: {"l1": spec.get("l1"), "l2": spec.get("l2")}
        for layer, spec in zip(model.layers, cfg["model"]["layers"], strict=True)
        if spec.get("l1") is not None or spec.get("l2") is not None
    }
    callbacks = []
    if es["enabled"]:
        monitor = es["monitor"]
        metric = "acc" if dataset.task == "classification" else "r2"
        if monitor in ("val_acc", "val_r2") and monitor != f"val_{metric}":
            raise ConfigError(f"early_stopping.monitor: these data report val_{metric}, not {monitor}")
        callbacks.append(EarlyStopping(monitor, es["min_delta"], es["patience"], es["mode"],
                                       es["baseline"], es["restore_best_weights"],
                                       es["start_from_epoch"]))
    decay = slice(None) if reg["apply_to_bias"] else model.weights
    batches = None
    live = {}
    if cfg["augmentation"]["enabled"] and dataset.train.images is None:
        raise ConfigError("augmentation.enabled: these data are a table, and augmentation works on "
                          "images only; set it to false")
    if dataset.train.images is not None:
        from ..data import Pipeline

        aug = cfg["augmentation"]
        batches = AugmentedBatches(dataset, Pipeline.from_config(aug) if aug["enabled"] else None,
                                   training["seed"])
        live["augmentation"] = batches.set_config
    trainer = Trainer(
        model, loss, make_optimizer(training, decay),
        l1=reg["l1"], l2=reg["l2"], apply_to_bias=reg["apply_to_bias"], l1_method=reg["l1_method"],
        overrides=overrides, batch_size=training["batch_size"], epochs=training["epochs"],
        seed=training["seed"], callbacks=callbacks, batch_source=batches, live_handlers=live,
        task=dataset.task, **parallelism(cfg["model"]["layers"]),
    )
    return Built(cfg, dataset, model, trainer)
