"""Sweeps give the same numbers on every executor; cancelling leaves no processes behind."""

import importlib.util
import multiprocessing
import threading
import time

import pytest

from regstudio.experiments.config import ConfigError
from regstudio.experiments.sweep import Sweep, log_grid, parse_values, sweep_csv

VALUES = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]  # 8 values, as issue 5 asks


def numbers(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.fixture
def sweep_config(moons_config):
    moons_config["training"]["epochs"] = 6
    return moons_config


def test_serial_and_process_pool_agree(sweep_config):
    serial = Sweep(sweep_config, "regularization.l2", VALUES, "serial").run()
    pooled = Sweep(sweep_config, "regularization.l2", VALUES, "process", workers=2).run()
    assert numbers(serial) == numbers(pooled)
    assert [r["value"] for r in serial] == VALUES
    csv_text = sweep_csv(serial)
    assert csv_text.splitlines()[0] == ("param,value,best_epoch,best_val_loss,train_loss_at_best,"
                                        "val_acc_at_best,seconds")


def test_dask_local_cluster_agrees_with_serial(sweep_config):
    distributed = pytest.importorskip("distributed")
    serial = Sweep(sweep_config, "regularization.l2", VALUES, "serial").run()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = Sweep(sweep_config, "regularization.l2", VALUES, "dask",
                       scheduler=cluster.scheduler_address).run()
    assert numbers(remote) == numbers(serial)


def test_cancel_stops_the_pool_and_leaves_no_processes(sweep_config):
    sweep_config["training"]["epochs"] = 3000
    sweep = Sweep(sweep_config, "regularization.l2", VALUES * 2, "process", workers=2)
    worker = threading.Thread(target=sweep.run)
    worker.start()
    time.sleep(3)  # let the spawned workers start training
    sweep.cancel()
    worker.join(20)
    assert not worker.is_alive()
    deadline = time.time() + 10
    while multiprocessing.active_children() and time.time() < deadline:
        time.sleep(0.1)
    assert multiprocessing.active_children() == []


def test_bad_parameter_and_values_are_clear(sweep_config):
    with pytest.raises(ConfigError, match="--param: regularization.l9 is not a key"):
        Sweep(sweep_config, "regularization.l9", VALUES, "serial")
    with pytest.raises(ConfigError, match="regularization.l2 must be a number from"):
        Sweep(sweep_config, "regularization.l2", [-1.0], "serial")
    with pytest.raises(ConfigError, match="'abc' is not a number"):
        parse_values("1e-3,abc")
    assert parse_values("1e-5, 3, 0.5") == [1e-5, 3, 0.5]


def test_log_grid_spans_the_range():
    assert log_grid(1e-5, 1e-1, 5) == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]


# -- repeats, folds, grids, shipped data (issue 19) -------------------------------------------
import csv  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402

from regstudio.cli import main  # noqa: E402
from regstudio.experiments.project import ProjectError  # noqa: E402
from regstudio.experiments.sweep import SweepResult  # noqa: E402


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def without_seconds(text):
    rows = read_csv(text)
    return [{k: v for k, v in r.items() if not k.startswith("seconds")} for r in rows]


