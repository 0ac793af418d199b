"""The loss view's range and verdict on constructed curves, and on every lesson's runs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from regstudio.experiments import curves
from regstudio.experiments.curves import blow_up_index, kept_points, share, verdict, view_range
from regstudio.experiments.lessons import LESSONS
from regstudio.experiments.training import train

EP = np.arange(1, 41)


def falling(n=40, start=1.0, end=0.3):
    return end + (start - end) * np.exp(-np.arange(n) / 6)


def test_range_excludes_a_first_epoch_spike_and_a_later_spike():
    v = falling()
    v[0], v[20] = 160.0, 90.0  # first-epoch per-batch blow-up, one wild epoch
    rng = view_range([v])
    assert not rng.log and rng.hi < 1.5 and rng.lo < 0.3
    assert share(v, rng) > 0.8


def test_range_keeps_a_steady_climb_whole():
    v = np.r_[falling(10), np.linspace(0.35, 2.5, 30)]  # validation loss climbing several-fold
    rng = view_range([v])
    assert rng.hi >= 2.5 > rng.hi - 0.3 and rng.lo <= 0.35


def test_range_before_a_divergence():
    v = np.r_[falling(15), [40.0, 1e6, 1e27, np.inf, np.nan]]
    assert blow_up_index(v) == 15
    rng = view_range([v])
    assert not rng.log and rng.hi < 1.2  # the last good part fills the view, not 1e27


def test_starting_penalty_stays_out_while_the_losses_keep_two_thirds():
    val, data = falling(end=0.69) + 0.02, falling(end=0.69)
    total = 941 * np.exp(-np.arange(40) / 3) + 0.69
    rng = view_range([val, data], [total])
    span = kept_points(data).max() - kept_points(val).min()
    assert (rng.hi - rng.lo) <= 3.2 * span and rng.lo < 0.69 < rng.hi


def test_log_when_it_reads_better_and_forced_either_way():
    # the total loss falls over four decades while the data loss stays small: log shows both
    val = np.geomspace(5, 0.05, 40)
    data = np.geomspace(3, 0.001, 40)
    auto = view_range([val, data])
    assert auto.log and auto.lo < np.log10(0.001) and auto.hi > np.log10(val[1])
    assert not view_range([val, data], log=False).log
    assert view_range([falling()], log=True).log
    # a curve falling to zero (a memorised training set) stays linear: the validation reads better
    assert not view_range([falling(end=0.25), falling(end=1e-5)]).log


def test_no_data_no_range():
    assert view_range([[], []]) is None
    assert view_range([[np.nan, np.inf]]) is None


def test_verdict_overfitting_only_on_a_clear_turn():
    val = np.r_[falling(15, 1.0, 0.5), np.linspace(0.5, 1.2, 25)]
    data = falling(40, 1.0, 0.05)
    v = verdict(EP, val, data)
    assert v.kind == "overfitting" and v.best_epoch == int(EP[np.argmin(val)])
    assert v.text.startswith(f"overfitting after epoch {v.best_epoch}")


def test_verdict_best_epoch_last_is_still_improving():
    v = verdict(EP, falling(), falling(end=0.1))
    assert v.kind == "improving" and v.best_epoch == 40 and "overfitting" not in v.text


def test_verdict_noise_around_a_plateau_is_not_overfitting():
    rng = np.random.default_rng(0)
    val = np.r_[falling(20, 1.0, 0.4), 0.4 + 0.02 * rng.standard_normal(20)]
    v = verdict(EP, val, falling(end=0.2))
    assert v.kind in ("levelled", "improving")
    # the margin: max(5 % of the minimum, 2 x the epoch noise)
    assert curves.turn_margin(val) >= 0.05 * val.min()


def test_verdict_a_rise_within_five_percent_is_not_overfitting():
    val = np.r_[falling(30, 1.0, 0.5), 0.5 * np.linspace(1.0, 1.04, 10)]
    assert verdict(EP, val, falling(end=0.1)).kind != "overfitting"


def test_verdict_flat_both_losses_near_the_start():
    flat = 0.693 + 0.001 * np.sin(EP)
    v = verdict(EP, flat, flat + 0.002)
    assert v.kind == "flat" and v.text.startswith("flat: underfitting?")


def test_verdict_both_losses_rising_together_is_underfitting():
    val = np.r_[falling(5, 0.52, 0.43), np.linspace(0.43, 0.693, 35)]
    data = val - 0.01
    v = verdict(EP, val, data)
    assert v.kind == "underfitting" and "overfitting" not in v.text


def test_verdict_needs_three_epochs():
    assert verdict([1, 2], [1.0, 2.0]).kind == ""


@pytest.fixture(scope="module")
def lesson_runs():
    return {(item.id, label): train(cfg).history for item in LESSONS for label, cfg in item.runs}


def _view(history, overlays=()):
    """The range the Loss view sets at the end of a lesson (the same arguments as LossPlot)."""
    col = {k: np.array([r.get(k, np.nan) for r in history], float)
           for k in ("val_loss", "data_loss", "train_loss", "penalty")}
    penalty = np.nanmax(col["penalty"]) > 0
    primary = [col["val_loss"], col["data_loss" if penalty else "train_loss"], *overlays]
    return col["val_loss"], view_range(primary, [col["train_loss"], col["penalty"]] if penalty else [])


def test_every_lesson_keeps_its_validation_curve_readable(lesson_runs):
    for item in LESSONS:
        histories = [lesson_runs[(item.id, label)] for label, _cfg in item.runs]
        others = [np.array([r["val_loss"] for r in h]) for h in histories[:-1]]
        val, rng = _view(histories[-1], others)
        kept = kept_points(val)
        lo, hi = (np.log10(kept.min()), np.log10(kept.max())) if rng.log else (kept.min(), kept.max())
        assert rng.lo <= lo and hi <= rng.hi, item.id  # all of it in view
        # not squashed to a line: a flat validation curve spans a tenth of the view beside
        # the training data loss falling to zero (the L2 lesson, 0.207-0.27 of 0-0.67)
        assert share(val, rng) >= 0.09, (item.id, share(val, rng))


def test_lesson_verdicts_say_what_the_lesson_claims(lesson_runs):
    def kind(key):
        h = lesson_runs[key]
        return verdict([r["epoch"] for r in h], [r["val_loss"] for r in h],
                       [r["data_loss"] for r in h]).kind

    assert kind(("overfitting", "no regularization")) == "overfitting"
    assert kind(("too_strong", "L2 1")) == "underfitting"
    assert kind(("early_stopping", "early stopping, patience 10")) == "overfitting"
    assert kind(("l1_sparse", "no regularization")) == "improving"


def test_a_run_that_blows_up_in_its_first_epoch():
    """The validation loss after a diverged first epoch (4e13) beside the epoch's mean
    training loss (0.7): the first is the blow-up, the second the last good value."""
    (val, data), blown = curves.before_blow_up([[4.2e13, np.inf], [0.7, 4e13]])
    assert blown == 0 and len(val) == 0 and list(data) == [0.7]
    rng = view_range([val, data])
    assert rng.lo < 0.7 < rng.hi < 1


def test_no_blow_up_cuts_nothing():
    arrays, blown = curves.before_blow_up([falling(), falling(end=0.1)])
    assert blown is None and [len(a) for a in arrays] == [40, 40]


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300))
def test_quartiles_are_numpys_percentiles(values):
    from regstudio.experiments.curves import _quartiles

    assert np.allclose(_quartiles(np.asarray(values)), np.percentile(values, [25, 75]), rtol=1e-12, atol=1e-9)
