"""LessonPlayer: the Lessons menu; a lesson starts a clean session (the earlier one saved or
discarded as the user chose), trains its runs one after another, explains them in the banner
and overlays them for comparison at the end."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from .project_files import ProjectFiles
from .run_controller import RunController


class LessonPlayer(QObject):
    """Signals: banner(str text, bool is_error); tick(str run_id) to overlay a finished run."""

    banner = Signal(str, bool)
    tick = Signal(str)

    def __init__(self, runner: RunController, files: ProjectFiles, parent: QObject | None = None):
        super().__init__(parent)
        self.runner, self.files = runner, files
        self.lesson = None
        self.queue: list = []
        self.run_ids: list[str] = []
        runner.finished.connect(self._on_run_finished)
        runner.stop_requested.connect(self.queue.clear)  # a stopped lesson does not go on by itself
        runner.stopped.connect(lambda reason: reason == "error" and self.queue.clear())

    def fill_menu(self, menu) -> None:
        from regstudio.experiments.lessons import LESSONS

        for number, item in enumerate(LESSONS, start=1):
            action = menu.addAction(f"&{number} · {item.title}")
            action.setStatusTip(item.explanation.split(". ")[0] + ".")
            action.setToolTip(item.explanation)
            action.triggered.connect(lambda _checked=False, item=item: self.run_lesson(item))

    def run_lesson(self, item) -> bool:
        """Load the lesson's runs and train them one after another, explaining what to look at."""
        self.runner.stop()  # ends a lesson in progress too
        if not self.files.may_replace_session():
            return False
        self.files.start_clean(item.runs[0][1])  # nothing of earlier work or lessons stays overlaid
        self.lesson, self.run_ids = item, []
        self.queue[:] = list(item.runs)
        return self._next_run()

    def _next_run(self) -> bool:
        label, config = self.queue.pop(0)
        self.runner.state.replace(config)
        self.runner.label = label
        try:
            started = self.runner.start()
        finally:
            self.runner.label = ""
        if started:
            self.run_ids.append(f"run{self.runner.session.count}")
            step = len(self.run_ids)
            total = step + len(self.queue)
            self.banner.emit(f"<b>Lesson: {self.lesson.title}</b> (run {step} of {total}: {label}). "
                             f"{self.lesson.explanation}", False)
        else:
            self.queue.clear()
        return started

    def _on_run_finished(self, reason: str) -> None:
        """After each lesson run: start the next one, or overlay them all at the end."""
        if self.lesson is None:
            return
        if self.queue and reason in ("completed", "early_stopping"):
            QTimer.singleShot(0, self._next_run)
            return
        if not self.queue and len(self.run_ids) > 1:
            for run_id in self.run_ids[:-1]:
                self.tick.emit(run_id)
        self.queue.clear()
        self.lesson = None
