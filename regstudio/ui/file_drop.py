"""Files dragged from the desktop onto a widget."""

from __future__ import annotations


class FileDropTarget:
    """Mixin for a QWidget (list it before the Qt base class): accepts drags that carry
    files and calls ``file_dropped(path)`` with the first. Call ``setAcceptDrops(True)``."""

    def file_dropped(self, path: str) -> None:
        raise NotImplementedError

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if urls:
            self.file_dropped(urls[0].toLocalFile())
