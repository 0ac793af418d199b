"""The command line as a user runs it: real subprocesses, real files."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "regstudio", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


@pytest.fixture
def config_file(tmp_path, moons_config):
    path = tmp_path / "moons.json"
    path.write_text(json.dumps(moons_config))
    return path


def test_train_writes_history_summary_and_model(config_file, tmp_path):
    out = tmp_path / "out"
    proc = run("train", config_file, "--out", out, "--epochs", 4)
    assert proc.returncode == 0, proc.stderr
    assert sum(line.startswith("epoch ") for line in proc.stdout.splitlines()) == 4
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2", "3", "4"]
    assert set(rows[0]) == {"epoch", "train_loss", "data_loss", "penalty", "val_loss", "train_acc",
                            "val_acc", "lr", "seconds"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stop_reason"] == "completed" and summary["stopped_epoch"] == 4
    assert 1 <= summary["best_epoch"] <= 4
    assert summary["best_val_loss"] == pytest.approx(min(float(r["val_loss"]) for r in rows))
    assert [layer["name"] for layer in summary["layers"]] == ["dense_0", "dense_1"]
    with np.load(out / "model.npz", allow_pickle=False) as model:
        assert model["dense_0.W"].shape == (2, 32)


def test_train_refuses_to_overwrite_results(config_file, tmp_path):
    out = tmp_path / "out"
    assert run("train", config_file, "--out", out, "--epochs", 1).returncode == 0
    before = (out / "history.csv").read_text()
    proc = run("train", config_file, "--out", out, "--epochs", 2)
    assert proc.returncode == 2
    assert "already holds history.csv" in proc.stderr and "--force" in proc.stderr
    assert (out / "history.csv").read_text() == before
    assert run("train", config_file, "--out", out, "--epochs", 2, "--force").returncode == 0


@pytest.mark.parametrize("content,message", [
    ("{not json", "not valid JSON at line 1"),
    ('{"data": {"source": "builtin", "name": "moons"}, "model": {"layers": [{"type": "dense"}]},'
     ' "training": {"lr": -1}}', "training.lr must be a number from"),
    ('{"data": {"source": "csv", "path": "missing.csv", "target": "y"},'
     ' "model": {"layers": [{"type": "dense"}]}}', "missing.csv"),
    ('{"data": {"source": "builtin", "name": "moons"}, "model": {"layers": [{"type": "dense"}]},'
     ' "optimiser": {}}', "optimiser is not a known key"),
])
def test_bad_input_prints_one_line_and_exits_2(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    proc = run("train", path, "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content", [
    '[1, 2]', '{"training": "fast", "data": {}, "model": {"layers": [{"type": "dense"}]}}'])
def test_overrides_on_a_malformed_config_are_a_one_line_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    proc = run("train", path, "--out", tmp_path / "out", "--epochs", 2, "--seed", 1)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "must be a JSON object" in proc.stderr or "training must be a mapping" in proc.stderr


def test_unusable_out_locations_fail_before_any_training(config_file, tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for out, message in [(a_file, "is a file, not a folder"), (a_file / "sub", "cannot create this folder")]:
        proc = run("train", config_file, "--out", out, "--epochs", 2000)
        assert proc.returncode == 2 and message in proc.stderr and "epoch 1/" not in proc.stdout
        proc = run("sweep", config_file, "--param", "regularization.l2", "--values", "0",
                   "--workers", 1, "--out", out)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    proc = run("export", config_file, "--framework", "pytorch", "--out", tmp_path, "--force")
    assert proc.returncode == 2 and "is a folder; give the script's file name" in proc.stderr
    proc = run("export", config_file, "--framework", "pytorch", "--out", tmp_path / "new" / "m.py")
    assert proc.returncode == 0 and (tmp_path / "new" / "m.py").is_file()
    proc = run("train", config_file, "--out", tmp_path / "o", "--threads", 0)
    assert proc.returncode == 2 and "--threads: must be at least 1, got 0" in proc.stderr


def test_a_config_nested_too_deeply_is_a_one_line_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    proc = run("train", path, "--out", tmp_path / "out")
    assert proc.returncode == 2 and "nested too deeply" in proc.stderr and "Traceback" not in proc.stderr


def test_ctrl_c_stops_after_the_batch_and_still_writes_the_results(config_file, tmp_path):
    import signal

    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "regstudio", "train", str(config_file), "--out",
                             str(out), "--epochs", "100000"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("epoch 1/")  # training runs
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()  # through the same buffer as readline (communicate would skip it)
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 130  # a hang guard, not a measurement
    assert "stopping after this batch" in stderr and "Traceback" not in stderr
    summary = json.loads((out / "summary.json").read_text())
    rows = list(csv.DictReader((out / "history.csv").open()))
    printed = 1 + sum(line.startswith("epoch ") for line in rest.splitlines())
    # stopped, not run to the end: the epochs written are the epochs finished and reported
    assert summary["stop_reason"] == "cancelled" and 1 <= summary["stopped_epoch"] < 100_000
    assert len(rows) == summary["stopped_epoch"] == printed
    assert (out / "model.npz").is_file()


def test_the_data_report_is_printed_and_saved(tmp_path):
    from PIL import Image

    for label in ("a", "b"):
        (tmp_path / "img" / label).mkdir(parents=True)
        for i in range(4):
            Image.new("RGB", (6, 6), (60 * i, 0, 0)).save(tmp_path / "img" / label / f"{i}.png")
    (tmp_path / "img" / "a" / "broken.png").write_bytes(b"not a png")
    config = {"data": {"source": "images", "path": "img", "size": 6},
              "model": {"layers": [{"type": "flatten"}, {"type": "dense"}]}, "training": {"epochs": 1}}
    (tmp_path / "c.json").write_text(json.dumps(config))
    proc = run("train", tmp_path / "c.json", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert "data: skipped 1 unreadable file(s): a/broken.png (unreadable)" in proc.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["data_report"] == ["skipped 1 unreadable file(s): a/broken.png (unreadable)"]


def test_missing_config_file(tmp_path):
    proc = run("train", tmp_path / "nope.json", "--out", tmp_path / "out")
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_sweep_writes_one_row_per_value_in_order(config_file, tmp_path):
    out = tmp_path / "sweep"
    proc = run("sweep", config_file, "--param", "regularization.l2", "--values", "1e-3,1e-5,1e-4",
               "--workers", "2", "--out", out)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert [float(r["value"]) for r in rows] == [1e-3, 1e-5, 1e-4]
    assert all(r["param"] == "regularization.l2" and int(r["best_epoch"]) >= 1 for r in rows)
    proc = run("sweep", config_file, "--param", "regularization.l2", "--values", "1e-3", "--out", out)
    assert proc.returncode == 2 and "sweep.csv exists" in proc.stderr


def test_train_reads_a_project_archive(tmp_path, moons_config):
    from regstudio.experiments.config import validate_config
    from regstudio.experiments.project import Project, save_project

    path = tmp_path / "p.regstudio"
    save_project(path, Project(validate_config(moons_config)))
    proc = run("train", path, "--out", tmp_path / "out", "--epochs", 1)
    assert proc.returncode == 0, proc.stderr
    path.write_bytes(path.read_bytes()[:40])
    proc = run("train", path, "--out", tmp_path / "out2")
    assert proc.returncode == 2 and "damaged or truncated" in proc.stderr


def test_export_writes_a_pytorch_script_and_refuses_to_overwrite(config_file, tmp_path):
    out = tmp_path / "m_torch.py"
    proc = run("export", config_file, "--framework", "pytorch", "--out", out)
    assert proc.returncode == 0, proc.stderr
    compile(out.read_text(), str(out), "exec")
    proc = run("export", config_file, "--framework", "pytorch", "--out", out)
    assert proc.returncode == 2 and "pass --force" in proc.stderr


def test_gui_and_open_take_a_project_as_the_desktop_entry_passes_it(tmp_path):
    """``regstudio gui FILE`` (the desktop entry's ``Exec``) and ``regstudio open FILE`` open
    the window with the project; a missing file is one line, exit 2."""
    import os

    from regstudio.experiments.config import default_config

    path = tmp_path / "mine.json"
    path.write_text(json.dumps({**default_config(), "name": "from the file manager"}))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "REGSTUDIO_EXIT_AFTER_SHOW": "1",
           "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    for command in ("gui", "open"):
        proc = subprocess.run([sys.executable, "-m", "regstudio", command, str(path)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "regstudio", "gui", str(tmp_path / "gone.regstudio")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "gone.regstudio: no such file" in proc.stderr


def _gui_env(tmp_path) -> dict:
    import os

    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "REGSTUDIO_EXIT_AFTER_SHOW": "1",
            "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}


def _crafted_project(tmp_path, edit):
    """A saved project whose project.json ``edit`` changed (the audit's crafted files)."""
    import zipfile

    from regstudio.experiments.project import save_project
    from tests.experiments.test_project import make_project

    path = tmp_path / "crafted.regstudio"
    save_project(path, make_project(2))
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = json.loads(members["project.json"])
    edit(header)
    members["project.json"] = json.dumps(header)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


HUGE = 10**400


@pytest.mark.parametrize("edit", [
    lambda h: h["runs"][0].update(changes=[{"epoch": 1, "batch": 0, "key": "regularization.l2", "old": HUGE,
                                            "new": 1}]),
    lambda h: [row.update(layers=3) for row in h["runs"][-1]["history"]],
    lambda h: [row.update(val_loss=1e308, train_loss=-1e308) for row in h["runs"][-1]["history"]],
])
def test_open_never_ends_with_a_traceback(tmp_path, edit):
    """``regstudio open`` of a crafted project: refused in a dialog, the window stays (exit 0)."""
    path = _crafted_project(tmp_path, edit)
    proc = subprocess.run([sys.executable, "-m", "regstudio", "open", str(path)], env=_gui_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda h: h.update(sweeps=[{"kind": "sweep", "schema": 1, "config": h["experiment"],
                                 "params": ["regularization.l2"], "values": [[HUGE]], "mode": "single",
                                 "n": 1, "fits": []}]), "sweep 1: sweep: values must be a list"),
    (lambda h: h["runs"][0]["history"][0].update(val_loss=HUGE), "run 1: history row 1, column 'val_loss'"),
])
def test_train_on_a_crafted_project_is_one_line(tmp_path, edit, message):
    proc = run("train", _crafted_project(tmp_path, edit), "--out", tmp_path / "out")
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr) < 500 and not (tmp_path / "out" / "summary.json").exists()


def test_huge_numbers_are_described_not_printed(config_file, tmp_path):
    proc = run("train", config_file, "--out", tmp_path / "o", "--threads", HUGE)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--threads: must be at most 1024, got an integer of about 401 digits" in proc.stderr
    cfg = json.loads(config_file.read_text())
    config_file.write_text(json.dumps(cfg)[:-1] + ', "schema": ' + str(HUGE) + "}")
    proc = run("train", config_file, "--out", tmp_path / "o")
    assert proc.returncode == 2 and "schema: an integer of about 401 digits is newer" in proc.stderr
    assert len(proc.stderr) < 300


def test_a_model_beyond_the_size_caps_is_one_line(tmp_path):
    config = {"data": {"source": "builtin", "name": "shapes", "n_samples": 40},
              "model": {"layers": [{"type": "conv2d", "filters": 1024, "kernel": 3},
                                   {"type": "dense", "units": 8192}, {"type": "dense"}]}}
    (tmp_path / "c.json").write_text(json.dumps(config))
    proc = run("train", tmp_path / "c.json", "--out", tmp_path / "out")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "model.layers[1] (dense): the model would hold" in proc.stderr
