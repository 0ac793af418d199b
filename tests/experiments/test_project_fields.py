"""Every field of a saved run is checked within its domain before anything is shown (issue 17,
audit 2): per-layer norms for exactly the config's layers, losses >= 0, accuracies in [0, 1],
R² <= 1, finite numbers, live changes in their setting's range, summary epochs within the
history, and saved sweeps with every number a fit needs. Extreme but valid values load."""

import json
import math

import numpy as np
import pytest

from regstudio.experiments.project import ProjectError, load_project, save_project
from tests.experiments.test_project import make_project
from tests.experiments.test_project_stranger import _edit_run, _members, _write
from tests.experiments.test_project_sweeps import sweep_result

NORMS = [{"name": f"dense_{i}", "l1_norm": 3.0, "l2_norm": 1.0, "sparsity": 0.1} for i in range(3)]


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "p.regstudio"
    save_project(path, make_project(3))
    return path


def _refused(path, message):
    with pytest.raises(ProjectError, match=message) as info:
        load_project(path)
    assert "\n" not in str(info.value)
    return str(info.value)


# -- per-layer norms (the Weights view's input: a number there crashed the window) ----------------
@pytest.mark.parametrize(("layers", "message"), [
    (3, r"history row 1, column 'layers': not a list of per-layer objects \(3\)"),
    (3.5, "column 'layers': not a list"),
    ({"name": "dense_0"}, "column 'layers': not a list"),
    (NORMS[:2], r"must hold 3 per-layer objects, one per layer with weights \(dense_0, dense_1, dense_2\), got 2"),
    ([*NORMS, NORMS[0]], "must hold 3 per-layer objects"),
    ([NORMS[1], NORMS[0], NORMS[2]], "expected {'name': 'dense_0'"),
    ([{**NORMS[0], "extra": 1.0}, *NORMS[1:]], "expected {'name': 'dense_0'"),
    ([{"name": "dense_0", "l1_norm": 1.0, "l2_norm": 1.0}, *NORMS[1:]], "expected {'name': 'dense_0'"),
    ([7, *NORMS[1:]], "expected {'name': 'dense_0'"),
    ([{**NORMS[0], "sparsity": 1.5}, *NORMS[1:]], r"dense_0.sparsity: 1.5 is out of range \(must be a number from 0"),
    ([{**NORMS[0], "l2_norm": -1.0}, *NORMS[1:]], "dense_0.l2_norm: -1.0 is out of range"),
    ([{**NORMS[0], "l1_norm": 10**400}, *NORMS[1:]], "dense_0.l1_norm: an integer of about 401 digits is out of range"),
    ([{**NORMS[0], "l1_norm": "big"}, *NORMS[1:]], r"column 'layers': not a number \('big'\)"),
])
def test_per_layer_norms_must_match_the_config(saved, layers, message):
    _edit_run(saved, lambda r: [row.update(layers=layers) for row in r["history"]])
    _refused(saved, message)


def test_summary_layers_are_checked_like_the_history_norms(saved):
    _edit_run(saved, lambda r: r["summary"].update(layers=NORMS))
    assert load_project(saved).runs[0].summary["layers"][2]["sparsity"] == 0.1
    _edit_run(saved, lambda r: r["summary"].update(layers=NORMS[:1]))
    _refused(saved, "summary.layers: must hold 3 per-layer objects")


# -- the domain of each column ----------------------------------------------------------------------
@pytest.mark.parametrize(("column", "value", "message"), [
    ("train_loss", -1e308, r"column 'train_loss': -1e\+308 is out of range \(must be a finite number >= 0"),
    ("val_loss", -0.5, "column 'val_loss': -0.5 is out of range"),
    ("data_loss", -1.0, "column 'data_loss'"),
    ("penalty", -2.0, "column 'penalty'"),
    ("val_loss", 10**400, "column 'val_loss': an integer of about 401 digits is out of range"),
    ("val_loss", math.inf, r"column 'val_loss': inf is out of range"),
    ("val_acc", 1.5, r"column 'val_acc': 1.5 is out of range \(must be a number from 0 to 1"),
    ("train_acc", -0.1, "column 'train_acc'"),
    ("val_r2", 2.0, r"column 'val_r2': 2.0 is out of range \(must be a finite number <= 1"),
    ("lr", -0.01, "column 'lr'"),
    ("seconds", -1, "column 'seconds'"),
    ("zzz", math.inf, "column 'zzz': inf is out of range"),
])
def test_history_values_must_lie_in_their_domain(saved, column, value, message):
    _edit_run(saved, lambda r: [row.update({column: value if row["epoch"] == 1 else 0.5})
                                for row in r["history"]], run=2)
    text = _refused(saved, f"run 3: history row 1, {message}")
    assert len(text) < 400


