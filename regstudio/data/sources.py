"""The config's ``data`` section -> Dataset: one option table per source drives validation."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import cache, loaders
from .builtin import BUILTINS
from .dataset import Dataset, Raw, make_dataset
from .errors import DataError
from .options import Option, validate
from .progress import Cancel, Progress
from .table import read_table, table_key

SOURCES = ("builtin", "table", "csv", "images", "npz", "idx")
TABLE = "table"  # "csv" is the older name of the same source

_TASK = Option(None, "choice", choices=("classification", "regression"),
               help="What to predict; left out, a text or small-integer target means classes.")
COMMON = {
    "source": Option("builtin", "choice", choices=SOURCES, help="Where the data comes from."),
    "val_fraction": Option(0.3, "float", 0.01, 0.9, help="Share of samples held out for "
                           "validation."),
    "test_fraction": Option(0.0, "float", 0.0, 0.9, help="Share of samples held out for a "
                            "final test."),
    "train_size": Option(None, "int", 1, 10_000_000, help="Cap on the training samples (the "
                         "rest is unused); few samples overfit quickly.", log=True),
    "standardize": Option(True, "bool", help="Scale features (and a regression target) to zero "
                          "mean, unit variance with training statistics."),
    "seed": Option(0, "int", 0, 2**32 - 1, help="Seed of the generated data and of the split."),
}
PER_SOURCE = {
    "builtin": {"name": Option("moons", "choice", choices=tuple(BUILTINS),
                               help="Which built-in data set.")},
    "table": {
        "path": Option(None, "path", help="The table: .csv, .tsv, .txt or .xlsx (relative to the "
                       "project file)."),
        "target": Option(None, "str", help="Name of the column to predict (default: the last)."),
        "task": _TASK,
        "missing": Option("impute", "choice", choices=("impute", "drop", "error"),
                          help="Missing values: fill them with the training split's mean or most "
                          "frequent value, drop their rows, or stop with an error."),
        "drop_missing": Option(False, "bool", help="Older spelling of missing: drop (true drops "
                               "rows with missing values)."),
        "ignore": Option((), "names", help="Columns to leave out."),
        "sheet": Option(None, "str", help="The Excel sheet to read (default: the first)."),
    },
    "images": {
        "path": Option(None, "path", help="A folder with one sub-folder of images per class."),
        "size": Option(32, "int", 4, 256, help="Images are resized to size x size pixels."),
        "color": Option("rgb", "choice", choices=("rgb", "grayscale"),
                        help="Keep colour or convert to greyscale."),
    },
    "npz": {
        "path": Option(None, "path", help="A NumPy .npz file with arrays X and y."),
        "x_key": Option("X", "str", help="Name of the feature or image array."),
        "y_key": Option("y", "str", help="Name of the label array."),
        "task": _TASK,
    },
    "idx": {
        "images": Option(None, "path", help="MNIST-format image file (IDX, gzip or raw)."),
        "labels": Option(None, "path", help="MNIST-format label file (IDX, gzip or raw)."),
        "task": _TASK,
    },
}


def source_options(source: str, name: str | None = None) -> dict[str, Option]:
    """Every allowed key of the ``data`` section for ``source`` (and builtin ``name``)."""
    if not isinstance(source, str) or source not in SOURCES:
        raise DataError(f"data.source must be one of {', '.join(SOURCES)} (got {source!r})")
    table = {"source": COMMON["source"], **PER_SOURCE[TABLE if source == "csv" else source]}
    if source == "builtin" and name is not None:
        if not isinstance(name, str) or name not in BUILTINS:
            raise DataError(f"data.name must be one of {', '.join(BUILTINS)} (got {name!r})")
        table.update(BUILTINS[name].options)
    table.update({k: v for k, v in COMMON.items() if k != "source"})
    return table


def validate_data(data_cfg: dict) -> dict:
    """The ``data`` section with every default filled in (``source`` builtin, ``name`` moons);
    raises DataError naming the first bad key."""
    if not isinstance(data_cfg, dict):
        raise DataError(f"data must be a mapping of keys to values (got {data_cfg!r})")
    source = data_cfg.get("source", COMMON["source"].default)
    name = data_cfg.get("name", PER_SOURCE["builtin"]["name"].default) if source == "builtin" else None
    cfg = validate(data_cfg, source_options(source, name), "data.")
    if source in ("csv", TABLE) and cfg["drop_missing"] and cfg["missing"] == "error":
        raise DataError("data.drop_missing: true asks to drop rows but data.missing is 'error': "
                        "keep only data.missing")
    return cfg


def rebase_paths(data_cfg: dict, old_base: str | Path | None, new_base: str | Path) -> dict:
    """The ``data`` section with its file paths read from ``new_base`` instead of ``old_base``
    (None: the working folder): relative when the file lies inside ``new_base``, so that a
    project moves with its data, else absolute."""
    source = data_cfg.get("source", COMMON["source"].default)
    table = PER_SOURCE.get(TABLE if source == "csv" else source, {})
    out = dict(data_cfg)
    new_base = Path(os.path.abspath(new_base))
    for key, option in table.items():
        value = out.get(key)
        if option.kind != "path" or not isinstance(value, str) or not value:
            continue
        full = Path(os.path.abspath(Path(old_base or Path.cwd()) / Path(value).expanduser()))
        out[key] = full.relative_to(new_base).as_posix() if full.is_relative_to(new_base) else str(full)
    return out


def load_dataset(data_cfg: dict, base_dir: str | Path | None = None) -> Dataset:
    """Validate the config's ``data`` section, load or generate the data, split, standardise."""
    cfg = validate_data(data_cfg)
    return dataset_from_raw(load_raw(cfg, base_dir), cfg)


