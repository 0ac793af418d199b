"""The Keras script's parts: the leaky ReLU with the app's slope, the model, its compilation,
the targets, the augmenting batch sequence and ``main()``.

Run as it is, the module is the script of a small classification experiment (its placeholder
settings below); set the flags another way and it is the script of that experiment.
"""

# --- export: imports ---
import argparse  # noqa: F401 (the script's main() uses it, here through parse_arguments)
import json  # noqa: F401 (the script's CONFIG reads with it)
import os  # noqa: F401 (likewise)

import keras
import numpy as np
from keras import layers, regularizers  # noqa: F401 (the script's layers use them)

# --- end ---
from .data import BATCH_SIZE, FLIPS, LR, SEED, load_data, parse_arguments, set_up_pipeline

# How this module runs (the generator sets these for each experiment and keeps only the
# branches they choose): softmax cross-entropy, Adam, early stopping, no augmentation.
CROSS_ENTROPY, SIGMOID_BCE = True, False
USE_SGD, USE_ADAM, EXCLUDE_BIASES = False, True, False
MOMENTUM, NESTEROV, WEIGHT_DECAY = 0.9, False, 0.0
AUGMENT, EARLY_STOPPING = False, True
ES_MONITOR, ES_MIN_DELTA, ES_PATIENCE, ES_MODE = "val_data_loss", 0.0, 5, "min"
ES_BASELINE, ES_RESTORE, ES_START = None, True, 0
METRIC = "acc"


def model_layers():  # the experiment's layers, written out in the script
    return [keras.Input(shape=(2,)), layers.Dense(2)]


# --- export: leaky_relu ---
def leaky_relu(x):
    return keras.activations.leaky_relu(x, 0.01)  # the app's slope


# --- export: build_model ---
def build_model():
    """The network, layer for layer as configured in Regularization Studio."""
    return keras.Sequential([
        *model_layers(),
    ])


# --- export: compile_model ---
def compile_model(model):
    if USE_SGD:
        optimizer = keras.optimizers.SGD(learning_rate=LR, momentum=MOMENTUM, nesterov=NESTEROV)
    elif USE_ADAM:
        optimizer = keras.optimizers.Adam(learning_rate=LR, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    else:
        optimizer = keras.optimizers.AdamW(learning_rate=LR, weight_decay=WEIGHT_DECAY, beta_1=0.9, beta_2=0.999, epsilon=1e-8)  # noqa: E501
    if EXCLUDE_BIASES:
        optimizer.exclude_from_weight_decay(var_names=["bias"])  # decay the weights only
    if CROSS_ENTROPY:
        model.compile(optimizer=optimizer,
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc"),
                               keras.metrics.SparseCategoricalCrossentropy(from_logits=True, name="data_loss")])
    elif SIGMOID_BCE:
        model.compile(optimizer=optimizer,
                      loss=keras.losses.BinaryCrossentropy(from_logits=True),
                      metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="acc"),
                               keras.metrics.BinaryCrossentropy(from_logits=True, name="data_loss")])
    else:
        model.compile(optimizer=optimizer,
                      loss=keras.losses.MeanSquaredError(),
                      metrics=[keras.metrics.R2Score(name="r2"),
                               keras.metrics.MeanSquaredError(name="data_loss")])
    return model


# --- export: targets ---
if SIGMOID_BCE:
    def targets(y):
        return np.asarray(y, "float32").reshape(-1, 1)  # one logit per sample
else:
    def targets(y):
        return np.asarray(y)


# --- export: Batches ---
Base = getattr(keras.utils, "PyDataset", None) or keras.utils.Sequence


class Batches(Base):
    """Shuffled, augmented training batches; never used for validation data."""

    def __init__(self, data):
        super().__init__()
        self.X, self.y = data["train"]
        self.images, self.to_X, self.pipeline = data["images"], data["to_X"], None
        self.rng = np.random.default_rng(SEED)
        self.order = self.rng.permutation(len(self.X))
        set_up_pipeline(self)  # export: data.set_up_pipeline

    def __len__(self):
        return -(-len(self.X) // BATCH_SIZE)

    def __getitem__(self, i):
        idx = self.order[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]
        if self.pipeline is not None:
            x = self.to_X(self.pipeline(self.images[idx], self.rng))
        else:
            x = self.X[idx].copy()
        for op, p in FLIPS:  # NHWC: width is axis 2, height axis 1
            chosen = self.rng.random(len(x)) < p
            x[chosen] = np.flip(x[chosen], 2 if op == "hflip" else 1)
        return x, targets(self.y[idx])

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.X))


# --- export: main ---
def main():
    args = parse_arguments()  # export: data.arguments
    keras.utils.set_random_seed(SEED)
    data = load_data(args.data)
    X, y = data["train"]
    X_val, y_val = data["val"]
    model = compile_model(build_model())
    callbacks = []
    if EARLY_STOPPING:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=ES_MONITOR,  # ES_NOTE
            min_delta=ES_MIN_DELTA, patience=ES_PATIENCE, mode=ES_MODE, baseline=ES_BASELINE,
            restore_best_weights=ES_RESTORE, start_from_epoch=ES_START))
    if AUGMENT:
        model.fit(Batches(data), epochs=args.epochs, validation_data=(X_val, targets(y_val)),
                  callbacks=callbacks, verbose=2)
    else:
        model.fit(X, targets(y), batch_size=BATCH_SIZE, epochs=args.epochs, shuffle=True,
                  validation_data=(X_val, targets(y_val)), callbacks=callbacks, verbose=2)
    final = model.evaluate(X_val, targets(y_val), verbose=0, return_dict=True)
    print(f"final val_loss {final['data_loss']:.4f}  val_{METRIC} {final[METRIC]:.4f}")
    X_test, y_test = data["test"]
    if len(X_test):
        test = model.evaluate(X_test, targets(y_test), verbose=0, return_dict=True)
        print(f"test  test_loss {test['data_loss']:.4f}  test_{METRIC} {test[METRIC]:.4f}")
    return model


if __name__ == "__main__":
    main()