def test_point_numbers_are_the_mean_std_and_se_of_sweep_fits(sweep_config, tmp_path, capsys):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(sweep_config))
    assert main(["sweep", str(path), "--param", "regularization.l2", "--values", "1e-4,1e-2,1",
                 "--repeats", "3", "--workers", "1", "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    points = read_csv((tmp_path / "o" / "sweep.csv").read_text())
    fits = read_csv((tmp_path / "o" / "sweep_fits.csv").read_text())
    assert [(f["value"], f["repeat"], f["seed"]) for f in fits] == [
        (v, str(r), str(r)) for v in ("0.0001", "0.01", "1") for r in range(3)]
    for point in points:
        mine = [f for f in fits if f["value"] == point["value"]]
        losses = [float(f["best_val_loss"]) for f in mine]
        assert int(point["n"]) == 3
        assert float(point["best_val_loss"]) == pytest.approx(statistics.mean(losses), rel=1e-12)
        assert float(point["best_val_loss_std"]) == pytest.approx(statistics.stdev(losses), rel=1e-12)
        assert float(point["best_val_loss_se"]) == pytest.approx(statistics.stdev(losses) / 3 ** 0.5, rel=1e-12)
        accs = [float(f["val_acc_at_best"]) for f in mine]
        assert float(point["val_acc_at_best_std"]) == pytest.approx(statistics.stdev(accs), rel=1e-12)
        train = [float(f["train_loss_at_best"]) for f in mine]
        assert float(point["train_loss_at_best"]) == pytest.approx(statistics.mean(train), rel=1e-12)
    # the penalty is its own column: at alpha 1 it dwarfs the data loss, which stays near val_loss
    strong = points[-1]
    assert float(strong["penalty_at_best"]) > 1.0 > float(strong["train_loss_at_best"])
    saved = json.loads((tmp_path / "o" / "sweep.json").read_text())
    best = min(points, key=lambda p: float(p["best_val_loss"]))
    assert saved["best"]["value"] == float(best["value"])
    assert f"best: regularization.l2={float(best['value']):g}" in printed
    assert ("one_se: regularization.l2=" in printed) == (saved["one_se"] is not None)


def test_train_loss_at_best_is_the_history_data_loss(sweep_config):
    from regstudio.experiments.training import train

    row = Sweep(sweep_config, "regularization.l2", [0.5], "serial").run()[0]
    history = train(set_l2(sweep_config, 0.5)).history
    at_best = history[row["best_epoch"] - 1]
    assert row["train_loss_at_best"] == at_best["data_loss"] and row["penalty_at_best"] == at_best["penalty"]
    assert at_best["train_loss"] == pytest.approx(at_best["data_loss"] + at_best["penalty"])


def set_l2(config, value):
    return {**config, "regularization": {**config["regularization"], "l2": value}}


def test_grid_rows_come_in_grid_order_with_both_parameters(sweep_config):
    sweep = Sweep(sweep_config, "regularization.l2", [1e-4, 1e-2], "serial",
                  second=("model.layers[1].rate", [0.0, 0.5]), repeats=2)
    rows = sweep.run()
    assert [(r["value"], r["value2"]) for r in rows] == [(1e-4, 0.0), (1e-4, 0.5), (1e-2, 0.0), (1e-2, 0.5)]
    assert all(r["param2"] == "model.layers[1].rate" and r["n"] == 2 for r in rows)
    header = sweep.result.csv().splitlines()[0].split(",")
    assert header[:4] == ["param", "value", "param2", "value2"]
    assert len(read_csv(sweep.result.fits_csv())) == 8
    solo = Sweep(sweep_config, "regularization.l2", [1e-2], "serial",
                 second=("model.layers[1].rate", [0.5]), repeats=2).run()[0]
    assert solo["best_val_loss"] == rows[3]["best_val_loss"]  # a cell is its own experiment


def test_serial_pool_and_local_cluster_write_identical_csvs(sweep_config):
    distributed = pytest.importorskip("distributed")
    args = (sweep_config, "regularization.l2", [1e-4, 1e-2, 1e-1])

    def csvs(executor, **kw):
        sweep = Sweep(*args, executor, second=("model.layers[1].rate", [0.0, 0.3]), folds=3, **kw)
        sweep.run()
        return without_seconds(sweep.result.csv()), without_seconds(sweep.result.fits_csv())

    serial = csvs("serial")
    assert csvs("process", workers=2) == serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        assert csvs("dask", scheduler=cluster.scheduler_address) == serial


def write_table(path, n=300):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    path.write_text("a,b,label\n" + "".join(f"{p:.5f},{q:.5f},{c}\n" for (p, q), c in zip(x, y, strict=True)))


def table_config(sweep_config, path):
    return {**sweep_config, "data": {"source": "csv", "path": str(path), "target": "label"}}


def test_the_table_is_parsed_once_per_sweep(sweep_config, tmp_path, monkeypatch):
    from regstudio.data import sources

    write_table(tmp_path / "t.csv")
    calls = []
    real = sources.read_table
    monkeypatch.setattr(sources, "read_table", lambda *a, **k: calls.append(a) or real(*a, **k))
    Sweep(table_config(sweep_config, tmp_path / "t.csv"), "regularization.l2",
          [1e-5 * 2 ** i for i in range(11)], "serial", repeats=2).run()
    assert len(calls) == 1


def test_the_pool_processes_need_no_data_file(sweep_config, tmp_path, monkeypatch):
    """The pool's processes get the parsed data through its initializer: the file is read once,
    here, and may be gone before they start."""
    from regstudio.data import sources

    write_table(tmp_path / "t.csv")
    cfg = table_config(sweep_config, tmp_path / "t.csv")
    serial = Sweep(cfg, "regularization.l2", [1e-4, 1e-2], "serial", repeats=2).run()
    calls = []
    real = sources.read_table
    monkeypatch.setattr(sources, "read_table", lambda *a, **k: calls.append(a) or real(*a, **k))
    pooled = Sweep(cfg, "regularization.l2", [1e-4, 1e-2], "process", workers=2, repeats=2)
    (tmp_path / "t.csv").unlink()
    assert numbers(pooled.run()) == numbers(serial) and len(calls) == 1


def test_a_dask_worker_needs_no_data_files(sweep_config, tmp_path):
    distributed = pytest.importorskip("distributed")
    write_table(tmp_path / "t.csv")
    cfg = table_config(sweep_config, "t.csv")  # relative: the workers' folder cannot resolve it
    serial = Sweep(cfg, "regularization.l2", [1e-4, 1e-2], "serial", base_dir=tmp_path).run()
    sweep = Sweep(cfg, "regularization.l2", [1e-4, 1e-2], "process", workers=2, base_dir=tmp_path)
    remote = None
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dask_sweep = Sweep(cfg, "regularization.l2", [1e-4, 1e-2], "dask",
                           scheduler=cluster.scheduler_address, base_dir=tmp_path)
        (tmp_path / "t.csv").unlink()  # read when the sweep was made; gone before it runs
        remote = dask_sweep.run()
    assert numbers(remote) == numbers(serial) == numbers(sweep.run())


def test_progress_counts_fits_and_cancel_keeps_the_finished_ones(sweep_config):
    sweep = Sweep(sweep_config, "regularization.l2", [1e-4, 1e-3, 1e-2], "serial", repeats=2)
    seen = []

    def progress(done, total):
        seen.append((done, total))
        if done == 3:
            sweep.cancel()

    rows = sweep.run(on_progress=progress)
    assert seen == [(1, 6), (2, 6), (3, 6)] and sweep.total == 6
    assert sweep.result.cancelled and len(sweep.result.fits) == 3
    assert [(r["value"], r["n"]) for r in rows] == [(1e-4, 2), (1e-3, 1)]


def test_cancel_stops_a_running_serial_fit(sweep_config):
    sweep_config["training"]["epochs"] = 100000
    sweep = Sweep(sweep_config, "regularization.l2", [1e-4, 1e-3], "serial")
    worker = threading.Thread(target=sweep.run)
    worker.start()
    time.sleep(1)
    sweep.cancel()
    worker.join(10)
    assert not worker.is_alive() and sweep.result.cancelled and sweep.result.fits == []


def test_a_result_round_trips_through_json_and_damage_is_a_project_error(sweep_config):
    sweep = Sweep(sweep_config, "regularization.l2", [1e-4, 1e-1], "serial", repeats=2)
    sweep.run()
    saved = json.loads(json.dumps(sweep.result.to_dict()))
    again = SweepResult.from_dict(saved)
    assert again.points == sweep.result.points and again.one_se == sweep.result.one_se
    assert again.to_dict() == saved
    for damage, message in [
        (lambda d: d["fits"][0].update(best_val_loss="0.3"), r"fits\[0\].best_val_loss must be a number"),
        (lambda d: d["fits"][1].update(point=7), r"fits\[1\].point must be a whole number from 0 to 1"),
        (lambda d: d["fits"][2].update(value=5.0), r"fits\[2\].value must be 0.1"),
        (lambda d: d.update(params=["regularization.l9"]), "params must be keys of the config"),
        (lambda d: d.update(mode="bogus"), "mode must be one of single, repeats, folds"),
        (lambda d: d["config"].update(training={"lr": -1}), "sweep: config: training.lr"),
    ]:
        broken = json.loads(json.dumps(saved))
        damage(broken)
        with pytest.raises(ProjectError, match=message):
            SweepResult.from_dict(broken)
    with pytest.raises(ProjectError, match="the record must be a mapping with kind 'sweep'"):
        SweepResult.from_dict([1, 2])


_HAS_DASK = importlib.util.find_spec("distributed") is not None


def test_huge_values_and_bad_schedulers_are_one_line_and_exit_2(sweep_config, tmp_path, capsys):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(sweep_config))
    base = ["sweep", str(path), "--param", "regularization.l2", "--out", str(tmp_path / "o")]
    cases = [
        (["--values", "1" + "0" * 400], "--values: 100000000000... (401 characters) is beyond the range"),
        (["--values", "1e-3,inf"], "--values: inf is beyond the range of numbers"),
        (["--values", "1e-3", "--scheduler", "tcp://h:port"], "'tcp://h:port' is not a Dask scheduler address"),
        (["--values", "1e-3", "--scheduler", "tcp://127.0.0.1:1"],
         "cannot reach the Dask scheduler at tcp://127.0.0.1:1" if _HAS_DASK
         else "--scheduler needs Dask: install the cluster extra"),
        (["--values", "1e-3", "--folds", "500"], "--folds: must be from 2 to the 200 samples"),
    ]
    for extra, message in cases:
        assert main(base + extra) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o").exists()
