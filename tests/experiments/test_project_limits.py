"""Project size limits (issue 17, audit 5-7): what save_project writes, load_project reads, and
what load_project would refuse, save_project refuses before writing anything; devices, pipes,
oversized project.json and archives declaring millions of entries are refused before they are
read; a mutated .npy header inside a run's weights is a ProjectError whatever numpy raises."""

import io
import json
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regstudio.engine import Sequential
from regstudio.experiments import project as project_module
from regstudio.experiments.config import default_config, validate_config
from regstudio.experiments.project import Project, ProjectError, RunRecord, load_project, save_project
from tests.experiments.test_project import make_project
from tests.experiments.test_project_stranger import _load_under_memory_limit, _members, _write

MB = 2**20


def _wide_project(n_runs: int, units: int = 1024) -> Project:
    """Runs of a [units] MLP: weights of about 4 units² bytes each."""
    cfg = default_config()
    cfg["model"]["layers"] = [{"type": "dense", "units": units}, {"type": "dense", "units": units},
                              {"type": "dense"}]
    cfg = validate_config(cfg)
    weights = {k: v for k, v in Sequential.from_config(cfg["model"]["layers"], (2,), 2).get_weights().items()}
    history = [{"epoch": e, "train_loss": 0.5, "val_loss": 0.6} for e in range(1, 4)]
    return Project(cfg, [RunRecord(f"run{i + 1}", f"run {i + 1}", cfg, history, {"best_epoch": 1}, [], weights)
                         for i in range(n_runs)])


def _need(project: Project) -> int:
    """What loading the weights holds at once, as docs/limits.md states it: every array, the
    largest run member (an .npz, read whole) and one small .npz's members (1 MiB)."""
    sizes = []
    for run in project.runs:
        buf = io.BytesIO()
        np.savez(buf, **run.weights)
        sizes.append(len(buf.getvalue()))
    return sum(w.nbytes for run in project.runs for w in run.weights.values()) + max(sizes) + MB


# -- save and load agree -----------------------------------------------------------------------
def test_a_project_at_the_weights_limit_round_trips(tmp_path, monkeypatch):
    """Two runs of a wide model (the documented maximum MLP, scaled down with the limit)."""
    project = _wide_project(2)
    monkeypatch.setattr(project_module, "MAX_INFLATED_BYTES", _need(project))
    path = tmp_path / "p.regstudio"
    save_project(path, project)
    loaded = load_project(path)
    np.testing.assert_array_equal(loaded.runs[1].weights["dense_1.W"], project.runs[1].weights["dense_1.W"])


def test_a_project_beyond_the_weights_limit_is_refused_before_writing(tmp_path, monkeypatch):
    project = _wide_project(2)
    monkeypatch.setattr(project_module, "MAX_INFLATED_BYTES", _need(project) - 1)
    path = tmp_path / "p.regstudio"
    path.write_bytes(b"what the user had")
    with pytest.raises(ProjectError, match=r"p.regstudio: cannot be saved: loading the runs' weights would take "
                                           r"\d+ MB, more than the \d+ MB a project may hold"):
        save_project(path, project)
    assert path.read_bytes() == b"what the user had"
    assert [p.name for p in tmp_path.iterdir()] == ["p.regstudio"]  # no temporary file left


def test_a_file_beyond_the_size_limit_is_refused_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(project_module, "MAX_FILE_BYTES", 2 * MB)
    with pytest.raises(ProjectError, match=r"cannot be saved: it would take \d+ MB, more than the 2 MB a project "
                                           "file may have"):
        save_project(tmp_path / "p.regstudio", _wide_project(2))
    assert not (tmp_path / "p.regstudio").exists()


@pytest.mark.parametrize(("limit", "value", "message"), [
    ("MAX_RUNS", 2, "'runs' must be a list of at most 2 runs"),
    ("MAX_PROJECT_HISTORY_ROWS", 14, "the runs hold 15 epoch records, more than the 14 a project may hold"),
    ("MAX_HEADER_BYTES", 1000, r"project.json takes 0 MB, more than the 0 MB allowed"),
])
def test_save_refuses_what_load_refuses(tmp_path, monkeypatch, limit, value, message):
    path = tmp_path / "p.regstudio"
    save_project(path, make_project(3))  # 3 runs of 5 epochs
    monkeypatch.setattr(project_module, limit, value)
    with pytest.raises(ProjectError, match=message):
        load_project(path)
    with pytest.raises(ProjectError, match=f"cannot be saved: .*{message}"):
        save_project(tmp_path / "q.regstudio", make_project(3))
    assert not (tmp_path / "q.regstudio").exists()


