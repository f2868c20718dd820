"""core/ by capability: imports run one way, between its packages and between its modules.

The graph is read from the source with `ast`, every import counted (a lazy import in a
function is a dependency too). A package is `core.<name>`, a top-level module such as
`core.periods` included; a cycle between packages means two capabilities each need the
other, which is where one rule ends up with two homes.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"

Graph = dict[str, set[str]]


def _module_names() -> dict[str, Path]:
    names = {}
    for path in CORE.rglob("*.py"):
        parts = path.relative_to(CORE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The core modules `name` imports; `from core.x import y` counts as core.x.y when y is
    a module, else as core.x."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


def module_graph() -> Graph:
    names = _module_names()
    known = set(names)
    return {
        name: {target for target in _imports(name, path, known) if target in known} - {name}
        for name, path in names.items()
    }


def package_graph(modules: Graph) -> Graph:
    def package(name: str) -> str:
        return ".".join(name.split(".")[:2])

    graph: Graph = {}
    for name, targets in modules.items():
        graph.setdefault(package(name), set()).update(package(t) for t in targets)
    return {name: targets - {name} for name, targets in graph.items()}


def cycles(graph: Graph) -> list[list[str]]:
    """Groups of nodes that each reach all the others (strongly connected, more than one)."""
    reach = {node: _reachable(graph, node) for node in graph}
    groups, seen = [], set()
    for node in sorted(graph):
        if node in seen:
            continue
        group = sorted(other for other in reach[node] if node in reach[other])
        if len(group) > 1:
            groups.append(group)
            seen.update(group)
    return groups


def _reachable(graph: Graph, start: str) -> set[str]:
    found, todo = set(), [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in found:
                found.add(target)
                todo.append(target)
    return found


def test_the_walk_sees_imports() -> None:
    modules = module_graph()
    assert "core.db" in modules["core.marketplace.submit"]
    assert "core.models" in package_graph(modules)["core.marketplace"]


def test_a_cycle_is_found_whatever_its_length() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_cycle_between_packages() -> None:
    modules = module_graph()
    found = cycles(package_graph(modules))
    assert not found, "packages that import each other:\n" + "\n".join(
        _crossings(modules, group) for group in found
    )


def test_no_cycle_between_modules() -> None:
    assert cycles(module_graph()) == []


def _crossings(modules: Graph, packages: list[str]) -> str:
    """The imports that tie a group of packages together, one a line."""
    inside = tuple(f"{p}." for p in packages) + tuple(packages)
    return "\n".join(
        f"  {name} -> {target}"
        for name, targets in sorted(modules.items())
        for target in sorted(targets)
        if name.startswith(inside)
        and target.startswith(inside)
        and name.split(".")[:2] != target.split(".")[:2]
    )
