"""The experiment the window opens with shows overfitting within seconds."""

from regstudio.experiments.config import default_config
from regstudio.experiments.training import train


def test_default_experiment_overfits_clearly():
    result = train(default_config())
    rows = result.history
    best = result.summary["best_epoch"]
    assert best <= 20  # validation loss bottoms out early...
    assert rows[-1]["val_loss"] > 2 * rows[best - 1]["val_loss"]  # ...then climbs
    assert rows[-1]["data_loss"] < 0.1 * rows[-1]["val_loss"]  # while training loss vanishes
