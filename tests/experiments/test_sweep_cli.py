"""``regstudio sweep`` on the command line: the columns of sweep.csv, sweep.json's choices keyed
as its rows, limits refused before any work, the result set written like ``regstudio train``'s
(sweep.json last, a full disk named, leftovers removed), Ctrl-C keeping the finished fits, and
the Dask executor's cancel reaching running fits."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from regstudio.cli import main
from regstudio.experiments import export
from regstudio.experiments.sweep import MAX_FITS, MAX_FOLDS, MAX_REPEATS, Sweep

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ["param", "value", "best_epoch", "best_val_loss", "train_loss_at_best", "val_acc_at_best",
            "seconds"]


@pytest.fixture
def config_file(moons_config, tmp_path):
    moons_config["training"]["epochs"] = 4
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(moons_config))
    return path


def sweep(config_file, out, *extra):
    return main(["sweep", str(config_file), "--param", "regularization.l2", "--values", "1e-4,1e-1",
                 "--workers", "1", "--out", str(out), *extra])


def header(path):
    return next(csv.reader(io.StringIO(path.read_text())))


def test_without_repeats_or_folds_the_seven_contract_columns_come_first(config_file, tmp_path):
    assert sweep(config_file, tmp_path / "o") == 0
    columns = header(tmp_path / "o" / "sweep.csv")
    assert columns[:7] == CONTRACT
    assert columns[7:] == ["n", "best_val_loss_std", "best_val_loss_se", "val_acc_at_best_std",
                           "penalty_at_best", "train_loss_at_best_std", "train_loss_at_best_se",
                           "val_acc_at_best_se"]


@pytest.mark.parametrize("extra", [[], ["--repeats", "2"]])
def test_best_and_one_se_have_exactly_the_keys_of_a_sweep_csv_row(config_file, tmp_path, extra):
    assert sweep(config_file, tmp_path / "o", *extra) == 0
    columns = header(tmp_path / "o" / "sweep.csv")
    saved = json.loads((tmp_path / "o" / "sweep.json").read_text())
    rows = list(csv.DictReader((tmp_path / "o" / "sweep.csv").open()))
    chosen = [saved["best"]] + ([saved["one_se"]] if saved["one_se"] else [])
    assert extra == [] or saved["one_se"] is not None
    for point in chosen + saved["points"]:
        assert sorted(point) == sorted(columns)
    row = next(r for r in rows if float(r["value"]) == saved["best"]["value"])
    assert float(row["best_val_loss"]) == saved["best"]["best_val_loss"]


def test_bad_counts_are_refused_before_any_work(config_file, tmp_path, capsys, monkeypatch):
    started = []
    monkeypatch.setattr(Sweep, "load", lambda self: started.append(self))
    huge = "1" + "0" * 400
    cases = [
        (["--repeats", "0"], f"--repeats: must be from 1 to {MAX_REPEATS} (got 0)"),
        (["--repeats", "-3"], f"--repeats: must be from 1 to {MAX_REPEATS} (got -3)"),
        (["--repeats", "100000000"], f"--repeats: must be from 1 to {MAX_REPEATS} (got 100000000)"),
        (["--repeats", huge], f"--repeats: must be from 1 to {MAX_REPEATS} (got an integer of about 401 digits)"),
        (["--folds", "1"], f"--folds: must be from 2 to {MAX_FOLDS}"),
        (["--folds", huge], f"--folds: must be from 2 to {MAX_FOLDS}"),
    ]
    for extra, message in cases:
        assert sweep(config_file, tmp_path / "o", *extra) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    many = ",".join(str(1e-5 * (i + 1)) for i in range(MAX_FITS // 500 + 1))
    assert main(["sweep", str(config_file), "--param", "regularization.l2", "--values", many,
                 "--repeats", "500", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"this sweep would train {(MAX_FITS // 500 + 1) * 500:,} networks" in err
    assert f"at most {MAX_FITS:,}" in err
    assert started == [] and not (tmp_path / "o").exists()


def test_seeds_beyond_the_range_are_refused_before_the_folder_is_made(config_file, tmp_path, capsys):
    cfg = json.loads(config_file.read_text())
    cfg["training"]["seed"] = 2**31 - 2
    config_file.write_text(json.dumps(cfg))
    assert sweep(config_file, tmp_path / "o", "--repeats", "3") == 2
    err = capsys.readouterr().err
    assert "--repeats 3: the training seeds 2147483646..2147483648 do not all fit" in err
    assert "training.seed" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_sweep_json_is_written_last(config_file, tmp_path, monkeypatch):
    order = []
    real = export.atomic_write
    monkeypatch.setattr(export, "atomic_write", lambda path, data: (order.append(path.name), real(path, data)))
    assert sweep(config_file, tmp_path / "o") == 0
    assert order == ["sweep.csv", "sweep_fits.csv", "sweep.json"]


@pytest.mark.parametrize(("failing_call", "name"), [(1, "sweep.csv"), (2, "sweep_fits.csv"), (3, "sweep.json")])
def test_a_full_disk_names_the_file_and_leaves_no_sweep_json(config_file, tmp_path, disk_full_at, capsys,
                                                             failing_call, name):
    out = tmp_path / "o"
    assert sweep(config_file, out) == 0  # an earlier complete set, replaced with --force
    (out / ".sweep.csv.old123.tmp").write_text("half")  # left by an interrupted write
    (out / ".mine.tmp").write_text("not ours")
    capsys.readouterr()
    disk_full_at(failing_call)
    assert sweep(config_file, out, "--force") == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"regstudio: error: {out / name}: could not be written (No space left on device); the "
                   "folder holds no complete result (no sweep.json); free some space or choose another --out")
    assert not (out / "sweep.json").exists()
    assert sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp")) == [".mine.tmp"]


def test_workers_with_a_scheduler_prints_a_note(config_file, tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        assert main(["sweep", str(config_file), "--param", "regularization.l2", "--values", "1e-3",
                     "--workers", "4", "--scheduler", cluster.scheduler_address,
                     "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "regstudio: note: --workers 4 is not used with --scheduler: the Dask cluster's workers run " \
           "the fits" in err


def test_ctrl_c_keeps_the_finished_fits(moons_config, tmp_path):
    """Ctrl-C in a terminal reaches the whole process group, the pool's processes too: the sweep
    stops, and the fits that had finished are written, marked cancelled (exit status 130)."""
    moons_config["training"]["epochs"] = 5
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(moons_config))
    out = tmp_path / "o"
    proc = subprocess.Popen(
        [sys.executable, "-m", "regstudio", "sweep", str(path), "--param", "training.epochs",
         "--values", "3,100000", "--workers", "2", "--out", str(out)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        first = proc.stdout.readline()  # the short point has finished
        assert first.startswith("training.epochs=3: best epoch"), first + proc.stderr.read()
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    saved = json.loads((out / "sweep.json").read_text())
    assert saved["cancelled"] is True and [f["value"] for f in saved["fits"]] == [3]
    assert [r["value"] for r in csv.DictReader((out / "sweep.csv").open())] == ["3"]
    assert "cancelled: 1 of 2 fits finished" in stdout


def test_a_dask_cancel_stops_the_running_fits(moons_config):
    distributed = pytest.importorskip("distributed")
    moons_config["training"]["epochs"] = 100_000
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster.scheduler_address) as client:

        def executing():
            return sum(client.run(lambda dask_worker: dask_worker.state.executing_count).values())

        sweep = Sweep(moons_config, "regularization.l2", [1e-4, 1e-3], "dask",
                      scheduler=cluster.scheduler_address)
        worker = threading.Thread(target=sweep.run)
        worker.start()
        deadline = time.monotonic() + 60
        while executing() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert executing() == 1  # a fit is training
        sweep.cancel()
        worker.join(60)
        assert not worker.is_alive() and sweep.result.cancelled and sweep.result.fits == []
        assert executing() == 0  # the running fit stopped: its worker is free for the next sweep
        moons_config["training"]["epochs"] = 2
        assert len(Sweep(moons_config, "regularization.l2", [1e-3], "dask",
                         scheduler=cluster.scheduler_address).run()) == 1
