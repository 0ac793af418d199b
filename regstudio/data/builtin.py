"""Built-in data sets, generated offline and seeded by ``data.seed``."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..resources import resource_path
from .dataset import Raw
from .options import Option


@dataclass(frozen=True)
class BuiltinSpec:
    title: str
    description: str  # one sentence: what it shows
    task: str
    options: dict[str, Option]
    make: Callable[[dict, np.random.Generator], Raw]


def _n(default: int, low: int = 10, high: int = 10000) -> Option:
    return Option(default, "int", low, high, help="How many samples to generate.", log=True)


def _noise(default: float, high: float = 1.0) -> Option:
    return Option(default, "float", 0.0, high,
                  help="Standard deviation of the Gaussian noise added to each point.")


def _classes(default: int, low: int, high: int) -> Option:
    return Option(default, "int", low, high, help="How many classes to generate.")


def _points(name: str, X: np.ndarray, y: np.ndarray, n_classes: int) -> Raw:
    return Raw(name, "classification", y.astype(np.int64), [f"class {k}" for k in range(n_classes)],
               X=X, feature_names=["x1", "x2"])


def _curve(o: dict, rng: np.random.Generator) -> Raw:
    x = rng.uniform(0.0, 1.0, o["n_samples"])
    y = np.sin(2 * np.pi * x) + rng.normal(0.0, o["noise"], x.shape)
    return Raw("curve", "regression", y, [], X=x[:, None], feature_names=["x"])


def _moons(o: dict, rng: np.random.Generator) -> Raw:
    n_out = o["n_samples"] // 2
    n_in = o["n_samples"] - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.c_[np.cos(t_out), np.sin(t_out)],
                        np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    X += rng.normal(0.0, o["noise"], X.shape)
    return _points("moons", X, np.repeat([0, 1], [n_out, n_in]), 2)


def _circles(o: dict, rng: np.random.Generator) -> Raw:
    n_out = o["n_samples"] // 2
    n_in = o["n_samples"] - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.c_[np.cos(t_out), np.sin(t_out)],
                        o["factor"] * np.c_[np.cos(t_in), np.sin(t_in)]])
    X += rng.normal(0.0, o["noise"], X.shape)
    return _points("circles", X, np.repeat([0, 1], [n_out, n_in]), 2)


def _spiral(o: dict, rng: np.random.Generator) -> Raw:
    k = o["n_classes"]
    y = np.arange(o["n_samples"]) % k
    r = rng.uniform(0.05, 1.0, len(y))
    t = 1.75 * 2 * np.pi * r + 2 * np.pi * y / k
    X = np.c_[r * np.sin(t), r * np.cos(t)] + rng.normal(0.0, o["noise"], (len(y), 2))
    return _points("spiral", X, y, k)


def _xor(o: dict, rng: np.random.Generator) -> Raw:
    X = rng.uniform(-1.0, 1.0, (o["n_samples"], 2))
    X += np.where(X >= 0, 0.05, -0.05)  # keep a gap along the axes, as TF Playground does
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    X += rng.normal(0.0, o["noise"], X.shape)
    return _points("xor", X, y, 2)


def _blobs(o: dict, rng: np.random.Generator) -> Raw:
    k = o["n_classes"]
    y = np.arange(o["n_samples"]) % k
    angles = 2 * np.pi * np.arange(k) / k
    centres = 3.0 * np.c_[np.cos(angles), np.sin(angles)]
    X = centres[y] + rng.normal(0.0, o["noise"], (len(y), 2))
    return _points("blobs", X, y, k)


@cache
def _digits_table() -> np.ndarray:
    with gzip.open(resource_path("datasets", "digits.csv.gz"), "rt") as f:
        return np.loadtxt(f, delimiter=",", dtype=np.int64)


def _digits(o: dict, rng: np.random.Generator) -> Raw:
    table = _digits_table()
    images = np.round(table[:, :64] * (255 / 16)).astype(np.uint8).reshape(-1, 8, 8, 1)
    return Raw("digits", "classification", table[:, 64].copy(), [str(d) for d in range(10)],
               images=images, raw_scale=255 / 16)


def _breast_cancer(o: dict, rng: np.random.Generator) -> Raw:
    from .loaders import read_csv

    raw = read_csv(resource_path("datasets", "breast_cancer_wisconsin.csv"), target="diagnosis")
    raw.name = "breast_cancer"
    return raw


SHAPES = ("circle", "square", "triangle", "star")


def _shapes(o: dict, rng: np.random.Generator) -> Raw:
    from .shapes import draw_shapes

    y = rng.permutation(np.arange(o["n_samples"]) % len(SHAPES))
    return Raw("shapes", "classification", y, list(SHAPES),
               images=draw_shapes(y, o["size"], rng))


_2D = "2 features, "
BUILTINS: dict[str, BuiltinSpec] = {
    "curve": BuiltinSpec(
        "Noisy curve", "A few noisy samples of a sine wave: a big network threads every point.",
        "regression", {"n_samples": _n(30, 5, 2000), "noise": _noise(0.2, 2.0)}, _curve),
    "moons": BuiltinSpec(
        "Two moons", _2D + "two interleaving half circles: a curved boundary that noise blurs.",
        "classification", {"n_samples": _n(300), "noise": _noise(0.2)}, _moons),
    "circles": BuiltinSpec(
        "Circles", _2D + "a ring around a disc: no straight line separates them.",
        "classification",
        {"n_samples": _n(300), "noise": _noise(0.1),
         "factor": Option(0.5, "float", 0.05, 0.95, help="Radius of the inner circle relative "
                          "to the outer one.")}, _circles),
    "spiral": BuiltinSpec(
        "Spiral", _2D + "interleaved spiral arms: needs a deep, flexible decision boundary.",
        "classification",
        {"n_samples": _n(300), "noise": _noise(0.05), "n_classes": _classes(2, 2, 5)}, _spiral),
    "xor": BuiltinSpec(
        "XOR", _2D + "the sign of x1 * x2: opposite quadrants share a class.",
        "classification", {"n_samples": _n(300), "noise": _noise(0.1)}, _xor),
    "blobs": BuiltinSpec(
        "Blobs", _2D + "Gaussian clusters on a circle that overlap as the noise grows.",
        "classification",
        {"n_samples": _n(300), "noise": _noise(1.0, 5.0), "n_classes": _classes(3, 2, 10)},
        _blobs),
    "digits": BuiltinSpec(
        "Handwritten digits", "1,797 real 8x8 digits: with 300 for training an MLP overfits fast.",
        "classification", {}, _digits),
    "breast_cancer": BuiltinSpec(
        "Breast cancer (Wisconsin)", "569 real tumours, 30 measurements: malignant or benign.",
        "classification", {}, _breast_cancer),
    "shapes": BuiltinSpec(
        "Shapes", "Drawn 32x32 colour circles, squares, triangles and stars: a small CNN task "
        "where augmentation helps.", "classification",
        {"n_samples": _n(1000, 40, 20000),
         "size": Option(32, "int", 8, 128, help="Image width and height in pixels.")}, _shapes),
}
