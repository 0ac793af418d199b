"""Shared steps for tests of the background-task tabs (Sweep, Variance)."""

import multiprocessing


def run_then_cancel(qtbot, view, after_ms: int) -> None:
    """Start ``view``'s task on two processes, cancel it after ``after_ms``, and wait until the
    task and every worker process have ended."""
    view.workers.setValue(2)
    assert view.run()
    qtbot.wait(after_ms)
    view.cancel()
    qtbot.waitUntil(lambda: not view.is_running, timeout=20000)
    qtbot.waitUntil(lambda: not multiprocessing.active_children(), timeout=10000)
