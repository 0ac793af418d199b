"""The result set of a run (issue 17, defects 6, 8, 10): complete or visibly incomplete after a
kill -9 or a full disk, leftovers removed, --out checked first, restored_epoch reported."""

import csv
import dataclasses
import errno
import json
import os
import random
import signal
import subprocess
import sys
import textwrap

import pytest

from regstudio.experiments import export
from regstudio.experiments.config import validate_config
from regstudio.experiments.export import OutputError, load_model, make_out_folder, write_run
from regstudio.experiments.training import train


@pytest.fixture
def result(moons_config):
    return train(validate_config({**moons_config, "training": {**moons_config["training"], "epochs": 3}}))


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _check_invariant(folder):
    """A folder with summary.json holds a complete, consistent set: the history, the summary and
    the model of one write (the child names each write's model after its epoch count)."""
    if not (folder / "summary.json").exists():
        return False
    summary = json.loads((folder / "summary.json").read_text())
    rows = list(csv.DictReader((folder / "history.csv").open()))
    _model, config = load_model(folder / "model.npz")
    assert len(rows) == summary["stopped_epoch"]
    assert config["name"] == f"write {summary['stopped_epoch']}"
    return True


def test_summary_is_written_last(tmp_path, result, monkeypatch):
    order = []
    real = export.atomic_write
    monkeypatch.setattr(export, "atomic_write", lambda path, data: (order.append(path.name), real(path, data)))
    write_run(tmp_path, result)
    assert order == ["model.npz", "history.csv", "summary.json"]


def test_leftovers_of_interrupted_writes_are_removed(tmp_path, result):
    for name in ("history.csv", "summary.json", "model.npz"):
        (tmp_path / f".{name}.abc123.tmp").write_bytes(b"half")
    (tmp_path / ".mine.tmp").write_bytes(b"not ours")
    write_run(tmp_path, result)
    assert _leftovers(tmp_path) == [".mine.tmp"]


@pytest.mark.parametrize(("failing_call", "name"), [(1, "model.npz"), (2, "history.csv"), (3, "summary.json")])
def test_a_full_disk_names_the_file_and_leaves_no_complete_claim(tmp_path, result, disk_full_at,
                                                                  failing_call, name):
    write_run(tmp_path, result)  # an earlier complete result, replaced with --force
    disk_full_at(failing_call)
    with pytest.raises(OutputError) as info:
        write_run(tmp_path, result, force=True)
    assert str(info.value).startswith(f"{tmp_path / name}: could not be written (No space left on device)")
    assert ".tmp" not in str(info.value)
    assert not (tmp_path / "summary.json").exists()
    assert _leftovers(tmp_path) == []


def test_a_folder_that_cannot_be_written_is_refused_naming_it(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(export.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match=rf"^--out {tmp_path}: files cannot be written in this folder "
                                          r"\(Read-only file system\); choose a writable folder$"):
        make_out_folder(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="files cannot be written in this folder"):
            make_out_folder(folder)
    finally:
        folder.chmod(0o755)


def test_train_refuses_an_unwritable_out_before_training(tmp_path, moons_config, monkeypatch, capsys):
    from regstudio import cli

    config = tmp_path / "c.json"
    config.write_text(json.dumps(moons_config))
    monkeypatch.setattr(export.tempfile, "mkstemp",
                        lambda *a, **k: (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied")))
    assert cli.main(["train", str(config), "--out", str(tmp_path / "out")]) == 2
    out, err = capsys.readouterr()
    assert "epoch 1/" not in out
    assert err == (f"regstudio: error: --out {tmp_path / 'out'}: files cannot be written in this folder "
                   "(Permission denied); choose a writable folder\n")


_CHILD = textwrap.dedent("""
    import dataclasses, json, sys, time
    from regstudio.experiments.config import validate_config
    from regstudio.experiments.export import write_run
    from regstudio.experiments.training import train

    result = train(validate_config(json.loads(sys.argv[1])))
    print("ready", flush=True)
    k = 0
    while True:
        k += 1
        n = 1 + k % len(result.history)
        write_run(sys.argv[2], dataclasses.replace(
            result, history=result.history[:n], summary={**result.summary, "stopped_epoch": n},
            config={**result.config, "name": f"write {n}"}), force=True)
        time.sleep(0.005 * (k % 3))  # complete sets stand for a while too, as between runs
""")


def test_kill_9_while_writing_leaves_a_complete_set_or_none(tmp_path, moons_config, result):
    """A loop of random kill times while a child rewrites the set: every folder left behind is
    complete and consistent or has no summary.json; the next write removes the leftovers."""
    cfg = json.dumps({**moons_config, "training": {**moons_config["training"], "epochs": 4}})
    rng = random.Random(6)
    complete = 0
    for trial in range(12):
        out = tmp_path / f"t{trial}"
        child = subprocess.Popen([sys.executable, "-c", _CHILD, cfg, str(out)], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline() == "ready\n"
        child.stdout.close()
        try:
            child.wait(timeout=rng.uniform(0.02, 0.4))
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
        complete += _check_invariant(out)
        write_run(out, dataclasses.replace(result, config={**result.config, "name": "write 3"}), force=True)
        assert _leftovers(out) == [] and _check_invariant(out)
    assert complete >= 1  # some kills landed after a summary was written


def test_restored_epoch_is_the_epoch_whose_weights_the_run_ends_with(moons_config):
    cfg = {**moons_config, "data": {**moons_config["data"], "n_samples": 120, "noise": 0.4},
           "model": {"layers": [{"type": "dense", "units": 64}, {"type": "dense", "units": 64}, {"type": "dense"}]},
           "regularization": {"l2": 0.0},
           "early_stopping": {"enabled": True, "patience": 6, "min_delta": 0.03, "restore_best_weights": True},
           "training": {**moons_config["training"], "epochs": 60, "lr": 0.05}}
    result = train(validate_config(cfg))
    summary = result.summary
    restored = summary["restored_epoch"]
    assert restored is not None and restored != summary["best_epoch"]
    assert summary["final"]["val_loss"] == pytest.approx(result.history[restored - 1]["val_loss"], rel=1e-5)
    assert summary["stopped_epoch"] == restored + 6
    cfg["early_stopping"] = {**cfg["early_stopping"], "restore_best_weights": False}
    no_restore = train(validate_config(cfg))
    assert no_restore.summary["restored_epoch"] is None
