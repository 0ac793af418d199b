"""`regstudio --self-test` passes headless and reports each check."""

import os
import subprocess
import sys


def test_self_test_passes_offscreen():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "regstudio", "--self-test"], capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for check in ("engine gradients", "parameter updates", "bundled data sets", "training", "main window"):
        assert f"ok     {check}" in proc.stdout
    assert proc.stdout.strip().endswith("self-test passed")
