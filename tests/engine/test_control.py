"""Which edits reach a running fit (engine.control): the one home of the live-key rule the
window's RunController and the engine's TrainingControl both follow."""

import pytest

from regstudio.engine.control import LIVE_KEYS, TrainingControl, dropout_index, is_live_key, live_key


@pytest.mark.parametrize("path", ["regularization.l1", "regularization.l2", "training.lr",
                                  "model.layers[0].rate", "model.layers[12].rate"])
def test_live_settings_travel_under_their_own_path(path):
    assert live_key(path) == path and is_live_key(path)


@pytest.mark.parametrize("path", ["augmentation", "augmentation.enabled", "augmentation.ops",
                                  "augmentation.ops[2].p", "augmentation.ops[0].degrees"])
def test_every_augmentation_edit_travels_as_the_whole_section(path):
    assert live_key(path) == "augmentation"


@pytest.mark.parametrize("path", [
    "training.epochs", "training.batch_size", "training.optimizer", "training.seed",
    "regularization.l1_method", "regularization.apply_to_bias", "regularization.dropout_scaling",
    "model.layers[0].units", "model.layers[1].activation", "model.layers", "model.layers[x].rate",
    "model.layers[1].rate.extra", "xmodel.layers[1].rate", "data.path", "early_stopping.patience",
    "augmentations", "augmentation_extra", "regularization", "training", ""])
def test_other_edits_need_a_fresh_start(path):
    assert live_key(path) is None and not is_live_key(path)


def test_an_augmentation_setting_is_not_a_key_of_its_own():
    """The engine takes augmentation whole: a single op's path is not a key it accepts."""
    assert is_live_key("augmentation") and not is_live_key("augmentation.enabled")
    with pytest.raises(ValueError):
        TrainingControl().change("augmentation.ops[0].p", 0.5)


def test_dropout_index_reads_the_layer_of_a_rate():
    assert dropout_index("model.layers[3].rate") == 3
    assert dropout_index("model.layers[10].rate") == 10
    assert dropout_index("model.layers[3].units") is None and dropout_index("training.lr") is None


def test_changes_queue_in_order_and_are_taken_once():
    control = TrainingControl()
    control.change("training.lr", 0.01)
    control.change("model.layers[1].rate", 0.3)
    control.change("augmentation", {"enabled": False, "ops": []})
    assert control.take_changes() == [("training.lr", 0.01), ("model.layers[1].rate", 0.3),
                                       ("augmentation", {"enabled": False, "ops": []})]
    assert control.take_changes() == []


def test_a_refused_change_names_the_live_keys_and_queues_nothing():
    control = TrainingControl()
    with pytest.raises(ValueError) as info:
        control.change("training.epochs", 5)
    message = str(info.value)
    assert message.startswith("training.epochs cannot change during training")
    assert all(key in message for key in LIVE_KEYS) and "model.layers[i].rate" in message
    assert control.take_changes() == []
