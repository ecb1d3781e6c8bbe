"""The layers point one way: the API and the case step service never import a screen module."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
SCREEN_MODULES = {
    "app.views",
    "app.viewbase",
    "app.cases.views",
    "app.desk.views",
    "app.staff.views",
    "app.followup.views",
    "app.reminders.views",
    "app.calendar.views",
    "app.ledger.views",
    "app.imports.views",
    "app.role_views",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_api_and_step_service_import_no_screen_module():
    offenders = []
    for folder in ("api", "cases", "domain"):
        for path in sorted((APP / folder).glob("*.py")):
            if path.name == "views.py":
                continue  # the package's own screens (a screen module, not the service)
            bad = _imports(path) & SCREEN_MODULES
            if bad:
                offenders.append((path.relative_to(APP).as_posix(), sorted(bad)))
    assert offenders == []
