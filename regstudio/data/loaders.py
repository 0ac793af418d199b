"""The user's files -> Raw data: CSV tables, image folders, .npz arrays and MNIST-style IDX."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .dataset import Raw, encode_target
from .errors import DataError

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})
DELIMITERS = ",;\t|"
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".gif": "GIF",
                 ".tif": "TIFF", ".tiff": "TIFF"}
# Formats Pillow may report for a file of one kind: cameras and phones write JPEGs with an
# extra preview image, which Pillow opens as MPO (its first frame is the photo).
FORMAT_ALIASES = {"MPO": "JPEG"}
MAX_PIXELS = 50_000_000  # decompression-bomb guard, stricter than Pillow's default
MAX_LISTED = 5


def _file(path: Path, what: str) -> bytes:
    if not path.exists():
        raise DataError(f"{path}: file not found: check data.{what}")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a file: point data.{what} at a file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from None
    if not data:
        raise DataError(f"{path}: the file is empty (0 bytes): choose a file with data")
    return data


# --- CSV ---------------------------------------------------------------------------------

def _decode(data: bytes, path: Path) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise DataError(f"{path}: this is a binary file, not a CSV text file: export the table "
                        "as CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    control = sum(ch < " " and ch not in "\t\r\n" for ch in text[:8192])
    if control > 0.01 * min(len(text), 8192):
        raise DataError(f"{path}: this does not look like a CSV text file (control characters): "
                        "export the table as CSV")
    return text


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = None
    first = next((line for line in text.splitlines() if line.strip()), "")
    best = max(DELIMITERS, key=first.count)
    if found is None or first.count(found) < first.count(best):
        found = best if first.count(best) else ","
    return found


def _number(cell: str, decimal_comma: bool) -> float | None:
    try:
        v = float(cell.replace(",", ".") if decimal_comma else cell)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def read_csv(path: str | Path, target: str | None = None, task: str | None = None,
             drop_missing: bool = False) -> Raw:
    """Read a CSV table; ``target`` names the label column (default: the last column)."""
    path = Path(path)
    text = _decode(_file(path, "path"), path)
    delim = _delimiter(text)
    comma = delim != ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows, lines = [], []
    start = 1  # the line the next row starts on
    try:
        for row in reader:
            if any("\n" in cell or "\r" in cell for cell in row):
                raise DataError(f"{path}, line {start}: a quote opened on this line is not closed "
                                "on it: add the missing closing quote (\") or remove the stray one")
            start = reader.line_num + 1
            if any(cell.strip() for cell in row):
                rows.append([cell.strip() for cell in row])
                lines.append(reader.line_num)
    except csv.Error as e:
        raise DataError(f"{path}, row {reader.line_num}: malformed CSV ({e})") from None
    if not rows:
        raise DataError(f"{path}: the file has no rows: choose a file with data")
    first = rows[0]
    header = len(rows) > 1 and any(
        _number(a, comma) is None and a.lower() not in MISSING and _number(b, comma) is not None
        for a, b in zip(first, rows[1], strict=False))
    header = header or all(_number(a, comma) is None and a.lower() not in MISSING for a in first)
    names = first if header else [f"column_{i + 1}" for i in range(len(first))]
    names = [n or f"column_{i + 1}" for i, n in enumerate(names)]
    body, body_lines = (rows[1:], lines[1:]) if header else (rows, lines)
    if not body:
        raise DataError(f"{path}: the file has a header but no data rows: add rows")
    for row, line in zip(body, body_lines, strict=True):
        if len(row) != len(names):
            raise DataError(f"{path}, row {line}: {len(row)} fields but the header has "
                            f"{len(names)}: fix that row (check quotes and delimiters)")
    if len(names) < 2:
        raise DataError(f"{path}: only one column: a table needs feature columns and a target "
                        f"(delimiter detected: {delim!r})")
    t = len(names) - 1 if target is None else _column(names, target, path)
    return _table(path, names, t, body, body_lines, comma, task, drop_missing)


def _column(names: list[str], target: str, path: Path) -> int:
    if target in names:
        return names.index(target)
    same = [i for i, n in enumerate(names) if n.lower() == target.lower()]
    if len(same) == 1:
        return same[0]
    if same:
        raise DataError(f"{path}: target {target!r} matches the columns "
                        f"{', '.join(repr(names[i]) for i in same)}: set data.target to one of them exactly")
    shown = ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")
    raise DataError(f"{path}: target column {target!r} not found: set data.target to one of "
                    f"{shown}")


def _table(path, names, t, body, body_lines, comma, task, drop_missing) -> Raw:
    cells = np.array(body, dtype=object)
    missing = np.vectorize(lambda c: c.lower() in MISSING, otypes=[bool])(cells)
    bad_rows = missing.any(axis=1)
    report = []
    if bad_rows.any():
        r, c = np.argwhere(missing)[0]
        if not drop_missing:
            raise DataError(f"{path}: {int(bad_rows.sum())} row(s) have missing values (first: row "
                            f"{body_lines[r]}, column {names[c]!r}): fill them in or set "
                            "data.drop_missing to true")
        report.append(f"dropped {int(bad_rows.sum())} row(s) with missing values")
        cells = cells[~bad_rows]
        body_lines = [line for line, bad in zip(body_lines, bad_rows, strict=True) if not bad]
        if len(cells) == 0:
            raise DataError(f"{path}: every row has a missing value: fill them in")
    feats = [i for i in range(len(names)) if i != t]
    X = np.empty((len(cells), len(feats)))
    for j, col in enumerate(feats):
        values = [_number(c, comma) for c in cells[:, col]]
        if None in values:
            r = values.index(None)
            raise DataError(f"{path}, row {body_lines[r]}, column {names[col]!r}: "
                            f"{cells[r, col]!r} is not a number: feature columns must be "
                            "numeric (encode categories as numbers or remove the column)")
        X[:, j] = values
    target = [_number(c, comma) for c in cells[:, t]]
    labels = np.array(target) if None not in target else cells[:, t].astype(str)
    y, classes, task = encode_target(labels, task, f"{path}, column {names[t]!r}")
    return Raw(path.stem, task, y, classes, X=X, feature_names=[names[i] for i in feats],
               report=report)


# --- image folders -------------------------------------------------------------------------

def read_image_folder(path: str | Path, size: int = 32, color: str = "rgb") -> Raw:
    """One sub-folder per class; unreadable files are skipped and listed in the report."""
    root = Path(path)
    if not root.is_dir():
        what = "not found" if not root.exists() else "not a folder"
        raise DataError(f"{root}: {what}: set data.path to a folder with one sub-folder per class")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(f"{root}: no sub-folders: put the images into one sub-folder per class")
    images, labels, classes, skipped, empty = [], [], [], [], []
    for folder in folders:
        files = sorted(p for p in folder.rglob("*")
                       if p.suffix.lower() in IMAGE_FORMATS and not p.name.startswith("."))
        got = 0
        for f in files:
            img, why = _read_image(f, size, color)
            if img is None:
                skipped.append(f"{f.relative_to(root)} ({why})")
                continue
            images.append(img)
            labels.append(len(classes))
            got += 1
        if got:
            classes.append(folder.name)
        else:
            empty.append(folder.name)
    if not images:
        raise DataError(f"{root}: no readable images (PNG, JPEG, BMP, GIF, TIFF) in its "
                        "sub-folders: add images, one sub-folder per class")
    if len(classes) < 2:
        raise DataError(f"{root}: images for only one class ({classes[0]!r}): add a sub-folder "
                        "of images for each class")
    report = []
    if skipped:
        shown = ", ".join(skipped[:MAX_LISTED])
        more = f" and {len(skipped) - MAX_LISTED} more" if len(skipped) > MAX_LISTED else ""
        report.append(f"skipped {len(skipped)} unreadable file(s): {shown}{more}")
    if empty:
        report.append(f"ignored {len(empty)} folder(s) without images: {', '.join(empty)}")
    stack = np.stack(images)
    return Raw(root.name, "classification", np.array(labels, np.int64), classes,
               images=stack if stack.ndim == 4 else stack[..., None], report=report)


def _read_image(path: Path, size: int, color: str) -> tuple[np.ndarray | None, str]:
    """(pixels, "") or (None, why it was skipped)."""
    try:
        if path.stat().st_size == 0:
            return None, "empty file"
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                expected = IMAGE_FORMATS[path.suffix.lower()]
                if FORMAT_ALIASES.get(img.format, img.format) != expected:
                    return None, f"not a {expected} file but {img.format}"
                if img.width * img.height > MAX_PIXELS:
                    return None, f"too large ({img.width}x{img.height} pixels)"
                img.load()
                img = ImageOps.exif_transpose(img)
                if img.mode.startswith(("I", "F")):
                    img = _to_8bit(img)
                if img.mode in ("P", "PA", "LA", "RGBA", "CMYK", "YCbCr", "1"):
                    img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in
                                      img.info else "RGB")
                img = img.convert("L" if color == "grayscale" else "RGB")
                img = img.resize((size, size), Image.Resampling.BILINEAR)
                return np.asarray(img, dtype=np.uint8), ""
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, "too large (decompression-bomb guard)"
    except Exception as e:  # Pillow's decoders raise many types for damaged files
        return None, "truncated" if "truncated" in str(e) else "unreadable"


def _to_8bit(img: Image.Image) -> Image.Image:
    """16-bit, 32-bit and float greyscale -> 8-bit "L", scaled from the range the values use:
    0..65535 for 16-bit data, 0..1 for floats that stay within it, else 0..255 (Pillow's own
    conversion clips at 255, which turns a 16-bit photo white and a 0..1 float image black)."""
    values = np.asarray(img, dtype=np.float64)
    largest = float(values.max(initial=0.0))
    if img.mode == "F":
        top = 1.0 if largest <= 1.0 else 255.0
    else:
        top = 65535.0 if img.mode.startswith("I;16") or largest > 255 else 255.0
    return Image.fromarray(np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8), "L")


# --- npz -------------------------------------------------------------------------------------

def read_npz(path: str | Path, x_key: str = "X", y_key: str = "y", task: str | None = None) -> Raw:
    """Arrays X (N, F) table or (N, H, W[, C]) images and y (N,) from an .npz file."""
    path = Path(path)
    data = _file(path, "path")
    magic = data[:6]
    if magic == b"\x93NUMPY":
        raise DataError(f"{path}: a single .npy array, not an .npz archive: save with "
                        "numpy.savez(path, X=..., y=...)")
    if magic[:1] == b"\x80":
        raise DataError(f"{path}: a Python pickle, which is not loaded for safety: save plain "
                        "numeric arrays with numpy.savez(path, X=..., y=...)")
    if magic[:4] != b"PK\x03\x04":
        raise DataError(f"{path}: not an .npz file (an .npz is a zip archive of arrays): save "
                        "with numpy.savez(path, X=..., y=...)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:  # the bytes read above
            for key in (x_key, y_key):
                if key not in npz.files:
                    raise DataError(f"{path}: no array named {key!r} (has: "
                                    f"{', '.join(npz.files) or 'none'}): save with "
                                    "numpy.savez(path, X=..., y=...)")
            X, y = npz[x_key], npz[y_key]
    except DataError:
        raise
    except ValueError as e:
        if "pickle" in str(e):
            raise DataError(f"{path}: holds Python objects, which are not loaded for safety: "
                            "save plain numeric arrays") from None
        raise DataError(f"{path}: not a readable .npz file ({e})") from None
    except Exception as e:  # zipfile, zlib and format errors of a damaged file
        raise DataError(f"{path}: not a readable .npz file ({type(e).__name__}): save it with "
                        "numpy.savez") from None
    return _arrays(path, X, y, task, (x_key, y_key))


def _arrays(path: Path, X: np.ndarray, y: np.ndarray, task: str | None,
            names: tuple[str, str] = ("X", "y")) -> Raw:
    """Checked features or images and labels; ``names`` says what X and y are called in errors."""
    x_name, y_name = names
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != len(X):
        raise DataError(f"{path}: {y_name} must have shape ({len(X)},) to match {x_name} {X.shape} "
                        f"(got {y.shape})")
    if X.dtype.kind not in "biuf":
        raise DataError(f"{path}: {x_name} must be numeric (got dtype {X.dtype})")
    if X.ndim == 2:
        X = X.astype(np.float64)
        if not np.isfinite(X).all():
            raise DataError(f"{path}: {x_name} has NaN or infinite values: remove or fill them")
        ys, classes, task = encode_target(y, task, str(path))
        return Raw(path.stem, task, ys, classes, X=X,
                   feature_names=[f"x{i + 1}" for i in range(X.shape[1])])
    if X.ndim == 3:
        X = X[..., None]
    if X.ndim != 4 or X.shape[-1] not in (1, 3) or min(X.shape[1:3], default=0) < 1:
        raise DataError(f"{path}: {x_name} must be a table (N, F) or images (N, H, W) / (N, H, W, C) "
                        f"with C 1 or 3 (got shape {X.shape})")
    ys, classes, task = encode_target(y, task, str(path))
    return Raw(path.stem, task, ys, classes, images=_to_uint8(X, path))


def _to_uint8(X: np.ndarray, path: Path) -> np.ndarray:
    if X.dtype == np.uint8:
        return X
    X = X.astype(np.float64)
    if not np.isfinite(X).all() or X.min() < 0 or X.max() > 255:
        raise DataError(f"{path}: image values must lie in 0..255 (uint8) or 0..1 (float)")
    return np.rint(X * 255 if X.max() <= 1.0 else X).astype(np.uint8)


# --- IDX (MNIST format) -------------------------------------------------------------------------

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path, what: str) -> np.ndarray:
    """One IDX array, gzip-compressed or raw (detected by the magic bytes)."""
    path = Path(path)
    data = _file(path, what)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, ValueError) as e:
            raise DataError(f"{path}: damaged gzip file ({e}): download it again") from None
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in IDX_TYPES or not 1 <= data[3] <= 4:
        raise DataError(f"{path}: not an IDX file (bad magic number): data.{what} needs an "
                        "MNIST-format file such as train-images-idx3-ubyte(.gz)")
    ndim = data[3]
    head = 4 + 4 * ndim
    if len(data) < head:
        raise DataError(f"{path}: truncated IDX header: download the file again")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(IDX_TYPES[data[2]])
    need = int(np.prod(dims, dtype=object)) * dtype.itemsize
    if len(data) - head != need:
        raise DataError(f"{path}: the header promises {'x'.join(map(str, dims))} values "
                        f"({need} bytes) but the file holds {len(data) - head} bytes: download "
                        "it again")
    return np.frombuffer(data, dtype, offset=head).reshape(dims).astype(dtype.newbyteorder("="))


def read_idx_pair(images: str | Path, labels: str | Path, task: str | None = None) -> Raw:
    """MNIST-style images (N, H, W) uint8 and labels (N,) IDX files."""
    X, y = read_idx(images, "images"), read_idx(labels, "labels")
    if X.ndim not in (3, 4) or X.dtype != np.uint8:
        raise DataError(f"{images}: data.images must hold uint8 images (N, H, W) "
                        f"(got {X.dtype} {X.shape})")
    if y.ndim != 1:
        raise DataError(f"{labels}: data.labels must hold one label per image (got shape "
                        f"{y.shape})")
    if len(y) != len(X):
        raise DataError(f"{images} has {len(X)} images but {labels} has {len(y)} labels: use "
                        "matching files")
    return _arrays(Path(images), X, y, task, ("the images", "the labels"))
