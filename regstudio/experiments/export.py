"""Files a run leaves behind: history CSV, summary JSON, model ``.npz``; all written atomically.

A result folder is complete when it holds ``summary.json``: :func:`write_run` writes
``model.npz`` and ``history.csv`` first and ``summary.json`` last, each through a temporary
file renamed into place, so a crash or a full disk at any moment leaves either a complete
set or one without ``summary.json``."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from ..data.recipe import input_recipe
from ..engine import Sequential

RESULT_FILES = ("model.npz", "history.csv", "summary.json")  # the order written: summary last
HISTORY_COLUMNS = ("epoch", "train_loss", "data_loss", "penalty", "val_loss", "train_acc", "val_acc",
                   "train_r2", "val_r2", "lr", "seconds")
MODEL_FORMAT = "regstudio-model-1"


class OutputError(ValueError):
    """An output location that cannot be used; the message is one line naming it."""


def make_out_folder(folder: str | Path) -> None:
    """Create an output folder (and its parents) and make sure files can be written in it; a file
    in the way, no permission or a read-only disk is an OutputError, raised before any work."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--out {folder}: is a file, not a folder; choose a folder for the results")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--out {folder}: cannot create this folder ({exc.strerror or exc})") from None
    try:  # a real probe: permission bits say nothing for root or on a read-only mount
        fd, probe = tempfile.mkstemp(prefix=".regstudio-probe.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"--out {folder}: files cannot be written in this folder "
                          f"({exc.strerror or exc}); choose a writable folder") from None


def atomic_write(path: str | Path, data: bytes | str) -> None:
    """Write to a temporary file in the same folder, flush to disk, then rename over ``path``.
    The file keeps its permissions (a new one gets the usual ones, not mkstemp's 0600)."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _file_mode(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _file_mode(path: Path) -> int:
    """The permission bits ``path`` has, or those a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _json_safe(value):
    """NaN and infinities become null so the JSON is standard."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def dumps(value) -> str:
    return json.dumps(_json_safe(value), indent=2, allow_nan=False) + "\n"


def history_csv(rows: list[dict]) -> str:
    """One row per epoch; only the columns the run has (accuracy or R²)."""
    columns = [c for c in HISTORY_COLUMNS if rows and c in rows[0]] or list(HISTORY_COLUMNS[:5])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _fmt(row[c]) for c in columns])
    return out.getvalue()


def _fmt(value) -> str:
    if isinstance(value, float | np.floating):  # repr of a NumPy scalar names its type
        return "nan" if math.isnan(value) else repr(float(value))
    return str(value)


def save_model(path: str | Path, model: Sequential, config: dict, task: str = "classification",
               scaling: dict | None = None) -> None:
    """Weights by name plus a JSON header in one ``.npz``; no pickle. The header holds the
    config, shapes, task, ``layers`` (each layer's name, as its weights are keyed, type and
    activation), ``dropout_test_scale`` (keep-probability dropout), and with ``scaling`` (see
    :func:`standardization`) the ``classes``, the ``target`` column and the
    ``standardization``: everything docs/export.md's recipe needs to apply the model to raw
    rows or images with NumPy alone."""
    meta = {"format": MODEL_FORMAT, "config": config, "input_shape": list(model.input_shape),
            "n_outputs": int(model.output_shape[-1]), "task": task,
            "layers": [{"name": layer.name, **spec}
                       for layer, spec in zip(model.layers, model.layer_specs, strict=True)]}
    if scaling is not None:
        scaling = dict(scaling)
        meta["classes"] = scaling.pop("classes", None)
        meta["target"] = scaling.pop("target", None)
        meta["standardization"] = scaling
    scales = dropout_test_scales(model)
    if scales:
        meta["dropout_test_scale"] = scales
    arrays = {name: view for name, view in model.parameters()}
    arrays["__meta__"] = np.array(json.dumps(_json_safe(meta)))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(path, buffer.getvalue())


def dropout_test_scales(model: Sequential) -> dict[str, float]:
    """Keep-probability dropout layers: name -> the factor ``1 - rate`` that scales their input
    at test time (inverted dropout is the identity then and is not listed)."""
    return {layer.name: 1.0 - layer._quantized_rate() for layer in model.layers
            if getattr(layer, "scaling", None) == "keep_probability" and layer.rate > 0}


def standardization(dataset) -> dict:
    """How raw inputs become model inputs and outputs go back to the data's units (the table
    encoding, pixel scales, means and deviations): see :mod:`regstudio.data.recipe`."""
    return input_recipe(dataset)


def load_model(path: str | Path) -> tuple[Sequential, dict]:
    """The model and config saved by :func:`save_model` (``allow_pickle=False``)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"]))
            weights = {k: data[k] for k in data.files if k != "__meta__"}
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path}: not a Regularization Studio model file ({exc})") from None
    if meta.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: unknown model format {meta.get('format')!r}")
    cfg = meta["config"]
    model = Sequential.from_config(cfg["model"]["layers"], tuple(meta["input_shape"]), meta["n_outputs"],
                                   dropout_scaling=cfg["regularization"]["dropout_scaling"])
    model.set_weights(weights)
    if meta.get("task") == "classification":
        from ..engine.losses import SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy

        model.head = (SigmoidBinaryCrossEntropy() if meta["n_outputs"] == 1 else SoftmaxCrossEntropy()).predict
    return model, cfg


def write_run(out_dir: str | Path, result, force: bool = False) -> list[Path]:
    """``model.npz``, ``history.csv`` and, last, ``summary.json`` of a run (see the module
    docstring); refuses to overwrite unless forced. Temporary files of earlier interrupted
    writes are removed first; a file that cannot be written (a full disk) is an OutputError
    naming it."""
    out = Path(out_dir)
    prepare_run_folder(out, force)
    remove_leftovers(out)
    model, history, summary = (out / name for name in RESULT_FILES)
    write_part(summary, lambda: summary.unlink(missing_ok=True))  # the old set stops being complete
    write_part(model, lambda: save_model(model, result.model, result.config, result.dataset.task,
                                         standardization(result.dataset)))
    write_part(history, lambda: atomic_write(history, history_csv(result.history)))
    write_part(summary, lambda: atomic_write(summary, dumps(result.summary)))
    return [history, summary, model]


def prepare_run_folder(folder: Path, force: bool = False) -> None:
    """What :func:`write_run` needs, checked before training: a writable folder without a
    result (unless ``force``); FileExistsError or OutputError otherwise."""
    make_out_folder(folder)
    existing = [name for name in ("history.csv", "summary.json", "model.npz") if (folder / name).exists()]
    if existing and not force:
        raise FileExistsError(f"{folder} already holds {', '.join(existing)}; choose another --out "
                              "folder or pass --force to replace them")


def remove_leftovers(folder: Path, names: tuple[str, ...] = RESULT_FILES) -> list[Path]:
    """Delete the temporary files (``.NAME.*.tmp`` for the result files ``names``, and the
    writability probe's) that interrupted writes left."""
    removed = []
    for name in (*names, "regstudio-probe"):
        for tmp in folder.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def write_part(path: Path, write, mark: str = "summary.json") -> None:
    """``write()`` one file of a result set whose commit mark (written last) is ``mark``; an
    OSError becomes an OutputError naming ``path``."""
    try:
        write()
    except OSError as exc:
        raise OutputError(f"{path}: could not be written ({exc.strerror or exc}); the folder holds no "
                          f"complete result (no {mark}); free some space or choose another --out") from None