def test_extreme_values_inside_the_domain_load(saved):
    _edit_run(saved, lambda r: [row.update(val_loss=1e308, train_loss=0.0, val_acc=1.0, train_acc=0.0,
                                           val_r2=-1e308, lr=1e-300)
                                for row in r["history"]], run=2)
    history = load_project(saved).runs[2].history
    assert history[0]["val_loss"] == 1e308 and history[0]["val_r2"] == -1e308


def test_a_rounding_error_below_zero_is_a_loss_not_damage(saved):
    _edit_run(saved, lambda r: r["history"][0].update(train_loss=-1e-9))
    assert load_project(saved).runs[0].history[0]["train_loss"] == -1e-9


def test_epochs_stay_within_the_epoch_limit(saved):
    _edit_run(saved, lambda r: [row.update(epoch=row["epoch"] * 10**15) for row in r["history"]])
    _refused(saved, "history row 1: epoch must be an integer counting up from 1")
    _edit_run(saved, lambda r: [row.update(epoch=float(row["epoch"] // 10**15)) for row in r["history"]])
    _refused(saved, r"history row 1: epoch must be an integer counting up from 1 \(got 1.0\)")


# -- summary ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("edit", "message"), [
    ({"best_epoch": 10**18},
     r"summary.best_epoch must be an integer >= 0 or null, an epoch of the history \(at most 5\)"),
    ({"stopped_epoch": 6}, "summary.stopped_epoch must be an integer >= 0 or null"),
    ({"best_val_loss": -1.0}, "summary.best_val_loss: -1.0 is out of range"),
    ({"final": {"val_loss": 1e308, "train_data_loss": -1e308}},
     "summary.final.train_data_loss: -1e\\+308 is out of range"),
    ({"final": {"val_acc": 2}}, "summary.final.val_acc: 2 is out of range"),
    ({"seconds": 10**400}, "summary.seconds: an integer of about 401 digits is out of range"),
])
def test_summary_numbers_lie_in_their_domain(saved, edit, message):
    _edit_run(saved, lambda r: r["summary"].update(edit))
    _refused(saved, message)


# -- live changes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "message"), [
    ({"key": "regularization.l2", "old": 10**400, "new": 1},
     r"change 1: regularization.l2 \(old\) must be a number from 0 to 10 \(got an integer of about 401 digits\)"),
    ({"key": "regularization.l2", "old": 0.1, "new": math.nan}, r"change 1: regularization.l2 \(new\) must be"),
    ({"key": "training.lr", "old": None, "new": "x"}, r"change 1: training.lr \(old\) must be"),
    ({"key": "regularization.l2", "old": [1], "new": {"a": None}}, r"change 1: regularization.l2 \(old\) must be"),
    ({"key": "model.layers[999999].rate", "old": 0.1, "new": 0.2},
     "change 1: 'model.layers\\[999999\\].rate' is not a setting that can change while training"),
    ({"key": "model.layers[0].rate", "old": 0.1, "new": 0.2}, "is not a setting that can change"),
    ({"key": "data.seed", "old": 1, "new": 2}, "is not a setting that can change"),
    ({"key": "augmentation", "old": 3, "new": {}}, r"change 1: old must be an augmentation section"),
])
def test_live_changes_hold_values_of_their_setting(saved, change, message):
    _edit_run(saved, lambda r: r.update(changes=[{"epoch": 1, "batch": 0, **change}]))
    _refused(saved, message)


def test_valid_live_changes_load_as_numbers(saved):
    _edit_run(saved, lambda r: r.update(changes=[
        {"epoch": 1, "batch": 2, "key": "training.lr", "old": 1, "new": 0.5},
        {"epoch": 2, "batch": 0, "key": "augmentation", "old": {"enabled": False, "ops": []},
         "new": {"enabled": True, "ops": []}}]))
    changes = load_project(saved).runs[0].changes
    assert changes[0]["new"] == 0.5 and changes[1]["new"]["enabled"] is True


