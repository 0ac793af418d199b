"""kill -9 of the real ``regstudio train`` while it writes its results (issue 17): after each
kill the folder holds a complete, consistent set (summary.json, and history.csv and model.npz
of the same run) or no summary.json at all; leftovers go with the next write."""

import csv
import json
import random
import signal
import subprocess
import sys

from regstudio.experiments.export import load_model

CONFIG = {"data": {"source": "builtin", "name": "digits", "train_size": 200},
          "model": {"layers": [{"type": "dense", "units": 1024}, {"type": "dense", "units": 1024},
                               {"type": "dense"}]},
          "training": {"epochs": 3, "batch_size": 200}}


def _train(config, out, epochs):
    return subprocess.Popen([sys.executable, "-m", "regstudio", "train", str(config), "--out", str(out),
                             "--force", "--epochs", str(epochs)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _complete(out) -> bool:
    """The invariant: summary.json present means the three files of one run agree."""
    if not (out / "summary.json").exists():
        return False
    summary = json.loads((out / "summary.json").read_text())
    rows = list(csv.DictReader((out / "history.csv").open()))
    _model, config = load_model(out / "model.npz")
    assert summary["stopped_epoch"] == len(rows) == config["training"]["epochs"], \
        (summary["stopped_epoch"], len(rows), config["training"]["epochs"])
    assert [int(r["epoch"]) for r in rows] == list(range(1, len(rows) + 1))
    return True


def test_kill_9_while_writing_leaves_a_complete_set_or_none(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps(CONFIG))
    out = tmp_path / "out"
    rng = random.Random(17)
    epochs = 0
    for _ in range(10):
        epochs = rng.choice([e for e in (1, 2, 3, 4) if e != epochs])  # a stale file would not match
        proc = _train(config, out, epochs)
        for line in proc.stdout:
            if line.startswith("finished:"):  # the results are written next
                break
        try:
            proc.wait(timeout=rng.uniform(0.0, 0.06))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()
        _complete(out)  # either way the invariant holds (seed 17 kills both before and after the end)
    proc = _train(config, out, 2)  # one more, to the end: it sweeps up what the kills left
    proc.communicate(timeout=120)
    assert proc.returncode == 0 and _complete(out)
    assert sorted(p.name for p in out.iterdir()) == ["history.csv", "model.npz", "summary.json"]
