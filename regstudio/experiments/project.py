"""Project files (``.regstudio``): the experiment, every run and its final weights, in one file.

The format is a zip archive with

* ``project.json``: ``{"format": "regstudio-project", "schema": 1, "experiment": {config},
  "runs": [{"id", "name", "config", "history", "summary", "changes", "weights"}]}`` where
  ``weights`` names the archive member holding the run's weights;
* ``runs/<id>.npz``: the weights by parameter name (``dense_0.W``...), numeric arrays only.

Nothing is unpickled and nothing is evaluated: a file from a stranger can at worst fail to
load, with a :class:`ProjectError` naming what is wrong; it never loads half-way. A plain
JSON config (what older versions saved) opens as a project without runs.
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

from .config import ConfigError, validate_config
from .export import _json_safe, atomic_write

FORMAT = "regstudio-project"
SCHEMA = 1
MAX_MEMBER_BYTES = 512 * 2**20  # a zip bomb is refused before it is inflated
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
        archive.writestr("project.json", json.dumps(_json_safe(header), indent=1, allow_nan=False))
    atomic_write(path, buffer.getvalue())


def load_project(path: str | Path) -> Project:
    """Read and check everything; raise ProjectError (nothing half-loaded) on any problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not data.startswith(b"PK"):
        return Project(_experiment(path, _json(path, data, "the file")))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _from_archive(path, archive)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise ProjectError(f"{path}: the project archive is damaged or truncated ({exc})") from None


def _from_archive(path: Path, archive: zipfile.ZipFile) -> Project:
    header = _json(path, _member(path, archive, "project.json"), "project.json")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ProjectError(f"{path}: project.json is not a Regularization Studio project")
    schema = header.get("schema")
    if not isinstance(schema, int) or schema > SCHEMA or schema < 1:
        raise ProjectError(f"{path}: project schema {schema!r} is newer than this version reads "
                           f"({SCHEMA}); update Regularization Studio")
    experiment = _experiment(path, header.get("experiment"))
    runs_raw = header.get("runs", [])
    if not isinstance(runs_raw, list):
        raise ProjectError(f"{path}: project.json 'runs' must be a list")
    runs, seen = [], set()
    for i, raw in enumerate(runs_raw):
        where = f"{path}: run {i + 1}"
        if not isinstance(raw, dict) or any(k not in raw for k in _RUN_KEYS):
            raise ProjectError(f"{where}: needs the keys {', '.join(_RUN_KEYS)}")
        if not isinstance(raw["id"], str) or not _ID.match(raw["id"]) or raw["id"] in seen:
            raise ProjectError(f"{where}: id {raw['id']!r} is missing, malformed or repeated")
        seen.add(raw["id"])
        if not isinstance(raw["history"], list) or not all(isinstance(r, dict) for r in raw["history"]):
            raise ProjectError(f"{where}: 'history' must be a list of epoch records")
        if not isinstance(raw["summary"], dict) or not isinstance(raw.get("changes", []), list):
            raise ProjectError(f"{where}: 'summary' must be an object and 'changes' a list")
        try:
            config = validate_config(raw["config"])
        except ConfigError as exc:
            raise ProjectError(f"{where}: its config is invalid: {exc}") from None
        weights = _weights(where, _member(path, archive, f"runs/{raw['id']}.npz"))
        runs.append(RunRecord(raw["id"], str(raw["name"]), config, raw["history"], raw["summary"],
                              raw.get("changes", []), weights))
    return Project(experiment, runs)


def _member(path: Path, archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ProjectError(f"{path}: the archive has no {name}") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise ProjectError(f"{path}: {name} is implausibly large ({info.file_size} bytes)")
    return archive.read(info)


def _json(path: Path, data: bytes, what: str):
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProjectError(f"{path}: {what} is not valid JSON ({exc})") from None


def _experiment(path: Path, cfg) -> dict:
    if isinstance(cfg, dict) and "experiment" in cfg and "data" not in cfg:
        cfg = cfg["experiment"]
    try:
        return validate_config(cfg)
    except ConfigError as exc:
        raise ProjectError(f"{path}: {exc}") from None


def _weights(where: str, data: bytes) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            weights = {k: npz[k] for k in npz.files}
    except Exception as exc:  # any malformed member, including object arrays (pickle refused)
        raise ProjectError(f"{where}: its weights cannot be read ({type(exc).__name__}: {exc})") from None
    for name, value in weights.items():
        if value.dtype.kind not in "fiu" or not np.isfinite(value).all():
            raise ProjectError(f"{where}: weights {name!r} are not finite numbers")
    return weights
