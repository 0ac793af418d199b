"""A stranger's project in the window (issue 17): each crafted file is opened through
ProjectFiles, its runs ticked and every tab shown. Refused files leave the previous session,
experiment and Runs table as they were; valid files with extreme values are drawn; a failure
while showing a project puts the previous session back."""

import io
import json
import zipfile

import numpy as np
import pytest

import regstudio.ui.project_files as project_files
from regstudio.experiments.project import save_project
from tests.experiments.test_project import make_project
from tests.experiments.test_project_sweeps import sweep_result

HUGE = 10**400
NORMS = [{"name": f"dense_{i}", "l1_norm": 1e308, "l2_norm": 0.0, "sparsity": 1.0} for i in range(3)]


def _rows(run, **values):
    for row in run["history"]:
        row.update(values)


def _sweep(**fit):
    record = sweep_result().to_dict()
    record["fits"][0].update(fit)
    return record


REFUSED = {
    "layers a number": lambda h: _rows(h["runs"][-1], layers=3),
    "layers of another model": lambda h: _rows(h["runs"][-1], layers=NORMS[:1]),
    "negative loss": lambda h: _rows(h["runs"][-1], val_loss=1e308, train_loss=-1e308),
    "change beyond a float": lambda h: h["runs"][0].update(
        changes=[{"epoch": 1, "batch": 0, "key": "regularization.l2", "old": HUGE, "new": 1}]),
    "sweep without best_epoch": lambda h: h.update(sweeps=[
        {**sweep_result().to_dict(), "fits": [{k: v for k, v in f.items() if k != "best_epoch"}
                                              for f in sweep_result().to_dict()["fits"]]}]),
    "sweep loss beyond a float": lambda h: h.update(sweeps=[_sweep(best_val_loss=HUGE)]),
    "sweep seconds beyond a float": lambda h: h.update(sweeps=[{**sweep_result().to_dict(), "seconds": HUGE}]),
}

VALID = {
    "extreme losses": lambda h: _rows(h["runs"][-1], val_loss=1e308, train_loss=0.0),
    "tiny losses": lambda h: _rows(h["runs"][-1], val_loss=1e-300, train_loss=5e-324),
    "not measured": lambda h: _rows(h["runs"][-1], val_loss=None, train_loss=None),
    "extreme norms": lambda h: _rows(h["runs"][-1], layers=NORMS),
    "one epoch": lambda h: h["runs"][-1].update(history=h["runs"][-1]["history"][:1],
                                                summary={"best_epoch": 1, "stopped_epoch": 1}),
    "no epochs": lambda h: h["runs"][-1].update(history=[], summary={}),
    "a sweep with nulls": lambda h: h.update(sweeps=[_sweep(best_val_loss=None, best_epoch=None)]),
}


def _craft(path, edit=None, weights=None):
    save_project(path, make_project(3))
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = json.loads(members["project.json"])
    if edit is not None:
        edit(header)
    members["project.json"] = json.dumps(header)
    if weights is not None:
        members["runs/run2.npz"] = weights(members["runs/run2.npz"])
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _token_error(npz: bytes) -> bytes:
    """The audit's mutated .npy header: numpy's parser raised tokenize.TokenError."""
    with zipfile.ZipFile(io.BytesIO(npz)) as z:
        inner = {n: z.read(n) for n in z.namelist()}
    header = b"{'descr': '<f4', 'shape': (256,\n".ljust(117, b" ") + b"\n"
    inner["dense_0.b.npy"] = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in inner.items():
            z.writestr(name, data)
    return buf.getvalue()


def _huge_weights(npz: bytes) -> bytes:
    with np.load(io.BytesIO(npz)) as arrays:
        weights = {k: arrays[k] for k in arrays.files}
    weights["dense_1.W"] = np.full_like(weights["dense_1.W"], 3e38)
    weights["dense_0.W"][:] = -3e38
    buf = io.BytesIO()
    np.savez(buf, **weights)
    return buf.getvalue()


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(project_files, "show_error", lambda parent, title, text, *a, **kw: shown.append(text))
    return shown


@pytest.fixture
def previous(window, tmp_path):
    """The session the user had: two runs, a saved file, one unsaved edit."""
    path = _craft(tmp_path / "mine.regstudio")
    assert window.files.open_file(str(path))
    window.state.set("regularization.l2", 0.5)
    return {"ids": window.session.ids(), "path": window.state.path, "rows": window.runs_panel.count(),
            "l2": 0.5, "sweeps": len(window.session.sweeps)}


def _intact(window, before):
    assert window.session.ids() == before["ids"] and window.state.path == before["path"]
    assert window.runs_panel.count() == before["rows"] and window.state.get("regularization.l2") == before["l2"]
    assert window.state.is_modified and len(window.session.sweeps) == before["sweeps"]


def _visit_everything(qtbot, window):
    """Tick every run (each overlay curve), show every tab: nothing may raise or crash."""
    panel = window.runs_panel
    for index in range(panel.curve_box.count()):
        panel.curve_box.setCurrentIndex(index)
        for run_id in window.session.ids():
            panel.set_checked(run_id, True)
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        qtbot.wait(30)
    for name in [window.weights_plot.layer.itemText(i) for i in range(window.weights_plot.layer.count())]:
        window.weights_plot.layer.setCurrentText(name)
        window.weights_plot.view.setCurrentIndex(1)
    qtbot.wait(30)
    assert window.isVisible()


@pytest.mark.parametrize("case", [*REFUSED, "a mutated .npy header"])
def test_a_refused_project_leaves_the_session_as_it_was(qtbot, window, tmp_path, errors, previous, case):
    path = (_craft(tmp_path / "crafted.regstudio", weights=_token_error) if case == "a mutated .npy header"
            else _craft(tmp_path / "crafted.regstudio", REFUSED[case]))
    assert not window.files.open_file(str(path))
    assert len(errors) == 1 and errors[0].startswith(str(path)) and "\n" not in errors[0]
    _intact(window, previous)
    _visit_everything(qtbot, window)


@pytest.mark.parametrize("case", [*VALID, "weights near the float32 limit"])
def test_a_valid_project_with_extreme_values_is_shown(qtbot, window, tmp_path, errors, case):
    path = (_craft(tmp_path / "extreme.regstudio", weights=_huge_weights) if case == "weights near the float32 limit"
            else _craft(tmp_path / "extreme.regstudio", VALID[case]))
    assert window.files.open_file(str(path)), errors
    assert window.runs_panel.count() == 3 and not errors
    _visit_everything(qtbot, window)
    for run_id in window.session.ids():  # each run shown in turn, as Duplicate does
        window.runner.show_run(window.session.get(run_id))
        _visit_everything(qtbot, window)


def test_a_failure_while_showing_puts_the_previous_session_back(qtbot, window, tmp_path, errors, previous,
                                                                monkeypatch):
    path = _craft(tmp_path / "other.regstudio")
    shown = window.runner.show_run

    def show_run(record):
        if record is not None and record.id == "run2" and window.state.path.endswith("other.regstudio"):
            raise OverflowError("int too large to convert to float")
        shown(record)

    monkeypatch.setattr(window.runner, "show_run", show_run)
    assert not window.files.open_file(str(path))
    assert "other.regstudio: cannot be shown (OverflowError" in errors[0]
    _intact(window, previous)
    _visit_everything(qtbot, window)
