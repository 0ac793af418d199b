"""Regenerate the lesson screenshots: ``python docs/screenshots/make_lesson_screenshots.py [ID ...]``.

Each lesson of the Lessons menu is played in the real window (offscreen) at 1366x768, as a
user on a small laptop screen would see it, and its finished screen is saved untouched (no
zoom, no scale or tick changes) under ``lessons/ID.png``: the claim must be readable as is.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_screenshots import wait  # noqa: E402

TAB = {"l1_sparse": 1, "l2_shrinks": 1}  # the Weights tab shows these claims; the others: Loss


def main(ids: list[str]) -> int:
    import pyqtgraph as pg

    from regstudio.experiments.lessons import LESSONS
    from regstudio.ui.app import _app
    from regstudio.ui.main_window import MainWindow

    app = _app()
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    (HERE / "lessons").mkdir(exist_ok=True)
    for item in LESSONS:
        if ids and item.id not in ids:
            continue
        win = MainWindow(restore=False)
        win.confirm = lambda *a: True
        win.resize(1366, 768)
        win.show()
        win._size_docks()  # as the app does on its first show: Training as tall as its fields
        wait(app, lambda: win.state.dataset is not None)
        win.lessons.run_lesson(item)
        wait(app, lambda: win.lessons.lesson is None and not win.runner.is_running, 900)
        win.tabs.setCurrentIndex(TAB.get(item.id, 0))
        for _ in range(30):
            app.processEvents()
        out = HERE / "lessons" / f"{item.id}.png"
        win.grab().save(str(out))
        print("saved", out)
        win.runner.stop_and_wait()
        win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
