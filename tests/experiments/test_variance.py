"""The variance meter: bootstrap fits give the same numbers on every executor, identical
models do not disagree, regression gets a band, and cancelling leaves no processes."""

import multiprocessing
import threading
import time

import numpy as np
import pytest

from regstudio.experiments import variance
from regstudio.experiments.variance import (
    Cancelled,
    bootstrap_fits,
    bootstrap_indices,
    compare,
    comparison_configs,
    regularizers,
    without_regularization,
)


@pytest.fixture
def config(moons_config):
    moons_config["training"]["epochs"] = 6
    return moons_config


@pytest.fixture
def curve_config():
    return {"name": "curve test",
            "data": {"source": "builtin", "name": "curve", "n_samples": 40, "noise": 0.2, "seed": 0,
                     "val_fraction": 0.5},
            "model": {"layers": [{"type": "dense", "units": 16, "activation": "tanh"}, {"type": "dense"}]},
            "training": {"optimizer": "adam", "lr": 0.01, "batch_size": 8, "epochs": 20}}


def test_two_features_give_a_rate_and_a_map(config):
    r = bootstrap_fits(config, k=4, executor="serial")
    assert r.kind == "regions" and r.k == 4 and r.task == "classification"
    assert 0.0 <= r.rate <= 1.0
    assert r.grid["map"].shape == (variance.GRID, variance.GRID)
    assert 0.0 <= r.grid["map"].min() and r.grid["map"].max() <= r.grid["max"] == 0.5
    assert r.per_sample.shape == (len(r.points["val"][1]),)
    assert r.rate == pytest.approx(np.mean(r.per_sample > 0))
    assert len(r.scores) == 4 and all(0 <= s <= 1 for s in r.scores)
    assert [f["index"] for f in r.fits] == [0, 1, 2, 3]
    assert len({f["unique"] for f in r.fits}) > 1  # different resamples


def test_identical_models_do_not_disagree(config):
    one = bootstrap_fits(config, k=1, executor="serial")
    assert one.rate == 0.0 and one.grid["map"].max() == 0.0
    same = bootstrap_fits(config, k=3, executor="serial", bootstrap=False)  # same data, same init
    assert same.rate == 0.0 and same.grid["map"].max() == 0.0 and np.all(same.per_sample == 0)


def test_serial_and_process_pool_agree(config):
    serial = bootstrap_fits(config, k=4, seed=3, executor="serial")
    pooled = bootstrap_fits(config, k=4, seed=3, executor="process", workers=2)
    assert serial.rate == pooled.rate
    assert np.array_equal(serial.grid["map"], pooled.grid["map"])
    assert np.array_equal(serial.per_sample, pooled.per_sample)
    assert serial.scores == pooled.scores
    assert multiprocessing.active_children() == []


def test_resamples_are_seeded():
    a, b = bootstrap_indices(50, 0, 1), bootstrap_indices(50, 0, 1)
    assert np.array_equal(a, b) and a.min() >= 0 and a.max() < 50 and len(a) == 50
    assert not np.array_equal(a, bootstrap_indices(50, 0, 2))
    assert not np.array_equal(a, bootstrap_indices(50, 1, 1))


def test_curve_gets_a_band_in_data_units(curve_config):
    r = bootstrap_fits(curve_config, k=3, executor="serial")
    g = r.grid
    assert r.kind == "curve" and r.rate_name == "mean_std" and r.rate > 0
    n = variance.CURVE_POINTS
    assert g["x"].shape == g["mean"].shape == g["std"].shape == g["lo"].shape == g["hi"].shape == (n,)
    assert g["models"].shape == (3, n)
    assert np.all(g["lo"] <= g["mean"] + 1e-9) and np.all(g["mean"] <= g["hi"] + 1e-9)
    assert np.all(g["std"] >= 0)
    # data units: curve's x lies in [0, 1] (the grid pads 5 %), y = sin(2 pi x) + noise
    assert -0.1 < g["x"].min() < 0.05 and 0.95 < g["x"].max() < 1.1
    xt, yt = r.points["train"]
    assert 0 <= xt.min() and xt.max() <= 1 and np.abs(yt).max() < 2.5


