"""QApplication start-up, excepthook -> error dialog, BLAS threads."""

from __future__ import annotations

import os
import sys
import time
import traceback

from PySide6.QtCore import QEvent, QObject

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
    from .tooltips import WrapToolTips

    if app.findChild(WrapToolTips) is None:  # long tips wrap instead of running off the screen
        app.installEventFilter(WrapToolTips(app))
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


class _FileOpenFilter(QObject):
    """A project opened from Finder (macOS sends the app a QFileOpenEvent, not an argument)."""

    def __init__(self, window, parent: QObject):
        super().__init__(parent)
        self.window = window

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.FileOpen and event.file():
            self.window.files.open_file(event.file())
            return True
        return False


def run_gui(project_path: str | None = None) -> int:
    """Open the main window (and ``project_path`` if given); returns the exit status."""
    app = _app()
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    _limit_blas_threads()
    from .main_window import MainWindow

    window = MainWindow()
    install_excepthook(window)
    app.installEventFilter(_FileOpenFilter(window, app))
    window.show()
    if project_path:
        window.files.open_file(project_path)
    if os.environ.get("REGSTUDIO_EXIT_AFTER_SHOW"):  # start-up timing (packaging/measure.py)
        from PySide6.QtCore import QTimer

        def shown():
            ms = (time.perf_counter() - _STARTED) * 1000
            print(f"regstudio: window shown after {ms:.0f} ms", file=sys.stderr, flush=True)
            app.quit()

        QTimer.singleShot(0, shown)
    return app.exec()
