"""The README documents every config key and states the two set-up commands CI runs."""

from pathlib import Path

import pytest

from regstudio.engine.model import LAYER_OPTIONS
from regstudio.experiments.config import (
    EARLY_STOPPING_OPTIONS,
    REGULARIZATION_OPTIONS,
    TRAINING_OPTIONS,
)

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

KEYS = sorted({*REGULARIZATION_OPTIONS, *EARLY_STOPPING_OPTIONS, *TRAINING_OPTIONS,
               *(k for table in LAYER_OPTIONS.values() for k in table), *LAYER_OPTIONS})


@pytest.mark.parametrize("key", KEYS)
def test_readme_documents_config_key(key):
    assert f"`{key}`" in README


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    command = next(line for line in README.splitlines() if "pytest" in line and line.startswith("python3"))
    assert command in ci
