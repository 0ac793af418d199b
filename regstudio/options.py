"""One option of a config section: its default, type, range and help, used both to
validate config values (with messages naming the key) and to build GUI widgets."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real


@dataclass(frozen=True)
class Option:
    default: object
    kind: str  # "int" | "float" | "bool" | "choice" | "str" | "path"
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    help: str = ""
    log: bool = False  # suggest a logarithmic slider
    nullable: bool = False  # None allowed (e.g. "inherit the global value")

    def describe(self) -> str:
        return describe(self)


def describe(option) -> str:
    """The allowed values of an option, as an error message says them."""
    kind = option.kind
    if kind == "choice":
        return "one of " + ", ".join(repr(c) for c in option.choices)
    if kind in ("int", "float"):
        noun = "an integer" if kind == "int" else "a number"
        if option.low is not None and option.high is not None:
            return f"{noun} in [{option.low:g}, {option.high:g}]"
        if option.low is not None:
            return f"{noun} >= {option.low:g}"
        return noun
    return {"bool": "true or false", "str": "a text", "path": "a file path"}.get(kind, kind)


def check_value(key: str, value, option):
    """Return ``value`` converted to the option's type, or raise ``ValueError`` naming ``key``."""
    if value is None and getattr(option, "nullable", False):
        return None
    kind = option.kind
    ok = True
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        ok = isinstance(value, Integral) and not isinstance(value, bool)
        if not ok and isinstance(value, float) and value.is_integer():
            value, ok = int(value), True
    elif kind == "float":
        ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    elif kind == "choice":
        ok = value in option.choices
    elif kind in ("str", "path"):
        ok = isinstance(value, str) and (kind == "str" or value != "")
    if ok and kind in ("int", "float"):
        value = int(value) if kind == "int" else float(value)
        ok = (option.low is None or value >= option.low) and (option.high is None or value <= option.high)
    if not ok:
        raise ValueError(f"{key}: must be {describe(option)}, got {value!r}")
    return value


def check_section(prefix: str, values: dict, table: dict) -> dict:
    """Validate a dict against a table of options: unknown keys are errors, missing ones
    take their defaults. Returns a new dict in the table's key order.

    Works with any option object that has ``default``, ``kind``, ``low``, ``high``
    and ``choices`` (the data layer's options too)."""
    if not isinstance(values, dict):
        raise ValueError(f"{prefix}: must be an object with keys {', '.join(table)}, got {values!r}")
    unknown = [k for k in values if k not in table]
    if unknown:
        raise ValueError(
            f"{prefix}.{unknown[0]}: unknown key; allowed keys are {', '.join(table)}"
        )
    return {k: check_value(f"{prefix}.{k}", values.get(k, opt.default), opt) for k, opt in table.items()}
