"""Augmentation speed: the NumPy pipeline vs. the same ops per image with Pillow.

Run: python tests/benchmarks/bench_augment.py   (target: NumPy at least 3x faster)
Ops: hflip (p 0.5), rotate +-15 degrees, brightness, saturation and hue on 4,096 32x32 RGB
uint8 images, each op on every image as in the pipeline (magnitudes drawn per image)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from regstudio.data.augment import Pipeline  # noqa: E402

N, SIZE, REPEATS = 4096, 32, 3
CONFIG = {"enabled": True, "ops": [
    {"op": "hflip", "p": 0.5},
    {"op": "rotate", "degrees": 15, "p": 1.0},
    {"op": "brightness", "factor": 0.3, "p": 1.0},
    {"op": "saturation", "factor": 0.3, "p": 1.0},
    {"op": "hue", "shift": 0.1, "p": 1.0},
]}


def batch(rng: np.random.Generator) -> np.ndarray:
    """Random crops of the bundled photos, 32x32."""
    photos = Path(__file__).resolve().parents[2] / "resources" / "photos"
    imgs = [np.asarray(Image.open(p).convert("RGB").resize((128, 128))) for p in
            sorted(photos.iterdir())]
    pick = rng.integers(0, len(imgs), N)
    oy, ox = rng.integers(0, 96, N), rng.integers(0, 96, N)
    return np.stack([imgs[k][y:y + SIZE, x:x + SIZE] for k, y, x in zip(pick, oy, ox,
                                                                      strict=True)])


def pillow(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty_like(images)
    for i, a in enumerate(images):
        img = Image.fromarray(a)
        if rng.random() < 0.5:
            img = ImageOps.mirror(img)
        img = img.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR)
        img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.7, 1.3))
        img = ImageEnhance.Color(img).enhance(rng.uniform(0.7, 1.3))
        h, s, v = img.convert("HSV").split()
        shift = int(round(rng.uniform(-0.1, 0.1) * 256)) % 256
        h = h.point(lambda p, shift=shift: (p + shift) % 256)
        out[i] = np.asarray(Image.merge("HSV", (h, s, v)).convert("RGB"))
    return out


def best_of(fn) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    images = batch(rng)
    pipeline = Pipeline.from_config(CONFIG)
    t_numpy = best_of(lambda: pipeline(images, rng))
    t_pillow = best_of(lambda: pillow(images, rng))
    print(f"{N} images {SIZE}x{SIZE} RGB: hflip + rotate + brightness + saturation + hue")
    print(f"numpy pipeline : {t_numpy * 1000:8.1f} ms ({N / t_numpy:,.0f} images/s)")
    print(f"pillow per image: {t_pillow * 1000:8.1f} ms ({N / t_pillow:,.0f} images/s)")
    print(f"speed-up        : {t_pillow / t_numpy:8.2f}x (target >= 3x)")
    plain, augmented = training_epoch_times()
    print(f"small CNN on shapes, one epoch: {plain * 1000:.0f} ms plain, {augmented * 1000:.0f} ms "
          f"augmented: augmentation adds {100 * (augmented / plain - 1):.0f}% (target <= 35%)")


CNN = [{"type": "conv2d", "filters": 16, "kernel": 3}, {"type": "maxpool2d"},
       {"type": "conv2d", "filters": 32, "kernel": 3}, {"type": "maxpool2d"},
       {"type": "dense", "units": 128, "activation": "relu"}, {"type": "dropout", "rate": 0.25},
       {"type": "dense"}]


def training_epoch_times(rounds: int = 3) -> tuple[float, float]:
    """Best epoch time of the small CNN on 1,050 ``shapes`` images, without and with the
    pipeline above applied to every training batch (the trainer's own batch source)."""
    from regstudio.experiments.build import build

    def epoch(augment: bool) -> float:
        cfg = {"data": {"source": "builtin", "name": "shapes", "n_samples": 1500},
               "model": {"layers": CNN},
               "augmentation": {**CONFIG, "enabled": True} if augment else {"enabled": False, "ops": []},
               "training": {"optimizer": "sgd", "lr": 0.01, "batch_size": 64, "epochs": 1}}
        built = build(cfg)
        ds = built.dataset
        start = time.perf_counter()
        built.trainer.fit(ds.train.X, ds.train.y, ds.val.X[:0], ds.val.y[:0])
        return time.perf_counter() - start

    best = {False: float("inf"), True: float("inf")}
    for _ in range(rounds):
        for augment in (False, True):  # interleaved, so load changes hit both alike
            best[augment] = min(best[augment], epoch(augment))
    return best[False], best[True]


if __name__ == "__main__":
    main()
