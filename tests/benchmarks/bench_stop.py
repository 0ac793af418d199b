"""Stop latency benchmark (not collected by pytest): run with
``QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_stop.py [--trials 20]``.

From the Stop action to the window's state where Start is enabled again, in the main window
offscreen, on the shapes CNN and on a 2048-2048 MLP on digits; each trial stops a run a
random moment after its first batches. The trials of the two networks alternate. A line of
its own gives Stop pressed right after Start, while the run is still being set up (the data, the
model, the optimizer's state: up to a few hundred ms on a large model, not interrupted). The last
line reads ``stop latency p95 N ms`` (target: under 200 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

NETWORKS = {
    "shapes CNN": {
        "data": {"source": "builtin", "name": "shapes", "n_samples": 1000, "val_fraction": 0.3},
        "model": {"layers": [{"type": "conv2d", "filters": 8, "kernel": 3, "activation": "relu"},
                             {"type": "maxpool2d"},
                             {"type": "conv2d", "filters": 16, "kernel": 3, "activation": "relu"},
                             {"type": "maxpool2d"}, {"type": "dense", "units": 64, "activation": "relu"},
                             {"type": "dense"}]},
    },
    "2048-2048 MLP on digits": {
        "data": {"source": "builtin", "name": "digits", "val_fraction": 0.3},
        "model": {"layers": [{"type": "dense", "units": 2048, "activation": "relu"},
                             {"type": "dense", "units": 2048, "activation": "relu"}, {"type": "dense"}]},
    },
}


def config(name: str) -> dict:
    from regstudio.experiments.config import default_config

    cfg = default_config()
    cfg.update(NETWORKS[name])
    cfg["training"].update(epochs=1000, batch_size=32)
    cfg["early_stopping"]["enabled"] = False
    return cfg


def wait_until(app, condition, timeout: float = 30.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the window did not reach the expected state")
        app.processEvents()
        time.sleep(0.001)


def one_stop(app, win, rng: random.Random, progress: list, at_once: bool = False) -> float:
    """Start, let it train a random 50-400 ms past its first batches (``at_once``: 0-50 ms after
    Start, while the run is still being set up), Stop; ms until Start is back. ``progress``
    collects the window's progress lines (the first one comes after the first batch)."""
    start, stop = win.actions["start"], win.actions["stop"]
    progress.clear()
    win.runner.start()
    if not at_once:
        wait_until(app, lambda: progress)
    end = time.perf_counter() + (rng.uniform(0, 0.05) if at_once else rng.uniform(0.05, 0.4))
    wait_until(app, lambda: time.perf_counter() > end)
    t0 = time.perf_counter()
    stop.trigger()
    wait_until(app, lambda: start.isEnabled() and not stop.isEnabled())
    ms = (time.perf_counter() - t0) * 1000
    wait_until(app, lambda: not win.runner.is_running)  # the summary joins the session before the next trial
    return ms


def main() -> None:
    import numpy as np
    import pyqtgraph as pg

    from regstudio.ui.app import _app, _limit_blas_threads
    from regstudio.ui.main_window import MainWindow

    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    args = ap.parse_args()
    app = _app()
    pg.setConfigOptions(background="w", foreground="k")
    _limit_blas_threads()
    win = MainWindow(restore=False)
    win.confirm = lambda *a: True
    win.show()
    rng = random.Random(0)
    progress: list[str] = []  # "epoch 1/1000 · batch 3/…": the run is past its first batches
    win.runner.status.connect(lambda text: text.startswith("epoch ") and progress.append(text))
    times: dict[str, list[float]] = {name: [] for name in NETWORKS}
    for _ in range(args.trials):
        for name in NETWORKS:  # interleaved: a busy spell hits both alike
            win.state.replace(config(name))
            win.state.reload_dataset()
            times[name].append(one_stop(app, win, rng, progress))
            win.session.clear() if hasattr(win.session, "clear") else None
    for name, ms in times.items():
        print(f"{name:26s} p50 {np.percentile(ms, 50):6.0f} ms  p95 {np.percentile(ms, 95):6.0f} ms  "
              f"max {max(ms):6.0f} ms  under 200 ms: {sum(m < 200 for m in ms)}/{len(ms)}")
    early = []  # not in the figure: Stop pressed while the data and the model are being set up
    for i in range(max(4, args.trials // 4)):
        name = list(NETWORKS)[i % len(NETWORKS)]
        win.state.replace(config(name))
        win.state.reload_dataset()
        early.append(one_stop(app, win, rng, progress, at_once=True))
    print(f"{'(Stop right after Start)':26s} p50 {np.percentile(early, 50):6.0f} ms  "
          f"p95 {np.percentile(early, 95):6.0f} ms  max {max(early):6.0f} ms")
    every = [m for ms in times.values() for m in ms]
    win.close()
    print(f"stop latency p95 {np.percentile(every, 95):.0f} ms")


if __name__ == "__main__":
    main()
