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
    "app.appointments.views",
    "app.staff.views",
    "app.followup.views",
    "app.reminders.views",
    "app.calendar.views",
    "app.ledger.views",
    "app.imports.views",
    "app.role_views",
    "app.assessment.views",
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


# What the domain may use below it: the data model, values, the session, the one scope
# mechanism, settings, the audit trail and the job table. Features subscribe to its events
# (app/domain/events.py) instead of being called.
# Each of these imports nothing but the data model, the extensions and app.domain.clock.
DOMAIN_MAY_IMPORT = {
    "app",  # the package: it loads nothing (app/factory.py builds the app)
    "app.models",  # the data model the rules act on
    "app.enums",  # the values, declared once with their labels
    "app.extensions",  # db
    "app.scope",  # who may (voiding, merging, follow-up decisions)
    "app.settings",  # the business knobs (the calendar's warning date)
    "app.audit",  # the append-only trail (an applicants' merge writes its entry)
    "app.jobs",  # the background job table (the calendar's recompute job)
    "app.roles",  # role names (staff accounts)
    "app.validators",  # identifier checks (item codes, credit codes)
}


def test_the_domain_imports_nothing_above_it():
    offenders = []
    for path in sorted((APP / "domain").glob("*.py")):
        for name in _imports(path):
            if not name.startswith("app.") or name.startswith("app.domain"):
                continue
            if name not in DOMAIN_MAY_IMPORT and name.rsplit(".", 1)[0] not in DOMAIN_MAY_IMPORT:
                offenders.append((path.name, name))
    assert offenders == []


def test_the_domain_package_imports_alone():
    """Importing every domain module loads no feature package (a fresh interpreter)."""
    import subprocess
    import sys

    code = (
        "import importlib, pkgutil, sys\n"
        "import app.domain\n"
        "for info in pkgutil.iter_modules(app.domain.__path__):\n"
        "    importlib.import_module('app.domain.' + info.name)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('app'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=APP.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(done.stdout.split())
    assert "app.domain.lifecycle" in loaded
    above = {name for name in loaded if not name.startswith("app.domain")} - DOMAIN_MAY_IMPORT
    assert above == set(), f"the domain loads {sorted(above)}"


# Why an import may stay inside a function, said on its line or the line above it.
REASONS = ("# cycle:", "# lazy:", "# layer:")


def test_imports_are_at_the_top_or_say_why_not():
    """Imports at the top of modules, except a real cycle (or an optional, heavy library, or a
    lower layer reaching a feature) documented in a line."""
    undocumented = []
    for path in sorted(APP.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    start = inner.lineno - 1
                    while lines[start - 1].strip().startswith(("from ", "import ")):
                        start -= 1  # a group of imports under one comment
                    here = lines[inner.lineno - 1] + lines[start - 1]
                    if not any(reason in here for reason in REASONS):
                        undocumented.append(f"{path.relative_to(APP)}:{inner.lineno}")
    assert sorted(set(undocumented)) == []
