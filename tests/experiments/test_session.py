"""The session's runs: ids never reused, events for views, to and from a project."""

import numpy as np
import pytest

from regstudio.experiments.project import Project, RunRecord, load_project, save_project
from regstudio.experiments.session import Session


def record(run_id, l2=0.0, **kw):
    config = {"regularization": {"l2": l2}, "model": {"layers": [{"type": "dense"}]}}
    return RunRecord(run_id, f"#{run_id[3:]} test", config, [{"epoch": 1, "val_loss": 0.5}],
                     {"best_val_loss": 0.5, "best_epoch": 1}, **kw)


def test_ids_are_fresh_and_events_reach_listeners():
    s, seen = Session(), []
    s.subscribe(lambda event, run_id: seen.append((event, run_id)))
    a = s.add(record(s.next_id()))
    b = s.add(record(s.next_id(), l2=0.01))
    assert (a.id, b.id) == ("run1", "run2") and s.last is b and len(s) == 2
    s.rename("run1", "  baseline ")
    s.remove("run2")
    assert s.next_id() == "run3"  # a removed id is not handed out again
    assert s.get("run1").name == "baseline" and s.ids() == ["run1"]
    assert seen == [("added", "run1"), ("added", "run2"), ("renamed", "run1"), ("removed", "run2")]
    with pytest.raises(ValueError, match="already in the session"):
        s.add(record("run1"))
    with pytest.raises(ValueError, match="needs a name"):
        s.rename("run1", " ")
    s.clear()
    assert len(s) == 0 and s.last is None and s.next_id() == "run1"


def test_rows_describe_each_run_with_the_one_regularizer_description():
    s = Session()
    s.add(record("run1", l2=0.001))
    adamw = record("run2")
    adamw.config["training"] = {"optimizer": "adamw", "weight_decay": 0.01}
    s.add(adamw)
    assert [row["regularizer"] for row in s.rows()] == ["L2 0.001", "weight decay 0.01"]


def test_round_trip_through_a_project_file(tmp_path):
    from regstudio.experiments.config import default_config, validate_config

    config = validate_config(default_config())
    s = Session()
    from regstudio.experiments.training import train

    trained = train({**config, "training": {**config["training"], "epochs": 1}})
    run = record(s.next_id(), weights=trained.model.get_weights(), model=trained.model)
    run.config, run.history = trained.config, trained.history
    s.add(run)
    path = tmp_path / "p.regstudio"
    save_project(path, s.to_project(config))
    again = Session()
    again.load(load_project(path))
    loaded = again.get("run1")
    assert loaded.history == run.history and loaded.summary == run.summary and loaded.model is None
    for name, value in run.weights.items():
        np.testing.assert_array_equal(loaded.weights[name], value)
    assert again.next_id() == "run2"


def test_loading_numbers_new_runs_above_the_project_ids():
    s = Session()
    s.load(Project({}, [record("run7"), record("imported")]))
    assert s.next_id() == "run8"


def test_a_removed_run_put_back_takes_its_old_place():
    s = Session()
    for _ in range(3):
        s.add(record(s.next_id()))
    position = s.position("run2")
    run = s.remove("run2")
    assert s.ids() == ["run1", "run3"] and s.last.id == "run3"
    s.add(run, position)
    assert s.ids() == ["run1", "run2", "run3"] and s.last.id == "run3"