def test_a_project_at_the_run_and_row_limits_round_trips(tmp_path, monkeypatch):
    monkeypatch.setattr(project_module, "MAX_RUNS", 3)
    monkeypatch.setattr(project_module, "MAX_PROJECT_HISTORY_ROWS", 15)
    path = tmp_path / "p.regstudio"
    save_project(path, make_project(3))
    assert len(load_project(path).runs) == 3


def test_save_refuses_a_run_the_loader_would_refuse(tmp_path):
    project = make_project(2)
    project.runs[1].name = "x" * 201
    with pytest.raises(ProjectError, match="cannot be saved: run 2: 'name' must be a text of 1 to 200"):
        save_project(tmp_path / "p.regstudio", project)


def test_a_run_with_weights_that_are_not_finite_is_saved_without_them(tmp_path):
    project = make_project(2)
    project.runs[0].weights["dense_1.W"][0, 0] = np.nan
    path = tmp_path / "p.regstudio"
    save_project(path, project)
    loaded = load_project(path)
    assert loaded.runs[0].weights == {} and loaded.runs[0].history == project.runs[0].history
    assert set(loaded.runs[1].weights) == set(project.runs[1].weights)


# -- refused before being read ----------------------------------------------------------------------
def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    """Opening a FIFO for reading blocks until someone writes: the old check read first."""
    fifo = tmp_path / "p.regstudio"
    import os

    os.mkfifo(fifo)
    code = f"from regstudio.experiments.project import load_project, ProjectError\n" \
           f"try:\n    load_project({str(fifo)!r})\nexcept ProjectError as e:\n    print(e)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "p.regstudio: not a regular file (a device, pipe or socket)" in proc.stdout, proc.stderr[-500:]


@pytest.fixture(scope="module")
def header_bomb(tmp_path_factory):
    """A project of about 1 MB whose project.json inflates to 400 MB of numbers (a parse of it
    would take several GB)."""
    path = tmp_path_factory.mktemp("hb") / "bomb.regstudio"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("project.json", "w", force_zip64=True) as fh:
            fh.write(b'{"format": "regstudio-project", "schema": 1, "junk": [')
            chunk = b"0.1," * (4 * MB)
            for _ in range(25):
                fh.write(chunk)
            fh.write(b"0]}")
    return path


