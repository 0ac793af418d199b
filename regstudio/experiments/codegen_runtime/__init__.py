"""The fully static parts of the exported scripts, as real modules that ruff checks and tests run.

Each module here starts with the imports and the settings its code refers to (placeholder
values: the generator writes the experiment's own), then one or more blocks, each opened by a
``# --- export: NAME ---`` line and running to the next such line or the end of the file.
:func:`block` returns a block's lines as the scripts hold them. The modules are read as
text (``importlib.resources``), never imported, by the generator; only the tests import them
(the PyTorch and Keras ones need those libraries). PyInstaller bundles them as data files.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

_MARKER = "# --- export: "


@cache
def _blocks(module: str) -> dict[str, tuple[str, ...]]:
    text = files(__package__).joinpath(f"{module}.py").read_text(encoding="utf-8")
    blocks: dict[str, list[str]] = {}
    current = None
    for line in text.split("\n"):
        if line.startswith(_MARKER):
            current = blocks.setdefault(line.removeprefix(_MARKER).removesuffix(" ---"), [])
        elif current is not None:
            current.append(line)
    for lines in blocks.values():
        while lines and not lines[-1].strip():
            lines.pop()
    return {name: tuple(lines) for name, lines in blocks.items()}


def block(module: str, name: str) -> list[str]:
    """The lines of block ``name`` of ``module``.py, then the two blank lines that follow a
    top-level definition."""
    try:
        return [*_blocks(module)[name], "", ""]
    except KeyError:
        raise KeyError(f"codegen_runtime/{module}.py has no block {name!r}") from None
