"""A stranger's project files (issue 17: defects 1-4): every damaged or crafted file is refused
whole with a ProjectError, before anything is returned; bombs are refused before inflating."""

import io
import json
import random
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from regstudio.experiments.project import (
    MAX_INFLATED_BYTES,
    Project,
    ProjectError,
    load_project,
    save_project,
)
from tests.experiments.test_project import make_project


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _write(path, members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for n, data in members.items():
            z.writestr(n, data)
    path.write_bytes(buf.getvalue())


def _edit_run(path, edit, run=0):
    members = _members(path)
    header = json.loads(members["project.json"])
    edit(header["runs"][run])
    members["project.json"] = json.dumps(header)
    _write(path, members)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "p.regstudio"
    save_project(path, make_project(3))
    return path


# -- defect 1: every field of a run is checked ------------------------------------------------
@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r["history"][1].update(val_loss="high"), "run 1: history row 2, column 'val_loss': not a number"),
    (lambda r: r["history"][0].update(train_loss=[1]), "history row 1, column 'train_loss': not a number"),
    (lambda r: [row.update(layers=[{"name": "d", "l2_norm": "big"}]) for row in r["history"]],
     "history row 1, column 'layers': not a number"),
    (lambda r: r["history"][2].update(train_loss=True), "history row 3, column 'train_loss': not a number"),
    (lambda r: r["history"][2].pop("val_loss"), "history row 3 has other columns than row 1 ('val_loss')"),
    (lambda r: r["history"][1].update(epoch=1), "history row 2: epoch must be an integer counting up from 1"),
    (lambda r: [row.pop("val_loss") for row in r["history"]], "history lacks the column 'val_loss'"),
    (lambda r: r.update(history=[1, 2]), "history row 1 is not an object of column values"),
    (lambda r: r.update(history={"epoch": 1}), "'history' must be a list"),
    (lambda r: r.update(changes=[{"epoch": "2", "key": "x", "old": 0, "new": 1}]), "change 1 needs epoch"),
    (lambda r: r.update(changes=[{"epoch": 2, "key": "regularization.l2"}]), "change 1 needs epoch"),
    (lambda r: r.update(changes={"a": 1}), "'changes' must be a list"),
    (lambda r: r.update(summary=[]), "'summary' must be an object"),
    (lambda r: r["summary"].update(best_epoch="3"), "summary.best_epoch must be an integer >= 0 or null"),
    (lambda r: r["summary"].update(best_val_loss="low"), "summary.best_val_loss must be a number or null"),
    (lambda r: r["summary"].update(stop_reason=3), "summary.stop_reason must be one of completed"),
    (lambda r: r["summary"].update(final={"val_loss": "x"}), "summary.final must map metric names to numbers"),
    (lambda r: r["summary"].update(layers=[{"name": "d", "l1_norm": "big"}]), "summary.layers must be a list"),
    (lambda r: r["summary"].update(data_report="text"), "summary.data_report must be a list of texts"),
    (lambda r: r.update(name=7), "run 1: 'name' must be a text of 1 to 200 characters"),
    (lambda r: r.update(id="../../etc"), "run 1: id '../../etc' is missing or malformed"),
])
def test_a_crafted_run_is_refused_with_one_line(saved, edit, message):
    _edit_run(saved, edit)
    with pytest.raises(ProjectError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        load_project(saved)
    assert "\n" not in str(info.value)


def test_per_layer_norms_in_history_load(saved):
    """The window's history rows carry each epoch's layer norms (they feed the weights view):
    one object per layer with weights, null for a value not measured."""
    norms = [{"name": f"dense_{i}", "l1_norm": 2.0, "l2_norm": 1.5, "sparsity": None} for i in range(3)]
    _edit_run(saved, lambda r: [row.update(layers=norms) for row in r["history"]])
    layers = load_project(saved).runs[0].history[0]["layers"]
    assert layers[0]["l2_norm"] == 1.5 and np.isnan(layers[2]["sparsity"])


def test_null_in_history_loads_as_nan_numbers(saved):
    """null is a value not measured (NaN is saved as null): it comes back as a float NaN, so
    every history value the window plots is a number."""
    _edit_run(saved, lambda r: r["history"][1].update(val_loss=None))
    history = load_project(saved).runs[0].history
    assert np.isnan(history[1]["val_loss"])
    assert all(isinstance(v, int | float) for row in history for v in row.values())


@pytest.mark.parametrize(("name", "shape", "message"), [
    ("dense_0.W", (3, 256), None),  # the first layer's fan-in follows from the data: accepted
    ("dense_1.W", (256, 255), "weights 'dense_1.W' have shape (256, 255), expected (256, 256)"),
    ("dense_1.W", (100, 256), "weights 'dense_1.W' have shape (100, 256), expected (256, 256)"),
    ("dense_2.b", (3,), "weights 'dense_2.b' have shape (3,), expected (2,)"),
    ("dense_0.W", (2, 256, 1), "weights 'dense_0.W' have shape (2, 256, 1), expected (inputs, units)"),
    ("dense_3.W", (2, 2), "weights 'dense_3.W' do not belong to the run's model"),
])
def test_weight_shapes_are_checked_against_the_config(saved, name, shape, message):
    members = _members(saved)
    with np.load(io.BytesIO(members["runs/run1.npz"])) as npz:
        weights = {k: npz[k] for k in npz.files}
    weights[name] = np.zeros(shape, np.float32)
    buf = io.BytesIO()
    np.savez(buf, **weights)
    members["runs/run1.npz"] = buf.getvalue()
    _write(saved, members)
    if message is None:
        assert load_project(saved).runs[1].weights[name].shape == shape
        return
    with pytest.raises(ProjectError, match=r"run 2: its weights cannot be read: " + message.replace("(", r"\(")
                       .replace(")", r"\)")):
        load_project(saved)


def test_missing_weights_are_refused(saved):
    members = _members(saved)
    buf = io.BytesIO()
    np.savez(buf, **{"dense_0.W": np.zeros((2, 256), np.float32)})
    members["runs/run0.npz"] = buf.getvalue()
    _write(saved, members)
    with pytest.raises(ProjectError, match="run 1: its weights cannot be read: weights 'dense_0.b' are missing"):
        load_project(saved)


# -- defect 2: what is returned is complete --------------------------------------------------
def test_current_run_and_run_numbers_round_trip(tmp_path):
    project = make_project(3)
    project.runs[2].id = "run17"
    project.current_run = "run1"
    path = tmp_path / "p.regstudio"
    save_project(path, project)
    loaded = load_project(path)
    assert loaded.current_run == "run1" and loaded.last_run_number() == 17
    assert Project({}, []).last_run_number() == 0


def test_a_current_run_naming_no_run_is_refused(saved):
    members = _members(saved)
    header = json.loads(members["project.json"])
    header["current_run"] = "run9"
    members["project.json"] = json.dumps(header)
    _write(saved, members)
    with pytest.raises(ProjectError, match="'current_run' names no run"):
        load_project(saved)


def test_repeated_ids_are_refused(saved):
    _edit_run(saved, lambda r: r.update(id="run1"))
    with pytest.raises(ProjectError, match="run id 'run1' is repeated"):
        load_project(saved)


@pytest.mark.parametrize(("schema", "message"), [
    (True, r"project schema: must be an integer from 1 to 1 \(got True\)"),
    (0, r"project schema: must be an integer from 1 to 1 \(got 0\); the file is damaged"),
    ("1", r"must be an integer from 1 to 1 \(got '1'\)"),
    (2, "project schema: 2 is newer than this version reads"),
])
def test_schema_must_be_a_known_integer(saved, schema, message):
    members = _members(saved)
    header = json.loads(members["project.json"])
    header["schema"] = schema
    members["project.json"] = json.dumps(header)
    _write(saved, members)
    with pytest.raises(ProjectError, match=message):
        load_project(saved)


# -- defect 3: every damaged archive is a ProjectError ---------------------------------------
def test_bit_flips_give_project_errors(saved):
    """Flip one bit anywhere: the file loads (a flip in unused bytes) or is refused with a
    ProjectError; zlib.error, BadZipFile or anything else never escapes."""
    data = saved.read_bytes()
    rng = random.Random(17)
    kinds = set()
    for _ in range(300):
        flipped = bytearray(data)
        pos = rng.randrange(len(flipped))
        flipped[pos] ^= 1 << rng.randrange(8)
        saved.write_bytes(bytes(flipped))
        try:
            load_project(saved)
        except ProjectError as exc:
            kinds.add(str(exc).split("(")[-1].split(":")[0])
    assert "error" in kinds  # zlib.error: the case that escaped before


def test_a_flip_inside_deflated_json_is_a_project_error(saved):
    members = _members(saved)
    _write(saved, {"project.json": members["project.json"]})
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as z:
        info = z.getinfo("project.json")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 3] ^= 0xFF  # in the first deflate block's header: an invalid stream
    saved.write_bytes(bytes(data))
    with pytest.raises(ProjectError, match="damaged or truncated"):
        load_project(saved)


