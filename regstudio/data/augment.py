"""Augmentation: batch ops on (N, H, W, C) uint8 or float images, the OPS table and Pipeline.

Every op returns a new array of the same shape and dtype and never modifies its input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import colour as _c
from . import geometry as _g
from ._batch import Kernel, check_batch, chunk_size, settle, store, to_planes
from .colour import brightness, contrast, grayscale, hue, invert, noise, saturation
from .errors import DataError
from .geometry import affine, crop, cutout, hflip, rotate, translate, vflip, zoom
from .options import Option, validate

__all__ = ["OPS", "OpSpec", "Pipeline", "affine", "brightness", "contrast", "crop", "cutout",
           "grayscale", "hflip", "hue", "invert", "noise", "rotate", "saturation", "translate",
           "vflip", "zoom"]

Draw = Callable[[int, dict, np.random.Generator, tuple], tuple]


@dataclass(frozen=True)
class OpSpec:
    title: str
    help: str
    params: dict[str, Option]  # always includes "p"
    kernel: Kernel  # kernel(planes, top, rng, *per_image_arrays)
    draw: Draw = lambda n, o, rng, hw: ()  # noqa: E731 - per-image arrays for n chosen images


def _p(default: float) -> Option:
    return Option(default, "float", 0.0, 1.0, help="Probability that an image gets this op.")


def _fill() -> Option:
    return Option(0, "int", 0, 255, help="Grey level (0..255) painted where no image is left.")


def _amount(default: float, what: str) -> Option:
    return Option(default, "float", 0.0, 1.0,
                  help=f"How far the {what} factor strays from 1: drawn from [1 - f, 1 + f].")


def _sym(rng: np.random.Generator, limit: float, n: int) -> np.ndarray:
    return rng.uniform(-limit, limit, n)


def _warp(box_or_matrices: Callable) -> Draw:
    """A draw for k_affine from a function giving boxes or matrices for n images."""
    def draw(n, o, rng, hw):
        m = box_or_matrices(n, o, rng, hw)
        if m.ndim == 2:
            m = _g.crop_matrices(m, n, *hw)
        return m, np.full(n, o.get("fill", 0), np.float32)

    return draw


def _crop_box(n, o, rng, hw):
    """torchvision RandomResizedCrop: area share in [area, 1], aspect 3:4 to 4:3. A side that
    would pass the image's edge is cut there and the other side grows to keep the area (so
    area 1 keeps the whole image)."""
    area = rng.uniform(o["area"], 1.0, n)
    ratio = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3), n))
    w = np.minimum(np.sqrt(area * ratio), 1.0)
    h = np.minimum(area / w, 1.0)
    w = np.minimum(area / h, 1.0)
    left, top = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
    return np.stack([left, top, left + w, top + h], axis=1)


def _factor(n, o, rng, hw):
    return (1 + _sym(rng, o["factor"], n),)


OPS: dict[str, OpSpec] = {
    "hflip": OpSpec("Horizontal flip", "Mirror images left to right.", {"p": _p(0.5)},
                    _g.k_hflip),
    "vflip": OpSpec("Vertical flip", "Turn images upside down.", {"p": _p(0.5)}, _g.k_vflip),
    "rotate": OpSpec(
        "Rotation", "Rotate about the centre by a random angle.",
        {"degrees": Option(15.0, "float", 0.0, 180.0, help="Largest angle either way, degrees."),
         "fill": _fill(), "p": _p(1.0)}, _g.k_affine,
        _warp(lambda n, o, rng, hw: _g.rotation_matrices(_sym(rng, o["degrees"], n), n, *hw))),
    "translate": OpSpec(
        "Shift", "Move images by a random offset.",
        {"fraction": Option(0.1, "float", 0.0, 0.5, help="Largest shift, as a share of the size."),
         "fill": _fill(), "p": _p(1.0)}, _g.k_affine,
        _warp(lambda n, o, rng, hw: _g.shift_box(_sym(rng, o["fraction"], n),
                                                 _sym(rng, o["fraction"], n), n))),
    "zoom": OpSpec(
        "Zoom", "Zoom in or out about the centre.",
        {"amount": Option(0.2, "float", 0.0, 0.9, help="The scale is drawn from "
                          "[1 - amount, 1 + amount]; above 1 zooms in."),
         "fill": _fill(), "p": _p(1.0)}, _g.k_affine,
        _warp(lambda n, o, rng, hw: _g.zoom_box(1 + _sym(rng, o["amount"], n), n))),
    "crop": OpSpec(
        "Random resized crop", "Cut a random region (aspect 3:4 to 4:3), resize it to full size.",
        {"area": Option(0.5, "float", 0.05, 1.0, help="Smallest share of the image area kept."),
         "p": _p(1.0)}, _g.k_affine, _warp(_crop_box)),
    "brightness": OpSpec(
        "Brightness", "Darken or brighten (blend with black).",
        {"factor": _amount(0.2, "brightness"), "p": _p(1.0)}, _c.k_brightness, _factor),
    "contrast": OpSpec(
        "Contrast", "Lower or raise contrast (blend with the mean grey).",
        {"factor": _amount(0.2, "contrast"), "p": _p(1.0)}, _c.k_contrast, _factor),
    "saturation": OpSpec(
        "Saturation", "Wash out or intensify colour (blend with the greyscale image).",
        {"factor": _amount(0.2, "saturation"), "p": _p(1.0)}, _c.k_saturation, _factor),
    "hue": OpSpec(
        "Hue", "Turn the colour wheel (HSV hue) by a random amount.",
        {"shift": Option(0.05, "float", 0.0, 0.5, help="Largest hue turn either way (0.5 = "
                         "half the colour wheel)."), "p": _p(1.0)},
        _c.k_hue, lambda n, o, rng, hw: (_sym(rng, o["shift"], n),)),
    "invert": OpSpec("Invert", "Photographic negative: 255 - x.", {"p": _p(0.5)}, _c.k_invert),
    "grayscale": OpSpec("Greyscale", "Drop colour (ITU-R 601-2 luma).", {"p": _p(0.2)},
                        _c.k_grayscale),
    "noise": OpSpec(
        "Gaussian noise", "Add random pixel noise.",
        {"std": Option(0.05, "float", 0.0, 0.5, help="Noise standard deviation as a share of "
                       "the full range."), "p": _p(1.0)},
        _c.k_noise, lambda n, o, rng, hw: (np.full(n, o["std"], np.float32),)),
    "cutout": OpSpec(
        "Cutout", "Erase a random square (random erasing).",
        {"size": Option(0.25, "float", 0.05, 1.0, help="Side of the square as a share of the "
                        "image side."), "fill": _fill(), "p": _p(0.5)},
        _g.k_cutout, lambda n, o, rng, hw: (*_g.cutout_centres(n, rng), np.full(n, o["size"]),
                                            np.full(n, o["fill"]))),
}

_SECTION = {"enabled": Option(True, "bool", help="Augment training batches (never validation or "
                              "test data).")}


class Pipeline:
    """Ops applied in order, each to a random subset of the batch (probability ``p``) with
    magnitudes drawn per image; equal to calling the op functions one after another."""

    def __init__(self, ops=(), enabled: bool = True):
        self.ops = [(name, dict(params)) for name, params in ops]
        self.enabled = enabled

    @classmethod
    def from_config(cls, aug_cfg: dict | None) -> Pipeline:
        """Validate the config's ``augmentation`` section; errors name the key and range."""
        if aug_cfg is not None and not isinstance(aug_cfg, dict):
            raise DataError(f"augmentation must be a mapping of keys to values (got {aug_cfg!r})")
        aug_cfg = dict(aug_cfg or {})
        ops = aug_cfg.pop("ops", [])
        enabled = validate(aug_cfg, _SECTION, "augmentation.")["enabled"]
        if not isinstance(ops, list | tuple):
            raise DataError(f"augmentation.ops must be a list of ops (got {ops!r})")
        parsed = []
        for i, entry in enumerate(ops):
            where = f"augmentation.ops[{i}]"
            if not isinstance(entry, dict):
                raise DataError(f"{where} must be an object such as {{\"op\": \"hflip\", \"p\": 0.5}} "
                                f"(got {entry!r})")
            name = entry.get("op")
            if not isinstance(name, str) or name not in OPS:
                raise DataError(f"{where}.op must be one of {', '.join(OPS)} (got {name!r})")
            params = {k: v for k, v in entry.items() if k != "op"}
            parsed.append((name, validate(params, OPS[name].params, where + ".")))
        return cls(parsed, enabled)

    def to_config(self) -> dict:
        return {"enabled": self.enabled,
                "ops": [{"op": name, **params} for name, params in self.ops]}

    def __bool__(self) -> bool:
        return self.enabled and bool(self.ops)

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Augmented copy of ``images`` (the input itself when no op is active)."""
        if not self:
            return images
        top = check_batch(images)
        n, hw = len(images), images.shape[1:3]
        plan = []
        for name, params in self.ops:
            chosen = np.flatnonzero(rng.random(n) < params["p"])
            if len(chosen):
                spec = OPS[name]
                plan.append((spec.kernel, chosen, spec.draw(len(chosen), params, rng, hw)))
        if not plan:
            return images.copy()
        out = np.empty_like(images)
        integer = images.dtype == np.uint8
        step = chunk_size(images)
        for s in range(0, n, step):
            planes = to_planes(images[s:s + step])
            for kernel, chosen, arrays in plan:
                lo, hi = np.searchsorted(chosen, [s, s + step])
                args = [a[lo:hi] for a in arrays]
                if hi - lo == planes.shape[1]:
                    planes = settle(kernel(planes, top, rng, *args), top, integer)
                elif hi > lo:
                    rows = chosen[lo:hi] - s
                    planes[:, rows] = settle(kernel(planes[:, rows], top, rng, *args), top,
                                             integer)
            store(planes, out[s:s + step], top)
        return out
