"""Run comparison rows, the runs CSV and the self-contained HTML report."""

import csv
import io

from regstudio.experiments.config import default_config, set_path, validate_config
from regstudio.experiments.runs import COLUMNS, describe_regularizer, html_report, run_row, runs_csv

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
