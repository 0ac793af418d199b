"""Dataset and Split: seeded (stratified) splits; standardisation fitted on the training split."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import encode
from .encode import fit_encoder
from .errors import DataError
from .progress import Cancel, Progress, Ticker, check_cancel

LEVELS = np.arange(256, dtype=np.int64)  # the values of an 8-bit pixel
MAX_CLASSES = 100
MAX_INTEGER_CLASSES = 20  # numeric targets with at most this many integer values are classes


@dataclass
class Raw:
    """What a source produces before splitting: features X (N, F) or images (N, H, W, C) uint8."""

    name: str
    task: str
    y: np.ndarray
    classes: list[str]
    X: np.ndarray | None = None
    images: np.ndarray | None = None
    feature_names: list[str] = field(default_factory=list)
    report: list[str] = field(default_factory=list)
    columns: list | None = None  # tables: raw feature columns, encoded by make_dataset
    table_info: dict | None = None  # tables: file, rows, columns with kind and role
    raw_scale: float = 1.0  # images: stored pixels = round(source values * raw_scale)
    target: str | None = None  # tables: the name of the target column


@dataclass
class Split:
    X: np.ndarray
    y: np.ndarray
    images: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.X)


@dataclass
class Dataset:
    name: str
    task: str
    train: Split
    val: Split
    test: Split
    classes: list[str]
    feature_names: list[str]
    image_shape: tuple[int, int, int] | None
    report: list[str]
    x_mean: np.ndarray = field(default=None, repr=False)  # tables: per column; images: per channel
    x_std: np.ndarray = field(default=None, repr=False)  # in [0, 1] scale; 1 where constant
    y_mean: float = 0.0
    y_std: float = 1.0
    data_report: dict = field(default_factory=dict)  # what was read, encoded, imputed, dropped
    encoding: dict | None = None  # tables: the fitted column encoding (see encode.Encoder.recipe)
    raw_scale: float = 1.0
    target: str | None = None  # tables: the name of the target column

    def images_to_X(self, images: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """uint8 (or float in [0, 1]) NHWC images -> float32 model input, as for train.X."""
        top = 255.0 if images.dtype == np.uint8 else 1.0
        scale = (1.0 / (top * self.x_std)).astype(np.float32)
        offset = (-self.x_mean / self.x_std).astype(np.float32)
        out = np.multiply(images, scale, out=out, dtype=np.float32, casting="unsafe")
        out += offset
        return out

    def transform_X(self, raw: np.ndarray) -> np.ndarray:
        """Raw features (tables, original units) -> standardised float32 model input."""
        if self.image_shape is not None:
            return self.images_to_X(np.asarray(raw))
        raw = np.asarray(raw)
        return table_rows(raw, None, self.x_mean, self.x_std)

    def inverse_y(self, y: np.ndarray) -> np.ndarray:
        """Regression: standardised targets -> original units; identity otherwise."""
        if self.task != "regression":
            return y
        return np.asarray(y, dtype=np.float64) * self.y_std + self.y_mean

    @property
    def input_shape(self) -> tuple:
        return tuple(self.train.X.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.task == "classification" else 1

    def summary(self) -> dict:
        """Samples per split, features or image size, class counts: for the GUI and the CLI."""
        splits = {"train": self.train, "val": self.val, "test": self.test}
        info = {
            "name": self.name,
            "task": self.task,
            "samples": {k: len(s) for k, s in splits.items()},
            "features": None if self.image_shape else len(self.feature_names),
            "image_shape": self.image_shape,
            "classes": list(self.classes),
        }
        if self.task == "classification":
            info["class_counts"] = {
                k: dict(zip(self.classes, np.bincount(s.y, minlength=self.n_classes).tolist(),
                            strict=True))
                for k, s in splits.items()
            }
        return info


def encode_target(values: np.ndarray, task: str | None, where: str) -> tuple[np.ndarray, list, str]:
    """Labels -> (y, classes, task). Text -> classes; numbers -> classes when they are at most
    20 distinct integers (unless ``task`` says otherwise), else a regression target."""
    values = np.asarray(values)
    if len(values) == 0:
        raise DataError(f"{where}: holds no samples")
    numeric = values.dtype.kind in "biuf"
    if not numeric and values.dtype.kind not in "USO":
        raise DataError(f"{where}: target has unsupported type {values.dtype}")
    if numeric:
        values = values.astype(np.float64)
        if not np.isfinite(values).all():
            raise DataError(f"{where}: target has missing or infinite values: remove those rows")
        integral = bool(np.all(values == np.round(values)))
        if task is None:
            few = len(np.unique(values)) <= MAX_INTEGER_CLASSES
            task = "classification" if integral and few else "regression"
        if task == "regression":
            return values, [], task
    elif task == "regression":
        raise DataError(f"{where}: target is text, so it cannot be a regression target: "
                        "use task classification or a numeric column")
    uniq, y = np.unique(values, return_inverse=True)
    if len(uniq) < 2:
        raise DataError(f"{where}: target has only one class ({_name(uniq[0])!s}): "
                        "classification needs at least two")
    if len(uniq) > MAX_CLASSES:
        raise DataError(f"{where}: target has {len(uniq)} distinct values (at most {MAX_CLASSES} "
                        "classes): use task regression for a numeric target")
    return y.astype(np.int64), [_name(u) for u in uniq], "classification"


def _name(value) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def split_indices(y: np.ndarray, task: str, val_fraction: float, test_fraction: float,
                  train_size: int | None, rng: np.random.Generator,
                  classes: list[str] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Seeded train/val/test indices (stratified for classification) and report notes."""
    notes = []
    if task == "classification":
        groups = [np.flatnonzero(y == c) for c in range(int(y.max()) + 1)]
    else:
        groups = [np.arange(len(y))]
    parts = {"train": [], "val": [], "test": []}
    for c, idx in enumerate(groups):
        idx = rng.permutation(idx)
        n_val = _portion(len(idx), val_fraction)
        n_test = _portion(len(idx), test_fraction)
        if len(idx) - n_val - n_test < 1:
            what = f"class {classes[c]!r}" if task == "classification" and classes else "the data"
            splits = 3 if n_test else 2  # each split asked for takes at least one sample
            advice = ("add samples or lower data.val_fraction / data.test_fraction"
                      if len(idx) >= splits else f"it needs at least {splits}: add samples"
                      + (" or remove the class" if task == "classification" else ""))
            raise DataError(f"{what} has only {len(idx)} sample(s), too few for a training, "
                            f"validation{' and test' if n_test else ''} split: {advice}")
        parts["val"].append(idx[:n_val])
        parts["test"].append(idx[n_val:n_val + n_test])
        parts["train"].append(idx[n_val + n_test:])
    if train_size is not None:
        pool = sum(len(p) for p in parts["train"])
        if train_size < pool:
            parts["train"] = _subsample(parts["train"], train_size, rng)
        elif train_size > pool:
            notes.append(f"train_size {train_size} is more than the {pool} samples left after "
                         f"the validation/test split: using {pool}")
    out = tuple(rng.permutation(np.concatenate(parts[k])) for k in ("train", "val", "test"))
    return (*out, notes)


