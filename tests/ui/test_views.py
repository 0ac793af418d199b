"""The views through their real widgets: ranges that keep the signal in view, verdicts,
legends beside (never over) the curves, confusion ticks, predicted-vs-true, dark palette."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from regstudio.experiments.project import RunRecord
from regstudio.experiments.session import Session
from regstudio.ui import settings
from regstudio.ui.panels.runs_panel import RunsPanel
from regstudio.ui.plots.loss_plot import LossPlot
from regstudio.ui.plots.predictions_plot import PredictionsPlot
from regstudio.ui.plots.weights_plot import WeightsPlot


@pytest.fixture(autouse=True)
def _white_plots():
    pg.setConfigOptions(antialias=False, background="w", foreground="k")


def rows_of(val, data=None, penalty=None, acc=None):
    data = val * 0.5 if data is None else data
    penalty = np.zeros_like(val) if penalty is None else penalty
    acc = np.linspace(0.5, 0.9, len(val)) if acc is None else acc
    return [{"epoch": i + 1, "train_loss": float(d + p), "data_loss": float(d), "penalty": float(p),
             "val_loss": float(v), "train_acc": float(a), "val_acc": float(a) - 0.05}
            for i, (v, d, p, a) in enumerate(zip(val, data, penalty, acc, strict=True))]


def falling(n=40, start=1.0, end=0.3):
    return end + (start - end) * np.exp(-np.arange(n) / 6)


def overfit(n=40):
    return np.r_[falling(12, 1.0, 0.5), np.linspace(0.5, 1.3, n - 12)]


@pytest.fixture
def loss(qtbot):
    view = LossPlot()
    qtbot.addWidget(view)
    view.resize(900, 560)
    view.show()
    return view


def y_view(view):
    return view.loss.vb.viewRange()[1]


def legend_texts(legend):
    return [label.text for _sample, label in legend.items]


def test_y_range_holds_the_curves_after_their_first_points_and_not_a_spike(loss):
    val = falling()
    val[0], val[25] = 160.0, 90.0
    loss.set_epoch_range(40)
    loss.add_epochs(rows_of(val))
    lo, hi = y_view(loss)
    assert hi < 2.0 and lo <= 0.15  # the spikes (160, 90) are out, the curves are in
    after = np.delete(val, 25)[3:]  # after the first points (skipped, or a far-out peak)
    assert hi >= after.max() and lo <= after.min() and not loss.log
    assert loss.loss.getAxis("left").labelText == "loss"


def test_starting_penalty_does_not_squash_the_losses(loss):
    val = falling(end=0.69) + 0.02
    data = falling(end=0.69)
    penalty = 941 * np.exp(-np.arange(40) / 3)
    loss.add_epochs(rows_of(val, data, penalty))
    lo, hi = y_view(loss)
    assert lo < 0.69 < hi and hi - lo < 3.5 * (val[1:].max() - data[1:].min())


def test_log_axis_for_decades_and_the_users_choice(loss, qtbot):
    val = np.geomspace(5, 0.05, 40)
    with qtbot.waitSignal(loss.log_y_changed, timeout=1000) as blocker:
        loss.add_epochs(rows_of(val, np.geomspace(3, 0.001, 40)))
    assert blocker.args == [True] and loss.log and loss.loss.getAxis("left").logMode
    assert "log scale" in loss.loss.getAxis("left").labelText
    lo, hi = y_view(loss)
    assert lo < np.log10(0.001) and hi > np.log10(val[1])
    loss.set_log_y(False)
    assert not loss.log and y_view(loss)[1] > 2
    loss.set_log_y(None)  # automatic again
    assert loss.log and loss.loss.ctrl.logYCheck.isChecked() and loss.log_pref is None
    loss.loss.ctrl.logYCheck.setChecked(False)  # the plot's own context menu: the user's choice
    assert loss.log_pref is False and not loss.log and y_view(loss)[1] > 2


def test_divergence_keeps_the_last_good_part_and_the_accuracy(loss):
    val = np.r_[falling(10), [1e9, 1e27, np.nan]]
    loss.add_epochs(rows_of(val, acc=np.r_[np.linspace(0.5, 0.8, 10), [0.5, np.nan, np.nan]]))
    lo, hi = y_view(loss)
    assert hi < 2 and lo < 0.4
    assert loss.loss.getAxis("left").labelText == "loss"  # no "(x1e+27)"
    assert not loss.loss.getAxis("left").autoSIPrefix
    m_lo, m_hi = loss.metric.vb.viewRange()[1]
    assert m_lo <= 0.5 and m_hi >= 0.75


def test_one_epoch_before_diverging_is_still_drawn(loss):
    loss.add_epochs(rows_of(np.array([0.7]), acc=np.array([0.6])))
    assert loss.val_m.item.opts["symbol"] == "o" and loss.val.item.opts["symbol"] == "o"
    loss.add_epochs(rows_of(np.array([0.6, 0.5, 0.4]))[1:])
    assert loss.val.item.opts["symbol"] is None


def test_zooming_is_the_users_until_the_a_button(loss):
    loss.add_epochs(rows_of(falling()))
    loss.loss.vb.scaleBy((1, 4))
    loss.loss.vb.sigRangeChangedManually.emit([False, True])
    zoomed = y_view(loss)
    loss.add_epochs(rows_of(falling(41))[40:])
    assert y_view(loss) == zoomed
    loss.loss.autoBtn.clicked.emit(loss.loss.autoBtn)
    assert y_view(loss) != zoomed and y_view(loss)[1] < 1.2


def test_verdict_overfitting_only_on_a_clear_turn(loss):
    loss.add_epochs(rows_of(falling(), falling(end=0.1)))
    assert loss.verdict.kind == "improving"
    assert "overfitting" not in loss.verdict_label.text and "still improving" in loss.verdict_label.text
    assert not loss.best_line.isVisible()
    loss.clear()
    assert loss.verdict_label.text == ""
    val = overfit()
    loss.add_epochs(rows_of(val, falling(end=0.05)))
    best = int(np.argmin(val)) + 1
    assert f"overfitting after epoch {best}" in loss.verdict_label.text
    assert loss.best_line.isVisible() and loss.best_line.value() == best


def test_flat_losses_say_underfitting(loss):
    flat = 0.693 + 0.001 * np.sin(np.arange(30))
    loss.add_epochs(rows_of(flat, flat + 0.002, np.full(30, 0.1)))
    assert loss.verdict.kind == "flat" and "flat: underfitting?" in loss.verdict_label.text


def test_patience_labels_are_text_above_the_plot_not_over_the_curves(loss):
    loss.set_epoch_range(150)
    loss.add_epochs(rows_of(overfit()))
    assert loss.loss.vb.viewRange()[0][1] > 150
    loss.set_stopped("early_stopping", 23)
    x_lo, x_hi = loss.loss.vb.viewRange()[0]
    assert x_lo <= 1 and 40 <= x_hi < 42  # the epochs run, not the 150 planned
    shown = [line for _p, line in loss.what_if if line.isVisible()]
    assert len(shown) == 2 and all(getattr(line, "label", None) is None for line in shown)
    assert getattr(loss.stop_line, "label", None) is None
    assert getattr(loss.best_line, "label", None) is None
    text = loss.stops_label.text
    assert "early stop: epoch 23" in text and "patience 3, 10, 30 would stop at epoch 16, 23, –" in text
    plot_box = loss.loss.vb.sceneBoundingRect()
    for item in (loss.stops_label, loss.verdict_label, loss.legend, loss.metric_legend):
        assert not item.sceneBoundingRect().intersects(plot_box)
    assert not loss.metric_legend.sceneBoundingRect().intersects(loss.metric.vb.sceneBoundingRect())


def test_legends_list_what_is_drawn(loss):
    loss.add_epochs(rows_of(falling()))
    assert legend_texts(loss.legend) == ["training loss (data + penalty)", "validation loss"]
    assert legend_texts(loss.metric_legend) == ["training", "validation"]
    loss.add_epochs(rows_of(falling(41), penalty=np.full(41, 0.01))[40:])
    assert "penalty" in legend_texts(loss.legend) and "training data loss" in legend_texts(loss.legend)


def test_per_batch_curve_is_opt_in():
    assert settings.read("batch_loss") is False
    view = LossPlot()
    assert not view.batch.item.isVisible()
    assert "training loss per batch" not in legend_texts(view.legend)
    view.add_batches([(0.1, 3.0), (0.2, 2.0)])
    view.set_batch_visible(True)
    assert view.batch.item.isVisible() and len(view.batch.item.getData()[0]) == 2


def record(i, val):
    return RunRecord(f"run{i}", f"#{i} run", {}, rows_of(val), {})


def test_runs_overlay_the_chosen_curve(qtbot, loss):
    session = Session()
    panel = RunsPanel(session)
    qtbot.addWidget(panel)
    panel.overlay_toggled.connect(loss.set_overlay)
    session.add(record(1, falling()))
    loss.add_epochs(rows_of(overfit()))
    panel.set_checked("run1", True)
    (item,) = [entry[2] for entry in loss.overlays.values()]
    assert item.getViewBox() is loss.loss.vb
    assert "validation loss: #1 run" in legend_texts(loss.legend)
    panel.curve_box.setCurrentIndex(panel.curve_box.findData("val_metric"))
    (item,) = [entry[2] for entry in loss.overlays.values()]
    assert item.getViewBox() is loss.metric.vb
    assert "validation accuracy: #1 run" in legend_texts(loss.metric_legend)
    assert not any(t.startswith("validation loss: #1") for t in legend_texts(loss.legend))
    panel.curve_box.setCurrentIndex(panel.curve_box.findData("data_loss"))
    (item,) = [entry[2] for entry in loss.overlays.values()]
    assert np.allclose(item.getData()[1], falling() * 0.5)
    panel.set_checked("run1", False)
    assert not loss.overlays and not any("#1 run" in t for t in legend_texts(loss.legend))


@pytest.fixture
def preds(qtbot):
    view = PredictionsPlot()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    return view


def test_confusion_matrix_names_classes_at_cell_centres(preds):
    cm = np.array([[8, 1, 1], [0, 9, 1], [2, 0, 8]])
    preds.set_predictions({"kind": "confusion", "matrix": cm, "classes": ["circle", "square", "triangle"],
                           "wrong_images": None, "wrong_true": [], "wrong_pred": [], "split": "validation"})
    bottom, left = preds.cm_plot.getAxis("bottom"), preds.cm_plot.getAxis("left")
    expected = [[(0.5, "circle"), (1.5, "square"), (2.5, "triangle")]]
    assert bottom._tickLevels == expected and left._tickLevels == expected
    assert bottom.labelText == "predicted" and left.labelText == "true"
    counts = {(t.pos().x(), t.pos().y()): t.textItem.toPlainText() for t in preds.cm_texts}
    assert counts[(0.5, 0.5)] == "8" and counts[(0.5, 2.5)] == "2" and counts[(1.5, 1.5)] == "9"
    assert "accuracy 83.3%" in preds.title.text()


def test_predicted_vs_true_names_what_it_draws(preds):
    preds.set_predictions({"kind": "scatter", "true": np.array([1.0, 2.0, 3.0]),
                           "pred": np.array([1.5, 2.5, 2.0]), "split": "validation",
                           "train": (np.array([1.0, 2.0, 4.0]), np.array([1.1, 2.0, 3.9]))})
    assert legend_texts(preds.legend) == ["training", "validation", "perfect (predicted = true)"]
    assert "network" not in legend_texts(preds.legend)
    assert list(preds.val_pts.getData()[1]) == [1.5, 2.5, 2.0]
    assert list(preds.train_pts.getData()[0]) == [1.0, 2.0, 4.0]
    assert preds.val_pts.opts["brush"].style() == Qt.BrushStyle.NoBrush  # rings, not dots
    assert preds.train_pts.opts["brush"].style() != Qt.BrushStyle.NoBrush
    assert preds.diagonal.getData()[0].tolist() == [1.0, 4.0]


def test_fitted_curve_lists_the_network(preds):
    x = np.linspace(0, 1, 5)
    preds.set_predictions({"kind": "curve", "x": x, "y": x, "train": (x, x), "val": (x, x)})
    assert legend_texts(preds.legend) == ["network", "training", "validation"]


def test_weights_layer_box_and_norm_legend(qtbot):
    view = WeightsPlot()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    rng = np.random.default_rng(0)
    view.set_snapshot({"epoch": 1, "weights": {"dense_10.W": rng.normal(size=(4, 8)),
                                               "dense_11.W": rng.normal(size=(8, 2))}})
    view.add_norms([{"epoch": 1, "layers": [{"name": "dense_10", "l1_norm": 1.0, "l2_norm": 1.0,
                                             "sparsity": 0.0}]}])
    qtbot.waitUntil(lambda: view.layer.width() > 0)
    text = view.layer.fontMetrics().horizontalAdvance("dense_10.W")
    assert view.layer.width() > text + 20  # the arrow and frame beside the whole name
    legend = view.norm_legend
    assert not legend.sceneBoundingRect().intersects(view.norm_plot.vb.sceneBoundingRect())
    assert legend_texts(legend) == ["L1 norm / max", "L2 norm / max", "share |w| &lt; 1e-3"]


def contrast(a: QColor, b: QColor) -> float:
    def lum(c):
        ch = [x / 255 for x in (c.red(), c.green(), c.blue())]
        ch = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def dark_palette() -> QPalette:
    pal = QPalette()
    for role, color in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                        (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.Text, "#e6e6e6"),
                        (QPalette.ColorRole.Button, "#353535"), (QPalette.ColorRole.ButtonText, "#e6e6e6"),
                        (QPalette.ColorRole.Mid, "#5a5a5a")):
        pal.setColor(role, QColor(color))
    return pal


@pytest.fixture
def dark():
    app = QApplication.instance()
    old = app.palette()
    app.setPalette(dark_palette())
    yield app.palette()
    app.setPalette(old)


def test_penalty_help_reads_as_text_in_a_dark_palette(window, dark):
    help_label = window.reg_panel.help
    assert help_label.styleSheet() == ""
    fg = help_label.palette().color(QPalette.ColorRole.WindowText)
    bg = help_label.palette().color(QPalette.ColorRole.Window)
    assert contrast(fg, bg) > 7  # not the pale "mid" grey that read as disabled
    assert help_label.font().pointSizeF() < QApplication.font().pointSizeF()


def test_views_stay_readable_in_a_dark_palette(qtbot, dark, loss, preds):
    """The plots keep their white canvas and dark ink whatever the system palette; the labels
    beside them follow the palette."""
    white = QColor("white")
    loss.add_epochs(rows_of(overfit()))
    assert loss.backgroundBrush().color() == white
    for text in (loss.verdict_label, loss.stops_label):
        color = QColor(text.opts.get("color") or "k")
        assert contrast(color, white) > 4.5, text.text
    for axis in (loss.loss.getAxis("left"), preds.cm_plot.getAxis("bottom")):
        assert contrast(axis.textPen().color(), white) > 7
    title = preds.title.palette().color(QPalette.ColorRole.WindowText)
    assert contrast(title, preds.title.palette().color(QPalette.ColorRole.Window)) > 7


def test_divergence_in_the_first_epoch_says_so_and_ranges_on_what_was_good(loss):
    rows = rows_of(np.array([4.2e13, np.inf]), np.array([0.7, 4e13]), acc=np.array([0.46, 0.48]))
    loss.add_epochs(rows)
    lo, hi = y_view(loss)
    assert lo < 0.7 < hi < 1
    assert loss.verdict_label.text.startswith("the loss blew up in epoch 1")
    assert loss.train_m.item.opts["symbol"] == "o"  # two accuracy points, drawn as dots


def test_the_log_scale_action_follows_an_automatic_switch_without_forcing_it(window):
    from tests.ui.test_views import rows_of

    val = np.geomspace(5, 0.05, 40)
    window.loss_plot.add_epochs(rows_of(val, np.geomspace(3, 0.001, 40)))
    assert window.loss_plot.log and window.actions["log_y"].isChecked()
    assert window.loss_plot.log_pref is None  # still automatic: ticking it was not a choice


def test_a_starting_run_says_training_not_press_start(window, qtbot):
    from tests.ui.test_window import set_small

    set_small(window, epochs=2)
    assert "Press Start" in window.loss_plot.hint.textItem.toPlainText()
    window.runner.start()
    assert window.loss_plot.hint.textItem.toPlainText().startswith("Training…")
    window.runner.stop_and_wait()
    window.runner.reset()
    assert "Press Start" in window.loss_plot.hint.textItem.toPlainText()
