"""The experiments whose exported scripts are pinned byte for byte in ``codegen_golden/``.

The golden files were written by the generator as it was before its static blocks moved to
``regstudio/experiments/codegen_runtime/``; the test compares today's output with them, so a
refactoring cannot change what users get. Regenerate them (only for an intended change, named
in the commit) with ``python -m tests.experiments.codegen_cases``.

Data folders are built here (``table`` copies the bundled CSV, ``images`` writes a small
folder of PNGs), under a ``base_dir`` whose path is replaced by ``<BASE>`` in the text; the bundled example
projects resolve against ``resources/examples`` and the repository's path reads ``<ROOT>``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("codegen_golden")
BASE = "<BASE>"

MLP = [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dropout", "rate": 0.2},
       {"type": "dense"}]
CNN = [{"type": "conv2d", "filters": 4, "kernel": 3, "activation": "relu"}, {"type": "maxpool2d", "size": 2},
       {"type": "dense"}]
MOONS = {"source": "builtin", "name": "moons", "n_samples": 200, "noise": 0.25, "seed": 0}
DIGITS = {"source": "builtin", "name": "digits", "train_size": 400, "seed": 0}
AUG = {"enabled": True, "ops": [{"op": "hflip", "p": 0.5}, {"op": "vflip", "p": 0.1},
                                {"op": "rotate", "degrees": 10}, {"op": "brightness", "factor": 0.1}]}


def _case(name, data, layers, **sections):
    return {"name": name, "data": data, "model": {"layers": layers}, **sections}


CASES = {
    "moons_l2_dropout_es": _case(
        "moons export", MOONS, MLP, regularization={"l2": 1e-3},
        early_stopping={"enabled": True, "monitor": "val_loss", "patience": 3},
        training={"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "batch_size": 32, "epochs": 10}),
    "curve_regression_adamw_subgradient": _case(
        "curve", {"source": "builtin", "name": "curve", "seed": 0},
        [{"type": "dense", "units": 16, "activation": "tanh"}, {"type": "dense"}],
        regularization={"l1": 1e-3, "l1_method": "subgradient", "apply_to_bias": True},
        early_stopping={"enabled": True, "monitor": "val_r2", "patience": 2, "min_delta": 1e-3},
        training={"optimizer": "adamw", "lr": 0.01, "weight_decay": 1e-2}),
    "moons_bce_nesterov_keep_prob_proximal": _case(
        "moons bce", MOONS, MLP, regularization={"l1": 1e-3, "dropout_scaling": "keep_probability"},
        early_stopping={"enabled": True, "monitor": "train_loss", "baseline": 0.9, "start_from_epoch": 1},
        training={"optimizer": "sgd", "nesterov": True, "loss": "sigmoid_bce"}),
    "moons_adamw_weights_only_leaky_l1l2": _case(
        "moons adamw", MOONS,
        [{"type": "dense", "units": 16, "activation": "leaky_relu", "l1": 1e-4},
         {"type": "dense", "units": 8, "activation": "sigmoid", "l2": 0.0},
         {"type": "dense", "l1": 0.0, "l2": 1e-2}],
        regularization={"l1": 1e-3, "l2": 1e-3},
        training={"optimizer": "adamw", "lr": 0.005, "weight_decay": 1e-3}),
    "digits_cnn_adam_plain": _case(
        "digits cnn export", DIGITS, CNN,
        training={"optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 20}),
    "digits_cnn_augmented_l1l2": _case(
        "digits cnn augmented", DIGITS, CNN, augmentation=AUG, regularization={"l2": 1e-4, "l1": 1e-5},
        early_stopping={"enabled": True, "monitor": "val_acc", "patience": 4, "restore_best_weights": False},
        training={"optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 20}),
    "digits_flips_only_augmentation": _case(
        "digits flips", DIGITS, CNN, augmentation={"enabled": True, "ops": [{"op": "hflip", "p": 0.5}]}),
    "digits_stride2_same": _case(
        "stride 2", DIGITS,
        [{"type": "conv2d", "filters": 3, "kernel": 3, "stride": 2, "activation": "tanh"},
         {"type": "conv2d", "filters": 5, "kernel": 2, "stride": 2}, {"type": "flatten"},
         {"type": "dense", "units": 7, "activation": "sigmoid"}, {"type": "dense"}],
        regularization={"dropout_scaling": "keep_probability"}),
    "digits_even_kernel_keep_prob": _case(
        "even kernel", DIGITS,
        [{"type": "conv2d", "filters": 2, "kernel": 4, "activation": "leaky_relu"},
         {"type": "conv2d", "filters": 3, "kernel": 3, "padding": "valid"},
         {"type": "maxpool2d", "size": 3}, {"type": "dropout", "rate": 0.3}, {"type": "dense"}],
        regularization={"l2": 1e-4, "dropout_scaling": "keep_probability"}),
    "digits_mlp_on_images": _case(
        "mlp on images", DIGITS, [{"type": "dense", "units": 16}, {"type": "dropout", "rate": 0.5},
                                  {"type": "dense"}]),
    "table_csv_adamw_es_max": _case(
        "breast cancer 'csv' \u00e9", {"source": "csv", "path": "breast_cancer_wisconsin.csv",
                                       "target": "diagnosis", "val_fraction": 0.3, "test_fraction": 0.2,
                                       "seed": 0},
        [{"type": "dense", "units": 24, "activation": "relu"}, {"type": "dense"}],
        regularization={"l2": 1e-4},
        early_stopping={"enabled": True, "monitor": "val_acc", "patience": 5, "mode": "max",
                        "min_delta": 0.01},
        training={"optimizer": "adamw", "lr": 0.003, "weight_decay": 1e-4, "batch_size": 16}),
    "images_folder_color_augmented": _case(
        "pictures", {"source": "images", "path": "pics", "size": 12},
        [{"type": "conv2d", "filters": 3, "kernel": 3, "activation": "relu"}, {"type": "flatten"},
         {"type": "dropout", "rate": 0.1}, {"type": "dense"}],
        augmentation={"enabled": True, "ops": [{"op": "rotate", "degrees": 15, "p": 1.0},
                                               {"op": "hue", "shift": 0.05, "p": 0.5},
                                               {"op": "vflip", "p": 0.3}]},
        early_stopping={"enabled": True, "patience": 2},
        training={"optimizer": "sgd", "lr": 0.05, "momentum": 0.0, "epochs": 3}),
}
EXAMPLES = ROOT / "resources" / "examples"
# The bundled example projects, as users export them (their paths resolve against EXAMPLES).
CASES.update({"example_" + f.stem.replace("-", "_"): json.loads(f.read_text(encoding="utf-8"))
              for f in sorted(EXAMPLES.glob("*.regstudio"))})
FRAMEWORKS = ("pytorch", "keras")


def make_base(tmp: Path) -> Path:
    """The folder the file-backed cases' relative paths resolve against."""
    shutil.copy(ROOT / "resources" / "datasets" / "breast_cancer_wisconsin.csv", tmp)
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls, colour in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
        (tmp / "pics" / cls).mkdir(parents=True, exist_ok=True)
        for i in range(8):
            arr = np.clip(rng.normal(colour, 20, (14, 12, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(arr).save(tmp / "pics" / cls / f"{i}.png")
    return tmp


def generate(name: str, framework: str, base: Path) -> str:
    """The script for one case, with ``base``'s path written ``<BASE>`` (the repository's ``<ROOT>``)."""
    from regstudio.experiments.codegen import script

    if name.startswith("example_"):
        return script(CASES[name], framework, base_dir=EXAMPLES).replace(str(ROOT), "<ROOT>")
    return script(CASES[name], framework, base_dir=base).replace(str(base.resolve()), BASE)


def golden_path(name: str, framework: str) -> Path:
    return GOLDEN / f"{name}.{framework}.py.txt"


if __name__ == "__main__":  # regenerate the golden files
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        base = make_base(Path(tmp))
        for case in CASES:
            for fw in FRAMEWORKS:
                golden_path(case, fw).write_text(generate(case, fw, base), encoding="utf-8", newline="")
                print("wrote", golden_path(case, fw).relative_to(ROOT), file=sys.stderr)
