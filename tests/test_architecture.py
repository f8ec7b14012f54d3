"""The import rules of docs/architecture.md, read from the source with `ast`: the domain
never imports Slack or handlers/, the store never imports the domain, handlers/ never import
the composition root, no module-level import circle, and no import inside a function. Also
that import-linter's contracts in pyproject.toml hold."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "store")
SLACK = ("slack_bolt", "slack_sdk")

# (module, function, imported module) -> why the import may sit inside that function.
FUNCTION_IMPORTS_ALLOWED = {
    ("store.db", "_file_lock", "fcntl"): "POSIX-only; in-memory SQLite never needs the lock",
    ("store.leader", "_flock", "fcntl"): "POSIX-only, as store.db's; Postgres never needs it",
    ("store.db", "turn", "fcntl"): "POSIX-only; Postgres and in-memory SQLite never queue",
    # Issue 11 item 5 (startup): what only the processes serving Slack use is imported where
    # they use it, so the one-shot commands (`hourglass report`, `sweep`, `customer` …)
    # start without it. Only in the composition root, whose job is to pick what runs.
    ("app", "create_app", "handlers.listeners"): "every listener: only for serving Slack",
    ("app", "start_clock", "apscheduler.schedulers.background"): "only `run` and `clock`",
    ("app", "start_clock", "apscheduler.schedulers.blocking"): "only `run` and `clock`",
    ("app", "run", "slack_bolt.adapter.socket_mode"): "only `run` in Socket Mode",
    ("app", "_report", "bot.reports.pdf"): "fpdf and matplotlib: only `report --format pdf`",
    ("app", "_demo", "handlers.local.demo"): "draws a PDF (fpdf, matplotlib): only `demo`",
    ("app", "_backup", "store.backup"): "alembic's script directory: only `backup`",
    ("app", "_restore", "store.backup"): "alembic's script directory: only `restore`",
    # The schema check reads the revision with plain SQL; alembic only when it migrates.
    ("store.db", "alembic_config", "alembic.config"): "alembic, mako, pygments: only to migrate",
    ("store.db", "migrate", "alembic"): "alembic, mako, pygments: only to migrate",
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted (the most specific one that exists)
    line: int
    function: str | None  # the enclosing function, if the import is not at module level


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _source_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


MODULES = {_module_name(path): path for path in _source_files()}


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = _resolve(module, path, node)
    # `from bot.billing import hours` imports the module bot.billing.hours.
    return [
        f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
        for alias in node.names
    ]


def _imports_in(module: str, path: Path) -> list[Import]:
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.extend(
                    Import(module, target, child.lineno, function)
                    for target in _targets(module, path, child)
                )
            inner = (
                child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else None
            )
            visit(child, inner or function)

    visit(ast.parse(path.read_text(), str(path)), None)
    return found


IMPORTS = [imp for module, path in MODULES.items() for imp in _imports_in(module, path)]


def _top(name: str) -> str:
    return name.split(".")[0]


def _breaking(sources: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in IMPORTS
        if _top(imp.module) in sources and _top(imp.target) in forbidden
    ]


def test_the_scan_sees_the_whole_tree():
    assert {"app", "bot.billing.ledger", "handlers.local.demo", "store.repositories.core"} <= set(
        MODULES
    )
    assert len(IMPORTS) > 300


def test_the_domain_and_the_store_never_import_slack():
    assert _breaking(("bot", "store"), SLACK) == []


def test_the_domain_and_the_store_never_import_handlers_or_the_app():
    assert _breaking(("bot", "store"), ("handlers", "app")) == []


def test_the_store_never_imports_the_domain():
    assert _breaking(("store",), ("bot",)) == []


def test_handlers_never_import_the_composition_root():
    assert _breaking(("handlers",), ("app",)) == []


def test_no_import_inside_a_function_unless_listed_with_a_reason():
    inside = {(imp.module, imp.function, imp.target): imp.line for imp in IMPORTS if imp.function}
    unlisted = sorted(
        f"{module}:{line} imports {target} inside {function}()"
        for (module, function, target), line in inside.items()
        if (module, function, target) not in FUNCTION_IMPORTS_ALLOWED
    )
    assert unlisted == [], "move them to the top of the module (or list one with a reason)"
    stale = sorted(set(FUNCTION_IMPORTS_ALLOWED) - set(inside))
    assert stale == [], "these allowed imports are gone: drop them from the list"


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges.get(node, ())):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
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

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def test_no_module_level_import_circle():
    edges: dict[str, set[str]] = {}
    for imp in IMPORTS:
        if imp.function is None and imp.target in MODULES and imp.target != imp.module:
            edges.setdefault(imp.module, set()).add(imp.target)
    assert _circles(edges) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_import_linter_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
