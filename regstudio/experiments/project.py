"""Project files (``.regstudio``): the experiment, every run and its final weights, in one file.

The format is a zip archive with

* ``project.json``: ``{"format": "regstudio-project", "schema": 1, "experiment": {config},
  "runs": [{"id", "name", "config", "history", "summary", "changes", "weights"}]}`` where
  ``weights`` names the archive member holding the run's weights;
* ``runs/<id>.npz``: the weights by parameter name (``dense_0.W``...), numeric arrays only.

``project.json`` may also name the ``current_run`` (the run selected when it was saved) and
hold ``sweeps``: finished (or cancelled) sweeps, each ``SweepResult.to_dict()``, checked by
``SweepResult.from_dict``. Projects without it load with no sweeps.

Nothing is unpickled and nothing is evaluated: a file from a stranger can at worst fail to
load, with a :class:`ProjectError` naming what is wrong; it never loads half-way.
:func:`load_project` parses and checks all of ``project.json`` (every run's config, history,
changes and summary, within the limits of docs/limits.md), then reads the weights, checking
their shapes against the configs, before it returns: what it returns can be shown without
further checks. :func:`save_project` runs the same checks and size limits on what it is about
to write and refuses (writing nothing) what :func:`load_project` would refuse. A plain JSON
config (what older versions saved) opens as a project without runs.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import MAX_CONFIG_BYTES, ConfigError, check_schema, open_regular, parse_json, validate_config
from .errors import ProjectError
from .export import _json_safe, atomic_write
from .run_checks import (
    check_changes,
    check_history,
    check_name,
    check_summary,
    check_weight_shapes,
    shown,
    weighted_layer_names,
)
from .safe_npz import DAMAGED, SMALL_NPZ, Budget, count_entries, read_arrays

FORMAT = "regstudio-project"
SCHEMA = 1
MAX_FILE_BYTES = 512 * 2**20  # the project file on disk
MAX_HEADER_BYTES = 128 * 2**20  # project.json, inflated
MAX_INFLATED_BYTES = 1 * 2**30  # the weights in memory: every array plus the largest run member
MAX_RUNS = 2_000
MAX_SWEEPS = 1_000
MAX_PROJECT_HISTORY_ROWS = 250_000  # epoch rows of all runs together
MAX_MEMBERS = MAX_RUNS + 16  # archive entries: project.json and one member per run
_RUN_KEYS = ("id", "name", "config", "history", "summary")
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass
class RunRecord:
    id: str
    name: str
    config: dict
    history: list[dict]
    summary: dict
    changes: list[dict] = field(default_factory=list)
    weights: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    # This session's runs only (not saved): the trained model and what exporting it needs.
    model: Any = field(default=None, repr=False, compare=False)
    task: str = "classification"
    standardization: dict | None = field(default=None, repr=False)


@dataclass
class Project:
    experiment: dict
    runs: list[RunRecord] = field(default_factory=list)
    current_run: str | None = None  # the id of the run selected when saved
    sweeps: list = field(default_factory=list)  # SweepResult s, oldest first

    def last_run_number(self) -> int:
        """The highest N of the ``runN`` ids (at least the number of runs): new runs count on from it."""
        numbers = [int(run.id[3:]) for run in self.runs if run.id.startswith("run") and run.id[3:].isdigit()]
        return max([len(self.runs), *numbers])


def weights_memory(member_sizes: list[int], array_bytes: int) -> int:
    """Bytes loading the weights holds at once: every array, plus the largest run member (read
    whole, then its arrays copied out) and the members of one small ``.npz`` read in one go."""
    return array_bytes + max(member_sizes, default=0) + SMALL_NPZ


# -- saving ---------------------------------------------------------------------------------
def save_project(path: str | Path, project: Project) -> None:
    """Write the whole project atomically (temporary file, then rename), after checking it as
    :func:`load_project` will: what it would refuse is a ProjectError here, and nothing is written.

    A run whose weights are not finite numbers (a run that diverged and was stopped) is saved
    without its weights, as the loader accepts no others; its curves and summary are kept."""
    where = f"{path}: cannot be saved"
    members, runs, array_bytes = {}, [], 0
    for run in project.runs:
        if not _ID.match(run.id):
            raise ProjectError(f"{where}: run id {run.id!r}: use letters, digits, '_', '-' or '.'")
        weights = {k: np.asarray(v) for k, v in run.weights.items()}
        if not all(np.isfinite(w).all() for w in weights.values()):
            weights = {}
        member = f"runs/{run.id}.npz"
        buffer = io.BytesIO()
        np.savez(buffer, **weights)
        members[member] = buffer.getvalue()
        array_bytes += sum(w.nbytes for w in weights.values())
        runs.append({"id": run.id, "name": run.name, "config": run.config, "history": run.history,
                     "summary": run.summary, "changes": run.changes, "weights": member})
    header = {"format": FORMAT, "schema": SCHEMA, "experiment": project.experiment, "runs": runs}
    if project.current_run is not None:
        header["current_run"] = project.current_run
    if project.sweeps:
        header["sweeps"] = [sweep.to_dict() for sweep in project.sweeps]
    header = _json_safe(header)
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("ascii")
    _check_header_size(where, len(text))
    check_header(where, header)
    need = weights_memory([len(m) for m in members.values()], array_bytes)
    if need > MAX_INFLATED_BYTES:
        raise ProjectError(f"{where}: loading the runs' weights would take {need / 2**20:,.0f} MB, more "
                           f"than the {MAX_INFLATED_BYTES // 2**20:,} MB a project may hold (see "
                           "docs/limits.md); save fewer runs of large models")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
        archive.writestr("project.json", text)
    if buffer.tell() > MAX_FILE_BYTES:
        raise ProjectError(f"{where}: it would take {buffer.tell() / 2**20:,.0f} MB, more than the "
                           f"{MAX_FILE_BYTES // 2**20} MB a project file may have (see docs/limits.md); "
                           "save fewer runs of large models")
    atomic_write(path, buffer.getbuffer())


# -- loading --------------------------------------------------------------------------------
def load_project(path: str | Path) -> Project:
    """Read and check everything; raise ProjectError (nothing half-loaded) on any problem.

    Every damaged archive (truncated, bit-flipped, encrypted, oversized) is a ProjectError too."""
    path = Path(path)
    try:
        with open_regular(path, MAX_FILE_BYTES, ProjectError, "a project") as fh:
            if fh.read(2) != b"PK":  # a plain config
                fh.seek(0)
                return Project(_experiment(path, parse_json(fh.read(MAX_CONFIG_BYTES + 1), str(path),
                                                            ProjectError)))
            count_entries(fh, f"{path}: the archive", MAX_MEMBERS, ProjectError)
            with zipfile.ZipFile(fh) as archive:
                return _from_archive(path, archive)
    except ProjectError:
        raise
    except DAMAGED as exc:
        raise ProjectError(f"{path}: the project archive is damaged or truncated "
                           f"({type(exc).__name__}: {exc})") from None


def _from_archive(path: Path, archive: zipfile.ZipFile) -> Project:
    info = _member(path, archive, "project.json")
    _check_header_size(f"{path}: project.json", info.file_size)
    project = check_header(str(path), parse_json(archive.read(info), f"{path}: project.json", ProjectError,
                                                 MAX_HEADER_BYTES))
    members = [_member(path, archive, f"runs/{run.id}.npz") for run in project.runs]
    budget = Budget(MAX_INFLATED_BYTES, ProjectError)
    largest = max(members, key=lambda m: m.file_size, default=None)
    if largest is not None:
        budget.take(weights_memory([largest.file_size], 0), f"{path}: {largest.filename}")
    for i, (run, member) in enumerate(zip(project.runs, members, strict=True)):
        run.weights = _weights(f"{path}: run {i + 1}", archive.read(member), run.config, budget)
    return project


def _weights(where: str, data: bytes, config: dict, budget: Budget) -> dict[str, np.ndarray]:
    what = f"{where}: its weights cannot be read"
    weights = read_arrays(data, what, budget, lambda declared: check_weight_shapes(
        config["model"]["layers"], declared, what, ProjectError))
    for name, value in weights.items():
        if not np.isfinite(value).all():
            raise ProjectError(f"{where}: weights {name!r} are not finite numbers")
    return weights


def _check_header_size(where: str, n: int) -> None:
    if n > MAX_HEADER_BYTES:
        raise ProjectError(f"{where}: project.json takes {n / 2**20:,.0f} MB, more than the "
                           f"{MAX_HEADER_BYTES // 2**20} MB allowed (see docs/limits.md)")


def check_header(where: str, header) -> Project:
    """Everything of ``project.json`` (parsed) checked: the project without weights, or
    ProjectError naming ``where`` and the field."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ProjectError(f"{where}: project.json is not a Regularization Studio project")
    check_schema(header.get("schema"), SCHEMA, f"{where}: project schema", ProjectError)
    experiment = _experiment(where, header.get("experiment"))
    runs_raw = header.get("runs", [])
    if not isinstance(runs_raw, list) or len(runs_raw) > MAX_RUNS:
        raise ProjectError(f"{where}: project.json 'runs' must be a list of at most {MAX_RUNS:,} runs")
    rows = sum(len(raw["history"]) for raw in runs_raw
               if isinstance(raw, dict) and isinstance(raw.get("history"), list))
    if rows > MAX_PROJECT_HISTORY_ROWS:
        raise ProjectError(f"{where}: the runs hold {rows:,} epoch records, more than the "
                           f"{MAX_PROJECT_HISTORY_ROWS:,} a project may hold (see docs/limits.md)")
    configs: dict[str, tuple] = {}  # runs of one sweep share a config: validate each text once
    runs = [_run(f"{where}: run {i + 1}", raw, configs) for i, raw in enumerate(runs_raw)]
    ids = [run.id for run in runs]
    if len(set(ids)) != len(ids):
        raise ProjectError(f"{where}: run id {next(i for i in ids if ids.count(i) > 1)!r} is repeated")
    current = header.get("current_run")
    if current is not None and current not in ids:
        raise ProjectError(f"{where}: project.json 'current_run' names no run ({shown(current)})")
    return Project(experiment, runs, current, _sweeps(where, header.get("sweeps", [])))


