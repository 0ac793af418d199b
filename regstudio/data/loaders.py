"""The user's files -> Raw data: CSV tables, image folders, .npz arrays and MNIST-style IDX."""

from __future__ import annotations

import math
import os
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .dataset import Raw, encode_target
from .errors import DataError
from .files import MAX_ARRAY_BYTES, out_of_memory, read_file
from .progress import Cancel, Progress, check_cancel, report_progress
from .table import Column, Table, read_table

IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".gif": "GIF",
                 ".tif": "TIFF", ".tiff": "TIFF"}
# Formats Pillow may report for a file of one kind: cameras and phones write JPEGs with an
# extra preview image, which Pillow opens as MPO (its first frame is the photo).
FORMAT_ALIASES = {"MPO": "JPEG"}
MAX_PIXELS = 50_000_000  # decompression-bomb guard, stricter than Pillow's default
# JPEGs are decoded at the smallest scale of at least DRAFT x size pixels, then resized
# bilinearly. 200x150 photo crops to 32: at 1 x size 3.5 grey levels off decoding in full on
# average (tests/data/test_fast_paths.py); at 2 x size 0.4, but 15% more time per file.
DRAFT = 1
MAX_LISTED = 5
# From this many files a process per core decodes them: Pillow parses a file's headers in
# Python, holding the GIL, so threads overlap only the decoding itself.
PROCESS_MIN = 1500
PROCESS_CHUNK = 128  # files per task of a worker process


# --- tables ----------------------------------------------------------------------------------

def read_csv(path: str | Path, target: str | None = None, task: str | None = None,
             drop_missing: bool = False, *, missing: str | None = None,
             ignore: list[str] = (), sheet: str | None = None, progress=None,
             cancel=None) -> Raw:
    """Read a table (.csv, .tsv, .txt or .xlsx); ``target`` names the label column (default:
    the last). Features stay raw columns here: :func:`make_dataset` encodes them with the
    training split's statistics. ``missing``: impute (default), drop or error; the older
    ``drop_missing=True`` means drop."""
    missing = missing or ("drop" if drop_missing else "impute")
    table = read_table(Path(path), sheet=sheet, progress=progress, cancel=cancel)
    return table_source(table, target, task, missing, ignore, cancel)


def table_source(table: Table, target: str | None, task: str | None, missing: str,
                 ignore: list[str] = (), cancel: Cancel = None) -> Raw:
    """A parsed table as Raw for ``target`` (default: the last column), ``ignore`` left out."""
    names = table.names
    t = len(names) - 1 if target is None else _column(names, target, table.path)
    for name in ignore:
        if name not in names:
            raise DataError(f"{table.path}: data.ignore names {name!r}, which is not a column: "
                            f"use some of {_shown(names)}")
    return table_raw(table, t, task, missing, set(ignore), cancel)


LEFT_OUT = {"text-id": "{levels} distinct text values: an id or a name, not a category",
            "empty": "every cell is empty"}


def column_roles(table: Table, t: int, ignore: set[str]) -> dict[str, str]:
    """Each column's role: target, ignored (data.ignore), left out (an id, a name, or empty)
    or feature."""
    return {c.name: "target" if i == t else "ignored" if c.name in ignore else
            "left out" if c.kind in LEFT_OUT else "feature" for i, c in enumerate(table.columns)}


def table_raw(table: Table, t: int, task: str | None, missing: str, ignore: set[str],
              cancel: Cancel = None) -> Raw:
    """The parsed table as Raw: target encoded, rows with missing values dropped or refused as
    ``missing`` says, id-like text and empty columns left out; features kept as columns. A
    column used (a feature or the target) whose numbers hold a few words stops here, naming
    the first; ignored columns are never checked."""
    path, cols = table.path, table.columns
    roles = column_roles(table, t, ignore)
    used = [cols[t], *(c for c in cols if roles[c.name] == "feature")]
    for c in used:
        if c.stray:
            count, line, text = c.stray
            more = f" (and {count - 1} more cell(s) like it)" if count > 1 else ""
            raise DataError(f"{path}, row {line}, column {c.name!r}: {text!r} is not a number"
                            f"{more}: the column's other values are numbers: fix the cell, or "
                            "leave the column out with data.ignore")
    report, lines, dropped = [], table.lines, 0
    gaps = None
    if missing == "impute":
        bad = used[0].missing_mask()  # a missing target cannot be imputed: those rows go
    else:
        gaps = []
        for c in used:
            check_cancel(cancel)
            gaps.append(c.missing_mask())
        bad = np.logical_or.reduce(gaps)
    if bad.any():
        if missing == "error":
            r = int(np.flatnonzero(bad)[0])
            c = next(i for i, g in enumerate(gaps) if g[r])
            raise DataError(f"{path}: {int(bad.sum())} row(s) have missing values (first: row "
                            f"{lines[r]}, column {used[c].name!r}): fill them in or set "
                            "data.missing to impute or drop (data.drop_missing: true also drops)")
        dropped = int(bad.sum())
        what = "a missing target" if missing == "impute" else "missing values"
        report.append(f"dropped {dropped} row(s) with {what}")
        keep = ~bad
        if not keep.any():
            raise DataError(f"{path}: every row has a missing value: fill them in")
        lines = lines[keep]
        used = [c.take(keep) for c in used]
    check_cancel(cancel)
    target, feats = used[0], used[1:]
    y, classes, task = _target(target, task, path)
    left = [c for c in cols if roles[c.name] == "left out"]
    if left:
        report.append("left out " + ", ".join(
            f"{c.name!r} ({LEFT_OUT[c.kind].format(levels=c.levels)})" for c in left)
            + ": list it in data.ignore to silence this, or encode it yourself")
    report.extend(note for c in feats for note in c.notes)
    if not feats:
        raise DataError(f"{path}: no feature columns left (besides the target "
                        f"{target.name!r}): keep at least one column out of data.ignore")
    info = {"file": str(path), "rows": int(len(table)), "rows_dropped": dropped,
            "delimiter": table.delimiter, "encoding": table.encoding, "sheet": table.sheet,
            "decimal": table.decimal, "target": target.name,
            "columns": [{**c.info(), "role": roles[c.name]} for c in table.columns]}
    return Raw(path.stem, task, y, classes, feature_names=[c.name for c in feats], report=report,
               columns=feats, table_info=info, target=target.name)


def _target(col: Column, task: str | None, path: Path) -> tuple[np.ndarray, list, str]:
    """The target column's labels: numbers as :func:`encode_target` reads them; text through
    its distinct cells (each encoded once, then spread by the codes)."""
    where = f"{path}, column {col.name!r}"
    if col.kind == "date":
        raise DataError(f"{path}: target column {col.name!r} holds dates: choose a column of "
                        "classes or numbers as data.target")
    if col.codes is None:
        return encode_target(col.numbers, task, where)
    if task == "regression":
        raise DataError(f"{where}: target is text, so it cannot be a regression target: "
                        "use task classification or a numeric column")
    seen = np.flatnonzero(np.bincount(col.codes, minlength=len(col.cells)))
    if not len(seen):
        raise DataError(f"{where}: holds no samples")
    y, classes, task = encode_target(np.asarray(col.cells, dtype=object)[seen].astype(str), task,
                                     where)
    lut = np.zeros(len(col.cells), np.int64)
    lut[seen] = y
    return lut[col.codes], classes, task


def _shown(names: list[str]) -> str:
    return ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")


def _column(names: list[str], target: str, path: Path) -> int:
    if target in names:
        return names.index(target)
    same = [i for i, n in enumerate(names) if n.lower() == target.lower()]
    if len(same) == 1:
        return same[0]
    if same:
        raise DataError(f"{path}: target {target!r} matches the columns "
                        f"{', '.join(repr(names[i]) for i in same)}: set data.target to one of them exactly")
    raise DataError(f"{path}: target column {target!r} not found: set data.target to one of "
                    f"{_shown(names)}")


# --- image folders -------------------------------------------------------------------------

def read_image_folder(path: str | Path, size: int = 32, color: str = "rgb", *,
                      progress: Progress = None, cancel: Cancel = None,
                      workers: int | None = None) -> Raw:
    """One sub-folder per class; unreadable files are skipped and listed in the report.

    Files are decoded on ``workers`` threads (default: every core; Pillow decodes without
    the GIL), JPEGs in draft mode at the smallest scale still at least ``size`` pixels (then
    resized bilinearly: a few grey levels from decoding them whole, see DRAFT)."""
    root = Path(path)
    if not root.is_dir():
        what = "not found" if not root.exists() else "not a folder"
        raise DataError(f"{root}: {what}: set data.path to a folder with one sub-folder per class")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(f"{root}: no sub-folders: put the images into one sub-folder per class")
    listed = [(k, f) for k, folder in enumerate(folders) for f in _images_in(folder)]
    results = _decode_all([f for _, f in listed], size, color, progress, cancel, workers)
    images, labels, classes, skipped, found = [], [], [], [], set()
    for (k, f), (img, why) in zip(listed, results, strict=True):
        if img is None:
            skipped.append(f"{f.relative_to(root)} ({why})")
        else:
            images.append(img)
            labels.append(k)
            found.add(k)
    empty = [folders[k].name for k in range(len(folders)) if k not in found]
    remap = {k: i for i, k in enumerate(sorted(found))}
    classes = [folders[k].name for k in sorted(found)]
    labels = [remap[k] for k in labels]
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


def _images_in(folder: Path) -> list[Path]:
    """The image files under ``folder`` (nested folders too; no hidden files), in path order."""
    found = []
    for top, _dirs, names in os.walk(folder):
        found.extend(os.path.join(top, n) for n in names
                     if os.path.splitext(n)[1].lower() in IMAGE_FORMATS and not n.startswith("."))
    start = len(str(folder)) + 1
    found.sort(key=lambda p: p[start:].split(os.sep))  # as Paths sort: part by part
    return [Path(p) for p in found]


def _decode_all(files: list[Path], size: int, color: str, progress: Progress, cancel: Cancel,
                workers: int | None) -> list[tuple[np.ndarray | None, str]]:
    """(pixels, why skipped) of every file, in order: on a pool of threads, or of processes
    for many files on several cores."""
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(files) >= PROCESS_MIN:
        try:
            return _decode_in_processes(files, size, color, progress, cancel, workers)
        except (OSError, RuntimeError) as e:  # no processes here (BrokenProcessPool too)
            warnings.warn(f"decoding images on threads: worker processes failed ({e})",
                          RuntimeWarning, stacklevel=2)
    out: list = []
    step = 16 * workers  # files handed out between cancel checks, 16 to a task
    with ThreadPoolExecutor(workers) as pool:
        for lo in range(0, len(files), step):
            check_cancel(cancel)
            tasks = [files[i:i + 16] for i in range(lo, min(lo + step, len(files)), 16)]
            for done in pool.map(_decode_chunk, tasks, [size] * len(tasks),
                                 [color] * len(tasks)):
                out.extend(done)
            report_progress(progress, len(out), len(files))
    return out


def _decode_chunk(files: list[Path], size: int, color: str) -> list:
    return [_read_image(f, size, color) for f in files]


_POOL: list = []  # the decoder processes, started on first use and kept for later loads


def _decoder_pool(workers: int):
    import atexit
    import concurrent.futures as cf
    import multiprocessing

    if _POOL and _POOL[0][1] == workers:
        return _POOL[0][0]
    _drop_pool()
    pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    if not _POOL_EXIT:
        atexit.register(_drop_pool)
        _POOL_EXIT.append(True)
    _POOL.append((pool, workers))
    return pool


_POOL_EXIT: list = []


def _drop_pool(terminate: bool = False) -> None:
    """Stop the decoder processes (at exit; at once when a load is cancelled)."""
    while _POOL:
        pool, _ = _POOL.pop()
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes if terminate else ():
            proc.terminate()
        for proc in processes:
            proc.join(5)


def _decode_in_processes(files, size, color, progress, cancel, workers) -> list:
    """As the threads do, in ``workers`` spawned processes (safe beside the window's threads,
    kept for the next load); a cancel stops them at once."""
    import concurrent.futures as cf

    chunks = [files[i:i + PROCESS_CHUNK] for i in range(0, len(files), PROCESS_CHUNK)]
    pool = _decoder_pool(workers)
    out: list = []
    try:
        futures = [pool.submit(_decode_chunk, chunk, size, color) for chunk in chunks]
        for future in futures:
            while True:
                check_cancel(cancel)
                try:
                    out.extend(future.result(timeout=0.1))
                    break
                except cf.TimeoutError:
                    continue
            report_progress(progress, len(out), len(files))
    except BaseException:
        _drop_pool(terminate=True)
        raise
    return out


