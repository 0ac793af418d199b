"""Find the bundled ``resources/`` folder: clone, installed wheel or PyInstaller bundle."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _candidates() -> list[Path]:
    found = []
    if os.environ.get("REGSTUDIO_RESOURCES"):
        found.append(Path(os.environ["REGSTUDIO_RESOURCES"]))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        found.append(Path(bundle) / "resources")
    # A non-editable install maps resources/ to the package regstudio._resources.
    found.append(_PACKAGE_DIR / "_resources")
    # A clone or an editable install: resources/ beside the package folder.
    found.append(_PACKAGE_DIR.parent / "resources")
    return found


@cache
def resources_dir() -> Path:
    """The first candidate folder that holds the bundled data sets."""
    for folder in _candidates():
        if (folder / "datasets").is_dir():
            return folder
    tried = ", ".join(str(p) for p in _candidates())
    raise FileNotFoundError(f"Regularization Studio resources not found (looked in {tried})")


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``resource_path("datasets", "digits.csv.gz")``."""
    return resources_dir().joinpath(*parts)