def load_raw(data_cfg: dict, base_dir: str | Path | None = None, *, progress: Progress = None,
             cancel: Cancel = None, cache: bool = False) -> Raw:
    """The parse step alone: read or generate the samples of ``data_cfg`` (not yet split).

    What a sweep reads once and ships to its workers, and what the window keeps while the
    user changes split options. ``progress(done, total)`` hears of rows or files read;
    ``cancel`` (a callable or threading.Event) stops the load with :class:`LoadCancelled`.
    With ``cache``, a file parsed before (same path, size, modification time and parse
    options) is not read again: changing the split, seed, target or roles costs no parse."""
    cfg = validate_data(data_cfg)
    return _load_raw(cfg, Path(base_dir) if base_dir is not None else Path.cwd(), progress,
                     cancel, cache)


def dataset_from_raw(raw: Raw, data_cfg: dict, indices=None, *, progress: Progress = None,
                     cancel: Cancel = None) -> Dataset:
    """Split ``raw`` as ``data_cfg`` says and fit every transform on its training split.

    ``indices``: an explicit ``(train, val, test)`` tuple of index arrays (cross-validation
    folds) instead of the seeded split. ``progress(done, total)`` hears of the encoding steps
    (columns fitted, blocks of rows written); ``cancel`` stops between them."""
    cfg = validate_data(data_cfg)
    return make_dataset(raw, val_fraction=cfg["val_fraction"], test_fraction=cfg["test_fraction"],
                        train_size=cfg["train_size"], standardize=cfg["standardize"],
                        seed=cfg["seed"], indices=indices, progress=progress, cancel=cancel)


def _load_raw(cfg: dict, base: Path, progress: Progress, cancel: Cancel, use_cache: bool) -> Raw:
    def path(key: str) -> Path:
        if cfg[key] is None:
            raise DataError(f"data.{key} is required for source {cfg['source']!r}: set it to a "
                            "file or folder")
        p = Path(cfg[key]).expanduser()
        return p if p.is_absolute() else base / p

    def keep(key, make):  # key: a callable (an image folder's key stats every file)
        return cache.cached(key(), make) if use_cache else make()

    source = cfg["source"]
    if source == "builtin":
        spec = BUILTINS[cfg["name"]]
        return spec.make({k: cfg[k] for k in spec.options}, np.random.default_rng([cfg["seed"], 0]))
    if source in ("csv", TABLE):
        file = path("path")
        table = keep(lambda: table_key(file, cfg["sheet"]),
                     lambda: read_table(file, sheet=cfg["sheet"], progress=progress, cancel=cancel))
        missing = "drop" if cfg["drop_missing"] else cfg["missing"]
        return loaders.table_source(table, cfg["target"], cfg["task"], missing, cfg["ignore"],
                                    cancel)
    if source == "images":
        file = path("path")
        return keep(lambda: ("images", str(file.resolve()), cfg["size"], cfg["color"],
                             cache.folder_key(file)),
                    lambda: loaders.read_image_folder(file, cfg["size"], cfg["color"],
                                                      progress=progress, cancel=cancel))
    if source == "npz":
        file = path("path")
        return keep(lambda: ("npz", cache.file_key(file), cfg["x_key"], cfg["y_key"], cfg["task"]),
                    lambda: loaders.read_npz(file, cfg["x_key"], cfg["y_key"], cfg["task"]))
    images, labels = path("images"), path("labels")
    return keep(lambda: ("idx", cache.file_key(images, labels), cfg["task"]),
                lambda: loaders.read_idx_pair(images, labels, cfg["task"]))
