"""PySide6-Essentials 6.12.0 on Python 3.11 aborts (bool_dealloc) after many Signal.emit()
calls; run the storm in a subprocess so a crash fails this test instead of killing pytest."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import os
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    class Emitter(QObject):
        flag = Signal(bool)
        value = Signal(object)

    app = QCoreApplication([])
    e = Emitter()
    got = [0]
    def slot(*_a):
        got[0] += 1
    e.flag.connect(slot)
    e.value.connect(slot)
    for i in range(100_000):
        e.flag.emit(i % 2 == 0)
        e.value.emit({"epoch": i, "ok": True})
    assert got[0] == 200_000, got[0]
    print("storm ok", got[0])
""")


def test_signal_storm_does_not_crash():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, (
        f"Signal storm crashed (exit {proc.returncode}); is PySide6 6.12.0 installed? "
        f"pyproject pins <6.12.\n{proc.stderr[-2000:]}")
    assert "storm ok 200000" in proc.stdout
