"""Option tables: one description of each setting drives validation and the GUI widgets."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path

from .errors import DataError

KINDS = ("int", "float", "bool", "choice", "str", "path")


@dataclass(frozen=True)
class Option:
    """One option of a data source or augmentation op (a default of None means optional)."""

    default: object
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    help: str = ""
    log: bool = False

    def describe(self) -> str:
        """The allowed values in words, for error messages."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind in ("int", "float"):
            noun = "an integer" if self.kind == "int" else "a number"
            if self.low is not None and self.high is not None:
                return f"{noun} from {_fmt(self.low)} to {_fmt(self.high)}"
            if self.low is not None:
                return f"{noun} >= {_fmt(self.low)}"
            if self.high is not None:
                return f"{noun} <= {_fmt(self.high)}"
            return noun
        words = {"bool": "true or false", "str": "a text", "path": "a file or folder path"}
        return words[self.kind]

    def check(self, value: object, key: str) -> object:
        """Return ``value`` normalised to this option's kind, or raise DataError naming ``key``."""
        if value is None and self.default is None:
            return None
        got = value
        ok = _KIND_CHECKS[self.kind](value)
        if ok and self.kind == "choice":
            ok = value in self.choices
        if ok and self.kind in ("int", "float"):
            value = int(value) if self.kind == "int" else float(value)
            ok = (self.low is None or value >= self.low) and (
                self.high is None or value <= self.high)
        if not ok:
            raise DataError(f"{key} must be {self.describe()} (got {got!r})")
        return str(value) if self.kind == "path" else value


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


_KIND_CHECKS = {
    "int": lambda v: isinstance(v, Integral) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v),
    "bool": lambda v: isinstance(v, bool),
    "choice": lambda v: isinstance(v, str | int | float | bool),
    "str": lambda v: isinstance(v, str),
    "path": lambda v: isinstance(v, str | Path) and str(v) != "",
}


def validate(values: dict, table: dict[str, Option], prefix: str) -> dict:
    """Check ``values`` against ``table``: unknown keys and bad values raise DataError naming
    ``prefix + key``; missing keys take their defaults. Returns a new dict with every key."""
    if not isinstance(values, dict):
        where = prefix.rstrip(".")
        raise DataError(f"{where} must be a mapping of keys to values (got {values!r})")
    unknown = [k for k in values if k not in table]
    if unknown:
        known = ", ".join(table)
        raise DataError(f"{prefix}{unknown[0]} is not a known key here (known: {known})")
    return {k: opt.check(values[k], prefix + k) if k in values else opt.default
            for k, opt in table.items()}
