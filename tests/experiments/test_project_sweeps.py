"""A project keeps its sweeps: round trip, old projects without them, damaged records."""

import json
import zipfile

import pytest

from regstudio.experiments.config import default_config, validate_config
from regstudio.experiments.project import Project, ProjectError, load_project, save_project
from regstudio.experiments.session import Session
from regstudio.experiments.sweep import SweepResult


def sweep_result() -> SweepResult:
    fits = [{"point": p, "param": "regularization.l2", "value": v, "repeat": j, "seed": j,
             "best_epoch": 10 + j, "best_val_loss": 0.3 + 0.1 * p + 0.01 * j, "train_loss_at_best": 0.2,
             "penalty_at_best": 0.01 * p, "val_acc_at_best": 0.8, "seconds": 0.5}
            for p, v in enumerate([1e-4, 1e-2]) for j in range(2)]
    return SweepResult(["regularization.l2"], [[1e-4, 1e-2]], "repeats", 2, validate_config(default_config()), fits)


def test_sweeps_round_trip_through_a_project(tmp_path):
    result = sweep_result()
    path = tmp_path / "p.regstudio"
    save_project(path, Project(default_config(), sweeps=[result]))
    back = load_project(path).sweeps
    assert len(back) == 1 and back[0].to_dict() == result.to_dict()
    assert back[0].best["value"] == 1e-4 and back[0].points[1]["best_val_loss_se"] == pytest.approx(0.005)


def test_a_project_without_sweeps_loads_unchanged(tmp_path):
    path = tmp_path / "p.regstudio"
    save_project(path, Project(default_config()))
    with zipfile.ZipFile(path) as archive:
        assert "sweeps" not in json.loads(archive.read("project.json"))
    assert load_project(path).sweeps == []


def _with_sweeps(tmp_path, sweeps) -> str:
    path = tmp_path / "p.regstudio"
    save_project(path, Project(default_config(), sweeps=[sweep_result()]))
    with zipfile.ZipFile(path) as archive:
        header = json.loads(archive.read("project.json"))
    header["sweeps"] = sweeps
    damaged = tmp_path / "damaged.regstudio"
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr("project.json", json.dumps(header))
    return str(damaged)


def test_a_damaged_sweep_record_is_a_project_error(tmp_path):
    record = sweep_result().to_dict()
    record["fits"][1]["best_val_loss"] = "0.3"
    with pytest.raises(ProjectError, match=r"damaged\.regstudio: sweep 1: sweep: fits\[1\]\.best_val_loss "
                                           r"must be a number or null"):
        load_project(_with_sweeps(tmp_path, [record]))
    with pytest.raises(ProjectError, match="'sweeps' must be a list"):
        load_project(_with_sweeps(tmp_path, {"kind": "sweep"}))
    with pytest.raises(ProjectError, match="sweep 2: sweep: the record must be a mapping"):
        load_project(_with_sweeps(tmp_path, [sweep_result().to_dict(), 3]))


def test_the_session_keeps_the_sweeps_of_its_project():
    session, events = Session(), []
    session.subscribe(lambda event, _id: events.append(event))
    session.add_sweep(sweep_result())
    assert events == ["sweep_added"] and len(session.to_project(default_config()).sweeps) == 1
    session.load(Project(default_config()))
    assert session.sweeps == []
    session.load(Project(default_config(), sweeps=[sweep_result()]))
    session.clear()
    assert session.sweeps == []
