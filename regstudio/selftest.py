"""``regstudio --self-test``: a headless smoke test of everything the app needs, offline.

Checks the engine's gradients, loads every bundled data set and a CSV and an Excel table, trains a few epochs
with L1, L2, dropout, early stopping and augmentation, and (when Qt is
importable) builds the main window offscreen and renders its plots. Prints one
line per check; exit status 0 when all pass.
"""

from __future__ import annotations

import time
import traceback

import numpy as np


def _gradients() -> str:
    from .engine import PenaltyPlan, Sequential, get_loss
    from .engine.gradcheck import model_gradient_error

    layers = [{"type": "conv2d", "filters": 2, "kernel": 3, "activation": "tanh"}, {"type": "maxpool2d"},
              {"type": "dense", "units": 4, "activation": "relu"}, {"type": "dropout", "rate": 0.3},
              {"type": "dense"}]
    model = Sequential.from_config(layers, (4, 4, 1), 3, dtype=np.float64)
    rng = np.random.default_rng(0)
    plan = PenaltyPlan.for_model(model, 0.01, 0.01, l1_method="subgradient")
    err, err_x = model_gradient_error(model, get_loss("softmax_cross_entropy"),
                                      rng.standard_normal((3, 4, 4, 1)), rng.integers(0, 3, 3), plan)
    if max(err, err_x) > 1e-6:
        raise AssertionError(f"gradient check failed: relative error {max(err, err_x):.2e}")
    return f"relative error {max(err, err_x):.1e}"


def _blas_updates() -> str:
    """The one-pass parameter updates: right on large arrays, and whether BLAS runs them."""
    from .engine.blas import SMALLEST, axpby, axpy, uses_blas

    x = np.arange(2 * SMALLEST, dtype=np.float32)
    y = np.ones_like(x)
    axpy(0.5, x, y, np.empty_like(x))
    axpby(1.0, x, 2.0, y, np.empty_like(x))
    if not np.array_equal(y, 2 * x + 2):  # (1 + x / 2) * 2 + x, exact in float32
        raise AssertionError("y += a*x or y = a*x + b*y gave wrong values")
    return "OpenBLAS axpy/axpby" if uses_blas() else "NumPy passes (NumPy's BLAS is not OpenBLAS)"


def _datasets() -> str:
    from .data import BUILTINS, load_dataset

    sizes = []
    for name in BUILTINS:
        ds = load_dataset({"source": "builtin", "name": name})
        sizes.append(f"{name} {len(ds.train.X) + len(ds.val.X) + len(ds.test.X)}")
    return ", ".join(sizes)


def _tables() -> str:
    """A CSV and an .xlsx with a text column, a date and a missing value: pandas and openpyxl load."""
    import tempfile
    from pathlib import Path

    from .data import load_dataset

    rows = [(f"2024-01-{i + 1:02d}", ["north", "south", "east"][i % 3], "" if i == 4 else f"{i * 0.5}",
             "yes" if i % 2 else "no") for i in range(24)]
    with tempfile.TemporaryDirectory(prefix="regstudio-selftest-") as scratch:
        csv = Path(scratch) / "sites.csv"
        csv.write_text("date;site;rain;wet\n" + "".join(";".join(r) + "\n" for r in rows), encoding="latin-1")
        parts = []
        for path in (csv, _as_xlsx(csv, rows)):
            ds = load_dataset({"source": "table", "path": str(path), "target": "wet"})
            parts.append(f"{path.suffix} {ds.train.X.shape[1]} inputs")
    return ", ".join(parts)


def _as_xlsx(csv, rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["date", "site", "rain", "wet"])
    for date, site, rain, wet in rows:
        sheet.append([date, site, float(rain) if rain else None, wet])
    path = csv.with_suffix(".xlsx")
    book.save(path)
    return path


def _training() -> str:
    from .experiments.training import train

    digits = {"data": {"source": "builtin", "name": "digits", "train_size": 300},
              "model": {"layers": [{"type": "dense", "units": 64, "activation": "relu"},
                                   {"type": "dropout", "rate": 0.25}, {"type": "dense"}]},
              "regularization": {"l1": 1e-4, "l2": 1e-4},
              "early_stopping": {"enabled": True, "patience": 2},
              "training": {"optimizer": "adam", "lr": 0.003, "epochs": 5}}
    shapes = {"data": {"source": "builtin", "name": "shapes", "n_samples": 200},
              "model": {"layers": [{"type": "conv2d", "filters": 4}, {"type": "maxpool2d"},
                                   {"type": "dense"}]},
              "augmentation": {"enabled": True, "ops": [{"op": "hflip", "p": 0.5},
                                                        {"op": "rotate", "degrees": 20, "p": 1.0},
                                                        {"op": "hue", "shift": 0.1, "p": 0.5}]},
              "training": {"optimizer": "sgd", "lr": 0.05, "epochs": 2}}
    parts = []
    for name, cfg in (("digits L1+L2+dropout+early stopping", digits), ("shapes CNN + augmentation", shapes)):
        result = train(cfg)
        final = result.summary["final"]
        if not np.isfinite(final["val_loss"]):
            raise AssertionError(f"{name}: validation loss is not finite")
        parts.append(f"{name}: val_acc {final['val_acc']:.2f}")
    return "; ".join(parts)


def _gui() -> str:
    try:
        from .ui.self_test import self_test_gui
    except ImportError as exc:
        return f"skipped (Qt not importable: {exc})"
    failures = self_test_gui()
    if failures:
        raise AssertionError("; ".join(failures))
    return "main window and plots rendered offscreen"


CHECKS = (("engine gradients", _gradients), ("parameter updates", _blas_updates),
          ("bundled data sets", _datasets), ("tables (CSV, Excel)", _tables),
          ("training", _training), ("main window", _gui))


def run_self_test() -> int:
    from . import __version__

    print(f"Regularization Studio {__version__} self-test")
    failed = 0
    for name, check in CHECKS:
        started = time.perf_counter()
        try:
            detail = check()
            status = "ok"
        except Exception as exc:  # a self-test reports every failure and carries on
            failed += 1
            status, detail = "FAILED", f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        print(f"  {status:6s} {name} ({time.perf_counter() - started:.1f} s): {detail}", flush=True)
    print("self-test passed" if not failed else f"self-test FAILED: {failed} check(s)")
    return 0 if not failed else 1
