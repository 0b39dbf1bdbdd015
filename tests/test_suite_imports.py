"""The test suite's own house rules: shared code lives in helper modules, not in conftest.

pytest loads every conftest.py and test module itself; importing one again (``from
tests.conftest import login_as``) loads a second copy of it under another name, with its
own module state. Helpers go to tests/helpers.py (or a helper module next to the tests
that use it); fixtures stay in conftest.py, which tests never import.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import names, at any depth (imports inside functions too)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.append((node.lineno, base))
            if not node.module:  # `from . import conftest`
                found += [(node.lineno, f"{base}{alias.name}") for alias in node.names]
    return found


def forbidden(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def suite_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "screenshots" not in p.parts)


def test_no_module_imports_a_conftest_or_a_test_module():
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line}: imports {module}"
        for path in suite_files()
        for line, module in imported_modules(ast.parse(path.read_text(), str(path)))
        if forbidden(module)
    ]
    assert offenders == [], "\n".join(
        ["import helpers from tests/helpers.py, not from a conftest or test module:", *offenders]
    )


def test_every_test_module_holds_tests():
    """A module named test_*.py that holds only shared samples or helpers is misnamed."""

    def has_tests(tree: ast.Module) -> bool:
        return any(
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test")
            or isinstance(node, ast.ClassDef)
            and node.name.startswith("Test")
            for node in tree.body
        )

    misnamed = [
        str(path.relative_to(TESTS.parent))
        for path in suite_files()
        if path.name.startswith("test_") and not has_tests(ast.parse(path.read_text()))
    ]
    assert misnamed == []


def test_the_guard_sees_imports_at_any_depth():
    source = (
        "from tests.conftest import login_as\n"
        "def f():\n"
        "    import tests.browser.conftest\n"
        "    from tests.test_auth import REGISTRATION\n"
        "    from . import conftest\n"
        "from tests.helpers import login_as\n"
    )
    flagged = [m for _, m in imported_modules(ast.parse(source)) if forbidden(m)]
    assert flagged == ["tests.conftest", "tests.browser.conftest", "tests.test_auth", ".conftest"]


def test_modules_that_start_processes_mark_them_slow():
    """`-m 'not slow'` must leave out every test that starts gunicorn, the CLI or Chromium."""
    starters = {"subprocess", "tests.gunicorn_server", "tests.browser.helpers"}
    unmarked = [
        str(path.relative_to(TESTS.parent))
        for path in suite_files()
        if path.name.startswith("test_")
        and starters & {m for _, m in imported_modules(ast.parse(path.read_text()))}
        and "pytest.mark.slow" not in path.read_text()
        and "BROWSER_TEST_MARKS" not in path.read_text()
    ]
    assert unmarked == []
