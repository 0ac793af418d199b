"""One option of a config section: default, type, range and help. The same table
validates config values (messages name the key) and builds the GUI's widgets."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path

_KIND_CHECKS = {
    "int": lambda v: isinstance(v, Integral) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, Real) and not isinstance(v, bool) and _finite(v),
    "bool": lambda v: isinstance(v, bool),
    "choice": lambda v: isinstance(v, str | int | float | bool),
    "str": lambda v: isinstance(v, str),
    "path": lambda v: isinstance(v, str | Path) and str(v) != "",
    "names": lambda v: isinstance(v, list | tuple) and all(isinstance(x, str) and x for x in v),
}
KINDS = tuple(_KIND_CHECKS)


def _finite(v: Real) -> bool:
    """Finite as a float: an integer too large for a float (``1`` and 400 zeros) is not."""
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def shown(value: object, width: int | None = None) -> str:
    """``repr(value)`` for a message, cut to ``width`` characters if given; a huge integer is
    described ("an integer of about 401 digits"), not printed in full."""
    if isinstance(value, Integral) and not isinstance(value, bool) and abs(value) > 10**20:
        return f"an integer of about {int(int(value).bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    return text if width is None or len(text) <= width else text[:width - 3] + "..."


@dataclass(frozen=True)
class Option:
    """An option; ``None`` is accepted when the default is ``None`` or ``nullable`` is set."""

    default: object
    kind: str  # one of KINDS
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    help: str = ""
    log: bool = False  # suggest a logarithmic slider
    nullable: bool = False

    def describe(self) -> str:
        """The allowed values in words, for error messages."""
        if self.kind == "choice":
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.kind in ("int", "float"):
            noun = "an integer" if self.kind == "int" else "a number"
            if self.low is not None and self.high is not None:
                return f"{noun} from {_fmt(self.low)} to {_fmt(self.high)}"
            if self.low is not None:
                return f"{noun} >= {_fmt(self.low)}"
            if self.high is not None:
                return f"{noun} <= {_fmt(self.high)}"
            return noun
        return {"bool": "true or false", "str": "a text", "path": "a file or folder path",
                "names": "a list of column names"}[self.kind]

    def check(self, value: object, key: str, error: type[Exception] = ValueError) -> object:
        """``value`` normalised to this option's kind, or ``error`` naming ``key``."""
        if value is None and (self.default is None or self.nullable):
            return None
        given = shown(value)
        if self.kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)  # 300.0 from a JSON writer is 300
        ok = _KIND_CHECKS[self.kind](value)
        if ok and self.kind == "choice":
            ok = value in self.choices
        if ok and self.kind in ("int", "float"):
            value = int(value) if self.kind == "int" else float(value)
            ok = (self.low is None or value >= self.low) and (self.high is None or value <= self.high)
        if not ok:
            raise error(f"{key} must be {self.describe()} (got {given})")
        if self.kind == "names":
            return list(value)
        return str(value) if self.kind == "path" else value


def validate(values: dict, table: dict[str, Option], prefix: str,
             error: type[Exception] = ValueError) -> dict:
    """Check ``values`` against ``table``: unknown keys and bad values raise ``error`` naming
    ``prefix + key``; missing keys take their defaults. Returns a new dict with every key."""
    if not isinstance(values, dict):
        raise error(f"{prefix.rstrip('.')} must be a mapping of keys to values (got {values!r})")
    unknown = [k for k in values if k not in table]
    if unknown:
        raise error(f"{prefix}{unknown[0]} is not a known key here (known: {', '.join(table)})")
    return {k: opt.check(values[k], prefix + k, error) if k in values else opt.default
            for k, opt in table.items()}