# -- saved sweeps -------------------------------------------------------------------------------------
def _with_sweep(path, edit):
    record = sweep_result().to_dict()
    edit(record)
    members = _members(path)
    header = json.loads(members["project.json"])
    header["sweeps"] = [record]
    members["project.json"] = json.dumps(header)
    _write(path, members)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["fits"][0].pop("best_epoch"), r"sweep 1: sweep: fits\[0\] lacks best_epoch"),
    (lambda d: d["fits"][2].pop("seconds"), r"fits\[2\] lacks seconds"),
    (lambda d: d["fits"][1].pop("val_acc_at_best"), r"fits\[1\] lacks val_acc_at_best"),
    (lambda d: d.update(values=[[10**400, 1e-2]]), "values must be a list of 1 to 1,000 finite numbers"),
    (lambda d: d.update(values=[[-1.0, 1e-2]]),
     r"values of regularization.l2 must be values the setting takes \(got -1.0\)"),
    (lambda d: d["fits"][0].update(best_val_loss=10**400), r"fits\[0\].best_val_loss must be a number or null "
                                                           r"\(got an integer of about 401 digits\)"),
    (lambda d: d["fits"][0].update(best_val_loss=-0.5), r"fits\[0\].best_val_loss must be a number >= 0 or null"),
    (lambda d: d["fits"][0].update(val_acc_at_best=1.5), r"val_acc_at_best must be a number from 0 to 1"),
    (lambda d: d["fits"][0].update(best_epoch=0), r"fits\[0\].best_epoch must be a whole number from 1"),
    (lambda d: d["fits"][0].update(seed=10**400), r"fits\[0\].seed must be a whole number"),
    (lambda d: d.update(seconds=10**400), "sweep: seconds must be a number >= 0"),
    (lambda d: d["fits"].append(dict(d["fits"][0])), r"fits must be a list of at most 4 fits"),
    (lambda d: d["fits"].__setitem__(1, dict(d["fits"][0])), r"fits\[1\] must be the only fit of point 0, repeat 0"),
    (lambda d: d.update(cancelled="yes"), "cancelled must be true or false"),
])
def test_a_saved_sweep_needs_every_number_its_views_read(saved, edit, message):
    _with_sweep(saved, edit)
    _refused(saved, message)


def test_a_complete_saved_sweep_with_null_numbers_loads(saved):
    def edit(d):
        d["fits"][0].update(best_epoch=None, best_val_loss=None, train_loss_at_best=None, val_acc_at_best=None)
        del d["fits"][1]["penalty_at_best"]  # older sweeps did not save it
    _with_sweep(saved, edit)
    sweep = load_project(saved).sweeps[0]
    assert sweep.fits[0]["best_epoch"] is None and np.isclose(sweep.points[1]["best_val_loss"], 0.405)


def test_a_grid_value_valid_only_with_the_other_parameter_loads():
    """8,192 units in layer 1 exceed the dense-weights limit with the config's 8,192 units in
    layer 0, not with the grid's 128: the sweep ran, so its record loads."""
    from regstudio.experiments.config import default_config, validate_config
    from regstudio.experiments.sweep import SweepResult

    cfg = default_config()
    cfg["model"]["layers"] = [{"type": "dense", "units": 8192}, {"type": "dense", "units": 4096},
                              {"type": "dense", "units": 1024}, {"type": "dense"}]
    cfg = validate_config(cfg)
    fit = {"point": 0, "param": "model.layers[1].units", "value": 8192, "param2": "model.layers[0].units",
           "value2": 128, "repeat": 0, "seed": 0, "best_epoch": 2, "best_val_loss": 0.3,
           "train_loss_at_best": 0.2, "val_acc_at_best": 0.9, "seconds": 1.0}
    record = SweepResult(["model.layers[1].units", "model.layers[0].units"], [[8192], [128]], "single", 1, cfg,
                         [fit]).to_dict()
    assert SweepResult.from_dict(record).points[0]["best_val_loss"] == 0.3
    record["values"] = [[8192], [8192]]
    record["fits"][0]["value2"] = 8192
    with pytest.raises(ProjectError, match="values of model.layers.1..units must be values the setting takes"):
        SweepResult.from_dict(record)
