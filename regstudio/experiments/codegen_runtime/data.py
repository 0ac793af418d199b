"""Both scripts' shared parts: the settings, the command line, the data loader (regstudio's
own split and standardization, or the user's .npz) and the augmentation settings and set-up."""

import argparse
import json
import os

import numpy as np

# --- export: settings ---
CONFIG = json.loads('{"data": {"source": "builtin", "name": "moons", "seed": 0}}')

INPUT_SHAPE = (2,)  # SHAPE_NOTE
EPOCHS = 2
BATCH_SIZE = 32
LR = 0.01
SEED = 0
# --- end ---


def parse_arguments():
    """The command line every script takes (its ``main()`` starts with these lines)."""
    # --- export: arguments ---
    parser = argparse.ArgumentParser(description="Train the exported experiment.")
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", EPOCHS)))
    parser.add_argument("--data", help="a .npz with X_train, y_train, X_val, y_val to use instead")
    args = parser.parse_args()
    # --- end ---
    return args


# --- export: load_data ---
def load_data(npz_path=None):
    """Train/validation/test arrays; the uint8 training images and the standardization
    when regstudio is available (the augmentation needs them)."""
    if npz_path:
        with np.load(npz_path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        empty_x = np.zeros((0, *INPUT_SHAPE), np.float32)
        empty_y = arrays["y_val"][:0]
        return {"train": (arrays["X_train"], arrays["y_train"]),
                "val": (arrays["X_val"], arrays["y_val"]),
                "test": (arrays.get("X_test", empty_x), arrays.get("y_test", empty_y)),
                "images": None, "to_X": None}
    try:
        from regstudio.data import load_dataset
    except ImportError:
        raise SystemExit("regstudio is not installed: pip install it, or pass --data FILE.npz "
                         "with X_train, y_train, X_val, y_val") from None
    ds = load_dataset(CONFIG["data"])
    return {"train": (ds.train.X, ds.train.y), "val": (ds.val.X, ds.val.y),
            "test": (ds.test.X, ds.test.y), "images": ds.train.images, "to_X": ds.images_to_X}


# --- export: augmentation ---
FLIPS = [("hflip", 0.5)]  # FLIPS_NOTE
# Other ops run through regstudio's own augmentation (the app's exact ops) on the uint8
# images before standardization; without regstudio they are skipped.
OTHER_OPS = [{"op": "rotate", "degrees": 10.0, "p": 1.0}]
# --- end ---


def set_up_pipeline(self):
    """``self.pipeline``: regstudio's own augmentation for ``OTHER_OPS`` on ``self.images``, or
    a note that they are skipped (the start of both scripts' augmenting batch makers)."""
    # --- export: set_up_pipeline ---
    if OTHER_OPS and self.images is not None:
        from regstudio.data import Pipeline
        self.pipeline = Pipeline.from_config({"enabled": True, "ops": OTHER_OPS})
    elif OTHER_OPS:
        names = ", ".join(op["op"] for op in OTHER_OPS)
        print(f"note: augmentation {names} skipped (needs regstudio and its uint8 images)")
    # --- end ---
