"""Loading the experiment's data off the GUI thread: progress, cancel, the parse kept.

:func:`load_for_window` is the plain work (Qt-free: the core's reader, parse cache, split);
:class:`DataLoader` runs it on a QThread, one load at a time, and hands the result to the
state. A cancelled load is dropped at once (the window never waits for it): its thread is
told to stop, finishes at the reader's next check and is joined later.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal

TABLE_SOURCES = ("table", "csv")


def data_key(data_cfg: dict, base_dir: str | None) -> tuple:
    """What identifies a load: the data section's values and the folder relative paths use."""
    return json.dumps(data_cfg, sort_keys=True, default=str), base_dir


@dataclass
class Loaded:
    """The outcome of one load: the dataset (or the error), the table's columns, the sizes."""

    key: tuple
    dataset: object = None
    table: object = None  # TableInfo of a table source (also when only the split failed)
    samples: int = 0  # samples before the split (what the split sizes add up to)
    error: str = ""
    cancelled: bool = False


def load_for_window(data_cfg: dict, base_dir: str | None, progress=None, cancel=None,
                    phase=None) -> Loaded:
    """Parse (or reuse the parse of) ``data_cfg``'s file and split it; never raises.

    ``progress(done, total)`` counts rows or files read, then (after ``phase("encoding")``)
    the steps of encoding and splitting; ``cancel`` stops either at its next check."""
    from regstudio.data import dataset_from_raw, inspect_table, load_raw, validate_data
    from regstudio.data.progress import LoadCancelled

    def say(name: str) -> None:
        if phase is not None:
            phase(name)

    out = Loaded(data_key(data_cfg, base_dir))
    try:
        cfg = validate_data(data_cfg)
        say("reading")
        if cfg["source"] in TABLE_SOURCES and cfg["path"]:
            out.table = inspect_table(cfg["path"], cfg, base_dir or Path.cwd(), progress=progress,
                                      cancel=cancel, use_cache=True)
        raw = load_raw(cfg, base_dir, progress=progress, cancel=cancel, cache=True)
        out.samples = len(raw.y)
        say("encoding")
        out.dataset = dataset_from_raw(raw, cfg, progress=progress, cancel=cancel)
    except LoadCancelled:
        out.cancelled = True
    except Exception as exc:  # DataError and friends: shown in the Data panel
        out.error = str(exc) or type(exc).__name__
    return out


class _LoadWorker(QObject):
    progress = Signal(int, int)  # rows or files read (or encoding steps done), total (-1: unknown)
    phase = Signal(str)  # "reading", then "encoding"
    done = Signal(object)  # Loaded

    def __init__(self, data_cfg: dict, base_dir: str | None):
        super().__init__()
        self.data_cfg, self.base_dir = data_cfg, base_dir
        self.stop = threading.Event()

    def cancel(self) -> None:
        self.stop.set()

    def run(self) -> None:
        def report(done: int, total: int | None) -> None:
            self.progress.emit(done, -1 if total is None else total)

        self.done.emit(load_for_window(self.data_cfg, self.base_dir, report, self.stop,
                                       self.phase.emit))


class DataLoader(QObject):
    """Loads ``state``'s data section in the background; ``state.apply_loaded`` gets the result.

    Signals: ``busy_changed(bool)`` when a load starts or ends (or is cancelled),
    ``phase(str)`` "reading" or "encoding" (encoding, imputing, splitting, standardising),
    ``progress(int, int)`` rows or files read, or encoding steps done, and the total (-1 when
    unknown)."""

    busy_changed = Signal(bool)
    phase = Signal(str)
    progress = Signal(int, int)

    def __init__(self, state, parent: QObject | None = None):
        super().__init__(parent)
        self.state = state
        self._current: tuple | None = None  # (thread, worker, key) of the load the state awaits
        self._dropped: list[tuple] = []  # cancelled loads still finishing

    @property
    def loading(self) -> bool:
        return self._current is not None

    def load(self, force: bool = False) -> bool:
        """Start loading the state's data section unless it is loaded (or loading) already."""
        data_cfg = copy.deepcopy(self.state.config.get("data", {}))
        key = data_key(data_cfg, self.state.base_dir())
        if self._current is not None:
            if self._current[2] == key and not force:
                return False
            self.cancel()
        if not force and not self.state.needs_load(key):
            return False
        worker = _LoadWorker(data_cfg, key[1])
        thread = QThread()
        thread.setObjectName("regstudio-data")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.done.connect(self._on_done)
        worker.progress.connect(self._on_progress)
        worker.phase.connect(self._on_phase)
        # Direct: QThread.quit is thread-safe, and _on_done waits for the thread to end.
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._reap)  # before start: a dropped load may end at once
        self._current = (thread, worker, key)
        thread.start()
        self.busy_changed.emit(True)
        return True

    def cancel(self) -> None:
        """Drop the running load: the state keeps its data; the thread stops soon after."""
        if self._current is None:
            return
        thread, worker, _key = self._current
        worker.cancel()
        self._dropped.append((thread, worker))
        self._current = None
        self.busy_changed.emit(False)

    def wait(self, ms: int = 10000) -> None:
        """Cancel and join every load thread (the window is closing)."""
        self.cancel()
        for thread, _worker in self._dropped:
            thread.wait(ms)
        self._dropped.clear()

    def _on_progress(self, done: int, total: int) -> None:
        if self._current is not None and self.sender() is self._current[1]:
            self.progress.emit(done, total)

    def _on_phase(self, name: str) -> None:
        if self._current is not None and self.sender() is self._current[1]:
            self.phase.emit(name)

    def _on_done(self, loaded: Loaded) -> None:
        if self._current is None or self.sender() is not self._current[1]:
            return  # a dropped load
        thread, _worker, _key = self._current
        thread.wait()
        self._current = None
        self.state.apply_loaded(loaded)
        self.busy_changed.emit(False)

    def _reap(self) -> None:
        """Join the dropped loads whose threads have ended (their results are let go)."""
        alive = []
        for thread, worker in self._dropped:
            if thread.isFinished():
                thread.wait()
            else:
                alive.append((thread, worker))
        self._dropped = alive
