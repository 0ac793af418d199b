"""Entry point of the PyInstaller bundle: the same command line as ``regstudio``.

``multiprocessing.freeze_support()`` runs first (cli.main calls it too) so that the
``spawn`` workers of a sweep, which re-run this executable, never reach argparse.

Measurement hook: with ``REGSTUDIO_EXIT_AFTER_SHOW=1`` in the environment, the GUI
quits as soon as its event loop starts (the main window has been shown by then)
and prints ``regstudio: window shown after N ms`` to stderr, for
packaging/measure.py. When regstudio.ui.app.run_gui honours that variable itself,
this shim steps aside (it checks ``regstudio.ui.app.EXIT_AFTER_SHOW_HOOK``).
"""

import multiprocessing
import os
import sys
import time

_T0 = time.perf_counter()


def _install_exit_after_show() -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    original_exec = QApplication.exec

    def exec_then_quit(*_args):
        app = QApplication.instance()

        def done():
            ms = (time.perf_counter() - _T0) * 1000
            print(f"regstudio: window shown after {ms:.0f} ms", file=sys.stderr, flush=True)
            app.quit()

        QTimer.singleShot(0, done)
        return original_exec()

    QApplication.exec = exec_then_quit


if __name__ == "__main__":
    multiprocessing.freeze_support()
    if os.environ.get("REGSTUDIO_EXIT_AFTER_SHOW") and not multiprocessing.parent_process():
        try:
            import regstudio.ui.app as _ui_app

            if not getattr(_ui_app, "EXIT_AFTER_SHOW_HOOK", False):
                _install_exit_after_show()
        except ImportError:
            pass
    from regstudio.cli import main

    sys.exit(main())
