"""Run comparison rows, the runs CSV and the self-contained HTML report."""

import csv
import io

from regstudio.experiments.config import default_config, set_path, validate_config
from regstudio.experiments.runs import (
    COLUMNS,
    describe_changes,
    describe_regularizer,
    html_report,
    run_row,
    runs_csv,
)

SUMMARY = {"best_epoch": 8, "best_val_loss": 0.54, "stop_reason": "completed", "seconds": 1.5,
           "final": {"val_loss": 2.1, "train_data_loss": 0.1}, "layers": [{"sparsity": 0.25}]}


def test_row_describes_the_regularization_and_the_gap():
    cfg = validate_config(set_path(set_path(default_config(), "regularization.l2", 0.001),
                                   "regularization.l1", 0.01))
    row = run_row("run 1", cfg, [], SUMMARY)
    assert row["regularizer"] == "L1 0.01 + L2 0.001"
    assert row["gap"] == 2.0 and row["sparsity"] == 0.25 and row["best_epoch"] == 8
    assert describe_regularizer(validate_config(default_config())) == "none"


def test_csv_has_one_row_per_run():
    cfg = validate_config(default_config())
    rows = [run_row(f"r{i}", cfg, [], SUMMARY) for i in range(3)]
    table = list(csv.DictReader(io.StringIO(runs_csv(rows))))
    assert [r["name"] for r in table] == ["r0", "r1", "r2"]
    assert list(table[0]) == [key for key, _ in COLUMNS]


def test_report_is_self_contained_and_escapes_names():
    cfg = validate_config(default_config())
    runs = [{"row": run_row("<script>alert(1)</script>", cfg, [], SUMMARY), "config": cfg}]
    page = html_report("moons <test>", runs, {"loss": b"\x89PNG fake"})
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "data:image/png;base64," in page and "http" not in page.split("<body>")[1]
    assert "Lowest validation loss" in page


def _change(epoch, key, old, new):
    return {"epoch": epoch, "batch": 1, "key": key, "old": old, "new": new}


def test_live_changes_are_summed_up_per_setting_first_to_last():
    layers = [{"type": "dense", "units": 8}, {"type": "dropout", "rate": 0.2},
              {"type": "dense", "units": 8}, {"type": "dropout", "rate": 0.5}, {"type": "dense"}]
    cfg = {"model": {"layers": layers}}
    changes = [_change(3, "regularization.l2", 0.0001, 0.0003), _change(3, "training.lr", 0.01, 0.001),
               _change(5, "regularization.l2", 0.0003, 0.001), _change(6, "model.layers[3].rate", 0.5, 0.6),
               _change(7, "augmentation", {"enabled": False}, {"enabled": True})]
    assert describe_changes(changes, cfg) == (
        "L2 0.0001 → 0.001 (epochs 3–5); learning rate 0.01 → 0.001 (epoch 3); "
        "dropout 2 0.5 → 0.6 (epoch 6); augmentation edited (epoch 7)")
    one_dropout = {"model": {"layers": layers[:2] + layers[4:]}}
    assert describe_changes([_change(2, "model.layers[1].rate", 0.2, 0.4)], one_dropout) == \
        "dropout 0.2 → 0.4 (epoch 2)"
    assert describe_changes([], cfg) == ""


def test_row_and_csv_carry_the_live_changes():
    cfg = validate_config(default_config())
    row = run_row("r", cfg, [], SUMMARY, [_change(4, "regularization.l1", 0.0, 0.01)])
    assert row["changes"] == "L1 0 → 0.01 (epoch 4)"
    assert run_row("r", cfg, [], SUMMARY)["changes"] == ""
    table = list(csv.DictReader(io.StringIO(runs_csv([row]))))
    assert table[0]["changes"] == "L1 0 → 0.01 (epoch 4)"


def test_history_csv_writes_numpy_scalars_as_plain_numbers():
    import csv
    import io

    import numpy as np

    from regstudio.experiments.export import history_csv

    text = history_csv([{"epoch": 1, "train_loss": np.float32(0.5), "val_acc": np.float64(0.84)}])
    row = next(csv.DictReader(io.StringIO(text)))
    assert float(row["val_acc"]) == 0.84 and float(row["train_loss"]) == 0.5
