"""Which way the arrows point, checked on every run (README, "Architecture").

The import graph of ``forum/`` and ``search_index/`` is read with ``ast`` (no
import runs, no new dependency). Imports inside functions count like any other;
imports under ``if TYPE_CHECKING:`` do not (they never run). The rules:

- no import circle, however long;
- ``search_index`` never imports ``forum`` (the engine knows nothing of the forum);
- a view module (one that makes a Blueprint) never imports another area's view module;
- a service never imports another area's service (areas react to events instead);
- no view function is longer than 25 lines (a view reads the request, calls a
  service, renders or redirects).

The last test builds a small package that breaks every rule and proves each is caught.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("forum", "search_index")
MAX_VIEW_LINES = 25


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    in_function: bool


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def find_modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    return {
        module_name(root, path): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
    }


def _imports_in(name: str, path: Path, known: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: list[Import] = []

    def resolve(target: str) -> str | None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target or None

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for orelse in child.orelse:
                    visit(ast.Module(body=[orelse], type_ignores=[]), in_function)
                continue
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[: len(package) - (child.level - 1)]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                # ``from . import service`` imports the module ``service``.
                targets = [
                    f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                    for alias in child.names
                ]
            for target in targets:
                resolved = resolve(target)
                if resolved and resolved != name:
                    found.append(Import(name, resolved, child.lineno, in_function))
            nested = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, in_function or nested)

    visit(tree, False)
    return found


def import_graph(root: Path, packages=PACKAGES) -> dict[str, list[Import]]:
    known = find_modules(root, packages)
    return {name: _imports_in(name, path, known) for name, path in known.items()}


def import_circles(graph: dict[str, list[Import]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted({i.target for i in graph[start]})))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted({i.target for i in graph[target]}))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        circles.append(sorted(group))
    return circles


def area_of(module: str) -> str:
    """``forum.threads.views`` -> ``threads``; ``forum.health`` -> ``health``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def view_modules(root: Path, modules: dict[str, Path]) -> set[str]:
    """Modules named ``views`` and modules that make a Blueprint."""
    return {name for name in modules if name.endswith(".views")} | blueprint_modules(modules)


def blueprint_modules(modules: dict[str, Path]) -> set[str]:
    """Modules that make a Blueprint at module level."""
    found = set()
    for name, path in modules.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", getattr(node.value.func, "attr", ""))
                == "Blueprint"
            ):
                found.add(name)
    return found


def is_service(module: str) -> bool:
    return module.rsplit(".", 1)[-1] == "service"


def wrong_arrows(root: Path, packages=PACKAGES) -> dict[str, list[str]]:
    """Every broken rule but the circles and the long views, as readable lines."""
    modules = find_modules(root, packages)
    graph = import_graph(root, packages)
    views = view_modules(root, modules)
    problems: dict[str, list[str]] = {"engine": [], "views": [], "services": []}
    for source, imports in graph.items():
        for imp in imports:
            where = f"{source} imports {imp.target} (line {imp.line})"
            if source.startswith("search_index") and imp.target.startswith("forum"):
                problems["engine"].append(where)
            if source in views and imp.target in views and area_of(source) != area_of(imp.target):
                problems["views"].append(where)
            if (
                is_service(source)
                and is_service(imp.target)
                and area_of(source) != area_of(imp.target)
            ):
                problems["services"].append(where)
    return problems


def long_views(root: Path, packages=PACKAGES) -> dict[str, int]:
    """View functions (routed with ``@<blueprint>.route/get/post``) and their length."""
    found = {}
    for name, path in find_modules(root, packages).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            routed = any(
                isinstance(d, ast.Call)
                and isinstance(d.func, ast.Attribute)
                and d.func.attr in ("route", "get", "post")
                for d in node.decorator_list
            )
            length = node.end_lineno - node.lineno + 1  # from ``def`` to the last line
            if routed and length > MAX_VIEW_LINES:
                found[f"{name}.{node.name}"] = length
    return found


# --- the rules on our code -----------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    return import_graph(ROOT)


def test_no_import_circles(graph):
    assert import_circles(graph) == []


def test_the_search_engine_never_imports_the_forum():
    assert wrong_arrows(ROOT)["engine"] == []


def test_no_view_module_imports_another_areas_views():
    assert wrong_arrows(ROOT)["views"] == []


def test_no_service_imports_another_areas_service():
    assert wrong_arrows(ROOT)["services"] == []


def test_no_view_function_is_longer_than_25_lines():
    assert long_views(ROOT) == {}


def test_every_area_is_wired_the_same_way():
    """AREAS lists every module that makes a Blueprint, and each calls it ``bp``."""
    from forum import AREAS

    modules = find_modules(ROOT)
    assert {f"forum.{area}" for area in AREAS} == blueprint_modules(modules)


# --- the checker catches what it should ----------------------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_catches_a_known_bad_package(tmp_path):
    long_body = "\n".join(f"    x{i} = {i}" for i in range(30))
    _write(
        tmp_path,
        {
            "forum/__init__.py": "",
            "forum/models.py": "from . import documents\n",
            # The circle closes only inside a function: still a circle.
            "forum/documents.py": "def f():\n    from .models import Post\n",
            "forum/a/__init__.py": "",
            "forum/a/views.py": (
                "from flask import Blueprint\nfrom ..b.views import bp as other\n"
                "bp = Blueprint('a', __name__)\n\n\n@bp.route('/')\ndef index():\n"
                f"{long_body}\n"
            ),
            "forum/a/service.py": "from ..b import service\n",
            "forum/b/__init__.py": "",
            "forum/b/views.py": "from flask import Blueprint\nbp = Blueprint('b', __name__)\n",
            "forum/b/service.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import service\n"
            ),
            "search_index/__init__.py": "import forum.models\n",
        },
    )
    graph = import_graph(tmp_path)
    assert import_circles(graph) == [["forum.documents", "forum.models"]]
    problems = wrong_arrows(tmp_path)
    assert problems["engine"] == ["search_index imports forum.models (line 1)"]
    assert problems["views"] == ["forum.a.views imports forum.b.views (line 2)"]
    # b's import of a's service is for type hints only: one wrong arrow, not a circle.
    assert problems["services"] == ["forum.a.service imports forum.b.service (line 1)"]
    assert long_views(tmp_path) == {"forum.a.views.index": 31}