def _read_image(path: Path, size: int, color: str) -> tuple[np.ndarray | None, str]:
    """(pixels, "") or (None, why it was skipped)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                expected = IMAGE_FORMATS[path.suffix.lower()]
                if FORMAT_ALIASES.get(img.format, img.format) != expected:
                    return None, f"not a {expected} file but {img.format}"
                if img.width * img.height > MAX_PIXELS:
                    return None, f"too large ({img.width}x{img.height} pixels)"
                if expected == "JPEG" and img.mode in ("RGB", "L"):  # decode at 1/2, 1/4, 1/8
                    img.draft("L" if color == "grayscale" else img.mode, (DRAFT * size,) * 2)
                img.load()
                if "exif" in img.info:  # turned upright as the camera held it
                    img = ImageOps.exif_transpose(img)
                if img.mode.startswith(("I", "F")):
                    img = _to_8bit(img)
                if img.mode in ("P", "PA", "LA", "RGBA", "CMYK", "YCbCr", "1"):
                    img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in
                                      img.info else "RGB")
                mode = "L" if color == "grayscale" else "RGB"
                if img.mode != mode:
                    img = img.convert(mode)
                img = img.resize((size, size), Image.Resampling.BILINEAR)
                return np.asarray(img, dtype=np.uint8), ""
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, "too large (decompression-bomb guard)"
    except Exception as e:  # Pillow's decoders raise many types for damaged files
        if _empty(path):
            return None, "empty file"
        return None, "truncated" if "truncated" in str(e) else "unreadable"


def _empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


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
    read_file(path, "path", keep=False)  # exists, a regular file, not empty, within the limit
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from None
    if magic == b"\x93NUMPY":
        raise DataError(f"{path}: a single .npy array, not an .npz archive: save with "
                        "numpy.savez(path, X=..., y=...)")
    if magic[:1] == b"\x80":
        raise DataError(f"{path}: a Python pickle, which is not loaded for safety: save plain "
                        "numeric arrays with numpy.savez(path, X=..., y=...)")
    if magic[:4] != b"PK\x03\x04":
        raise DataError(f"{path}: not an .npz file (an .npz is a zip archive of arrays): save "
                        "with numpy.savez(path, X=..., y=...)")
    declared = 0  # bytes the two arrays inflate to
    try:
        with np.load(path, allow_pickle=False) as npz:  # inflated straight into the arrays
            for key in (x_key, y_key):
                if key not in npz.files:
                    raise DataError(f"{path}: no array named {key!r} (has: "
                                    f"{', '.join(npz.files) or 'none'}): save with "
                                    "numpy.savez(path, X=..., y=...)")
                _check_member(npz.zip, key, path)
                declared += npz.zip.getinfo(f"{key}.npy").file_size
            X, y = npz[x_key], npz[y_key]
    except DataError:
        raise
    except MemoryError:
        raise out_of_memory(path, declared) from None
    except ValueError as e:
        if "pickle" in str(e):
            raise DataError(f"{path}: holds Python objects, which are not loaded for safety: "
                            "save plain numeric arrays") from None
        raise DataError(f"{path}: not a readable .npz file ({e})") from None
    except Exception as e:  # zipfile, zlib and format errors of a damaged file
        raise DataError(f"{path}: not a readable .npz file ({type(e).__name__}): save it with "
                        "numpy.savez") from None
    return _arrays(path, X, y, task, (x_key, y_key))


def _check_member(archive, key: str, path: Path) -> None:
    """Refuse an array whose zip entry or .npy header declares more than MAX_ARRAY_BYTES, or
    more values than its entry holds, before it is inflated or allocated."""
    info = archive.getinfo(key + ".npy")
    if info.file_size > MAX_ARRAY_BYTES:
        raise DataError(f"{path}: array {key!r} inflates to {info.file_size / 2**30:.1f} GiB, more "
                        f"than the {MAX_ARRAY_BYTES >> 30} GiB allowed: use a smaller sample")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read(member)
        need = math.prod(shape) * dtype.itemsize
    if need > info.file_size:
        raise DataError(f"{path}: array {key!r} declares shape {shape} ({need} bytes) but holds "
                        f"{info.file_size} bytes: the file is damaged, save it again")


def _arrays(path: Path, X: np.ndarray, y: np.ndarray, task: str | None,
            names: tuple[str, str] = ("X", "y")) -> Raw:
    """Checked features or images and labels; ``names`` says what X and y are called in errors.
    Tables keep their numeric dtype (no copy here: the split makes the one copy)."""
    x_name, y_name = names
    if X.ndim == 0 or y.ndim == 0:
        raise DataError(f"{path}: {x_name} and {y_name} must be arrays with one row per sample "
                        f"(got shapes {X.shape} and {y.shape}): save with "
                        "numpy.savez(path, X=..., y=...)")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != len(X):
        raise DataError(f"{path}: {y_name} must have shape ({len(X)},) to match {x_name} {X.shape} "
                        f"(got {y.shape})")
    if X.dtype.kind not in "biuf":
        raise DataError(f"{path}: {x_name} must be numeric (got dtype {X.dtype})")
    if X.ndim == 2:
        if X.shape[1] == 0:
            raise DataError(f"{path}: {x_name} has no columns (shape {X.shape}): save at least one "
                            "feature column")
        if X.dtype.kind == "f" and not np.isfinite(X).all():
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
    scale = 1.0 if X.dtype == np.uint8 or X.max(initial=0) > 1.0 else 255.0
    return Raw(path.stem, task, ys, classes, images=_to_uint8(X, path), raw_scale=scale)


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
    """One IDX array, gzip-compressed or raw (detected by the magic bytes); what the header
    declares is checked against MAX_ARRAY_BYTES before anything is inflated. The values land
    in one buffer (gzip: inflated into it a piece at a time); only a multi-byte type stored
    big-endian is converted (one copy)."""
    path = Path(path)
    data = read_file(path, what, writable=True)  # raw files: the array views these bytes
    stream = _Gunzip(data, path) if data[:2] == b"\x1f\x8b" else None
    start = stream.read(4 + 4 * 4) if stream else data[:4 + 4 * 4]
    if len(start) < 4 or start[:2] != b"\0\0" or start[2] not in IDX_TYPES or not 1 <= start[3] <= 4:
        raise DataError(f"{path}: not an IDX file (bad magic number): data.{what} needs an "
                        "MNIST-format file such as train-images-idx3-ubyte(.gz)")
    ndim = start[3]
    head = 4 + 4 * ndim
    if len(start) < head:
        raise DataError(f"{path}: truncated IDX header: download the file again")
    dims = [int.from_bytes(start[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(IDX_TYPES[start[2]])
    need = math.prod(dims) * dtype.itemsize
    shape = "x".join(map(str, dims))
    if need > MAX_ARRAY_BYTES:
        raise DataError(f"{path}: the header declares {shape} values ({need / 2**30:.1f} GiB), "
                        f"more than the {MAX_ARRAY_BYTES >> 30} GiB allowed: use a smaller file")
    if stream:
        try:
            body, got = stream.into(start[head:], need)
        except MemoryError:
            raise out_of_memory(path, need) from None
        values = np.frombuffer(body, dtype)
    else:
        got = len(data) - head
        values = np.frombuffer(data, dtype, count=need // dtype.itemsize, offset=head) \
            if got == need else None
    if got != need:
        held = f"more than {need}" if got > need else str(got)
        raise DataError(f"{path}: the header promises {shape} values ({need} bytes) but the file "
                        f"holds {held} bytes: download it again")
    return values.reshape(dims).astype(dtype.newbyteorder("="), copy=False)


class _Gunzip:
    """A gzip stream inflated a piece at a time: neither the input nor the output is ever
    copied whole (zlib's ``unconsumed_tail`` would copy the rest of the input at each call)."""

    IN, OUT = 1 << 20, 1 << 22

    def __init__(self, data, path: Path):
        self.z, self.src, self.pos, self.path = zlib.decompressobj(wbits=31), memoryview(data), 0, path

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only where the stream ends)."""
        parts, got = [], 0
        try:
            while got < n and not self.z.eof:
                tail = self.z.unconsumed_tail
                if not tail and self.pos < len(self.src):
                    tail = self.src[self.pos:self.pos + self.IN]
                    self.pos += self.IN
                chunk = self.z.decompress(tail, n - got)
                if not chunk and not tail:
                    break
                parts.append(chunk)
                got += len(chunk)
        except zlib.error as e:
            raise DataError(f"{self.path}: damaged gzip file ({e}): download it again") from None
        return b"".join(parts)

    def into(self, first: bytes, need: int) -> tuple[bytearray, int]:
        """(buffer of ``need`` bytes, bytes the stream holds: ``need + 1`` when it holds more)."""
        body = bytearray(need)
        view = memoryview(body)
        got = min(len(first), need)
        view[:got] = first[:got]
        more = len(first) > need
        while got < need and not more:
            chunk = self.read(min(self.OUT, need - got))
            if not chunk:
                break
            view[got:got + len(chunk)] = chunk
            got += len(chunk)
        more = more or bool(got == need and self.read(1))
        if got < need and not self.z.eof:
            raise DataError(f"{self.path}: damaged gzip file (it ends early): download it again")
        return body, got + more


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