def test_an_encrypted_member_is_a_project_error(saved):
    data = bytearray(saved.read_bytes())
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local and central headers
        pos = 0
        while (pos := data.find(signature, pos)) != -1:
            data[pos + flags] |= 0x1  # "encrypted": zipfile raises RuntimeError (password required)
            pos += 4
    saved.write_bytes(bytes(data))
    with pytest.raises(ProjectError, match="damaged or truncated.*RuntimeError"):
        load_project(saved)


def test_an_unknown_compression_method_is_a_project_error(saved):
    data = bytearray(saved.read_bytes())
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) != -1:  # each central directory entry
        data[pos + 10:pos + 12] = (99).to_bytes(2, "little")  # method 99: AES, not supported
        pos += 4
    saved.write_bytes(bytes(data))
    with pytest.raises(ProjectError, match="damaged or truncated.*NotImplementedError"):
        load_project(saved)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_archives_are_project_errors(saved, keep):
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ProjectError):
        load_project(saved)


def test_a_plain_json_project_with_a_huge_integer_is_a_project_error(tmp_path):
    path = tmp_path / "p.regstudio"
    path.write_text('{"data": {}, "model": {"layers": []}, "training": {"lr": 1' + "0" * 5000 + "}}")
    with pytest.raises(ProjectError, match=r"not a usable JSON file \(Exceeds the limit \(4300 digits\)"):
        load_project(path)


