"""The variance meter shows each disagreement figure with its 95 % interval, says "no clear
difference" when the intervals overlap, draws both panels on one range, and loads its demo."""

import numpy as np
import pytest

from regstudio.experiments.variance import Comparison, VarianceResult

from .test_variance_view import view  # noqa: F401 (the fixture)


def rate(value, ci, task="classification"):
    return VarianceResult("L2 0.03", {}, 8, 0, task, "rate", value, "r", np.zeros(4), [0.8] * 8, 0.8,
                          "accuracy", None, {}, rate_ci=ci)


def test_overlapping_intervals_say_no_clear_difference(view):  # noqa: F811
    c = Comparison(rate(0.2, (0.1, 0.3)), rate(0.25, (0.15, 0.35)), "L2 0.03 vs none", False)
    view.show_comparison(c)
    assert "No clear difference: the 95 % intervals overlap ([10.0 %, 30.0 %] with, [15.0 %, 35.0 %] " \
           "without; the paired interval of the difference, [+0, +0], includes 0)" in view.message.text()
    assert view.with_panel.numbers.text().startswith("disagreement rate 20.0 % (95 % interval [10.0 %, 30.0 %])")
    err = view.with_panel.error
    assert err.isVisible() and err.opts["y"][0] == 0.2
    assert err.opts["top"][0] == pytest.approx(0.1) and err.opts["bottom"][0] == pytest.approx(0.1)
    # both bars, and their intervals, on one scale
    assert view.with_panel.plot.viewRange()[1] == view.without_panel.plot.viewRange()[1] == \
        pytest.approx([0, 1.25 * 0.35])


def test_intervals_apart_name_the_direction(view):  # noqa: F811
    c = Comparison(rate(0.1, (0.06, 0.13)), rate(0.22, (0.18, 0.27)), "L2 0.03 vs none", False)
    view.show_comparison(c)
    assert "Regularization lowered the variance by 54.5 % (relative). The 95 % intervals do not overlap." \
        in view.message.text()


def test_a_real_run_shows_intervals_and_both_maps_on_one_range(qtbot, view):  # noqa: F811
    view.k.setValue(2)
    view.workers.setValue(2)
    assert view.run()
    qtbot.waitUntil(lambda: not view.is_running, timeout=60000)
    c = view.comparison
    assert all(np.isfinite(r.rate_ci).all() for r in (c.with_reg, c.without))
    assert "95 % interval" in view.with_panel.numbers.text()
    a, b = (np.array(p.plot.viewRange()) for p in (view.with_panel, view.without_panel))
    np.testing.assert_allclose(a, b, rtol=1e-9)
    assert view.with_panel.plot.height() == view.without_panel.plot.height()


def test_load_demo_sets_the_measured_demo_undoably(view):  # noqa: F811
    from regstudio.experiments.variance import DEMO_K, demo_config

    before = view.state.frozen()
    view.k.setValue(3)
    view.demo_button.click()
    assert view.state.config == demo_config() and view.k.value() == DEMO_K
    view.state.undo_stack.undo()
    assert view.state.config == before


def test_the_accuracies_have_intervals_too(view):  # noqa: F811
    with_reg = rate(0.1, (0.06, 0.13))
    with_reg.score_ci, with_reg.ensemble_ci = (0.75, 0.85), (0.7, 0.9)
    view.show_comparison(Comparison(with_reg, rate(0.22, (0.18, 0.27)), "L2 0.03 vs none", False))
    assert view.with_panel.numbers.text().endswith(
        "validation accuracy 80.0 % [75.0, 85.0] per model, 80.0 % [70.0, 90.0] by majority vote")
    assert view.without_panel.numbers.text().endswith(
        "validation accuracy 80.0 % per model, 80.0 % by majority vote")  # none computed: none shown


def test_a_real_run_reads_its_data_in_the_worker_thread_and_gives_every_interval(qtbot, view,  # noqa: F811
                                                                                   monkeypatch):
    import threading

    from regstudio.experiments import build

    real, threads = build.load_data, []
    monkeypatch.setattr(build, "load_data", lambda *a, **k: threads.append(threading.current_thread()) or
                        real(*a, **k))
    view.k.setValue(2)
    view.workers.setValue(2)
    assert view.run()
    qtbot.waitUntil(lambda: not view.is_running, timeout=60000)
    assert len(threads) == 1 and threads[0] is not threading.main_thread()
    for panel in (view.with_panel, view.without_panel):
        assert panel.numbers.text().count("[") == 3, panel.numbers.text()  # rate, per model, vote
