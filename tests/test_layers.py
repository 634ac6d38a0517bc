"""The packages' import graph: data flows one way and no module imports one that imports it.

Every import counts, the ones inside functions too (a lazy import still ties two modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mesa_env", "agents", "mesa_baselines", "mesa_evaluation")


def _graph() -> dict[str, set[str]]:
    modules = {}
    for package in PACKAGES:
        for file in (ROOT / package).rglob("*.py"):
            name = ".".join(file.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = file
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, file in modules.items():
        for node in ast.walk(ast.parse(file.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def test_mesa_env_imports_nothing_above_it():
    upward = {
        (name, target)
        for name, targets in _graph().items()
        if name.startswith("mesa_env")
        for target in targets
        if not target.startswith("mesa_env")
    }
    assert upward == set()


def test_no_import_cycles_between_modules():
    graph = _graph()
    # A package's __init__ re-exporting its own modules is not a cycle between modules.
    edges = {name: {t for t in targets if t not in PACKAGES} for name, targets in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in edges:
        if node not in state and node not in PACKAGES:
            visit(node, [node])
    assert cycles == []
