"""``regstudio train``, ``sweep`` and ``export`` run headless: they never load Qt or pyqtgraph,
even where those are installed (.ci/run also runs them where they are not)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CODE = """
import sys
from regstudio.cli import main
assert main(sys.argv[1:]) == 0
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"))
print("QT:" + ",".join(bad))
"""


@pytest.mark.parametrize("command", [
    ["train", "cfg.json", "--out", "run", "--quiet"],
    ["sweep", "cfg.json", "--param", "regularization.l2", "--values", "1e-4,1e-3", "--workers", "1",
     "--out", "sweep"],
    ["export", "cfg.json", "--framework", "keras", "--out", "model_keras.py"],
])
def test_headless_commands_never_load_qt(command, moons_config, tmp_path):
    moons_config["training"]["epochs"] = 2
    (tmp_path / "cfg.json").write_text(json.dumps(moons_config), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", CODE, *command], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "QT:"
