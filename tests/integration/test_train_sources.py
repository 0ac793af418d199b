"""`regstudio train` on every built-in set and on the user's own files, augmentation on for images."""

import gzip
import json
import struct

import numpy as np
import pytest
from PIL import Image

from regstudio.cli import main
from regstudio.resources import resource_path

MLP = [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dropout", "rate": 0.2}, {"type": "dense"}]
CNN = [{"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "maxpool2d"}, {"type": "dense"}]
AUGMENT = {"enabled": True, "ops": [{"op": "hflip", "p": 0.5}, {"op": "rotate", "degrees": 15, "p": 1.0},
                                    {"op": "brightness", "p": 0.5}, {"op": "hue", "p": 0.5}]}
IMAGE_SETS = {"digits", "shapes"}


def _train(tmp_path, data, layers, augmentation=None):
    cfg = {"data": data, "model": {"layers": layers},
           "regularization": {"l1": 1e-4, "l2": 1e-4},
           "early_stopping": {"enabled": True, "patience": 2},
           "training": {"optimizer": "adam", "lr": 0.01, "epochs": 3, "batch_size": 32}}
    if augmentation:
        cfg["augmentation"] = augmentation
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg))
    assert main(["train", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["stopped_epoch"] >= 1 and summary["stop_reason"] in ("completed", "early_stopping")
    return summary


@pytest.mark.parametrize("name", ["curve", "moons", "circles", "spiral", "xor", "blobs", "digits",
                                  "breast_cancer", "shapes"])
def test_every_builtin_set_trains(tmp_path, name):
    data = {"source": "builtin", "name": name}
    if name == "shapes":
        data["n_samples"] = 200
    images = name in IMAGE_SETS
    summary = _train(tmp_path, data, CNN if images else MLP, AUGMENT if images else None)
    metric = "val_r2" if name == "curve" else "val_acc"
    assert metric in summary["final"]


def test_breast_cancer_csv_with_text_target(tmp_path):
    data = {"source": "csv", "path": str(resource_path("datasets", "breast_cancer_wisconsin.csv")),
            "target": "diagnosis"}
    assert _train(tmp_path, data, MLP)["final"]["val_acc"] > 0.8


def test_image_folder_with_augmentation(tmp_path):
    rng = np.random.default_rng(0)
    for cls, colour in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
        (tmp_path / "pics" / cls).mkdir(parents=True)
        for i in range(12):
            arr = np.clip(rng.normal(colour, 20, (24, 20, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(arr).save(tmp_path / "pics" / cls / f"{i}.png")
    data = {"source": "images", "path": "pics", "size": 16}
    cfg_dir = tmp_path
    summary = _train(cfg_dir, data, CNN, AUGMENT)  # relative path resolves against the config's folder
    assert summary["final"]["val_acc"] >= 0.5


def _idx(path, array):
    head = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(head + array.tobytes()))


def test_idx_pair_with_augmentation(tmp_path):
    rng = np.random.default_rng(1)
    labels = (np.arange(120) % 3).astype(np.uint8)
    images = (rng.integers(0, 60, (120, 10, 10)) + labels[:, None, None] * 60).astype(np.uint8)
    _idx(tmp_path / "images.idx.gz", images)
    _idx(tmp_path / "labels.idx.gz", labels)
    data = {"source": "idx", "images": "images.idx.gz", "labels": "labels.idx.gz"}
    _train(tmp_path, data, CNN, {"enabled": True, "ops": [{"op": "rotate", "degrees": 10, "p": 1.0}]})


def test_augmentation_on_a_table_is_refused(tmp_path, capsys):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"data": {"source": "builtin", "name": "moons"},
                                "model": {"layers": [{"type": "dense"}]}, "augmentation": AUGMENT}))
    assert main(["train", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "augmentation works on images only" in capsys.readouterr().err
