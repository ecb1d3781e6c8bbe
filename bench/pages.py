"""Benchmark: the pages people wait on, at a configurable number of cases (default 1M).

Uses the database that ``bench/ledger.py`` loads (same loader; pass ``--reuse`` to keep one
already loaded) and measures, each as median and p95 over repeated requests:

* the scoped case list (20 rows, default sort) for a town-tier and a city-tier manager, beside a
  bare Flask-AppBuilder list view of the same table without scoping (target: within 1.2x);
* the case page of a case with 50 timeline events;
* the SQL statement count of the list page at 20 and at 100 rows (must not grow);
* throughput of the list page under concurrent load: gunicorn with 2 workers on loopback and a
  bounded number of requests from client threads.

Writes ``bench/results/pages.json``.

    .venv/bin/python bench/pages.py --cases 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import ledger as loader  # noqa: E402  (bench/ledger.py: the shared loader)
import sqlalchemy as sa  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "pages.json"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timing(fn, runs: int) -> dict:
    response = fn()  # warm-up, and the page must really be there
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "runs": runs,
    }


def login(app, username: str):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": loader.PASSWORD})
    assert response.status_code == 302 and "/login" not in response.headers["Location"], username
    return client


def add_bare_view(app) -> None:
    """A plain FAB list of the same table and columns, with no scoping, for the baseline."""
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app import models as m
    from app.cases.views import CaseView

    class BareCaseView(ModelView):
        datamodel = SQLAInterface(m.Case)
        list_columns = CaseView.list_columns
        base_order = CaseView.base_order
        page_size = 20
        # FAB's default search form cannot render this table: its enum field expects member
        # names (the table stores values: KeyError) and each relation becomes a dropdown of every
        # related row (a million applicants). The plain columns of the case list's search stay.
        search_columns = ["number", "due_date"]

    with app.app_context():
        app.appbuilder.add_view_no_menu(BareCaseView)
        app.appbuilder.sm.sync_roles_and_permissions()
        from app.extensions import db

        db.session.commit()


def accounts(app) -> dict:
    """A city manager, a town manager (of the first town) and an admin; the town manager and the
    admin are created on first use (the loader makes only the city manager)."""
    from app import models as m
    from app.domain.staff import create_staff
    from app.enums import Tier
    from app.extensions import db

    wanted = {"city": "city_manager", "town": "bench_town_manager", "admin": "bench_admin"}
    with app.app_context():
        town = (
            db.session.execute(
                sa.select(m.OrgUnit).where(m.OrgUnit.tier == Tier.TOWN).order_by(m.OrgUnit.code)
            )
            .scalars()
            .first()
        )
        made_here = {
            "town": ("镇中心主任", town, "Manager"),
            "admin": ("系统管理员", None, "Admin"),
        }
        for key, (name, unit, role) in made_here.items():
            exists = db.session.execute(
                sa.text("SELECT 1 FROM ab_user WHERE username = :u"), {"u": wanted[key]}
            ).first()
            if exists is None:
                create_staff(
                    db.session,
                    username=wanted[key],
                    password=loader.PASSWORD,
                    name=name,
                    unit=unit,
                    role=role,
                )
        db.session.commit()
    return wanted


def case_with_events(app, n_events: int = 50) -> int:
    from app import models as m
    from app.domain import clock
    from app.enums import EventKind
    from app.extensions import db

    with app.app_context():
        case = db.session.execute(
            sa.select(m.Case).order_by(m.Case.id.desc()).limit(1)
        ).scalar_one()
        have = db.session.execute(
            sa.select(sa.func.count(m.CaseEvent.id)).where(m.CaseEvent.case_id == case.id)
        ).scalar_one()
        for i in range(max(0, n_events - have)):
            db.session.add(
                m.CaseEvent(
                    case_id=case.id,
                    kind=EventKind.UPDATE,
                    at=clock.now(),
                    unit_id=case.handling_unit_id,
                    note=f"进度 {i}",
                )
            )
        db.session.commit()
        return case.id


def statement_count(app, client, url: str) -> list[str]:
    from app.extensions import db

    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        # A list of ids loaded at once is one statement whatever its length.
        seen.append(
            re.sub(r"\((?:%\(primary_keys_\d+\)s(?:::INTEGER)?(?:, )?)+\)", "(:ids)", statement)
        )

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    return seen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def throughput(username: str, seconds: float, clients: int) -> dict:
    """gunicorn (2 workers) on loopback, ``clients`` threads for ``seconds``, bounded."""
    import requests

    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=loader.URL,
        SECRET_KEY="bench",
        LOG_LEVEL="ERROR",
        INSTANCE_PATH=str(Path(loader.tempfile.mkdtemp())),
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(base + "/login/", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        done, errors, latencies = [0], [0], []
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def worker():
            session = requests.Session()
            page = session.get(base + "/login/")
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
            session.post(
                base + "/login/",
                data={
                    "username": username,
                    "password": loader.PASSWORD,
                    "csrf_token": token.group(1) if token else "",
                },
            )
            while time.monotonic() < stop:
                start = time.perf_counter()
                ok = session.get(base + "/caseview/list/", timeout=30).status_code == 200
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)
                    done[0] += ok
                    errors[0] += not ok

        threads = [threading.Thread(target=worker) for _ in range(clients)]
        begin = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - begin
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "requests": done[0],
        "errors": errors[0],
        "seconds": round(elapsed, 1),
        "requests_per_second": round(done[0] / elapsed, 1),
        "clients": clients,
        "median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--load-seconds", type=float, default=20.0)
    args = parser.parse_args()

    if not args.reuse:
        loader.recreate_database()
    app = loader.build_app()
    if not args.reuse:
        print(f"loading {args.cases} cases ...", flush=True)
        print(loader.load(app, args.cases), flush=True)
    add_bare_view(app)
    who = accounts(app)
    results: dict = {"cases": args.cases, "machine": platform.platform(), "accounts": who}

    city, town, admin = login(app, who["city"]), login(app, who["town"]), login(app, who["admin"])
    # No app context around the requests: each request gets its own, as in production (an outer
    # one would share ``g``, and so the logged-in user, between the three clients).
    results["list_city"] = timing(lambda: city.get("/caseview/list/"), args.runs)
    results["list_town"] = timing(lambda: town.get("/caseview/list/"), args.runs)
    results["list_bare_fab"] = timing(lambda: admin.get("/barecaseview/list/"), args.runs)
    for tier in ("city", "town"):
        ratio = results[f"list_{tier}"]["median_ms"] / results["list_bare_fab"]["median_ms"]
        results[f"list_{tier}_ratio"] = round(ratio, 2)
        results[f"list_{tier}_target_met"] = ratio <= 1.2

    case_id = case_with_events(app, 50)
    results["case_page_50_events"] = timing(
        lambda: city.get(f"/caseview/show/{case_id}"), args.runs
    )
    statement_count(app, town, "/caseview/list/?psize_CaseView=20")  # first-use caches filled
    small = statement_count(app, town, "/caseview/list/?psize_CaseView=20")
    large = statement_count(app, town, "/caseview/list/?psize_CaseView=100")
    results["statements_list_20"] = len(small)
    results["statements_list_100"] = len(large)
    results["statements_do_not_grow"] = len(large) <= len(small)
    if len(large) != len(small):
        from collections import Counter

        results["statements_differing"] = [
            q[:200] for q in (Counter(large) - Counter(small)) + (Counter(small) - Counter(large))
        ]
    # Every other scoped list of case records, at 20 and 100 rows (town manager).
    results["statements_other_lists"] = {}
    for view in (
        "ApplicantView",
        "CaseEventView",
        "MaterialNoticeView",
        "ExtensionView",
        "EvaluationView",
        "WalkInHelpView",
    ):
        url = f"/{view.lower()}/list/?psize_{view}="
        statement_count(app, town, url + "20")
        counts = [len(statement_count(app, town, url + str(size))) for size in (20, 100)]
        results["statements_other_lists"][view] = {
            "20_rows": counts[0],
            "100_rows": counts[1],
            "grows": counts[1] > counts[0],
        }
    results["throughput_town_list"] = throughput(who["town"], args.load_seconds, clients=4)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
