"""The GUI self-test (``regstudio --self-test``): the window offscreen, two epochs through
the worker, every plot tab rendered. It runs with throw-away settings, so the user's window
layout, recent files and view choices stay as they were."""

from __future__ import annotations

import os
import tempfile
import time
import traceback


def _is_blank(img) -> bool:
    import numpy as np

    a = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(-1, 4)
    return len(np.unique(a[:: max(1, len(a) // 200000)], axis=0)) < 3


def self_test_gui() -> list[str]:
    """Build the window offscreen, run 2 epochs, render each plot; failure messages (empty
    when all is well)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="regstudio-selftest-") as scratch:
        try:
            from . import settings

            settings.use_folder(scratch)
            failures += _run(_app_for_test())
        except Exception as exc:
            failures.append(f"GUI self-test crashed: {type(exc).__name__}: {exc}\n" + traceback.format_exc())
    return failures


def _app_for_test():
    from .app import _app

    app = _app()
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    return app


def _run(app) -> list[str]:
    from .exports import render_to_image
    from .main_window import MainWindow

    failures = []
    window = MainWindow(restore=False)
    window.show()
    window.state.reload_dataset()
    if window.state.dataset_error:
        failures.append(f"default data set did not load: {window.state.dataset_error}")
    window.state.set("training.epochs", 2)
    window.state.set("early_stopping.enabled", False)
    finished = []
    runner = window.runner
    runner.stopped.connect(finished.append)
    if not runner.start():
        failures.append(f"Start refused: {window.banner.text() or runner.start_reason()}")
    deadline = time.monotonic() + 60
    while runner.is_running and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()
    if runner.is_running:
        failures.append("2 epochs did not finish within 60 s")
        runner.stop_and_wait()
    if finished and finished[-1] == "error":
        failures.append(f"training failed: {window.banner.text()}")
    if len(window.loss_plot.rows) != 2:
        failures.append(f"loss plot got {len(window.loss_plot.rows)} epochs, expected 2")
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        app.processEvents()
        img = render_to_image(window.tabs.currentWidget())
        if os.environ.get("REGSTUDIO_SELFTEST_DIR"):
            img.save(os.path.join(os.environ["REGSTUDIO_SELFTEST_DIR"], f"tab{i}.png"))
        if img.isNull() or img.width() < 50 or _is_blank(img):
            failures.append(f"plot {window.tabs.tabText(i)} did not render")
    window.close()
    return failures
