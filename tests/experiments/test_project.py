"""Project files: 20 runs round-trip equal; damaged or hostile files fail clearly, loading nothing."""

import io
import json
import zipfile

import numpy as np
import pytest

from regstudio.engine import Sequential
from regstudio.experiments.config import default_config, validate_config
from regstudio.experiments.project import Project, ProjectError, RunRecord, load_project, save_project


def make_project(n_runs=20):
    rng = np.random.default_rng(0)
    cfg = validate_config(default_config())
    model = Sequential.from_config(cfg["model"]["layers"], (2,), 2)  # moons: 2 features, 2 classes
    runs = []
    for i in range(n_runs):
        history = [{"epoch": e, "train_loss": float(rng.random()), "val_loss": float(rng.random())}
                   for e in range(1, 6)]
        runs.append(RunRecord(f"run{i}", f"run {i}", cfg, history, {"best_epoch": 3, "stop_reason": "completed"},
                              [{"epoch": 2, "batch": 1, "key": "regularization.l2", "old": 0.0, "new": 0.01}],
                              {name: rng.standard_normal(w.shape).astype(np.float32)
                               for name, w in model.get_weights().items()}))
    return Project(cfg, runs)


def test_twenty_runs_save_and_load_back_equal(tmp_path):
    project = make_project(20)
    path = tmp_path / "p.regstudio"
    save_project(path, project)
    loaded = load_project(path)
    assert loaded.experiment == project.experiment
    assert len(loaded.runs) == 20
    for a, b in zip(project.runs, loaded.runs, strict=True):
        assert (a.id, a.name, a.config, a.history, a.summary, a.changes) == \
               (b.id, b.name, b.config, b.history, b.summary, b.changes)
        for k in a.weights:
            np.testing.assert_array_equal(a.weights[k], b.weights[k])


def test_plain_json_config_opens_as_a_project(tmp_path):
    path = tmp_path / "old.regstudio"
    path.write_text(json.dumps(default_config()))
    assert load_project(path).runs == []


def _rewrite(path, name, content):
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members[name] = content
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    path.write_bytes(buf.getvalue())


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "p.regstudio"
    save_project(path, make_project(3))
    return path


def test_truncated_file(saved):
    saved.write_bytes(saved.read_bytes()[: len(saved.read_bytes()) // 2])
    with pytest.raises(ProjectError, match="damaged or truncated"):
        load_project(saved)


def test_newer_schema(saved):
    header = json.loads(zipfile.ZipFile(saved).read("project.json"))
    header["schema"] = 99
    _rewrite(saved, "project.json", json.dumps(header))
    with pytest.raises(ProjectError, match="newer than this version reads"):
        load_project(saved)


def test_pickled_weights_are_refused(saved):
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("dense_0.W.npy", buf.getvalue())
    _rewrite(saved, "runs/run1.npz", evil.getvalue())
    with pytest.raises(ProjectError, match="run 2: its weights cannot be read"):
        load_project(saved)


def test_tampered_config_and_missing_member(saved):
    header = json.loads(zipfile.ZipFile(saved).read("project.json"))
    header["runs"][0]["config"]["training"]["lr"] = -5
    _rewrite(saved, "project.json", json.dumps(header))
    with pytest.raises(ProjectError, match="run 1: its config is invalid: training.lr must be"):
        load_project(saved)


def test_not_json(tmp_path):
    path = tmp_path / "x.regstudio"
    path.write_bytes(b"\x00\x01 not a project")
    with pytest.raises(ProjectError, match="not valid JSON"):
        load_project(path)
