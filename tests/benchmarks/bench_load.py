"""Loading the analyst's own data (issue 16): tables, arrays, images, and the window meanwhile.

    python tests/benchmarks/bench_load.py [--rows 200000,1000000] [--repeats 3] [--images 3000]

- CSV to a ready dataset (parse, encode, impute, split, standardise) vs ``pandas.read_csv`` +
  ``get_dummies`` on the same file: 6 numeric columns, 2 text columns, a few missing cells;
- peak memory of that load in a child process (``resource.getrusage`` maxrss) vs the file size;
- a 60,000 x 784 float32 NPZ with standardisation off vs ``numpy.load`` of its arrays;
- an image folder of JPEG crops of the photos in resources/photos (200x150, resized to 32)
  vs a one-core Pillow ``draft`` + bilinear resize loop;
- the same largest CSV with every field quoted (pandas tokenises it; no csv module);
- what a change costs once the file is parsed (the window keeps the parse): seed, validation
  share, an ignored column, another target;
- Cancel: seconds from Cancel to the end of the loading thread, while the file is parsed and
  while it is encoded and split (``load_for_window``, as the window runs it);
- event-loop p95 latency of the main window (a child process, offscreen) while the largest
  CSV loads in the background.

The things compared are interleaved and each timed the best of ``--repeats``; ratios are
printed (above 1: ours is slower / larger). Targets: CSV within 3x, memory at most 3x the
file, images at least 1.5x the Pillow loop, Cancel within 1 s, p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "resources" / "photos"


def make_csv(path: Path, rows: int) -> None:
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, 6)).round(4), columns=[f"x{i}" for i in range(6)])
    frame["colour"] = np.array(["red", "green", "blue", "amber"])[rng.integers(0, 4, rows)]
    frame["size"] = np.array(["S", "M", "L"])[rng.integers(0, 3, rows)]
    frame.loc[rng.random(rows) < 0.001, "x2"] = np.nan
    frame["y"] = np.array(["yes", "no"])[(frame["x0"] + rng.normal(size=rows) > 0).astype(int)]
    frame.to_csv(path, index=False)


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def interleaved(fns: dict, repeats: int) -> dict:
    """Best time of each function, the functions run in turn ``repeats`` times."""
    out = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            out[k] = min(out[k], best(fn, 1))
    return out


def ours_csv(path: Path):
    from regstudio.data import cache, load_dataset

    cache.clear()
    return load_dataset({"source": "table", "path": str(path), "target": "y"})


def pandas_csv(path: Path):
    import pandas as pd

    return pd.get_dummies(pd.read_csv(path))


# Linux keeps ru_maxrss across exec (a child starts with the parent's peak): the child reads
# its own high-water mark, VmHWM, which is what getrusage's maxrss reports for a fresh process.
PEAK = """
import resource, sys
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from regstudio.data import load_dataset
import pandas, regstudio.data.table, regstudio.data.encode
base = hwm()
ds = load_dataset({"source": "table", "path": sys.argv[1], "target": "y"})
print(base, hwm())
"""


def peak_memory(path: Path) -> tuple[float, float]:
    """(peak resident MB of the whole process, MB above the imports) loading ``path``."""
    out = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True,
                         check=True).stdout.split()
    base, peak = (int(v) / 1024 for v in out)
    return peak, peak - base


def bench_tables(folder: Path, rows_list: list[int], repeats: int) -> Path:
    path = None
    for rows in rows_list:
        path = folder / f"t{rows}.csv"
        make_csv(path, rows)
        size = path.stat().st_size / 2**20
        t = interleaved({"ours": lambda p=path: ours_csv(p), "pandas": lambda p=path: pandas_csv(p)},
                        repeats)
        peak, above = peak_memory(path)
        print(f"csv {rows:>9,} rows ({size:.0f} MB): ours {t['ours']:.2f} s, pandas read_csv + "
              f"get_dummies {t['pandas']:.2f} s, ratio {t['ours'] / t['pandas']:.2f}x (target <= 3)")
        print(f"csv {rows:>9,} rows: peak memory {peak:.0f} MB ({above:.0f} MB above the "
              f"imports) = {above / size:.2f}x the file (target <= 3; whole process "
              f"{peak / size:.2f}x)")
    return path


def bench_quoted(folder: Path, path: Path, repeats: int) -> None:
    import pandas as pd

    quoted = folder / "quoted.csv"
    pd.read_csv(path).to_csv(quoted, index=False, quoting=1)  # csv.QUOTE_ALL
    t = interleaved({"ours": lambda: ours_csv(quoted), "pandas": lambda: pandas_csv(quoted)},
                    repeats)
    print(f"csv, every field quoted ({quoted.stat().st_size / 2**20:.0f} MB): ours "
          f"{t['ours']:.2f} s, pandas {t['pandas']:.2f} s, ratio {t['ours'] / t['pandas']:.2f}x")


def bench_changes(path: Path, repeats: int) -> None:
    """After the parse: the cost of each change the user makes in the Data panel."""
    from regstudio.data import cache, dataset_from_raw, inspect_table, load_raw

    base = {"source": "table", "path": str(path), "target": "y"}

    def load(cfg):
        inspect_table(path, cfg, use_cache=True)
        return dataset_from_raw(load_raw(cfg, cache=True), cfg)

    cache.clear()
    t = time.perf_counter()
    load(base)
    first = time.perf_counter() - t
    changes = {"seed": {**base, "seed": 5}, "validation share": {**base, "val_fraction": 0.2},
               "ignore a column": {**base, "ignore": ["x3"]},
               "another target": {**base, "target": "colour"}}
    got = {k: best(lambda c=c: load(c), repeats) for k, c in changes.items()}
    print("after the parse (" + f"first load {first:.2f} s): "
          + ", ".join(f"{k} {v:.2f} s" for k, v in got.items()))
    cache.clear()


def bench_cancel(path: Path) -> None:
    """Seconds from Cancel to the end of the loading thread, in each phase of the load."""
    import threading

    from regstudio.data import cache
    from regstudio.ui.data_loader import load_for_window

    cfg = {"source": "table", "path": str(path), "target": "y"}
    for moment in ("reading", "encoding"):
        cache.clear()
        stop, seen, out = threading.Event(), [], {}

        def phase(name, moment=moment, seen=seen, stop=stop):
            seen.append(name)

        def progress(done, total, moment=moment, seen=seen, stop=stop, out=out):
            if seen[-1:] == [moment] and done >= total // 3 and not stop.is_set():
                out["at"] = time.perf_counter()
                stop.set()

        def run(out=out, stop=stop, progress=progress, phase=phase):
            out["loaded"] = load_for_window(cfg, None, progress, stop, phase)

        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
        late = time.perf_counter() - out["at"] if "at" in out else float("nan")
        loaded = out["loaded"]
        print(f"cancel a third into {moment} {path.name}: the thread ended {late * 1000:.0f} ms "
              f"after Cancel (target < 1000); cancelled {loaded.cancelled}, dataset delivered "
              f"{loaded.dataset is not None}")
    cache.clear()


def bench_npz(folder: Path, repeats: int) -> None:
    from regstudio.data import load_dataset

    rng = np.random.default_rng(0)
    path = folder / "arrays.npz"
    np.savez(path, X=rng.random((60_000, 784), dtype=np.float32), y=rng.integers(0, 10, 60_000))
    cfg = {"source": "npz", "path": str(path), "standardize": False}

    def plain():
        with np.load(path) as f:
            return f["X"], f["y"]

    t = interleaved({"ours": lambda: load_dataset(cfg), "numpy": plain}, repeats)
    print(f"npz 60,000 x 784 float32 ({path.stat().st_size / 2**20:.0f} MB), standardize off: "
          f"ours {t['ours']:.2f} s, numpy.load {t['numpy']:.2f} s, ratio "
          f"{t['ours'] / t['numpy']:.2f}x")


def make_images(folder: Path, n: int) -> Path:
    from PIL import Image

    photos = [Image.open(p).convert("RGB") for p in sorted(PHOTOS.glob("*"))
              if p.suffix.lower() in (".png", ".jpg", ".jpeg")]
    rng = np.random.default_rng(0)
    root = folder / "images"
    for i in range(n):
        photo = photos[i % len(photos)]
        x = int(rng.integers(0, max(1, photo.width - 200)))
        y = int(rng.integers(0, max(1, photo.height - 150)))
        sub = root / f"class{i % len(photos)}"
        sub.mkdir(parents=True, exist_ok=True)
        photo.crop((x, y, x + 200, y + 150)).save(sub / f"{i:05d}.jpg", quality=90)
    return root


def pillow_loop(root: Path, size: int) -> np.ndarray:
    from PIL import Image

    out = []
    for p in sorted(root.rglob("*.jpg")):
        with Image.open(p) as im:
            im.draft("RGB", (size, size))
            out.append(np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR)))
    return np.stack(out)


def bench_images(folder: Path, n: int, repeats: int) -> None:
    from regstudio.data import load_dataset, loaders

    root = make_images(folder, n)
    cfg = {"source": "images", "path": str(root), "size": 32}
    loaders.read_image_folder(root, 32)  # start the decoder processes (kept between loads)
    t = interleaved({"ours": lambda: load_dataset(cfg), "pillow": lambda: pillow_loop(root, 32),
                     "folder": lambda: loaders.read_image_folder(root, 32),
                     "one": lambda: loaders.read_image_folder(root, 32, workers=1)}, repeats)
    print(f"images {n:,} JPEG 200x150 -> 32x32 on {os.cpu_count()} cores: ours "
          f"{n / t['ours']:,.0f} images/s, one-core Pillow draft + bilinear {n / t['pillow']:,.0f} "
          f"images/s, speed-up {t['pillow'] / t['ours']:.2f}x (target >= 1.5); the decoding "
          f"alone {t['pillow'] / t['folder']:.2f}x; our decoder on one thread "
          f"{t['pillow'] / t['one']:.2f}x")


LATENCY = """
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from regstudio.ui.main_window import MainWindow
win = MainWindow(restore=False)
win.show()
win.state.reload_dataset()
for _ in range(20):
    app.processEvents()
