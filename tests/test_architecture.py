"""The layers, checked from the code's own imports (parsed, not run):

- ``loco`` is the science: it imports neither ``storage``, ``studio``, ``ui`` nor Streamlit;
- ``storage`` owns the database: it imports neither ``studio``, ``ui`` nor Streamlit;
- ``studio`` is the app layer: no Streamlit, no ``ui``;
- only ``app.py``, ``pages/`` and ``ui/`` import Streamlit;
- no module imports another inside a function unless a comment beside it says why (an optional heavy dependency
  that must load late), and no two modules import each other, directly or around a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("loco", "storage", "studio", "ui", "pages")
FORBIDDEN = {
    "loco": {"storage", "studio", "ui", "pages", "streamlit"},
    "storage": {"studio", "ui", "pages", "streamlit"},
    "studio": {"ui", "pages", "streamlit"},
    "ui": {"pages"},
}


def source_files() -> list[Path]:
    return [ROOT / "app.py"] + sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Absolute names an import statement refers to (``from a import b`` may import the module ``a.b``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]


def imports_of(path: Path) -> tuple[list[str], list[tuple[int, str]]]:
    """(names imported at module level, (line, name) of imports inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module, is_package = module_name(path), path.name == "__init__.py"
    top, local = [], []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    local += [(inner.lineno, name) for name in imported(inner, module, is_package)]
    for node in tree.body:
        statements = [node]
        if isinstance(node, (ast.If, ast.Try)):  # e.g. ``if TYPE_CHECKING:`` or a guarded optional import
            statements = list(ast.walk(node))
        for statement in statements:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                top += imported(statement, module, is_package)
    return top, local


def layer(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_each_layer_imports_only_what_it_may(path):
    own = module_name(path)
    top, local = imports_of(path)
    names = set(top) | {name for _, name in local}
    forbidden = FORBIDDEN.get(layer(own), set())
    wrong = sorted(n for n in names if layer(n) in forbidden)
    assert not wrong, f"{own} imports {wrong}"
    if layer(own) not in ("app", "pages", "ui"):
        assert not [n for n in names if layer(n) == "streamlit"], f"{own} imports Streamlit"


def explained(lines: list[str], line: int) -> bool:
    """Whether the import on ``line`` (1-based) carries a comment, or the block of imports it belongs to has one
    just above it."""
    if "#" in lines[line - 1]:
        return True
    above = line - 2
    while above >= 0 and (not lines[above].strip() or lines[above].strip().startswith(("from ", "import "))):
        above -= 1
    return above >= 0 and lines[above].strip().startswith("#")


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_inside_functions_say_why(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    _, local = imports_of(path)
    silent = sorted({line for line, _ in local if not explained(lines, line)})
    assert not silent, f"{path.name}: function-local imports without a comment saying why, lines {silent}"


def test_no_import_circles():
    modules = {module_name(p): p for p in source_files()}
    graph = {}
    for name, path in modules.items():
        top, _ = imports_of(path)
        graph[name] = {target for target in top if target in modules and target != name}
    index, low, on_stack, stack, circles, counter = {}, {}, set(), [], [], [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert circles == []