def _sweeps(where: str, raw) -> list:
    """The saved sweeps, each checked by ``SweepResult.from_dict`` (ProjectError naming it)."""
    from .sweep import SweepResult

    if not isinstance(raw, list) or len(raw) > MAX_SWEEPS:
        raise ProjectError(f"{where}: project.json 'sweeps' must be a list of at most {MAX_SWEEPS:,} sweeps")
    sweeps = []
    for i, record in enumerate(raw):
        try:
            sweeps.append(SweepResult.from_dict(record))
        except ProjectError as exc:
            raise ProjectError(f"{where}: sweep {i + 1}: {exc}") from None
    return sweeps


def _run(where: str, raw, configs: dict) -> RunRecord:
    """One run's fields checked (its weights are read later)."""
    if not isinstance(raw, dict) or any(k not in raw for k in _RUN_KEYS):
        raise ProjectError(f"{where}: needs the keys {', '.join(_RUN_KEYS)}")
    if not isinstance(raw["id"], str) or not _ID.match(raw["id"]):
        raise ProjectError(f"{where}: id {shown(raw['id'])} is missing or malformed")
    key = json.dumps(raw["config"], sort_keys=True)
    if key not in configs:
        try:
            config = validate_config(raw["config"])
        except ConfigError as exc:
            raise ProjectError(f"{where}: its config is invalid: {exc}") from None
        configs[key] = (config, weighted_layer_names(config["model"]["layers"]))
    config, names = configs[key]
    config = json.loads(json.dumps(config))  # each run its own copy
    history = check_history(raw["history"], names, where, ProjectError)
    return RunRecord(raw["id"], check_name(raw["name"], where, ProjectError), config, history,
                     check_summary(raw["summary"], history, names, where, ProjectError),
                     check_changes(raw.get("changes", []), config["model"]["layers"], where, ProjectError))


def _member(path: Path, archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    try:
        return archive.getinfo(name)
    except KeyError:
        raise ProjectError(f"{path}: the archive has no {name}") from None


def _experiment(where, cfg) -> dict:
    if isinstance(cfg, dict) and "experiment" in cfg and "data" not in cfg:
        cfg = cfg["experiment"]
    try:
        return validate_config(cfg)
    except ConfigError as exc:
        raise ProjectError(f"{where}: {exc}") from None
