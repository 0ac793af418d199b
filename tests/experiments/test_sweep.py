"""Sweeps give the same numbers on every executor; cancelling leaves no processes behind."""

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
