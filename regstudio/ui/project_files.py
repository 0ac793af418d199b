"""ProjectFiles: new, open, save, save as, recent files, autosave and crash recovery.

A project is read and checked completely before anything of the open session changes;
saving writes the experiment and the session's runs atomically. Signals only: ``message``
for the status bar, ``opened`` after a project replaced the session.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from regstudio.experiments.project import Project
from regstudio.experiments.session import Session

from . import settings
from .autosave import Autosaver
from .dialogs.error import show_error
from .run_controller import RunController, commit_typing
from .state import ExperimentState

FILE_FILTER = "Experiments (*.regstudio *.json);;All files (*)"


class ProjectFiles(QObject):
    message = Signal(str, int)
    opened = Signal()

    def __init__(self, parent: QWidget, state: ExperimentState, session: Session, runner: RunController,
                 confirm: Callable[[str, str], bool], autosave: bool):
        super().__init__(parent)
        self._parent, self.state, self.session, self.runner = parent, state, session, runner
        self.confirm = confirm  # yes/no question, the window's (tests replace it there)
        self.ask = autosave  # the real app asks about unsaved changes; test windows do not
        self.autosaver = Autosaver(self._autosave, self)
        self.recovery_bar = self._build_recovery_bar()
        runner.run_added.connect(lambda _id: state.mark_unsaved_changes())  # a run not yet saved
        if autosave:
            self._offer_recovery()
            self.autosaver.start()
            runner.run_added.connect(lambda _id: self.autosaver.save_now())

    # -- questions ------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when the session may be replaced: saved, discarded, or nothing to lose."""
        if not self.state.is_modified:
            return True
        ans = QMessageBox.question(
            self._parent, "Unsaved changes", "Save the changes to the experiment first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if ans == QMessageBox.StandardButton.Save:
            return self.save()
        return ans == QMessageBox.StandardButton.Discard

    def may_replace_session(self, ask: bool | None = None) -> bool:
        """Stop the run (it joins the session, so the question covers it), then ask (the real
        app always; windows for tests only when ``ask``)."""
        return self.runner.stop_and_wait() and (not (self.ask if ask is None else ask)
                                                or self.maybe_save())

    # -- new / open -------------------------------------------------------------------------
    def new_experiment(self) -> bool:
        if not self.may_replace_session(ask=True):
            return False
        from regstudio.experiments.config import default_config

        self.replace_session(Project(default_config()))
        return True

    def start_clean(self, experiment: dict) -> None:
        """A new unsaved session on ``experiment`` (a lesson's own): no runs, no overlays."""
        self.replace_session(Project(experiment))

    def replace_session(self, project: Project, path: str = "") -> None:
        """The project's experiment and runs become the session (views of the old one cleared).

        All or nothing: the Runs table's rows are computed before anything changes, and if
        showing the project fails after all, the previous session, experiment and views are
        put back before the error propagates."""
        from regstudio.experiments.session import project_rows

        rows = project_rows(project)  # what can fail on a project's contents, before any change
        before = (self.session.snapshot(), self.state.frozen(), self.state.path, self.state.is_modified)
        try:
            self._swap(project, rows, path)
        except Exception:
            self._put_back(*before)
            raise
        self.opened.emit()

    def _swap(self, project: Project, rows: dict, path: str) -> None:
        self.runner.views.clear()
        self.session.load(project, rows)
        self.state.replace(project.experiment, path=path)
        self.runner.show_run(self.session.last)  # the last run's views as they were, not "Press Start"

    def _put_back(self, snapshot: tuple, config: dict, path: str, modified: bool) -> None:
        """The session, experiment and views as they were before a failed replacement."""
        self.runner.views.clear()
        self.session.restore(snapshot)
        self.state.replace(config, path=path)
        if modified:
            self.state.mark_unsaved_changes()
        try:
            self.runner.show_run(self.session.last)
        except Exception:  # the old run's views stay empty; its data is all there
            self.runner.views.clear()

    def open_file(self, path: str | None = None) -> bool:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self._parent, "Open experiment",
                                                  settings.read("last_dir"), FILE_FILTER)
            if not path:
                return False
        from regstudio.experiments.project import ProjectError, load_project

        try:
            project = load_project(path)  # everything checked before anything changes here
        except ProjectError as exc:
            show_error(self._parent, "Cannot open", str(exc))
            return False
        if not self.may_replace_session():
            return False
        try:
            self.replace_session(project, str(path))
        except Exception as exc:  # noqa: BLE001 (a view that cannot show it: the old session stays)
            show_error(self._parent, "Cannot open", f"{path}: cannot be shown ({type(exc).__name__}: "
                       f"{str(exc)[:200]}); the open experiment is unchanged")
            return False
        settings.add_recent(str(path))
        settings.write("last_dir", str(Path(path).parent))
        return True

    def fill_recent(self, menu) -> None:
        menu.clear()
        files = settings.read("recent_files")
        for p in files:
            menu.addAction(p).triggered.connect(lambda _c=False, p=p: self.open_file(p))
        if not files:
            menu.addAction("(none)").setEnabled(False)

    # -- save ---------------------------------------------------------------------------------
    def save(self) -> bool:
        # A project is a .regstudio archive: an opened .json config is not overwritten with one.
        if not self.state.path or Path(self.state.path).suffix.lower() != ".regstudio":
            return self.save_as()
        return self.save_to(self.state.path)

    def save_as(self) -> bool:
        suggested = (str(Path(self.state.path).with_suffix(".regstudio")) if self.state.path
                     else settings.read("last_dir"))
        path, _ = QFileDialog.getSaveFileName(self._parent, "Save experiment", suggested, FILE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:  # the dialog asked about overwriting the name without it
            path += ".regstudio"
            if Path(path).exists() and not self.confirm(
                    "Replace file", f"{Path(path).name} already exists. Replace it?"):
                return False
        return self.save_to(path)

    def save_to(self, path: str) -> bool:
        """The experiment and every run of the session with its weights, written atomically."""
        from regstudio.experiments.project import save_project

        commit_typing()
        try:
            save_project(path, self.project_for(path))
        except (OSError, ValueError) as exc:  # a ProjectError (beyond a limit) names the path
            show_error(self._parent, "Cannot save", str(exc) if str(exc).startswith(str(path)) else
                       f"{path}: {exc}")
            return False
        self.state.mark_saved(str(path))
        settings.add_recent(str(path))
        self.message.emit(f"Saved {path}", 4000)
        return True

    def project_for(self, path: str) -> Project:
        """The experiment and its runs as a project to be written to ``path``, with the data
        paths read from its folder (relative when the data lie inside it)."""
        from regstudio.data import rebase_paths
        from regstudio.experiments.config import validate_config

        old, new = self.state.base_dir(), Path(path).parent

        def moved(config: dict) -> dict:
            return {**config, "data": rebase_paths(config["data"], old, new)} if "data" in config else config

        project = self.session.to_project(moved(validate_config(self.state.frozen())))
        project.runs = [dataclasses.replace(run, config=moved(run.config)) for run in project.runs]
        return project

    # -- autosave / recovery ------------------------------------------------------------------
    def _autosave(self, path: str) -> bool:
        """The project as it is, to the autosave file (the open file and its state untouched)."""
        from regstudio.experiments.project import save_project

        try:
            save_project(path, self.project_for(path))
        except (OSError, ValueError) as exc:
            self.message.emit(f"Autosave failed: {exc}", 6000)
            return False
        return True

    def _build_recovery_bar(self) -> QWidget:
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(6, 2, 6, 2)
        self.recovery_label = QLabel("")
        self.recovery_label.setWordWrap(True)
        self.recover_button = QPushButton("Recover")
        self.recover_button.setToolTip("Open the autosaved experiment and its runs")
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Delete the autosave and start fresh")
        row.addWidget(self.recovery_label, 1)
        row.addWidget(self.recover_button)
        row.addWidget(self.discard_button)
        self.recover_button.clicked.connect(self.recover_autosave)
        self.discard_button.clicked.connect(self.discard_autosave)
        bar.hide()
        return bar

    def _offer_recovery(self) -> None:
        leftover = self.autosaver.leftover()
        if leftover is None:
            return
        from datetime import datetime

        when = datetime.fromtimestamp(leftover.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        self.recovery_label.setText(f"Regularization Studio did not close cleanly last time. An autosave "
                                    f"from {when} holds the experiment and its runs.")
        self.recovery_bar.show()

    def recover_autosave(self) -> bool:
        path = self.autosaver.leftover()
        self.recovery_bar.hide()
        if path is None or not self.open_file(str(path)):
            return False
        self.state.mark_unsaved()  # a recovered project is saved where the user chooses
        self.message.emit("Recovered the autosave; use Save As to keep it", 8000)
        return True

    def discard_autosave(self) -> None:
        self.autosaver.path.unlink(missing_ok=True)
        self.recovery_bar.hide()

    def closing(self) -> None:
        """A clean exit leaves no autosave behind."""
        if self.ask:
            self.autosaver.discard()
