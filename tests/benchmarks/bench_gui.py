"""GUI benchmark (not collected by pytest): run with
``QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_gui.py [--epochs N]``.

1. Throughput: samples/s of ``train()`` headless vs the same config with the main window open
   and streaming every view (target: GUI >= 0.9 x headless).
2. Event-loop latency of the main thread while training: a 10 ms QTimer probe records how late
   each tick fires (target: p95 < 50 ms).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def config(epochs: int) -> dict:
    from regstudio.experiments.config import default_config

    cfg = default_config()
    cfg["training"].update(epochs=epochs, batch_size=32, lr=0.001)
    cfg["early_stopping"]["enabled"] = False
    cfg["data"] = {"source": "builtin", "name": "digits", "train_size": 1000, "val_fraction": 0.3}
    return cfg


def samples_per_second(history: list[dict], n_train: int) -> float:
    secs = sum(r["seconds"] for r in history)
    return n_train * len(history) / secs


def headless(epochs: int) -> float:
    from regstudio.engine import set_threads
    from regstudio.experiments.training import train

    set_threads(max(1, (os.cpu_count() or 2) - 1))  # same BLAS threads as the GUI
    t0 = time.perf_counter()
    result = train(config(epochs))
    wall = time.perf_counter() - t0
    n = len(result.dataset.train.X)
    return n * len(result.history) / wall


def with_gui(epochs: int, antialias: bool = True) -> tuple[float, list[float]]:
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtCore import QTimer

    from regstudio.ui.app import _app, _limit_blas_threads
    from regstudio.ui.main_window import MainWindow

    app = _app()
    pg.setConfigOptions(antialias=antialias, background="w", foreground="k")
    _limit_blas_threads()
    win = MainWindow(restore=False)
    win.resize(1400, 860)
    win.show()
    win.state.replace(config(epochs))
    win.state.reload_dataset()
    app.processEvents()
    lat: list[float] = []
    probe = QTimer()
    probe.setInterval(10)
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        lat.append(max(0.0, now - last[0] - 0.010))
        last[0] = now

    probe.timeout.connect(tick)
    probe.start()
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    check = QTimer()
    check.setInterval(20)
    check.timeout.connect(lambda: None if win.runner.is_running else loop.quit())
    t0 = time.perf_counter()
    win.runner.start()
    check.start()
    loop.exec()  # a real event loop, as in the app (no busy processEvents polling)
    wall = time.perf_counter() - t0
    probe.stop()
    n = len(win.state.dataset.train.X)
    rows = len(win.loss_plot.rows)
    print(f"  (gui wall {wall:.2f} s, epochs' own seconds {sum(r['seconds'] for r in win.loss_plot.rows):.2f} s)")
    win.close()
    return n * rows / wall, list(np.asarray(lat) * 1000)


def main() -> None:
    import numpy as np

    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best of each side counts")
    ap.add_argument("--no-antialias", action="store_true", help="draw curves without antialiasing")
    args = ap.parse_args()
    heads, guis, lat = [], [], []
    for _ in range(args.rounds):  # interleaved, so a busy spell of the machine hits both sides
        heads.append(headless(args.epochs))
        g, ticks = with_gui(args.epochs, antialias=not args.no_antialias)
        guis.append(g)
        lat += ticks
    h, g = max(heads), max(guis)
    print(f"headless train():        {h:10,.0f} samples/s  (best of {', '.join(f'{x:,.0f}' for x in heads)})")
    print(f"window open, streaming:  {g:10,.0f} samples/s  (best of {', '.join(f'{x:,.0f}' for x in guis)})")
    print(f"ratio GUI / headless:    {g / h:10.2f}   (target >= 0.90)")
    print(f"event-loop latency:      p50 {np.percentile(lat, 50):.1f} ms, "
          f"p95 {np.percentile(lat, 95):.1f} ms, max {np.max(lat):.1f} ms over {len(lat)} ticks "
          f"(target p95 < 50 ms)")


if __name__ == "__main__":
    main()
