"""Means, spread and the one-standard-error rule on constructed curves."""

import math

import pytest

from regstudio.experiments.sweep_stats import band, best_index, is_strength, mean_std_se, one_se_index


def points(means, ses, values=None):
    values = values or [10.0 ** -i for i in range(len(means), 0, -1)]
    return [{"value": v, "best_val_loss": m, "best_val_loss_se": s}
            for v, m, s in zip(values, means, ses, strict=True)]


def test_mean_std_se_by_hand():
    mean, std, se = mean_std_se([1.0, 2.0, 4.0])
    assert mean == pytest.approx(7 / 3)
    assert std == pytest.approx(math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2))
    assert se == pytest.approx(std / math.sqrt(3))
    assert mean_std_se([5.0]) == (5.0, None, None)
    assert mean_std_se([None, float("nan")]) == (None, None, None)


def test_one_se_takes_the_strongest_value_within_one_se_of_the_best():
    # best at index 2 (0.30 +- 0.05): 0.33 and 0.35 are within 0.35, 0.36 is not
    curve = points([0.50, 0.40, 0.30, 0.33, 0.35, 0.36], [0.02, 0.02, 0.05, 0.01, 0.01, 0.01])
    assert best_index(curve) == 2
    assert one_se_index(curve, ["regularization.l2"]) == 4
    # a strong value beyond a bump out of the band is still chosen if it is within the band
    curve = points([0.30, 0.40, 0.31], [0.02, 0.01, 0.01])
    assert one_se_index(curve, ["model.layers[1].rate"]) == 2
    # values given out of order: the largest value wins, not the last row
    curve = points([0.30, 0.31, 0.305], [0.02, 0.01, 0.01], values=[1e-3, 1e-1, 1e-2])
    assert one_se_index(curve, ["regularization.l1"]) == 1


def test_one_se_needs_a_strength_and_a_standard_error():
    curve = points([0.3, 0.31], [0.05, 0.05])
    assert one_se_index(curve, ["training.lr"]) is None
    assert one_se_index(points([0.3, 0.31], [None, None]), ["regularization.l2"]) is None
    assert is_strength("model.layers[3].l2") and is_strength("training.weight_decay")
    assert not is_strength("data.train_size")


def test_one_se_on_a_grid_takes_the_largest_rank_sum():
    cells = [{"value": a, "value2": b, "best_val_loss": m, "best_val_loss_se": 0.02}
             for (a, b), m in zip([(1e-4, 0.0), (1e-4, 0.5), (1e-2, 0.0), (1e-2, 0.5)],
                                  [0.30, 0.31, 0.315, 0.40], strict=True)]
    assert best_index(cells) == 0
    assert one_se_index(cells, ["regularization.l2", "model.layers[1].rate"]) == 1  # tie 1+0 vs 0+1: lower mean


def test_band_is_mean_plus_minus_one_se():
    xs, mean, lo, hi = band(points([0.3, 0.4], [0.1, None], values=[1, 2]))
    assert xs == [1, 2] and mean == [0.3, 0.4]
    assert lo == pytest.approx([0.2, 0.4]) and hi == pytest.approx([0.4, 0.4])


def test_learning_curve_bands_both_losses():
    from regstudio.experiments.sweep_stats import learning_curve

    pts = [{"value": 10, "train_loss_at_best": 0.1, "train_loss_at_best_se": 0.01,
            "best_val_loss": 0.9, "best_val_loss_se": 0.1},
           {"value": 100, "train_loss_at_best": 0.2, "train_loss_at_best_se": 0.02,
            "best_val_loss": 0.5, "best_val_loss_se": 0.05}]
    curve = learning_curve(pts)
    assert curve["train"][0] == [10, 100] and curve["train"][2] == pytest.approx([0.09, 0.18])
    assert curve["val"][3] == pytest.approx([1.0, 0.55])
