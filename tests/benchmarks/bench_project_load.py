"""Loading a 2,000-run project (issue 17, defect 5): every run's config, history, changes,
summary and weights checked, as the window's open does before it shows anything; with
``--window``, also the window's part (the Runs table filled, the last run shown).

    python tests/benchmarks/bench_project_load.py [--runs 2000] [--repeats 5] [--window]

Each run has a small model, 30 epochs of history and a live change; half the runs share a
config (a sweep), half have their own (a different L2 each). More runs than ``MAX_RUNS`` are
measured with the limits raised for the benchmark. Prints the best of the repeats and the time
per run; the last line reads ``project load N ms`` (``window open N ms`` with ``--window``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from regstudio.engine import Sequential
from regstudio.experiments import project as project_module
from regstudio.experiments.config import default_config, validate_config
from regstudio.experiments.project import Project, RunRecord, load_project, save_project


def make(n_runs: int) -> Project:
    rng = np.random.default_rng(0)
    base = default_config()
    base["model"]["layers"] = [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense"}]
    base = validate_config(base)
    weights = Sequential.from_config(base["model"]["layers"], (2,), 2).get_weights()
    runs = []
    for i in range(n_runs):
        cfg = base if i % 2 else {**base, "regularization": {**base["regularization"], "l2": 1e-5 * (i + 1)}}
        history = [{"epoch": e, "train_loss": float(rng.random()), "data_loss": float(rng.random()),
                    "penalty": 0.0, "val_loss": float(rng.random()), "train_acc": 0.5, "val_acc": 0.5,
                    "lr": 0.01, "seconds": 0.01} for e in range(1, 31)]
        summary = {"best_epoch": 3, "restored_epoch": None, "best_val_loss": 0.3, "stopped_epoch": 30,
                   "stop_reason": "completed", "message": "", "final": {"train_loss": 0.1, "val_loss": 0.3},
                   "layers": [{"name": f"dense_{k}", "l1_norm": 1.0, "l2_norm": 1.0, "sparsity": 0.0}
                              for k in range(2)],
                   "n_params": 82, "seconds": 1.0, "data_report": []}
        runs.append(RunRecord(f"run{i + 1}", f"run {i + 1}", cfg, history, summary,
                              [{"epoch": 2, "batch": 1, "key": "regularization.l2", "old": 0.0, "new": 0.01}],
                              weights))
    return Project(base, runs, "run1")


def window_open(path: Path, repeats: int) -> list[float]:
    """Seconds of ``ProjectFiles.replace_session`` plus the events after it, per repeat."""
    import os
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from regstudio.ui import settings

    settings.use_folder(tempfile.mkdtemp())
    from regstudio.ui.app import _app
    from regstudio.ui.main_window import MainWindow

    app = _app()
    window = MainWindow(restore=False)
    window.show()
    app.processEvents()
    project = load_project(path)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        window.files.replace_session(project, str(path))
        app.processEvents()
        times.append(time.perf_counter() - start)
    window.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--window", action="store_true", help="also time the window's part of opening")
    args = parser.parse_args()
    if args.runs > project_module.MAX_RUNS:  # beyond the limit: measured, not allowed
        project_module.MAX_RUNS = project_module.MAX_MEMBERS = args.runs + 16
        project_module.MAX_PROJECT_HISTORY_ROWS = 30 * args.runs
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.regstudio"
        save_project(path, make(args.runs))
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            project = load_project(path)
            times.append(time.perf_counter() - start)
        assert len(project.runs) == args.runs
        best = min(times)
        print(f"{args.runs} runs, {path.stat().st_size / 1e6:.2f} MB: best {best:.3f} s of {args.repeats} "
              f"(median {sorted(times)[len(times) // 2]:.3f} s), {best / args.runs * 1e3:.2f} ms per run")
        print(f"project load {best * 1e3:.0f} ms")
        if args.window:
            shown = window_open(path, args.repeats)
            print(f"window open {min(shown) * 1e3:.0f} ms (best of {args.repeats}; load + window "
                  f"{(best + min(shown)) * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
