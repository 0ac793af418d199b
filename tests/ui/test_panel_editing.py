"""Editing in the panels: typing into a log slider's spin box, the output layer's editor,
the parameter total of an empty model."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest


def record_edits(window) -> list:
    edits = []
    window.state.edited.connect(lambda path, value: edits.append((path, value)))
    return edits


def type_into(spin, text: str, each=lambda: None) -> None:
    """Select the spin box's text and type ``text`` key by key, calling ``each`` after each key."""
    spin.setFocus()
    spin.selectAll()
    for ch in text:
        QTest.keyClicks(spin, ch)
        each()


@pytest.mark.parametrize("kind, typed", [("l2", "0.005"), ("l1", "0.0002")])
def test_typed_alpha_applies_when_editing_finishes(qtbot, window, kind, typed):
    """Typing keeps the penalty and its box until Enter, then applies the typed value once."""
    panel, path = window.reg_panel, f"regularization.{kind}"
    panel.kind_buttons[kind].click()
    before = window.state.get(path)
    alpha = getattr(panel, kind)
    edits = record_edits(window)

    def unchanged():
        assert window.state.get(path) == before and panel.kind() == kind
        assert alpha.isVisible()

    type_into(alpha.spin, typed, unchanged)
    QTest.keyClick(alpha.spin, Qt.Key.Key_Return)
    assert edits == [(path, float(typed))]
    assert panel.kind() == kind and alpha.isVisible()


def test_typed_learning_rate_applies_when_editing_finishes(qtbot, window):
    """Every log slider pair (here the Training panel's) waits for Enter: typing 0.25 does
    not set 0.2 on the way."""
    lr = window.training_panel.form.editors["lr"][0]
    edits = record_edits(window)
    type_into(lr.spin, "0.25")
    assert edits == []
    QTest.keyClick(lr.spin, Qt.Key.Key_Return)
    assert edits == [("training.lr", 0.25)]


def test_slider_and_arrow_keys_apply_at_once(qtbot, window):
    panel = window.reg_panel
    panel.kind_buttons["l2"].click()
    panel.l2.slider.triggerAction(panel.l2.slider.SliderAction.SliderSingleStepAdd)
    after_slider = window.state.get("regularization.l2")
    assert after_slider > 1e-3 and after_slider == panel.l2.spin.value()
    panel.l2.spin.setFocus()
    QTest.keyClick(panel.l2.spin, Qt.Key.Key_Up)
    assert window.state.get("regularization.l2") > after_slider


def test_typed_alpha_during_training_is_one_live_change(qtbot, window):
    """While training, the typed value goes to the run once (no "L2 0.001 -> 0"), and the
    slider still changes the run live."""
    window.state.set("training.epochs", 20000)
    window.state.set("early_stopping.enabled", False)
    panel = window.reg_panel
    panel.kind_buttons["l2"].click()
    assert window.runner.start()
    qtbot.waitUntil(lambda: len(window.loss_plot.rows) >= 1, timeout=20000)
    lines = window.loss_plot.change_lines
    type_into(panel.l2.spin, "0.005")
    QTest.keyClick(panel.l2.spin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(lines) >= 1, timeout=5000)
    panel.l2.slider.triggerAction(panel.l2.slider.SliderAction.SliderSingleStepAdd)
    qtbot.waitUntil(lambda: len(lines) >= 2, timeout=5000)
    slid = window.state.get("regularization.l2")
    assert window.runner.stop_and_wait()
    run = window.session.last
    changes = [(c["key"], c["old"], c["new"]) for c in run.changes]
    assert changes == [("regularization.l2", 0.001, 0.005), ("regularization.l2", 0.005, slid)]


