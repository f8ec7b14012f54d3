"""The SLA rules stay pure: the modules that derive clocks and explain them import neither the
store, SQLAlchemy, nor the SLA services, so they can be read and tested on their own."""

import ast
from pathlib import Path

import pytest

SLA = Path(__file__).resolve().parents[3] / "bot" / "sla"
PURE = ("targets", "eventlog", "clocks", "timeline", "explain")


def imported(module: str) -> set[str]:
    tree = ast.parse((SLA / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE)
def test_pure_rule_modules_import_no_store_and_no_service(module):
    for name in imported(module):
        assert not name.startswith(("store", "sqlalchemy", "bot.alerts")), (module, name)
        if name.startswith("bot.sla."):
            assert name.removeprefix("bot.sla.") in PURE, (module, name)
