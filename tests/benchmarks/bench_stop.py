"""Stop latency benchmark (not collected by pytest): run with
``QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_stop.py [--trials 20]``.

From the Stop action to the window's state where Start is enabled again, in the main window
offscreen, on the shapes CNN and on a 2048-2048 MLP on digits; each trial stops a run a
random moment after its first batches. The trials of the two networks alternate. The last
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


def one_stop(app, win, rng: random.Random) -> float:
    """Start, let it train a random 50-400 ms past its first batches, Stop; ms until Start is back."""
    start, stop = win.actions["start"], win.actions["stop"]
    win.runner.start()
    wait_until(app, lambda: win.runner.worker is not None and win.runner.worker._n_batches > 0)
    end = time.perf_counter() + rng.uniform(0.05, 0.4)
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
    times: dict[str, list[float]] = {name: [] for name in NETWORKS}
    for _ in range(args.trials):
        for name in NETWORKS:  # interleaved: a busy spell hits both alike
            win.state.replace(config(name))
            win.state.reload_dataset()
            times[name].append(one_stop(app, win, rng))
            win.session.clear() if hasattr(win.session, "clear") else None
    for name, ms in times.items():
        print(f"{name:26s} p50 {np.percentile(ms, 50):6.0f} ms  p95 {np.percentile(ms, 95):6.0f} ms  "
              f"max {max(ms):6.0f} ms  under 200 ms: {sum(m < 200 for m in ms)}/{len(ms)}")
    every = [m for ms in times.values() for m in ms]
    win.close()
    print(f"stop latency p95 {np.percentile(every, 95):.0f} ms")


if __name__ == "__main__":
    main()