def test_output_layer_editor_shows_what_engine_builds(qtbot, window):
    """Units follow the data (read-only, said in the tooltip), activation linear unless set."""
    from regstudio.experiments.build import build

    mp, s = window.model_panel, window.state
    last = mp.list.count() - 1
    mp.list.setCurrentRow(last)
    units, activation = (mp.editor.editors[k][0] for k in ("units", "activation"))
    out = build(s.frozen(), dataset=s.dataset).model.layers[-1]
    assert (units.value(), activation.currentData()) == (out.units, out.activation_name) == (2, "linear")
    assert not units.isEnabled() and "follows the data" in units.toolTip()
    assert "units" not in s.get(f"model.layers[{last}]")
    # a one-output loss: the engine builds one unit, and so does the editor
    s.set("training.loss", "sigmoid_bce")
    assert mp.editor.editors["units"][0].value() == 1
    assert mp.list.item(last).text().split("→")[1].split()[0] == "1"
    s.set("training.loss", "auto")
    # an activation the config sets is shown
    mp.editor.editors["activation"][0].setCurrentIndex(activation.findData("tanh"))
    assert s.get(f"model.layers[{last}].activation") == "tanh"
    assert mp.editor.editors["activation"][0].currentData() == "tanh"
    # a hidden layer keeps an ordinary editor
    mp.list.setCurrentRow(0)
    units = mp.editor.editors["units"][0]
    assert units.isEnabled() and units.value() == s.get("model.layers[0].units")


def test_wrong_output_units_can_be_corrected(qtbot, window):
    mp, s = window.model_panel, window.state
    last = mp.list.count() - 1
    s.set(f"model.layers[{last}].units", 5)
    mp.list.setCurrentRow(last)
    units = mp.editor.editors["units"][0]
    assert "2 units" in mp.reason and units.isEnabled() and units.value() == 5
    units.setValue(2)
    assert not mp.reason and not mp.editor.editors["units"][0].isEnabled()


def test_remove_all_layers_clears_the_total(qtbot, window):
    mp = window.model_panel
    assert "trainable parameters" in mp.total.text()
    while window.state.config["model"]["layers"]:
        mp.list.setCurrentRow(0)
        mp.remove_button.click()
    assert mp.reason == "the model has no layers"
    assert "trainable" not in mp.total.text() and "output layer" in mp.total.text()
    window.actions["undo"].trigger()
    assert "trainable parameters" in mp.total.text()


def test_typed_layer_units_are_one_edit(qtbot, window):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QSpinBox

    window.model_panel.list.setCurrentRow(0)
    box = next(w for w in window.model_panel.findChildren(QSpinBox) if w.isVisible() and w.value() == 256)
    seen = []
    window.state.edited.connect(lambda path, value: seen.append(value))
    box.selectAll()
    qtbot.keyClicks(box, "128")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.state.get("model.layers[0].units") == 128
    assert len(seen) == 1


def test_sliding_alpha_to_zero_keeps_its_slider(qtbot, window):
    panel = window.reg_panel
    panel.kind_buttons["l2"].click()
    panel.l2.slider.setValue(panel.l2.slider.minimum())  # dragged to the far left: 0
    assert window.state.get("regularization.l2") == 0.0
    assert panel.l2.isVisible() and panel.kind_buttons["l2"].isChecked()
    panel.l2.slider.setValue(panel.l2.slider.maximum() // 2)  # and on, in the same drag
    assert window.state.get("regularization.l2") > 0
    panel.kind_buttons["none"].click()
    assert not panel.l2.isVisible()
    window.state.undo_stack.undo()  # back to L2 with alpha > 0
    assert panel.l2.isVisible()


def test_a_number_still_being_typed_applies_on_start(qtbot, window):
    spin = window.reg_panel.l2.spin
    window.state.set("training.epochs", 1)
    window.reg_panel.kind_buttons["l2"].click()
    window.activateWindow()
    type_into(spin, "0.004")
    assert window.state.get("regularization.l2") != 0.004  # not applied yet: no Enter
    assert spin.hasFocus()
    assert window.runner.start()  # F5 while the box still has the typed text
    assert window.state.get("regularization.l2") == 0.004
    assert window.runner.worker.config["regularization"]["l2"] == 0.004
    window.runner.stop_and_wait()


def test_every_augmentation_op_has_its_probability_and_strength(qtbot, window):
    from regstudio.data import OPS

    panel = window.aug_panel
    for name, spec in OPS.items():
        assert set(panel.op_widgets[name]["editors"]) == set(spec.params), name
        assert panel.op_widgets[name]["check"].toolTip() == spec.help
    rotate = panel.op_widgets["rotate"]
    rotate["check"].setChecked(False)
    rotate["check"].setChecked(True)
    widget = rotate["editors"]["degrees"][0]
    widget.setValue(40)
    ops = {op["op"]: op for op in window.state.get("augmentation.ops")}
    assert ops["rotate"]["degrees"] == 40