ticks = []
timer = QTimer()
timer.setInterval(10)
timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
timer.start()
t0 = time.perf_counter()
win.state.set_section("data", {"source": "table", "path": sys.argv[1], "target": "y"})
win.state.loader.load()
while win.state.loader.loading:
    app.processEvents()
    time.sleep(0.001)
seconds = time.perf_counter() - t0
gaps = [b - a for a, b in zip(ticks, ticks[1:])]
print(json.dumps({"seconds": seconds, "gaps": gaps, "error": win.state.dataset_error,
                  "samples": win.state.samples}))
win.close()
"""


def bench_latency(path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", LATENCY, str(path)], capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()[-1]
    got = json.loads(out)
    gaps = np.array(got["gaps"]) * 1000 - 10  # the latency beyond the 10 ms timer interval
    print(f"window while {got['samples']:,} rows load in the background ({got['seconds']:.1f} s): "
          f"event-loop latency p50 {np.percentile(gaps, 50):.1f} ms, p95 "
          f"{np.percentile(gaps, 95):.1f} ms, max {gaps.max():.0f} ms (target p95 < 50)"
          + (f" error: {got['error']}" if got["error"] else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="200000,1000000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--only", default="tables,quoted,changes,cancel,npz,images,latency")
    args = parser.parse_args()
    only = set(args.only.split(","))
    rows = [int(r) for r in args.rows.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        biggest = None
        if only & {"tables", "quoted", "changes", "cancel", "latency"}:
            biggest = bench_tables(folder, rows if "tables" in only else rows[-1:], args.repeats)
        if "quoted" in only:
            bench_quoted(folder, biggest, args.repeats)
        if "changes" in only:
            bench_changes(biggest, args.repeats)
        if "cancel" in only:
            bench_cancel(biggest)
        if "npz" in only:
            bench_npz(folder, args.repeats)
        if "images" in only:
            bench_images(folder, args.images, args.repeats)
        if "latency" in only:
            bench_latency(biggest)


if __name__ == "__main__":
    main()
