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
:func:`load_project` parses and checks everything (every run's config, history, changes,
summary and weight shapes, within the size limits of docs/limits.md) before it returns, so
what it returns can be shown without further checks. A plain JSON config (what older
versions saved) opens as a project without runs.
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

from .config import ConfigError, check_schema, parse_json, validate_config
from .export import _json_safe, atomic_write
from .run_checks import check_changes, check_history, check_name, check_summary, check_weight_shapes
from .safe_npz import DAMAGED, Budget, read_arrays

FORMAT = "regstudio-project"
SCHEMA = 1
MAX_FILE_BYTES = 512 * 2**20  # the project file on disk
MAX_INFLATED_BYTES = 1 * 2**30  # everything inflated and allocated from one file, checked before
MAX_RUNS = 10_000
MAX_SWEEPS = 1_000
_RUN_KEYS = ("id", "name", "config", "history", "summary")
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ProjectError(ValueError):
    """A project file that cannot be loaded; the message says what and where."""


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


def save_project(path: str | Path, project: Project) -> None:
    """Write the whole project atomically (temporary file, then rename)."""
    runs = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for run in project.runs:
            if not _ID.match(run.id):
                raise ValueError(f"run id {run.id!r}: use letters, digits, '_', '-' or '.'")
            member = f"runs/{run.id}.npz"
            weights = io.BytesIO()
            np.savez(weights, **{k: np.asarray(v) for k, v in run.weights.items()})
            archive.writestr(member, weights.getvalue())
            runs.append({"id": run.id, "name": run.name, "config": run.config, "history": run.history,
                         "summary": run.summary, "changes": run.changes, "weights": member})
        header = {"format": FORMAT, "schema": SCHEMA, "experiment": project.experiment, "runs": runs}
        if project.current_run is not None:
            header["current_run"] = project.current_run
        if project.sweeps:
            header["sweeps"] = [sweep.to_dict() for sweep in project.sweeps]
        archive.writestr("project.json", json.dumps(_json_safe(header), indent=1, allow_nan=False))
    atomic_write(path, buffer.getvalue())


def load_project(path: str | Path) -> Project:
    """Read and check everything; raise ProjectError (nothing half-loaded) on any problem.

    Every damaged archive (truncated, bit-flipped, encrypted, oversized) is a ProjectError too."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ProjectError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ProjectError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB, the limit for a project "
                           "(see docs/limits.md)")
    if not data.startswith(b"PK"):
        return Project(_experiment(path, parse_json(data, str(path), ProjectError)))  # a plain config
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _from_archive(path, archive, Budget(MAX_INFLATED_BYTES, ProjectError))
    except ProjectError:
        raise
    except DAMAGED as exc:
        raise ProjectError(f"{path}: the project archive is damaged or truncated "
                           f"({type(exc).__name__}: {exc})") from None


def _from_archive(path: Path, archive: zipfile.ZipFile, budget: Budget) -> Project:
    budget.take(sum(info.file_size for info in archive.infolist()), f"{path}: the archive")
    header = parse_json(archive.read("project.json") if _has(archive, "project.json") else
                        _missing(path, "project.json"), f"{path}: project.json", ProjectError,
                        MAX_FILE_BYTES)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ProjectError(f"{path}: project.json is not a Regularization Studio project")
    check_schema(header.get("schema"), SCHEMA, f"{path}: project schema", ProjectError)
    experiment = _experiment(path, header.get("experiment"))
    runs_raw = header.get("runs", [])
    if not isinstance(runs_raw, list) or len(runs_raw) > MAX_RUNS:
        raise ProjectError(f"{path}: project.json 'runs' must be a list of at most {MAX_RUNS:,} runs")
    configs: dict[str, dict] = {}  # runs of one sweep share a config: validate each text once
    runs = [_run(path, archive, i, raw, budget, configs) for i, raw in enumerate(runs_raw)]
    ids = [run.id for run in runs]
    if len(set(ids)) != len(ids):
        raise ProjectError(f"{path}: run id {next(i for i in ids if ids.count(i) > 1)!r} is repeated")
    current = header.get("current_run")
    if current is not None and current not in ids:
        raise ProjectError(f"{path}: project.json 'current_run' names no run ({current!r:.40})")
    return Project(experiment, runs, current, _sweeps(path, header.get("sweeps", [])))


def _sweeps(path: Path, raw) -> list:
    """The saved sweeps, each checked by ``SweepResult.from_dict`` (ProjectError naming it)."""
    from .sweep import SweepResult

    if not isinstance(raw, list) or len(raw) > MAX_SWEEPS:
        raise ProjectError(f"{path}: project.json 'sweeps' must be a list of at most {MAX_SWEEPS:,} sweeps")
    sweeps = []
    for i, record in enumerate(raw):
        try:
            sweeps.append(SweepResult.from_dict(record))
        except ProjectError as exc:
            raise ProjectError(f"{path}: sweep {i + 1}: {exc}") from None
    return sweeps


def _run(path: Path, archive, i: int, raw, budget: Budget, configs: dict) -> RunRecord:
    where = f"{path}: run {i + 1}"
    if not isinstance(raw, dict) or any(k not in raw for k in _RUN_KEYS):
        raise ProjectError(f"{where}: needs the keys {', '.join(_RUN_KEYS)}")
    if not isinstance(raw["id"], str) or not _ID.match(raw["id"]):
        raise ProjectError(f"{where}: id {raw['id']!r:.40} is missing or malformed")
    key = json.dumps(raw["config"], sort_keys=True)
    if key not in configs:
        try:
            configs[key] = validate_config(raw["config"])
        except ConfigError as exc:
            raise ProjectError(f"{where}: its config is invalid: {exc}") from None
    config = json.loads(json.dumps(configs[key]))  # each run its own copy
    member = f"runs/{raw['id']}.npz"
    if not _has(archive, member):
        _missing(path, member)
    what = f"{where}: its weights cannot be read"
    weights = read_arrays(archive.read(member), what, budget, lambda declared: check_weight_shapes(
        config["model"]["layers"], declared, what, ProjectError))
    for name, value in weights.items():
        if not np.isfinite(value).all():
            raise ProjectError(f"{where}: weights {name!r} are not finite numbers")
    return RunRecord(raw["id"], check_name(raw["name"], where, ProjectError), config,
                     check_history(raw["history"], where, ProjectError),
                     check_summary(raw["summary"], where, ProjectError),
                     check_changes(raw.get("changes", []), where, ProjectError), weights)


def _has(archive: zipfile.ZipFile, name: str) -> bool:
    try:
        archive.getinfo(name)
    except KeyError:
        return False
    return True


def _missing(path: Path, name: str):
    raise ProjectError(f"{path}: the archive has no {name}")


def _experiment(path: Path, cfg) -> dict:
    if isinstance(cfg, dict) and "experiment" in cfg and "data" not in cfg:
        cfg = cfg["experiment"]
    try:
        return validate_config(cfg)
    except ConfigError as exc:
        raise ProjectError(f"{path}: {exc}") from None
