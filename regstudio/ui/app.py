"""QApplication start-up, excepthook -> error dialog, BLAS threads, and the GUI self-test."""

from __future__ import annotations

import os
import sys
import time
import traceback

from .settings import APP, ORG

_STARTED = time.perf_counter()  # module import: close to process start when the GUI is launched


def _limit_blas_threads() -> None:
    """While the window is open the UI thread keeps a core: max(1, cores - 1) BLAS threads."""
    n = max(1, (os.cpu_count() or 2) - 1)
    try:
        from regstudio.engine import set_threads

        set_threads(n)
        return
    except Exception:
        pass
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except Exception:
        pass


def _app():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        QApplication.setOrganizationName(ORG)
        QApplication.setApplicationName(APP)
        QApplication.setApplicationDisplayName("Regularization Studio")
        # Wayland app_id / X11 class -> regstudio.desktop, so docks show our icon
        QApplication.setDesktopFileName("regstudio")
        app = QApplication(sys.argv[:1])
        from PySide6.QtGui import QIcon

        from regstudio.resources import resource_path

        app.setWindowIcon(QIcon(str(resource_path("icons", "regstudio.svg"))))
    return app


def install_excepthook(window) -> None:
    from .dialogs.error import show_error

    def hook(exc_type, exc, tb):
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(details)
        try:
            show_error(window, "Unexpected error", f"{exc_type.__name__}: {exc}", details)
        except Exception:
            pass

    sys.excepthook = hook


def run_gui(project_path: str | None = None) -> int:
    """Open the main window (and ``project_path`` if given); returns the exit status."""
    app = _app()
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    _limit_blas_threads()
    from .main_window import MainWindow

    window = MainWindow()
    install_excepthook(window)
    window.show()
    if project_path:
        window.open_file(project_path)
    if os.environ.get("REGSTUDIO_EXIT_AFTER_SHOW"):  # start-up timing (packaging/measure.py)
        from PySide6.QtCore import QTimer

        def shown():
            ms = (time.perf_counter() - _STARTED) * 1000
            print(f"regstudio: window shown after {ms:.0f} ms", file=sys.stderr, flush=True)
            app.quit()

        QTimer.singleShot(0, shown)
    return app.exec()


def render_to_image(widget):
    """Paint ``widget`` into a QImage (QWidget.grab crashes offscreen for QGraphicsViews)."""
    from PySide6.QtGui import QImage

    img = QImage(max(1, widget.width()), max(1, widget.height()), QImage.Format.Format_ARGB32)
    img.fill(0xFFFFFFFF)
    from PySide6.QtWidgets import QGraphicsView, QWidget

    if isinstance(widget, QGraphicsView):
        from PySide6.QtGui import QPainter

        painter = QPainter(img)
        try:
            widget.render(painter)
        finally:
            painter.end()
    else:
        QWidget.render(widget, img)
    return img


def _is_blank(img) -> bool:
    import numpy as np

    a = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(-1, 4)
    return len(np.unique(a[:: max(1, len(a) // 200000)], axis=0)) < 3


def self_test_gui() -> list[str]:
    """Build the window offscreen, run 2 epochs through the worker, render each plot.

    Returns failure messages (empty when all is well).
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    failures: list[str] = []
    try:
        app = _app()
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        from .main_window import MainWindow

        window = MainWindow(restore=False)
        window.show()
        window.state.reload_dataset()
        if window.state.dataset_error:
            failures.append(f"default data set did not load: {window.state.dataset_error}")
        window.state.set("training.epochs", 2)
        window.state.set("early_stopping.enabled", False)
        finished = []
        window.run_stopped.connect(finished.append)
        if not window.start():
            failures.append(f"Start refused: {window.banner.text() or window._start_reason()}")
        deadline = time.monotonic() + 60
        while window.is_running and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)
        app.processEvents()
        if window.is_running:
            failures.append("2 epochs did not finish within 60 s")
            window.stop_and_wait()
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
    except Exception as exc:
        failures.append(f"GUI self-test crashed: {type(exc).__name__}: {exc}\n"
                        + traceback.format_exc())
    return failures