def test_a_device_is_not_read_until_memory_runs_out():
    with pytest.raises(ProjectError, match="/dev/zero: not a regular file"):
        load_project("/dev/zero")


# -- defect 4: bombs, under a memory limit ---------------------------------------------------
def _zeros_member(archive, name, header: bytes, n_bytes):
    with archive.open(name, "w", force_zip64=True) as fh:
        fh.write(header)
        chunk = bytes(16 << 20)
        left = n_bytes
        while left:
            fh.write(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))


def _npy_header(shape, dtype="<f4") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_2_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    """Two projects of a few MB: one whose run .npz holds a 1.3 GB array of zeros (an inner
    bomb; its shape fits the config), one whose outer member declares 1.3 GB."""
    folder = tmp_path_factory.mktemp("bombs")
    good = folder / "good.regstudio"
    save_project(good, make_project(1))
    members = _members(good)
    rows = 1_300_000_000 // (256 * 4)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with np.load(io.BytesIO(members["runs/run0.npz"])) as npz:
            for k in npz.files:
                if k != "dense_0.W":
                    z.writestr(k + ".npy", _npy_bytes(npz[k]))
        _zeros_member(z, "dense_0.W.npy", _npy_header((rows, 256)), rows * 256 * 4)
    paths = {"inner": folder / "inner.regstudio", "outer": folder / "outer.regstudio"}
    _write(paths["inner"], {**members, "runs/run0.npz": inner.getvalue()})
    with zipfile.ZipFile(paths["outer"], "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("project.json", members["project.json"])
        _zeros_member(z, "runs/run0.npz", b"", 1_300_000_000)
    return paths


def _npy_bytes(array):
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _load_under_memory_limit(path, extra_mb=700):
    code = textwrap.dedent(f"""
        import resource, sys
        from regstudio.experiments.project import ProjectError, load_project
        vm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmSize"))
        limit = vm * 1024 + {extra_mb} * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            load_project({str(path)!r})
        except ProjectError as exc:
            print("ProjectError:", exc)
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("kind", ["inner", "outer"])
def test_bombs_are_refused_before_inflating(bombs, kind):
    assert bombs[kind].stat().st_size < 8 * 2**20
    proc = _load_under_memory_limit(bombs[kind])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ProjectError:") and f"beyond the limit of {MAX_INFLATED_BYTES:,} bytes" \
        in proc.stdout and "Traceback" not in proc.stderr
