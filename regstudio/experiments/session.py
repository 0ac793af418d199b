"""The runs of one working session, as :class:`RunRecord` s: the model behind the Runs table.

Qt-free. A run has one shape wherever it came from (trained now, or read from a project);
the window's Runs table, project saving, the HTML report and "Duplicate with change" all read
this, never a widget. Views subscribe with :meth:`Session.subscribe` and are told
``(event, run_id)`` with ``event`` one of ``"added"``, ``"removed"``, ``"renamed"``,
``"cleared"`` (``run_id`` ``""``), ``"loaded"`` (a whole project's runs at once) and
``"sweep_added"`` (``run_id`` ``""``; the session also holds the project's finished sweeps,
:attr:`Session.sweeps`, oldest first).

Each run's comparison row is computed once and kept (:meth:`Session.row`); a project's rows
can be computed before it replaces the session (:func:`project_rows`), so replacing cannot
fail half-way, and :meth:`Session.snapshot` / :meth:`Session.restore` put a session back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .project import Project, RunRecord
from .runs import run_row

Listener = Callable[[str, str], None]


def project_rows(project: Project) -> dict[str, dict]:
    """The comparison row of each run of ``project`` by id (see :func:`runs.run_row`)."""
    return {r.id: run_row(r.name, r.config, r.history, r.summary, r.changes) for r in project.runs}


class Session:
    def __init__(self) -> None:
        self._runs: dict[str, RunRecord] = {}
        self._rows: dict[str, dict] = {}  # run id -> its comparison row, computed once
        self._count = 0  # ids handed out so far: ids are never reused in a session
        self._listeners: list[Listener] = []
        self.sweeps: list = []  # SweepResult s, oldest first: saved with the project

    # -- reading --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._runs)

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(list(self._runs.values()))

    def __contains__(self, run_id: str) -> bool:
        return run_id in self._runs

    def ids(self) -> list[str]:
        """Run ids, oldest first."""
        return list(self._runs)

    def get(self, run_id: str) -> RunRecord | None:
        return self._runs.get(run_id)

    @property
    def last(self) -> RunRecord | None:
        """The run added most recently (what History / Model export refer to)."""
        return next(reversed(self._runs.values()), None)

    @property
    def count(self) -> int:
        """The number of the latest id handed out (``run3`` -> 3)."""
        return self._count

    def row(self, run_id: str) -> dict:
        """The comparison numbers of one run (see :func:`runs.run_row`)."""
        row = self._rows.get(run_id)
        if row is None:
            r = self._runs[run_id]
            row = self._rows[run_id] = run_row(r.name, r.config, r.history, r.summary, r.changes)
        return row

    def rows(self, ids: list[str] | None = None) -> list[dict]:
        return [self.row(i) for i in (self.ids() if ids is None else ids)]

    # -- writing --------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: str, run_id: str = "") -> None:
        for listener in list(self._listeners):
            listener(event, run_id)

    def next_id(self) -> str:
        """A fresh id for a run about to start (``run1``, ``run2``...)."""
        self._count += 1
        return f"run{self._count}"

    def add(self, run: RunRecord, position: int | None = None) -> RunRecord:
        """Add ``run`` last, or at ``position`` among the runs (a removal undone)."""
        if run.id in self._runs:
            raise ValueError(f"run id {run.id!r} is already in the session")
        if position is None:
            self._runs[run.id] = run
        else:
            items = list(self._runs.items())
            items.insert(position, (run.id, run))
            self._runs = dict(items)
        if run.id[3:].isdigit() and run.id.startswith("run"):
            self._count = max(self._count, int(run.id[3:]))
        self._emit("added", run.id)
        return run

    def position(self, run_id: str) -> int:
        """Where ``run_id`` stands among the runs, oldest first."""
        return self.ids().index(run_id)

    def remove(self, run_id: str) -> RunRecord:
        run = self._runs.pop(run_id)
        self._rows.pop(run_id, None)
        self._emit("removed", run_id)
        return run

    def rename(self, run_id: str, name: str) -> None:
        name = name.strip()
        if not name:
            raise ValueError("a run needs a name")
        self._runs[run_id].name = name
        self._rows.pop(run_id, None)
        self._emit("renamed", run_id)

    def add_sweep(self, result) -> None:
        """Keep a finished (or cancelled) sweep's ``SweepResult`` with the session."""
        self.sweeps.append(result)
        self._emit("sweep_added")

    def clear(self) -> None:
        """Forget every run and sweep (a new experiment); ids start again at ``run1``."""
        self._runs.clear()
        self._rows.clear()
        self.sweeps = []
        self._count = 0
        self._emit("cleared")

    # -- projects -------------------------------------------------------------------------
    def load(self, project: Project, rows: dict[str, dict] | None = None) -> None:
        """Replace the runs with a project's (one ``"loaded"`` event); new runs get ids above
        every numbered id in it. ``rows``: the runs' rows from :func:`project_rows`, if known."""
        self._runs = {run.id: run for run in project.runs}
        self._rows = dict(rows or {})
        self.sweeps = list(project.sweeps)
        self._count = project.last_run_number()
        self._emit("loaded")

    def snapshot(self) -> tuple:
        """What :meth:`restore` needs to put this session back as it is."""
        return dict(self._runs), dict(self._rows), list(self.sweeps), self._count

    def restore(self, snapshot: tuple) -> None:
        """Back to a :meth:`snapshot` (one ``"loaded"`` event)."""
        runs, rows, sweeps, count = snapshot
        self._runs, self._rows, self.sweeps, self._count = dict(runs), dict(rows), list(sweeps), count
        self._emit("loaded")

    def to_project(self, experiment: dict) -> Project:
        """The experiment, these runs with each run's final weights, and the sweeps."""
        return Project(experiment, [RunRecord(r.id, r.name, r.config, r.history, r.summary,
                                              r.changes, r.weights) for r in self._runs.values()],
                       sweeps=list(self.sweeps))
