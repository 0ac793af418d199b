"""Predicted vs true (regression on many features): both splits, in the target's own units."""

import numpy as np

from regstudio.experiments.config import default_config, set_path
from regstudio.experiments.predictions import compute_predictions
from regstudio.experiments.training import train


def test_scatter_carries_training_and_validation_in_target_units(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = 150 + 40 * X[:, 0] - 20 * X[:, 1]
    path = tmp_path / "t.csv"
    lines = ["a,b,c,target"] + [f"{a},{b},{c},{t}" for (a, b, c), t in zip(X, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    cfg = set_path(default_config(), "data", {"source": "table", "path": str(path), "target": "target",
                                              "task": "regression", "val_fraction": 0.25, "seed": 0,
                                              "standardize": True})
    cfg = set_path(cfg, "training.epochs", 3)
    run = train(cfg)
    p = compute_predictions(run.model, run.dataset)
    assert p["kind"] == "scatter" and p["split"] == "validation"
    true_train, pred_train = p["train"]
    assert len(p["true"]) == 20 and len(true_train) == 60 and len(pred_train) == 60
    # original units: the targets are the CSV's own values, not standardized ones
    assert np.allclose(np.sort(np.r_[p["true"], true_train]), np.sort(y), atol=1e-3)
