"""Files a run leaves behind: history CSV, summary JSON, model ``.npz``; all written atomically."""

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

HISTORY_COLUMNS = ("epoch", "train_loss", "data_loss", "penalty", "val_loss", "train_acc", "val_acc",
                   "train_r2", "val_r2", "lr", "seconds")
MODEL_FORMAT = "regstudio-model-1"


class OutputError(ValueError):
    """An output location that cannot be used; the message is one line naming it."""


def make_out_folder(folder: str | Path) -> None:
    """Create an output folder (and its parents); a file in the way or no permission is an
    OutputError, raised before any work is done."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--out {folder}: is a file, not a folder; choose a folder for the results")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--out {folder}: cannot create this folder ({exc.strerror or exc})") from None


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
    """Weights by name plus a JSON header (config, shapes, task and the data's ``standardization``
    when given, see :func:`standardization`) in one ``.npz``; no pickle."""
    meta = {"format": MODEL_FORMAT, "config": config, "input_shape": list(model.input_shape),
            "n_outputs": int(model.output_shape[-1]), "task": task}
    if scaling is not None:
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
    """``history.csv``, ``summary.json`` and ``model.npz`` of a run; refuses to overwrite unless forced."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    targets = [out / "history.csv", out / "summary.json", out / "model.npz"]
    existing = [p.name for p in targets if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{out} already holds {', '.join(existing)}; choose another --out "
                              "folder or pass --force to replace them")
    atomic_write(targets[0], history_csv(result.history))
    atomic_write(targets[1], dumps(result.summary))
    save_model(targets[2], result.model, result.config, result.dataset.task,
               standardization(result.dataset))
    return targets
