"""The house's shape (ARCHITECTURE.md): imports go down the flow, read from the source text.

Every import counts, at the top of a module or inside a function, except those under
``if TYPE_CHECKING:`` (annotations only, never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scanner", "detectors", "mappings")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))
           if "data" not in p.relative_to(ROOT / pkg).parts}


def _owner(name: str) -> str | None:
    """The module of ours that ``name`` (a module or a module's attribute) lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every import node, skipping the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


class Imports:
    """Edges between our modules, private names taken from another module, and module aliases."""

    def __init__(self) -> None:
        self.edges: dict[str, set[str]] = {m: set() for m in MODULES}
        self.private: list[str] = []
        for module, path in MODULES.items():
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            aliases: dict[str, str] = {}
            for node in _imports(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        target = _owner(alias.name)
                        if target:
                            self._edge(module, target)
                            if alias.asname:
                                aliases[alias.asname] = target
                    continue
                source = self._from_source(module, path, node)
                if source.split(".")[0] not in PACKAGES:
                    continue
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    if full in MODULES:
                        self._edge(module, full)
                        aliases[alias.asname or alias.name] = full
                        continue
                    target = _owner(source)
                    if target:
                        self._edge(module, target)
                        if _private(alias.name) and target != module:
                            self.private.append(f"{module} imports {target}.{alias.name}")
            # ``import scanner.x as m`` then ``m._name``: the same private name, by another door.
            for node in ast.walk(tree):
                if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                        and node.value.id in aliases and _private(node.attr) and aliases[node.value.id] != module):
                    self.private.append(f"{module} uses {aliases[node.value.id]}.{node.attr}")

    def _edge(self, module: str, target: str) -> None:
        if target != module:
            self.edges[module].add(target)

    @staticmethod
    def _from_source(module: str, path: Path, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = base[:len(base) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def cycles(self) -> list[list[str]]:
        """Strongly connected components of more than one module (Tarjan, iterative)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[str] = []
        found: list[list[str]] = []
        for root in self.edges:
            if root in index:
                continue
            work = [(root, iter(sorted(self.edges[root])))]
            index[root] = low[root] = len(index)
            stack.append(root)
            on_stack.add(root)
            while work:
                node, children = work[-1]
                child = next(children, None)
                if child is not None:
                    if child not in index:
                        index[child] = low[child] = len(index)
                        stack.append(child)
                        on_stack.add(child)
                        work.append((child, iter(sorted(self.edges[child]))))
                    elif child in on_stack:
                        low[node] = min(low[node], index[child])
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
        return found

    def reaches(self, start: str, goal_prefix: str) -> list[str] | None:
        """A chain of imports from ``start`` to a module under ``goal_prefix``, if any."""
        seen = {start: [start]}
        todo = [start]
        while todo:
            node = todo.pop()
            for child in sorted(self.edges[node]):
                if child in seen:
                    continue
                seen[child] = seen[node] + [child]
                if child == goal_prefix or child.startswith(goal_prefix + "."):
                    return seen[child]
                todo.append(child)
        return None


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@pytest.fixture(scope="module")
def imports() -> Imports:
    return Imports()


def test_the_walk_sees_our_modules(imports):
    assert {"scanner", "scanner.cli", "detectors.base", "mappings.engine"} <= set(MODULES)
    assert any(imports.edges[m] for m in MODULES)


def test_no_import_circle(imports):
    assert imports.cycles() == []


def test_no_private_name_crosses_a_module(imports):
    assert imports.private == []


@pytest.mark.parametrize("package, forbidden", [("detectors", "scanner"), ("detectors", "mappings"),
                                                ("mappings", "scanner")])
def test_lower_layers_never_import_higher(imports, package, forbidden):
    offenders = {m: sorted(t for t in imports.edges[m] if t == forbidden or t.startswith(forbidden + "."))
                 for m in MODULES if m == package or m.startswith(package + ".")}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_spark_submit_does_not_import_the_cli(imports):
    assert imports.reaches("scanner.engines.spark_submit", "scanner.cli") is None


def test_no_code_dispatches_on_a_source_kind():
    """What a source's format does is asked of its reader (``source.reader``): no module compares
    ``Source.kind`` (a word for messages and stored state) or a source's type."""
    offenders = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Compare):
                continue
            for side in (node.left, *node.comparators):
                if isinstance(side, ast.Attribute) and side.attr == "kind":
                    target = ast.unparse(side.value).lower()
                elif isinstance(side, ast.Call) and ast.unparse(side.func) == "type" and side.args:
                    target = ast.unparse(side.args[0]).lower()
                else:
                    continue
                if "source" in target:
                    offenders.append(f"{module}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []
