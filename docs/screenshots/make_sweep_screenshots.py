"""Regenerate the Sweep and Variance screenshots: ``python docs/screenshots/make_sweep_screenshots.py
[WIDTHxHEIGHT] [OUT_DIR]`` (default 1600x1000, beside this script).

Runs the real window (offscreen) on the default experiment (moons) with a dropout layer: a 1-D
L2 sweep from 1e-4 to 1 with 5 repeats on data seed 1, where the 1-SE choice (0.1) is not the
best (0.0316) (bands, single fits, both marked); a grid of L2 x dropout rate (heat map, a cell
hovered); and the variance meter's demo.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_screenshots import wait  # noqa: E402 (beside this script)


def settle(app):
    for _ in range(30):
        app.processEvents()
        time.sleep(0.01)


def main(size: str = "1600x1000", out: Path = HERE) -> int:
    import pyqtgraph as pg
    from PySide6.QtCore import QPointF

    from regstudio.ui.app import _app
    from regstudio.ui.main_window import MainWindow

    app = _app()
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    win = MainWindow(restore=False)
    win.resize(*map(int, size.split("x")))
    win.show()
    wait(app, lambda: win.state.dataset is not None)
    view = win.sweep_view
    win.tabs.setCurrentWidget(view)
    view.workers.setValue(2)
    layers = win.state.get("model.layers")

    def with_dropout(rate: float) -> None:
        win.state.set("model.layers", [layers[0], {"type": "dropout", "rate": rate}, *layers[1:]])

    def sweep(name: str, setup) -> None:
        setup()
        started = time.monotonic()
        view.run()
        wait(app, lambda: not view.is_running, 900)
        print(f"{name}: {view.progress.maximum()} fits in {time.monotonic() - started:.1f} s")
        settle(app)

    def one_d():
        with_dropout(0.25)
        win.state.set("data.seed", 1)
        view.param.setCurrentIndex(view.param.findData("regularization.l2"))
        view.low.setValue(1e-4)
        view.high.setValue(1.0)
        view.count.setValue(9)
        view.n_fits.setValue(5)
        view.show_fits.setChecked(True)

    sweep("1-D", one_d)
    best, one_se = view.choices()
    print(f"1-D: best {best['value']:g}, 1-SE {one_se and one_se['value']:g}")
    win.grab().save(str(out / "sweep_bands.png"))

    def two_d():
        with_dropout(0.0)
        win.state.set("data.seed", 0)
        view.param.setCurrentIndex(view.param.findData("regularization.l2"))
        view.low.setValue(1e-4)
        view.high.setValue(1e-1)
        view.count.setValue(4)
        view.param2.setCurrentIndex(view.param2.findData("model.layers[1].rate"))
        view.axis2.low.setValue(0.0)
        view.axis2.high.setValue(0.5)
        view.axis2.count.setValue(3)
        view.n_fits.setValue(2)

    sweep("grid", two_d)
    hm = view.heatmap
    i, j = hm.cell_of(view.best_row())
    hm._on_mouse(hm.plot.vb.mapViewToScene(QPointF(i, j)))
    settle(app)
    win.grab().save(str(out / "sweep_grid.png"))

    meter = win.variance_view
    win.tabs.setCurrentWidget(meter)
    meter.workers.setValue(2)
    meter.load_demo()
    meter.run()
    wait(app, lambda: not meter.is_running, 900)
    settle(app)
    win.grab().save(str(out / "variance.png"))
    for name in ("sweep_bands", "sweep_grid", "variance"):
        print("saved", out / f"{name}.png")
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2], *(Path(a) for a in sys.argv[2:3])))
