"""The boundary a mini-app developer relies on: a mini-app imports nothing of the core but
`miniapps.sdk`. Every mini-app in the repository is held to it: the first-party packages
under miniapps/<name>/ and every package under examples/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = frozenset({"app", "identity", "healthcode", "wallet", "notifications", "miniapps", "tests"})
ALLOWED = frozenset({"miniapps.sdk"})
_NOT_APPS = frozenset({"migrations", "__pycache__"})


def miniapp_roots() -> list[tuple[Path, str]]:
    """(directory, the package name its files live in) of every mini-app in the repository."""
    roots = [
        (path, f"miniapps.{path.name}")
        for path in sorted((ROOT / "miniapps").iterdir())
        if path.is_dir() and path.name not in _NOT_APPS and (path / "__init__.py").exists()
    ]
    roots += [(path, "") for path in sorted((ROOT / "examples").iterdir()) if path.is_dir()]
    return roots


def _module_of(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts] if package else parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        anchor = module.split(".")
        if not is_package:
            anchor = anchor[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    return [f"{base}.{alias.name}" if base else alias.name for alias in node.names] + [base]


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Core modules (other than miniapps.sdk) that this source imports."""
    own = (
        ".".join(module.split(".")[:2]) if module.startswith("miniapps.") else module.split(".")[0]
    )
    found: list[str] = []

    def check(name: str, line: int) -> None:
        if not name or name.split(".")[0] not in CORE:
            return
        if name in ALLOWED or any(name.startswith(a + ".") for a in ALLOWED):
            return
        if name == own or name.startswith(own + "."):
            return
        if name == "miniapps":  # `from miniapps import sdk` is checked by its alias
            return
        found.append(f"line {line}: {name}")

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            for name in _absolute(node, module, is_package):
                check(name, node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            check(node.args[0].value, node.lineno)
    return found


def test_every_miniapp_imports_only_the_sdk_of_the_core() -> None:
    roots = miniapp_roots()
    assert any(path.name == "hello-miniapp" for path, _ in roots)
    problems: list[str] = []
    checked = 0
    for root, package in roots:
        for path in sorted(root.rglob("*.py")):
            module = _module_of(path, root, package)
            for found in violations(path.read_text(), module, path.name == "__init__.py"):
                problems.append(f"{path.relative_to(ROOT)} {found}")
            checked += 1
    assert checked >= 5
    assert problems == [], "mini-apps may import only miniapps.sdk of the core:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("import wallet.service", ["wallet.service"]),
        ("from app.database import fetch", ["app.database.fetch", "app.database"]),
        ("from miniapps import service", ["miniapps.service"]),
        (
            "from miniapps.registry import get_registry",
            ["miniapps.registry.get_registry", "miniapps.registry"],
        ),
        ("from .. import service", ["miniapps.service"]),
        (
            "from ..context import MiniAppContext",
            ["miniapps.context.MiniAppContext", "miniapps.context"],
        ),
        ("import importlib\nimportlib.import_module('identity.service')", ["identity.service"]),
        ("__import__('healthcode')", ["healthcode"]),
    ],
)
def test_the_checker_catches_each_way_in(source: str, bad: list[str]) -> None:
    found = violations(source, "miniapps.medical.routes")
    assert [f.split(": ", 1)[1] for f in found] == bad


@pytest.mark.parametrize(
    "source",
    [
        "from miniapps.sdk import MiniAppContext",
        "from miniapps import sdk",
        "import miniapps.sdk",
        "from . import tables",
        "from .tables import Stay",
        "from miniapps.medical.tables import Bill",
        "import litestar, msgspec, piccolo",
    ],
)
def test_what_a_miniapp_may_import(source: str) -> None:
    assert violations(source, "miniapps.medical.routes") == []
