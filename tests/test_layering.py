"""The core stays Qt-free: importing it must not import PySide6 or pyqtgraph."""

import subprocess
import sys

import pytest

CORE = ["regstudio.engine", "regstudio.data", "regstudio.cli"] + [
    f"regstudio.experiments.{name}" for name in
    ("training", "build", "export", "sweep", "executors", "project", "runs", "lessons", "variance", "codegen")]


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_qt(module):
    code = (f"import sys, {module}\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'PyQt5', 'PyQt6')]\n"
            "print(','.join(bad))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"{module} imported {proc.stdout.strip()}"
