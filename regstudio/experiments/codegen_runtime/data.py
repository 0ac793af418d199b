"""Both scripts' data loader: regstudio's own split and standardization, or the user's .npz."""

import numpy as np

CONFIG = {"data": {"source": "builtin", "name": "moons", "seed": 0}}  # the experiment's, in the scripts
INPUT_SHAPE = (2,)


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
