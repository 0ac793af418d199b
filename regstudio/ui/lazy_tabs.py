"""LazyTabs: tabs whose view is built the first time it is shown, so the window opens sooner."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QWidget


class LazyTabs:
    """Tabs of ``tabs`` that hold a placeholder until shown (or asked for with :meth:`view`)."""

    def __init__(self, tabs: QTabWidget):
        self.tabs = tabs
        self._builders: dict[int, Callable[[], QWidget]] = {}
        self._views: dict[int, QWidget] = {}
        tabs.currentChanged.connect(self.view)

    def add(self, build: Callable[[], QWidget], text: str, tip: str) -> int:
        """A tab titled ``text`` whose view ``build()`` makes on first use; returns its index."""
        index = self.tabs.addTab(QWidget(), text)
        self.tabs.setTabToolTip(index, tip)
        self._builders[index] = build
        return index

    def built(self, index: int) -> QWidget | None:
        """The tab's view if it has been built, else None (nothing is built)."""
        return self._views.get(index)

    def views(self) -> list[QWidget]:
        """The views built so far."""
        return list(self._views.values())

    def view(self, index: int) -> QWidget | None:
        """The view of tab ``index``, built and put in place of its placeholder on first use;
        the current tab, the tab's text and tooltip stay as they were."""
        if index not in self._builders or index in self._views:
            return self._views.get(index)
        view = self._views[index] = self._builders[index]()
        tabs = self.tabs
        current, tip, text = tabs.currentIndex(), tabs.tabToolTip(index), tabs.tabText(index)
        tabs.blockSignals(True)
        placeholder = tabs.widget(index)
        tabs.removeTab(index)
        tabs.insertTab(index, view, text)
        tabs.setTabToolTip(index, tip)
        tabs.setCurrentIndex(current)
        tabs.blockSignals(False)
        placeholder.deleteLater()
        return view
