"""Exports: plots (PNG/SVG), the last run's history and model, scripts, the runs table and
the HTML report, each through one helper that asks for a file name, writes atomically and
says what happened. Also the one place that paints a widget into an image."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QTabWidget, QWidget

from regstudio.experiments.export import atomic_write, history_csv, save_model
from regstudio.experiments.session import Session

from .dialogs.error import show_error
from .state import ExperimentState


@dataclass
class ExportViews:
    """What the exports read, never the window: the plot tabs (the one shown is "the plot"),
    the Loss view and the Sweep view (the report embeds them; ``sweep_view()`` is None until
    its tab is built) and the Runs table (its ticked runs go in the report)."""

    tabs: QTabWidget
    loss_plot: QWidget
    sweep_view: Callable[[], QWidget | None]
    runs_panel: QWidget


class Exports(QObject):
    """Signals: message(str text, int ms) for the status bar."""

    message = Signal(str, int)

    def __init__(self, parent: QWidget, state: ExperimentState, session: Session, views: ExportViews):
        super().__init__(parent)
        self._parent, self.state, self.session, self.views = parent, state, session, views

    def _write(self, what: str, path: str | None, suggested: str, filter_: str,
               produce: Callable[[str], None]) -> bool:
        """Ask for ``path`` when None, then ``produce(path)``; errors become a dialog."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self._parent, f"Export {what}", suggested, filter_)
            if not path:
                return False
        try:
            produce(path)
        except SvgUnavailable:
            show_error(self._parent, "Cannot export as SVG", "This view exports as PNG only.")
            return False
        except (OSError, ValueError) as exc:
            show_error(self._parent, f"Cannot export the {what}", f"{path}: {exc}")
            return False
        self.message.emit(f"Saved {path}", 5000)
        return True

    def plot(self, path: str | None = None) -> bool:
        """The current tab as PNG (pixels) or SVG (vector, drawn by Qt's SVG generator)."""
        widget = self.views.tabs.currentWidget()
        return self._write("plot", path, "plot.png", "PNG image (*.png);;SVG drawing (*.svg)",
                           lambda p: atomic_write(p, svg_bytes(widget) if p.lower().endswith(".svg")
                                                  else png_bytes(widget)))

    def history(self, path: str | None = None) -> bool:
        run = self.session.last
        if run is None:
            return False
        return self._write("history", path, "history.csv", "CSV (*.csv)",
                           lambda p: atomic_write(p, history_csv(run.history)))

    def model(self, path: str | None = None) -> bool:
        """The last run's final weights (after any restore) and its config, as .npz."""
        run = self.session.last
        if run is None or run.model is None:
            return False
        return self._write("model", path, "model.npz", "NumPy archive (*.npz)",
                           lambda p: save_model(p, run.model, run.config, run.task, run.standardization))

    def script(self, framework: str, path: str | None = None) -> bool:
        """The experiment as a runnable PyTorch or Keras script (conventions converted)."""
        from regstudio.experiments.codegen import write_script

        stem = "".join(c if c.isalnum() else "_" for c in self.state.config.get("name", "experiment"))
        suffix = "_torch.py" if framework == "pytorch" else "_keras.py"
        return self._write(f"{framework} script", path, stem + suffix, "Python script (*.py)",
                           lambda p: write_script(p, self.state.frozen(), framework, overwrite=True,
                                                  dataset=self.state.dataset, base_dir=self.state.base_dir()))

    def runs_csv(self, path: str | None = None) -> bool:
        from regstudio.experiments.runs import runs_csv

        return self._write("runs table", path, "runs.csv", "CSV (*.csv)",
                           lambda p: atomic_write(p, runs_csv(self.session.rows())))

    def report(self, path: str | None = None) -> bool:
        """One HTML page: the ticked runs (all when none is ticked), the loss plot with their
        overlays, the sweep's validation curve if there is one, the table and the configs."""
        from regstudio.experiments.runs import html_report

        ids = self.views.runs_panel.checked() or self.session.ids()
        if not ids:
            return False

        def write(p: str) -> None:
            runs = [{"row": self.session.row(i), "config": self.session.get(i).config} for i in ids]
            images = {caption: png_bytes(w) for caption, w in self._report_views().items()}
            atomic_write(p, html_report(self.state.config.get("name", "experiment"), runs, images))

        return self._write("report", path, "report.html", "HTML (*.html)", write)

    def _report_views(self) -> dict:
        """The plots the HTML report embeds, by caption: the Loss view, and the Sweep's
        validation curve once a sweep has run."""
        views = {"Loss curves (ticked runs overlaid as dashed validation losses)": self.views.loss_plot}
        sweep = self.views.sweep_view()
        if sweep is not None and sweep.rows:
            views["Sweep: loss at the best epoch against the swept value"] = sweep.plot
        return views


def render_to_image(widget):
    """Paint ``widget`` into a QImage (QWidget.grab crashes offscreen for QGraphicsViews)."""
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QGraphicsView

    img = QImage(max(1, widget.width()), max(1, widget.height()), QImage.Format.Format_ARGB32)
    img.fill(0xFFFFFFFF)
    if isinstance(widget, QGraphicsView):
        painter = QPainter(img)
        try:
            widget.render(painter)
        finally:
            painter.end()
    else:
        QWidget.render(widget, img)
    return img


def png_bytes(widget) -> bytes:
    """A widget rendered to PNG bytes."""
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    render_to_image(widget).save(buffer, "PNG")
    return bytes(buffer.data())


class SvgUnavailable(Exception):
    """The view is not a single plot scene (the variance meter's two panels)."""


def svg_bytes(widget) -> bytes:
    """A plot tab as SVG (vector lines and text), through pyqtgraph's exporter."""
    from .svg_export import export_svg

    if hasattr(widget, "export_scene"):
        return export_svg(widget.export_scene())
    if hasattr(widget, "scene"):
        return export_svg(widget.scene())
    raise SvgUnavailable()