def _portion(n: int, fraction: float) -> int:
    """round(n * fraction), but at least one sample of a split that is asked for."""
    return 0 if fraction <= 0 else max(1, int(round(n * fraction)))


def _subsample(groups: list[np.ndarray], size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Keep ``size`` samples spread over the groups in proportion (largest remainder)."""
    sizes = np.array([len(g) for g in groups], dtype=float)
    if size < len(groups):
        raise DataError(f"data.train_size must be at least the number of classes ({len(groups)}) "
                        f"(got {size})")
    exact = sizes * size / sizes.sum()
    take = np.maximum(np.floor(exact).astype(int), 1)
    order = np.argsort(-(exact - np.floor(exact)), kind="stable")
    i = 0
    while take.sum() < size:
        j = order[i % len(order)]
        if take[j] < sizes[j]:
            take[j] += 1
        i += 1
    while take.sum() > size:
        take[np.argmax(take)] -= 1
    return [g[:k] for g, k in zip(groups, take, strict=True)]


def make_dataset(raw: Raw, *, val_fraction: float = 0.3, test_fraction: float = 0.0,
                 train_size: int | None = None, standardize: bool = True, seed: int = 0,
                 indices: tuple | None = None, progress: Progress = None,
                 cancel: Cancel = None) -> Dataset:
    """Split ``raw`` and standardise it with statistics of the training split only.

    ``indices`` = ``(train, val, test)`` index arrays replace the seeded split (folds).
    ``progress(done, total)`` hears of the steps done (columns fitted, blocks of rows written);
    ``cancel`` stops the work between them with :class:`LoadCancelled`."""
    if val_fraction + test_fraction >= 0.95:
        raise DataError(f"data.val_fraction + data.test_fraction must be below 0.95 "
                        f"(got {val_fraction + test_fraction:g}): leave data for training")
    n = len(raw.y)
    if n < 3:
        raise DataError(f"{raw.name}: only {n} sample(s): at least 3 are needed to split")
    check_cancel(cancel)
    if indices is not None:
        tr, va, te = (np.asarray(i, dtype=np.intp) for i in indices)
        notes = []
    else:
        rng = np.random.default_rng([seed, 1])
        tr, va, te, notes = split_indices(raw.y, raw.task, val_fraction, test_fraction, train_size,
                                          rng, raw.classes)
    is_image = raw.images is not None
    columns = raw.columns if not is_image else None
    blocks = sum(-(-len(i) // encode.BLOCK) for i in (tr, va, te))
    tick = Ticker(progress, blocks + (len(columns) if columns is not None else 1))
    feature_names, report, encoding, details, encoder, X = list(raw.feature_names), [], None, {}, \
        None, None
    if is_image:
        x_mean, x_std = _image_stats(raw.images, tr, standardize, cancel)
        tick()
    elif columns is not None:
        encoder = fit_encoder(columns, tr, standardize, cancel, tick)
        x_mean, x_std = encoder.mean, encoder.std
        feature_names = encoder.feature_names
        encoding = {**encoder.recipe(), "decimal_comma": (raw.table_info or {}).get(
            "delimiter") not in (",", " ", None)}
        report, details = _encoding_notes(columns, encoder)
    else:
        X = np.asarray(raw.X)
        x_mean, x_std = _stats(X, standardize, np.sort(tr), cancel=cancel)  # sorted: faster
        if not standardize and X.dtype.kind == "f" and X.dtype.itemsize > 4:
            _check_float32_range(X, feature_names, raw.name)
        tick()
    y = raw.y
    y_mean, y_std = 0.0, 1.0
    if raw.task == "regression":
        y = np.asarray(y, dtype=np.float64)
        if standardize:
            m, s = _stats(y[tr, None], True)
            y_mean, y_std = float(m[0]), float(s[0])
        else:
            _check_float32_range(y.reshape(len(y), -1), ["the target"], raw.name)
    ds = Dataset(
        name=raw.name, task=raw.task, train=None, val=None, test=None, classes=list(raw.classes),
        feature_names=feature_names,
        image_shape=tuple(int(s) for s in raw.images.shape[1:]) if is_image else None,
        report=list(raw.report) + report + notes, x_mean=x_mean, x_std=x_std, y_mean=y_mean,
        y_std=y_std, encoding=encoding, raw_scale=raw.raw_scale, target=raw.target,
    )
    ds.data_report = {**(raw.table_info or {}), **details,
                      "features": len(feature_names) if not is_image else None,
                      "notes": list(ds.report)}

    splits = (tr, va, te)
    written = encoder.write(columns, splits, cancel, tick) if encoder is not None else None

    def split(k: int) -> Split:
        idx = splits[k]
        check_cancel(cancel)
        if raw.task == "regression":
            ys = ((y[idx] - y_mean) / y_std).astype(np.float32).reshape(-1, 1)
        else:
            ys = np.asarray(y[idx], dtype=np.int64)
        if is_image:
            imgs = raw.images[idx]
            out = Split(ds.images_to_X(imgs), ys, imgs)
            for _ in range(-(-len(idx) // encode.BLOCK)):
                tick()
            return out
        if written is not None:
            return Split(written[k], ys, None)
        return Split(table_rows(X, idx, x_mean, x_std, standardize, cancel=cancel, tick=tick),
                     ys, None)

    ds.train, ds.val, ds.test = split(0), split(1), split(2)
    return ds


def table_rows(X: np.ndarray, idx: np.ndarray | None, mean: np.ndarray, std: np.ndarray,
               standardize: bool = True, block: int | None = None, cancel: Cancel = None,
               tick=None) -> np.ndarray:
    """Rows ``idx`` (None: all) of ``X`` as float32 model input ``(x - mean) / std``, computed
    in float64 a block at a time: the result is the one full-size copy."""
    block = block or encode.BLOCK
    n = len(X) if idx is None else len(idx)
    if not standardize and X.dtype == np.float32:  # nothing to compute: the one copy
        check_cancel(cancel)
        out = X.copy() if idx is None else np.take(X, idx, axis=0)
        for _ in range(-(-n // block)) if tick is not None else ():
            tick()
        return out
    out = np.empty((n, X.shape[1]), np.float32)
    for lo in range(0, n, block):
        check_cancel(cancel)
        part = X[lo:lo + block] if idx is None else X[idx[lo:lo + block]]
        out[lo:lo + len(part)] = (part - mean) / std if standardize else part
        if tick is not None:
            tick()
    return out


def _encoding_notes(columns: list, encoder) -> tuple[list[str], dict]:
    """Report lines and details of what the encoder did (one-hot, dates, imputation)."""
    notes, details = [], {"one_hot": {}, "dates": {}, "imputed": {}, "fill": {}}
    for col, step in zip(columns, encoder.steps, strict=True):
        details["fill"][col.name] = step.fill
        if step.kind == "category":
            details["one_hot"][col.name] = list(step.categories)
        elif step.kind == "date":
            details["dates"][col.name] = list(step.parts)
        if col.missing:
            details["imputed"][col.name] = {"count": col.missing, "value": step.fill}
    if details["one_hot"]:
        notes.append("one-hot encoded " + ", ".join(
            f"{k!r} ({len(v)} categories)" for k, v in details["one_hot"].items()))
    if details["dates"]:
        notes.append("dates as numbers: " + ", ".join(
            f"{k!r} -> {', '.join(v)}" for k, v in details["dates"].items()))
    if details["imputed"]:
        total = sum(v["count"] for v in details["imputed"].values())
        notes.append(f"imputed {total} missing value(s) in " + ", ".join(
            f"{k!r} ({v['count']})" for k, v in details["imputed"].items())
            + " with the training split's mean (numbers) or most frequent value (text)")
    return notes, details


def _stats(a: np.ndarray, standardize: bool, idx: np.ndarray | None = None,
           block: int = 16384, cancel: Cancel = None) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and std of the rows ``idx`` (None: all) of a 2-D array (std 1 for constant
    columns); (0, 1) when off. A block of rows at a time: no copy of the rows is made."""
    cols = a.shape[1]
    n = len(a) if idx is None else len(idx)
    if not standardize or n == 0:
        return np.zeros(cols), np.ones(cols)

    def blocks():
        for lo in range(0, n, block):
            check_cancel(cancel)
            yield a[lo:lo + block] if idx is None else a[idx[lo:lo + block]]

    # In units of each column's largest magnitude, so that values near the float64 limit
    # (1e300) neither overflow when summed or squared nor turn the column into zeros.
    scale = np.zeros(cols)
    for part in blocks():
        np.maximum(scale, np.max(np.abs(part), axis=0), out=scale)
    scale[scale == 0] = 1.0
    count, mean, m2 = 0, np.zeros(cols), np.zeros(cols)
    for part in blocks():  # per-block mean and squared deviations, merged (Chan et al.)
        unit = part / scale
        k = len(unit)
        bmean = unit.mean(axis=0)
        unit -= bmean
        bm2 = np.einsum("ij,ij->j", unit, unit)
        delta = bmean - mean
        total = count + k
        mean += delta * (k / total)
        m2 += bm2 + delta**2 * (count * k / total)
        count = total
    std = np.sqrt(m2 / count)
    return mean * scale, np.where(std < 1e-12, 1.0, std * scale)


def _check_float32_range(values: np.ndarray, names: list[str], where: str) -> None:
    """Unstandardised values must fit the engine's 32-bit floats (about +-3.4e38)."""
    largest = np.max(np.abs(values), axis=0, initial=0.0)
    too_big = np.flatnonzero(np.atleast_1d(largest) > np.finfo(np.float32).max)
    if len(too_big):
        name = names[too_big[0]] if too_big[0] < len(names) else f"column {too_big[0] + 1}"
        raise DataError(f"{where}: {name} has values beyond +-3.4e38, too large for 32-bit floats: "
                        "turn data.standardize on or rescale the column")


def _image_stats(images: np.ndarray, idx: np.ndarray, standardize: bool,
                 cancel: Cancel = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std of images ``idx`` in [0, 1] scale, accumulated in chunks (no
    copy of the images; nothing done when off)."""
    c = images.shape[-1]
    if not standardize or len(idx) == 0:
        return np.zeros(c), np.ones(c)
    exact = images.dtype == np.uint8  # sums of pixels and of their squares in integers
    top = 255.0 if exact else 1.0
    total, squares = np.zeros(c), np.zeros(c)
    idx = np.sort(idx)
    for start in range(0, len(idx), 1024):
        check_cancel(cancel)
        px = images[idx[start:start + 1024]].reshape(-1, c)
        if exact:  # a histogram per channel gives both sums exactly
            for ch in range(c):
                hist = np.bincount(px[:, ch], minlength=256)
                total[ch] += hist @ LEVELS
                squares[ch] += hist @ LEVELS**2
        else:
            px = px.astype(np.float64)
            total += px.sum(axis=0)
            squares += np.einsum("ij,ij->j", px, px)
    count = len(idx) * (images.size // len(images)) // c
    total, squares = total / top, squares / top**2
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
    std[std < 1e-6] = 1.0
    return mean, std
