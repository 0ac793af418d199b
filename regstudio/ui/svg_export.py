"""SVG export of pyqtgraph plots with the Qt this app ships.

pyqtgraph 0.14's SVGExporter parses the path data Qt's SVG generator writes, expecting
only ``x,y`` pairs; Qt 6 also writes the close-path command ``Z``, which makes the
exporter fail on every plot. The close-path tokens are taken out before pyqtgraph reads
the coordinates (the shapes concerned are rectangles whose fill does not depend on it).
"""

from __future__ import annotations

import importlib

svg_module = importlib.import_module("pyqtgraph.exporters.SVGExporter")

_original = svg_module.correctCoordinates


def _without_close_path(node) -> None:
    for child in node.childNodes:
        if getattr(child, "tagName", None) == "path":
            d = child.getAttribute("d")
            if "Z" in d or "z" in d:
                child.setAttribute("d", " ".join(t for t in d.split() if t not in ("Z", "z")))
        if child.childNodes:
            _without_close_path(child)


def _correct_coordinates(node, defs, item, options):
    _without_close_path(node)
    return _original(node, defs, item, options)


svg_module.correctCoordinates = _correct_coordinates


def export_svg(scene) -> bytes:
    """The plot scene as SVG bytes (vector lines and text)."""
    exporter = svg_module.SVGExporter(scene)
    return exporter.export(toBytes=True)