def test_an_oversized_project_json_is_refused_before_inflating(header_bomb):
    assert header_bomb.stat().st_size < 4 * MB
    proc = _load_under_memory_limit(header_bomb, extra_mb=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ProjectError:") and "project.json takes 400 MB, more than the 128 MB" \
        in proc.stdout


def test_too_many_history_rows_are_refused_before_checking_them(tmp_path):
    path = tmp_path / "p.regstudio"
    save_project(path, make_project(3))
    members = _members(path)
    header = json.loads(members["project.json"])
    for run in header["runs"]:
        run["history"] = [{"epoch": e, "train_loss": 0.5, "val_loss": 0.5} for e in range(1, 100_001)]
    members["project.json"] = json.dumps(header)
    _write(path, members)
    with pytest.raises(ProjectError, match="the runs hold 300,000 epoch records, more than the 250,000"):
        load_project(path)


def _many_entries(path, n):
    """A zip whose central directory lists ``n`` entries (one tiny local file, listed n times):
    zipfile would build an object per entry (~0.5 KB each) before anything could be refused."""
    local = struct.pack(zipfile.structFileHeader, zipfile.stringFileHeader, 20, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0) + b"a"
    central = struct.pack(zipfile.structCentralDir, zipfile.stringCentralDir, 20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0,
                          1, 0, 0, 0, 0, 0, 0) + b"a"
    cd_offset, cd_size = len(local), len(central) * n
    zip64_end = struct.pack(zipfile.structEndArchive64, zipfile.stringEndArchive64, 44, 45, 45, 0, 0, n, n,
                            cd_size, cd_offset)
    locator = struct.pack(zipfile.structEndArchive64Locator, zipfile.stringEndArchive64Locator, 0,
                          cd_offset + cd_size, 1)
    end = struct.pack(zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                      0xFFFFFFFF, 0)
    with open(path, "wb") as fh:
        fh.write(local)
        fh.write(central * n)
        fh.write(zip64_end + locator + end)


def test_an_archive_declaring_millions_of_entries_is_refused_before_listing_them(tmp_path):
    path = tmp_path / "many.regstudio"
    _many_entries(path, 3_000_000)
    proc = _load_under_memory_limit(path, extra_mb=500)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ProjectError:") and "declares 3,000,000 entries, more than the 2,016" \
        in proc.stdout


# -- mutated .npy headers ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_project(tmp_path_factory):
    cfg = default_config()
    cfg["model"]["layers"] = [{"type": "dense", "units": 4}, {"type": "dense"}]
    cfg = validate_config(cfg)
    weights = Sequential.from_config(cfg["model"]["layers"], (2,), 2).get_weights()
    path = tmp_path_factory.mktemp("sp") / "p.regstudio"
    save_project(path, Project(cfg, [RunRecord("run1", "run 1", cfg, [{"epoch": 1, "train_loss": 1.0,
                                                                        "val_loss": 1.0}], {}, [], weights)]))
    members = _members(path)
    with zipfile.ZipFile(io.BytesIO(members["runs/run1.npz"])) as z:
        inner = {n: z.read(n) for n in z.namelist()}
    return members, inner


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _load_with_member(tmp_path, small_project, name, data):
    members, inner = small_project
    path = tmp_path / "m.regstudio"
    path.write_bytes(_zip({**members, "runs/run1.npz": _zip({**inner, name: data})}))
    return load_project(path)


def test_a_header_that_breaks_numpys_tokenizer_is_a_project_error(tmp_path, small_project):
    """The audit's file: the tokenize.TokenError of numpy's Python 2 fallback escaped."""
    header = b"{'descr': '<f4', 'shape': (4,\n"
    header = header.ljust(118, b" ")[:117] + b"\n"
    data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(16)
    with pytest.raises(ProjectError, match=r"run 1: its weights cannot be read: array 'dense_0.b.npy' has a "
                                           r"damaged header \(TokenError"):
        _load_with_member(tmp_path, small_project, "dense_0.b.npy", data)


# bytes that upset Python's parser (numpy reads the header with ast, then tokenize) or numpy's checks
_TOKENS = st.sampled_from([b"(", b")", b"'", b",", b"\n", b"{", b"}", b"L", b"-", b"9", b"\x00", b"\\",
                           b"[", b"#", b"\x93", b" ", b"<f8", b"|O", b"(((", b"1e999", b"'shape'", b"True"])
_edits = st.lists(st.tuples(st.sampled_from(["set", "insert", "delete"]), st.integers(0, 127),
                            st.one_of(st.binary(min_size=1, max_size=3), _TOKENS)), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_edits, member=st.sampled_from(["dense_0.W.npy", "dense_0.b.npy", "dense_1.W.npy"]))
def test_mutated_npy_headers_give_only_project_errors(tmp_path, small_project, edits, member):
    """Any mutation of a member's first 128 bytes (magic, version, length and the header dict):
    the project loads or a ProjectError names the run; nothing else escapes."""
    _members_, inner = small_project
    data = bytearray(inner[member])
    for op, pos, blob in edits:
        if op == "set":
            data[pos:pos + len(blob)] = blob
        elif op == "insert":
            data[pos:pos] = blob
        else:
            del data[pos:pos + len(blob)]
    try:
        _load_with_member(tmp_path, small_project, member, bytes(data))
    except ProjectError as exc:
        assert "\n" not in str(exc) and "run 1: its weights cannot be read" in str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pos=st.integers(0, 10_000), value=st.integers(0, 255))
def test_mutated_npz_bytes_give_only_project_errors(tmp_path, small_project, pos, value):
    """A byte of the run's .npz itself (its zip structure and headers) changed."""
    members, inner = small_project
    npz = bytearray(_zip(inner))
    npz[pos % len(npz)] = value
    path = tmp_path / "z.regstudio"
    path.write_bytes(_zip({**members, "runs/run1.npz": bytes(npz)}))
    try:
        load_project(path)
    except ProjectError as exc:
        assert "\n" not in str(exc)

