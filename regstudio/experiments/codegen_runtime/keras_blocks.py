"""The Keras script's static parts: the leaky ReLU with the app's slope and the augmenting
batch sequence."""

import keras
import numpy as np

SEED = 0  # the experiment's settings, in the scripts
BATCH_SIZE = 32
FLIPS = [("hflip", 0.5)]  # (op, probability)
OTHER_OPS = [{"op": "rotate", "degrees": 10.0, "p": 1.0}]


def targets(y):  # the scripts write the experiment's own
    return np.asarray(y)


# --- export: leaky_relu ---
def leaky_relu(x):
    return keras.activations.leaky_relu(x, 0.01)  # the app's slope


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
        if OTHER_OPS and self.images is not None:
            from regstudio.data import Pipeline
            self.pipeline = Pipeline.from_config({"enabled": True, "ops": OTHER_OPS})
        elif OTHER_OPS:
            names = ", ".join(op["op"] for op in OTHER_OPS)
            print(f"note: augmentation {names} skipped (needs regstudio and its uint8 images)")

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