def test_images_and_tables_get_a_rate():
    cfg = {"data": {"source": "builtin", "name": "digits", "train_size": 120, "val_fraction": 0.2, "seed": 0},
           "model": {"layers": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense"}]},
           "training": {"optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 3}}
    r = bootstrap_fits(cfg, k=2, executor="serial")
    assert r.kind == "rate" and r.grid is None and 0.0 <= r.rate <= 1.0


def test_compare_names_what_was_compared(config):
    assert regularizers(config) == ["L2 0.0001", "dropout 0.2"]
    bare = without_regularization(config)
    assert regularizers(bare) == []
    assert bare["model"]["layers"][1] == {"type": "dropout", "rate": 0.0}
    with_cfg, without_cfg, what, added = comparison_configs(config)
    assert what == "L2 0.0001, dropout 0.2 vs none" and not added
    with_cfg, without_cfg, what, added = comparison_configs(bare)
    assert added and with_cfg["regularization"]["l2"] == variance.ADDED_L2 and "added" in what
    es = dict(config, early_stopping={"enabled": True}, training={**config["training"], "optimizer": "adamw",
                                                                   "weight_decay": 0.01})
    assert regularizers(es)[-2:] == ["weight decay 0.01", "early stopping"]
    assert regularizers(without_regularization(es)) == []

    seen = []
    c = compare(config, k=2, executor="serial", on_fit=lambda d, n, j: seen.append((d, n)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert c.with_reg.label == "L2 0.0001, dropout 0.2" and c.without.label == "no regularizer"
    assert 0 <= c.with_reg.rate <= 1 and 0 <= c.without.rate <= 1


def test_no_validation_split_is_a_clear_error(config):
    config["data"]["val_fraction"] = 0.0
    with pytest.raises(variance.ConfigError, match="val_fraction"):
        bootstrap_fits(config, k=2, executor="serial")


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_cancel_stops_cleanly(config, executor):
    """Cancelling stops the running fits, which would take minutes, not only the next ones."""
    config["training"]["epochs"] = 100_000  # the most a config allows
    event = threading.Event()
    outcome = []

    def target():
        try:
            bootstrap_fits(config, k=4, executor=executor, workers=2, cancel_event=event)
            outcome.append("finished")
        except Cancelled:
            outcome.append("cancelled")

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    time.sleep(2.0 if executor == "process" else 0.5)
    event.set()
    worker.join(20)
    assert not worker.is_alive() and outcome == ["cancelled"]
    deadline = time.time() + 10
    while multiprocessing.active_children() and time.time() < deadline:
        time.sleep(0.1)
    assert multiprocessing.active_children() == []


def test_dask_local_cluster_agrees_with_serial(config):
    distributed = pytest.importorskip("distributed")
    serial = bootstrap_fits(config, k=3, executor="serial")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = bootstrap_fits(config, k=3, executor="dask", scheduler=cluster.scheduler_address)
    assert remote.rate == serial.rate and np.array_equal(remote.grid["map"], serial.grid["map"])


# -- confidence intervals (issue 19) -----------------------------------------------------------
def test_bootstrap_interval_of_a_mean():
    from regstudio.experiments.variance import bootstrap_mean_ci

    assert bootstrap_mean_ci(np.full(40, 0.25), seed=0) == (0.25, 0.25)
    values = np.r_[np.ones(20), np.zeros(80)]  # a 20 % rate over 100 samples
    lo, hi = bootstrap_mean_ci(values, seed=0)
    se = (0.2 * 0.8 / 100) ** 0.5  # the binomial standard error: the interval is about +-1.96 se
    assert lo < 0.2 < hi and (hi - lo) == pytest.approx(2 * 1.96 * se, rel=0.15)
    assert bootstrap_mean_ci(values, seed=0) == (lo, hi)  # seeded


def test_each_rate_has_an_interval_and_overlap_means_no_clear_difference(config):
    comparison = compare(config, k=3, executor="serial")
    for side in (comparison.with_reg, comparison.without):
        lo, hi = side.rate_ci
        assert lo <= side.rate <= hi and side.summary()["rate_ci"] == [lo, hi]
    d_lo, d_hi = comparison.difference_ci
    assert d_lo <= comparison.with_reg.rate - comparison.without.rate <= d_hi
    comparison.with_reg.rate_ci, comparison.without.rate_ci = (0.1, 0.3), (0.25, 0.4)
    assert not comparison.clear and comparison.verdict() == "no clear difference"
    comparison.with_reg.rate, comparison.with_reg.rate_ci = 0.15, (0.1, 0.2)
    comparison.without.rate = 0.3
    assert comparison.clear and comparison.verdict() == "lower"


def test_the_demo_is_a_valid_experiment_with_l2():
    from regstudio.experiments.variance import DEMO_K, demo_config

    cfg = demo_config()
    assert cfg["regularization"]["l2"] == 0.03 and DEMO_K == 8
    assert cfg["data"]["n_samples"] == 400 and cfg["data"]["val_fraction"] == 0.75


def _by_hand(task, answers, y, seed=0, draws=2000):
    """The score intervals, one resample at a time (the same draws as the meter's)."""
    rng = np.random.default_rng([seed, 7919])
    per_model, ensemble = [], []
    for _ in range(draws):
        idx = rng.integers(0, y.size, y.size)
        a, t = answers[:, idx], y[idx]
        if task == "classification":
            per_model.append(np.mean([(row == t).mean() for row in a]))
            votes = np.array([np.bincount(col, minlength=3).argmax() for col in a.T])
            ensemble.append((votes == t).mean())
        else:
            r2 = [1 - ((t - row) ** 2).sum() / ((t - t.mean()) ** 2).sum() for row in a]
            per_model.append(np.mean(r2))
            ensemble.append(1 - ((t - a.mean(0)) ** 2).sum() / ((t - t.mean()) ** 2).sum())
    return tuple(tuple(np.percentile(v, [2.5, 97.5])) for v in (per_model, ensemble))


def test_score_intervals_are_the_bootstrap_of_the_accuracies_and_r2():
    from regstudio.experiments.variance import _majority, score_intervals

    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 60)
    answers = np.where(rng.random((3, 60)) < 0.7, y, rng.integers(0, 3, (3, 60))).astype(np.int16)
    majority, _share = _majority(answers, 3)
    got = score_intervals("classification", answers, y, majority, 0)
    np.testing.assert_allclose(got, _by_hand("classification", answers, y), rtol=1e-12)
    y = rng.normal(size=50)
    answers = y + rng.normal(scale=0.5, size=(4, 50))
    got = score_intervals("regression", answers, y, None, 0)
    np.testing.assert_allclose(got, _by_hand("regression", answers, y), rtol=1e-9)


def test_every_figure_of_a_result_has_an_interval(config, curve_config):
    for result in (bootstrap_fits(config, k=3, executor="serial"),
                   bootstrap_fits(curve_config, k=3, executor="serial")):
        for value, (lo, hi) in ((result.mean_score, result.score_ci),
                                (result.ensemble_score, result.ensemble_ci)):
            assert lo <= value <= hi and lo < hi
        summary = result.summary()
        assert summary[f"mean_{result.score_name}_ci"] == list(result.score_ci)
        assert summary[f"ensemble_{result.score_name}_ci"] == list(result.ensemble_ci)


def test_an_experiment_without_a_regularizer_gets_the_demos_l2():
    from regstudio.experiments.config import default_config

    with_cfg, without_cfg, what, added = comparison_configs(default_config())
    assert added and with_cfg["regularization"]["l2"] == 0.03 == variance.demo_config()["regularization"]["l2"]
    assert what == "L2 0.03 (added: the experiment has no regularizer) vs none"


def test_the_pool_reads_the_table_once_and_needs_no_file(config, tmp_path, monkeypatch):
    """The meter reads the data once, here; the pool's processes get them shipped (the file is
    gone before they start)."""
    from regstudio.experiments import build

    from .test_sweep import table_config, write_table

    write_table(tmp_path / "t.csv")
    real, reads = build.load_data, []

    def read_then_delete(*args, **kwargs):
        dataset = real(*args, **kwargs)
        reads.append(args)
        (tmp_path / "t.csv").unlink()
        return dataset

    monkeypatch.setattr(build, "load_data", read_then_delete)
    comparison = compare(table_config(config, tmp_path / "t.csv"), k=2, executor="process", workers=2)
    assert len(reads) == 1 and not (tmp_path / "t.csv").exists()
    assert comparison.with_reg.kind == "regions" and 0 <= comparison.without.rate <= 1


def test_a_dask_cancel_stops_the_running_fits(config):
    distributed = pytest.importorskip("distributed")
    config["training"]["epochs"] = 100_000
    event, outcome = threading.Event(), []
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster.scheduler_address) as client:

        def executing():
            return sum(client.run(lambda dask_worker: dask_worker.state.executing_count).values())

        def target():
            try:
                bootstrap_fits(config, k=2, executor="dask", scheduler=cluster.scheduler_address,
                               cancel_event=event)
            except Cancelled:
                outcome.append("cancelled")

        worker = threading.Thread(target=target)
        worker.start()
        deadline = time.monotonic() + 60
        while executing() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert executing() == 1
        event.set()
        worker.join(60)
        assert outcome == ["cancelled"] and executing() == 0  # stopped, not left to train on
