"""How raw inputs become model inputs, as plain data for a model file's JSON header.

Tables: each column in ``encoding["columns"]`` order gives inputs (a number, one 0/1 per
category, or the date parts), a missing cell takes ``fill``; then ``x = (v - x_mean) / x_std``.
Images: ``x = (rint(raw * raw_scale) / pixel_scale - x_mean) / x_std`` per channel (the digits'
0..16 values have ``raw_scale`` 255/16, 0..1 float images 255, 8-bit images 1). Regression
outputs go back to the data's units as ``y * y_std + y_mean``; class ``k`` is ``classes[k]``.
docs/export.md has the whole recipe as code."""

from __future__ import annotations

import numpy as np


def input_recipe(dataset) -> dict:
    """The recipe of ``dataset`` (see the module docstring)."""
    image = dataset.image_shape is not None
    out = {"x_mean": np.ravel(dataset.x_mean).tolist(), "x_std": np.ravel(dataset.x_std).tolist(),
           "pixel_scale": 255.0 if image else 1.0,
           "y_mean": float(dataset.y_mean), "y_std": float(dataset.y_std),
           "classes": list(dataset.classes), "target": getattr(dataset, "target", None)}
    if image:
        out["raw_scale"] = float(dataset.raw_scale)
        out["image_shape"] = list(dataset.image_shape)
    if dataset.encoding is not None:
        out["encoding"] = dataset.encoding
    return out
