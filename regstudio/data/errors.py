"""The one exception the data layer raises for bad user data."""

from __future__ import annotations


class DataError(ValueError):
    """Bad user data. The message is one line: what is wrong, where (file, row, column, key),
    and what to do."""
