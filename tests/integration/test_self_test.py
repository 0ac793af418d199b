"""`regstudio --self-test` passes headless and reports each check."""

import os
import subprocess
import sys


def test_self_test_passes_offscreen():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "regstudio", "--self-test"], capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for check in ("engine gradients", "parameter updates", "bundled data sets", "tables (CSV, Excel)",
                  "training", "main window"):
        assert f"ok     {check}" in proc.stdout
    assert proc.stdout.strip().endswith("self-test passed")


def test_self_test_leaves_the_users_settings_alone(tmp_path):
    """The self-test flips the log scale and the per-batch curve and saves a window layout, in
    throw-away settings: the user's own settings file is byte for byte what it was."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    seed = ("from regstudio.ui import settings; settings.write('log_y', True); "
            "settings.write('batch_loss', True); settings.write('recent_files', ['/data/mine.regstudio'])")
    subprocess.run([sys.executable, "-c", seed], check=True, env=env, timeout=60)
    before = {p: p.read_bytes() for p in (tmp_path / "config").rglob("*") if p.is_file()}
    assert before, "the seed wrote no settings file"
    proc = subprocess.run([sys.executable, "-m", "regstudio", "--self-test"], capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = {p: p.read_bytes() for p in (tmp_path / "config").rglob("*") if p.is_file()}
    assert after == before
