"""Every bundled example opens, validates and trains (two epochs) from its own folder."""

import json

import pytest

from regstudio.experiments.config import validate_config
from regstudio.experiments.training import train
from regstudio.resources import resource_path

EXAMPLES = sorted(resource_path("examples").glob("*.regstudio"))


def test_examples_are_shipped():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_trains(path):
    cfg = validate_config(json.loads(path.read_text(encoding="utf-8")))
    cfg["training"]["epochs"] = 2
    result = train(cfg, base_dir=path.parent)
    assert result.summary["stopped_epoch"] == 2
