"""The parts of the exported scripts, as real modules that ruff checks and tests import and run.

Each module here starts with the imports and the settings its code refers to (placeholder
values: the generator writes the experiment's own), then blocks, each opened by a
``# --- export: NAME ---`` line and running to the next such line, a ``# --- end ---`` line
or the end of the file. A block may sit inside a function (a fragment of its body).

:func:`block` returns a block's lines as a script holds them, filled in with the
experiment's settings; that is all the generator does with them:

- ``flags``: an ``if NAME:`` / ``elif NAME:`` / ``else:`` chain whose every test is a flag
  keeps only the branch the flags choose, one indent less (each branch is real code, so the
  module runs as any of the scripts would, with its flags set that way);
- ``settings``: a ``NAME = value`` line at the block's left edge gets the experiment's value
  (source text), its comment kept;
- ``values``: a placeholder ``NAME`` becomes the experiment's source text (``'acc'``,
  ``torch.long``), and ``{NAME}`` in an f-string its text (``acc``);
- ``notes``: a trailing ``# NAME`` comment becomes that text, or goes when it is empty;
- ``lines``: a line reading ``*name(),`` (say, the layers inside ``nn.Sequential(``) is
  replaced by the generated lines;
- a line ending in ``# export: MODULE.BLOCK`` is replaced by that block (shared by both
  frameworks), at the line's indentation;
- a ``  # noqa...`` comment (the module's lint directive) is dropped.

A flag or placeholder left unfilled fails loudly (ValueError). The generator
reads the modules as text (``importlib.resources``), never imports them; only the tests do
(the PyTorch and Keras ones need those libraries). PyInstaller bundles them as data files.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from importlib.resources import files

MODULES = ("data", "torch_blocks", "keras_blocks")
_MARKER = "# --- export: "
_END = "# --- end ---"
_INCLUDE = re.compile(r"^(\s*)\S.*  # export: (\w+)\.(\w+)$")
_FLAG_TEST = re.compile(r"^(\s*)(if|elif) (\w+):$")
_NOQA = re.compile(r"  # noqa\b.*$")
_NOTE = re.compile(r"  # ([A-Z][A-Z0-9_]*)$")


@cache
def _source(module: str) -> str:
    return files(__package__).joinpath(f"{module}.py").read_text(encoding="utf-8")


@cache
def _parse(module: str) -> tuple[dict[str, tuple[str, ...]], frozenset[int]]:
    """The module's blocks by name, and the numbers of the lines they span."""
    blocks: dict[str, list[str]] = {}
    inside: set[int] = set()
    current = None
    for number, line in enumerate(_source(module).split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith(_MARKER):
            current = blocks.setdefault(stripped.removeprefix(_MARKER).removesuffix(" ---"), [])
        elif stripped == _END:
            current = None
        elif current is not None:
            current.append(line)
        if current is not None or stripped == _END:
            inside.add(number)
    for lines in blocks.values():
        while lines and not lines[-1].strip():
            lines.pop()
    return {name: tuple(lines) for name, lines in blocks.items()}, frozenset(inside)


@cache
def _placeholders() -> tuple[tuple[str, re.Pattern], ...]:
    """What no script may hold: the names the modules bind outside their blocks (the flags and
    placeholder values in capitals, and functions such as ``model_layers``)."""
    names: set[str] = set()
    for module in MODULES:
        inside = _parse(module)[1]
        for node in ast.parse(_source(module)).body:
            if node.lineno in inside:
                continue
            if isinstance(node, ast.FunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(n.id for t in node.targets for n in ast.walk(t)
                             if isinstance(n, ast.Name) and n.id.isupper())
    return tuple((name, _name(name)) for name in sorted(names))


def _raw(module: str, name: str) -> list[str]:
    """The block's lines, includes resolved."""
    try:
        lines = _parse(module)[0][name]
    except KeyError:
        raise KeyError(f"codegen_runtime/{module}.py has no block {name!r}") from None
    out: list[str] = []
    for line in lines:
        m = _INCLUDE.match(line)
        if m is None:
            out.append(line)
            continue
        included = _raw(m[2], m[3])
        shift = len(m[1]) - min(_indent(x) for x in included if x.strip())
        out += [(" " * shift + x if shift >= 0 else x[-shift:]) if x.strip() else x for x in included]
    return out


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _specialize(lines: list[str], flags: dict[str, bool]) -> list[str]:
    """Keep the branch the flags choose of each flag-only if/elif/else chain, dedented."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _FLAG_TEST.match(lines[i])
        if m is None or m[2] != "if" or m[3] not in flags:
            out.append(lines[i])
            i += 1
            continue
        indent, chosen, header = m[1], None, lines[i]
        while header is not None:
            body, i = _body(lines, i + 1, len(indent))
            if header.strip() == "else:":
                taken = True
            else:
                hm = _FLAG_TEST.match(header)
                if hm is None or hm[3] not in flags:
                    raise KeyError(f"{header.strip()!r} tests no flag, in a chain of flags")
                taken = flags[hm[3]]
            if chosen is None and taken:
                chosen = body
            following = lines[i] if i < len(lines) else ""
            is_next = following.startswith(indent) and _indent(following) == len(indent)
            header = following if is_next and (following.strip() == "else:"
                                               or following.lstrip().startswith("elif ")) else None
        if chosen is not None:
            out += [x[4:] if x.strip() else x for x in _specialize(chosen, flags)]
    return out


def _body(lines: list[str], start: int, indent: int) -> tuple[list[str], int]:
    """The lines of a branch starting at ``start`` (deeper than ``indent``), and the index after it;
    blank lines after the branch belong to what follows."""
    end = start
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return list(lines[start:end]), end


def _name(name: str) -> re.Pattern:
    return re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")


def _text(source: str) -> str:
    """What a value reads as inside an f-string: a string literal's text, other source as is."""
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return source
    return value if isinstance(value, str) else source


def block(module: str, name: str, *, flags: dict[str, bool] | None = None,
          settings: dict[str, str] | None = None, values: dict[str, str] | None = None,
          notes: dict[str, str] | None = None, lines: dict[str, list[str]] | None = None,
          gap: int = 2) -> list[str]:
    """The lines of block ``name`` of ``module``.py filled in (see the module's docstring),
    then ``gap`` blank lines (two follow a top-level definition). The dicts may hold more than
    the block uses; a flag or placeholder left unfilled raises ValueError."""
    flags, settings, values = flags or {}, settings or {}, values or {}
    notes, lines = notes or {}, lines or {}
    out: list[str] = []
    for line in _specialize(_raw(module, name), flags):
        line = _NOQA.sub("", line)  # the module's lint directives, not the script's
        if line.strip() in lines:
            out += lines[line.strip()]
            continue
        for key, source in settings.items():
            m = re.match(rf"^({re.escape(key)} = )(.*?)((?:  # .*)?)$", line)
            if m:
                line = m[1] + source + m[3]
        for key, text in notes.items():
            if line.endswith(f"  # {key}"):
                line = line[: -len(key) - 4] + (f"  # {text}" if text else "")
        for key, source in values.items():
            line = line.replace("{" + key + "}", _text(source))
            line = _name(key).sub(lambda _m, s=source: s, line)
        left = [key for key, pattern in _placeholders() if pattern.search(line)]
        left += _NOTE.findall(line)
        if left:
            raise ValueError(f"codegen_runtime/{module}.py block {name!r}: {line.strip()!r} "
                             f"still holds a placeholder ({left[0]})")
        out.append(line)
    return out + [""] * gap
