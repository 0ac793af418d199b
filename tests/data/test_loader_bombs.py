"""Data files that inflate far beyond their size (issue 17): an .npz of 17 MB whose X declares
4 GB, and an IDX gzip of 17 MB declaring 4 GB of images, loaded by ``regstudio train`` under a
memory limit (RLIMIT_AS) in a subprocess: one line, exit status 2, never a traceback or a
process killed for memory."""

import gzip
import io
import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

N = 1_000_000  # samples: X is N x 1000 float32 (4.0 GB), the images N x 64 x 64 uint8 (4.1 GB)


def _zeros(fh, n_bytes):
    chunk = bytes(64 << 20)
    while n_bytes:
        fh.write(chunk[:min(n_bytes, len(chunk))])
        n_bytes -= min(n_bytes, len(chunk))


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data_bombs")
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(header, {"descr": "<f4", "fortran_order": False, "shape": (N, 1000)})
    with zipfile.ZipFile(folder / "bomb.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("X.npy", "w", force_zip64=True) as fh:
            fh.write(header.getvalue())
            _zeros(fh, N * 1000 * 4)
        y = io.BytesIO()
        np.save(y, (np.arange(N) % 2).astype(np.int8))
        z.writestr("y.npy", y.getvalue())
    dims = (N, 64, 64)
    with gzip.open(folder / "images.gz", "wb", compresslevel=1) as g:
        g.write(b"\0\0\x08\x03" + b"".join(d.to_bytes(4, "big") for d in dims))
        _zeros(g, N * 64 * 64)
    with gzip.open(folder / "labels.gz", "wb") as g:
        g.write(b"\0\0\x08\x01" + N.to_bytes(4, "big") + bytes(N))
    configs = {"npz": {"source": "npz", "path": "bomb.npz"},
               "idx": {"source": "idx", "images": "images.gz", "labels": "labels.gz"}}
    for name, data in configs.items():
        (folder / f"{name}.json").write_text(json.dumps({"data": data, "model": {"layers": [{"type": "dense"}]}}))
    return folder


def _train_under_memory_limit(config, extra_mb=1500):
    code = textwrap.dedent(f"""
        import resource, sys
        vm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmSize"))
        limit = vm * 1024 + {extra_mb} * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from regstudio.cli import main
        sys.exit(main(["train", {str(config)!r}, "--out", {str(config.parent / "out")!r}]))
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def _one_line_refusal(proc, name):
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-1500:]
    assert proc.stderr.startswith("regstudio: error: ") and name in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_an_npz_declaring_4_gb_is_one_line_under_a_memory_limit(bombs):
    assert (bombs / "bomb.npz").stat().st_size < 32 * 2**20
    proc = _train_under_memory_limit(bombs / "npz.json")
    _one_line_refusal(proc, "bomb.npz")
    assert "do not fit in the memory available" in proc.stderr


def test_an_idx_gzip_declaring_4_gb_is_one_line_under_a_memory_limit(bombs):
    assert (bombs / "images.gz").stat().st_size < 32 * 2**20
    proc = _train_under_memory_limit(bombs / "idx.json")
    _one_line_refusal(proc, "images.gz")
    assert "do not fit in the memory available" in proc.stderr
