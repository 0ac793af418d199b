"""The floors proven statically: import-linter checks pyproject.toml's contracts (imports only go
down cli -> selftest -> ui -> experiments -> engine | data; the core never imports Qt; on the ui
floor the panels and views never reach up into the rooms or the window; no import loops between
the modules of a package), and a stray import in a copy of the package breaks them, so the
check can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is not installed (it is in the test extra)")

import regstudio  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


def _lint(where: Path) -> subprocess.CompletedProcess:
    """lint-imports on the ``regstudio`` package found first in ``where``, with its pyproject.toml."""
    return subprocess.run([sys.executable, "-c", LINT], cwd=where, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(where)})


def test_the_package_keeps_its_import_contracts():
    assert Path(regstudio.__file__).resolve().parent == ROOT / "regstudio"  # the tree under test
    proc = _lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 4 kept, 0 broken." in proc.stdout


@pytest.mark.parametrize(("module", "line", "expected"), [
    ("engine/_stray.py", "from PySide6 import QtCore\n", "regstudio.engine._stray -> PySide6 (l.1)"),
    ("data/_stray.py", "import pyqtgraph\n", "regstudio.data._stray -> pyqtgraph (l.1)"),
    ("experiments/_stray.py", "def f():\n    from ..ui import state\n",
     "regstudio.experiments is not allowed to import regstudio.ui"),
    ("ui/_stray.py", "from .. import cli\n", "regstudio.ui is not allowed to import regstudio.cli"),
    ("ui/plots/_stray.py", "def f():\n    from ..main_window import MainWindow\n",
     "regstudio.ui.plots is not allowed to import regstudio.ui.main_window"),
    ("ui/run_controller.py", "from .lesson_player import LessonPlayer\n",
     "regstudio.ui.run_controller is not allowed to import regstudio.ui.lesson_player"),
    ("ui/panels/runs_panel.py", "def f():\n    from ..run_controller import RunController\n",
     "regstudio.ui.panels is not allowed to import regstudio.ui.run_controller"),
    ("data/errors.py", "def f():\n    from .dataset import Dataset\n", "No cycles are allowed in regstudio.data."),
])
def test_a_stray_import_breaks_a_contract(tmp_path, module, line, expected):
    shutil.copytree(ROOT / "regstudio", tmp_path / "regstudio", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "regstudio" / module).write_text(line, encoding="utf-8")
    proc = _lint(tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert expected in proc.stdout
