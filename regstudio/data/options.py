"""Option tables: one description of each setting drives validation and the GUI widgets.

The class lives in ``regstudio.options`` (shared with the engine and the experiment
config); here its errors become :class:`DataError`.
"""

from __future__ import annotations

from ..options import KINDS, Option
from ..options import validate as _validate
from .errors import DataError

__all__ = ["KINDS", "Option", "validate"]


def validate(values: dict, table: dict[str, Option], prefix: str) -> dict:
    """Check ``values`` against ``table``; errors are DataError naming ``prefix + key``."""
    return _validate(values, table, prefix, DataError)
