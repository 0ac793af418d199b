"""Python's cycle collector, run in the GUI thread only."""

from __future__ import annotations

_COLLECTOR = None


def collect_garbage_in_gui_thread() -> None:
    """Python's cycle collector runs in whichever thread happens to allocate: in the training
    thread it may delete widgets of a closed dialog or window, and Qt then deadlocks (the GUI
    thread waits for a Qt lock the training thread holds while it waits for the GIL). So the
    automatic collector is off and a GUI-thread timer collects instead, once a second
    (pyqtgraph's GarbageCollector). Called by the window before any thread starts; idempotent."""
    global _COLLECTOR
    if _COLLECTOR is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _COLLECTOR = GarbageCollector(interval=1.0)
