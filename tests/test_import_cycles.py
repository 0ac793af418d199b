"""No module of regstudio imports a module that imports it back, directly or round a longer
loop, counting the imports made lazily inside functions (import-linter's ``acyclic`` contract
checks the same between sibling packages and modules; this check is per module, and lists
every loop it finds)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "regstudio"

def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module and package under ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same tree it imports, anywhere in its code (top level,
    functions, ``if TYPE_CHECKING``). ``from pkg import name`` counts as importing the
    submodule ``pkg.name`` when there is one, else the package."""
    files = module_files(root)

    def known(name: str) -> str | None:  # the module itself, or the closest package holding it
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(known(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module or ""
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    targets.add(sub if sub in files else known(source))
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Each group of modules that reach one another (a strongly connected component of two or
    more), sorted; Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(tuple(sorted(group)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def describe(group: tuple[str, ...], graph: dict[str, set[str]]) -> str:
    """One loop through the group's first module, written a -> b -> ... -> a."""
    start, members = group[0], set(group)
    path, seen = [start], {start}
    while True:
        nxt = sorted(graph[path[-1]] & members)
        back = [n for n in nxt if n == start]
        if back and len(path) > 1:
            return " -> ".join([*path, start])
        step = next((n for n in nxt if n not in seen), None)
        if step is None:
            return " <-> ".join(group)
        path.append(step)
        seen.add(step)


def test_the_checker_finds_a_loop_made_by_a_lazy_import(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..c import g\n")
    (pkg / "c.py").write_text("import pkg.a\n")
    (pkg / "d.py").write_text("from . import a\n")  # imports into the loop, not part of it
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.sub.b"} and graph["pkg.sub.b"] == {"pkg.c"}
    assert cycles(graph) == [("pkg.a", "pkg.c", "pkg.sub.b")]
    assert describe(cycles(graph)[0], graph) == "pkg.a -> pkg.sub.b -> pkg.c -> pkg.a"
    (pkg / "sub" / "b.py").write_text("def f():\n    pass\n")
    assert cycles(import_graph(pkg)) == []


def test_no_module_imports_a_module_that_imports_it_back():
    graph = import_graph(ROOT)
    loops = [describe(group, graph) for group in cycles(graph)]
    assert not loops, "import loops (break each by moving what both sides need to a leaf module):\n" + "\n".join(loops)
