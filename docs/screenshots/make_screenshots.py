"""Regenerate the README screenshots: ``python docs/screenshots/make_screenshots.py``.

Runs the real window (offscreen), trains the default experiment, switches L2 on
part-way through as a user would, and saves each view as PNG beside this script.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent


def wait(app, condition, seconds=60.0):
    import time

    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    import pyqtgraph as pg

    from regstudio.ui.app import _app
    from regstudio.ui.main_window import MainWindow

    app = _app()
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    win = MainWindow(restore=False)
    win.resize(1600, 1000)
    win.show()
    wait(app, lambda: win.state.dataset is not None)
    win.state.set("training.epochs", 400)
    win.runner.start()
    wait(app, lambda: len(win.loss_plot.rows) >= 60)
    win.runner.pause()  # the cure, applied while it trains (paused so the moment is reproducible)
    win.state.set("regularization.l2", 0.01)  # L2 on, at about the best alpha here (Sweep tab)
    win.runner.resume()
    wait(app, lambda: win.runner.thread is None, 120)
    app.processEvents()
    for index, name in ((0, "main-window"), (1, "weights"), (2, "predictions")):
        win.tabs.setCurrentIndex(index)
        for _ in range(20):
            app.processEvents()
        win.grab().save(str(HERE / f"{name}.png"))
        print("saved", HERE / f"{name}.png")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
