"""Benchmark: the ledger dashboard and exports at a configurable number of cases (default 1M).

Loads a separate PostgreSQL database (``LEDGER_BENCH_DATABASE_URL``, default
``bangban_bench_ledger`` on the local server; dropped and recreated) with COPY: Taishan's shape of
unit tree (city, 17 towns, 16 stations each), staff, 34 items, applicants, and N cases over three
years in every status with their evaluations, terminations, extensions, one-time notices, problems
and walk-in help. Then measures, at the city tier (a city manager's scope):

* the dashboard (``stats.dashboard``: every statistic, all time and last quarter), and the same
  SQL statements run directly on the driver: the ratio must stay within 2;
* the dashboard page and the ledger's first page through the web app;
* an .xlsx and a CSV export of ``--export-rows`` rows (a date window selecting about that many),
  time and tracemalloc peak, with a tenth as many rows for comparison (constant memory).

Writes ``bench/results/ledger.json``.

    .venv/bin/python bench/ledger.py --cases 1000000 --export-rows 100000
    .venv/bin/python bench/ledger.py --cases 100000 --reuse   # keep an already loaded database
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.ledger_data import NOW, PASSWORD, TZ, load  # noqa: E402

URL = os.environ.get(
    "LEDGER_BENCH_DATABASE_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/bangban_bench_ledger",
)
RESULTS = ROOT / "bench" / "results" / "ledger.json"


def recreate_database() -> None:
    target = sa.engine.make_url(URL)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def build_app():
    import flask_migrate

    from app import create_app
    from app.extensions import db
    from config import Config

    instance = Path(tempfile.mkdtemp(prefix="bangban-bench-ledger-"))

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = URL
        INSTANCE_DIR = str(instance)
        CELERY_BROKER_URL = "memory://"
        CELERY_RESULT_BACKEND = "cache+memory://"
        LOG_LEVEL = "ERROR"
        FAB_PASSWORD_COMPLEXITY_ENABLED = False
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        LEDGER_SYNC_EXPORT_ROWS = 10**9

    app = create_app(BenchConfig)
    with app.app_context():
        flask_migrate.upgrade()
        app.appbuilder.sm.sync_roles_and_permissions()
        db.session.commit()
    return app


# ---------------------------------------------------------------- measuring


def timed(fn, runs: int = 3) -> tuple[float, list[float], object]:
    """Median seconds of ``runs`` runs after one warm-up run."""
    result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def measure_dashboard(app, flt) -> dict:
    """The dashboard through the app, and the very same statements straight on the driver."""
    from app.extensions import db
    from app.ledger import stats
    from app.ledger.queries import LedgerQuery
    from app.scope import scope_for_user

    with app.app_context():
        user = app.appbuilder.sm.find_user(username="city_manager")
        statements: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        def dashboard():
            db.session.rollback()
            return stats.dashboard(LedgerQuery(db.session, scope_for_user(user), flt))

        seconds, runs, data = timed(dashboard)
        sa.event.listen(db.engine, "before_cursor_execute", capture)
        try:
            dashboard()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", capture)
        db.session.rollback()
        raw = db.engine.raw_connection()
        try:

            def direct():
                with raw.cursor() as cursor:
                    for statement, parameters in statements:
                        cursor.execute(statement, parameters)
                        if cursor.description is not None:
                            cursor.fetchall()
                raw.rollback()

            direct_seconds, direct_runs, _ = timed(direct)
        finally:
            raw.close()
        return {
            "filter": flt.to_args(),
            "cases_counted": data["totals"]["cases"],
            "seconds": round(seconds, 3),
            "runs": [round(t, 3) for t in runs],
            "statements": len(statements),
            "direct_sql_seconds": round(direct_seconds, 3),
            "direct_sql_runs": [round(t, 3) for t in direct_runs],
            "ratio_to_direct_sql": round(seconds / direct_seconds, 3),
        }


def measure_pages(app) -> dict:
    with app.app_context():
        client = app.test_client()
        client.post("/login/", data={"username": "city_manager", "password": PASSWORD})
        out = {}
        for name, url in (
            ("dashboard_page_all_time", "/dashboard/?period=all"),
            ("dashboard_page_last_quarter", "/dashboard/?period=last_quarter"),
            ("ledger_first_page", "/ledger/list/"),
            ("ledger_filtered_page", "/ledger/list/?overdue=1&kind=proxy"),
        ):

            def get(url=url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                return len(response.data)

            seconds, runs, size = timed(get, runs=2)
            out[name] = {"url": url, "seconds": round(seconds, 3), "bytes": size}
        return out


def export_window(app, rows: int):
    """A filter whose date window selects about ``rows`` of the newest cases."""
    from app.extensions import db
    from app.ledger.filters import LedgerFilter

    with app.app_context():
        first = db.session.execute(
            sa.text(
                "SELECT applied_at FROM service_case ORDER BY applied_at DESC OFFSET :k LIMIT 1"
            ),
            {"k": rows - 1},
        ).scalar()
        start = first.astimezone(TZ).date() if first else None
        return LedgerFilter(date_from=start)


def measure_export(app, flt, fmt: str, memory: bool) -> dict:
    from app.extensions import db
    from app.ledger.export import iter_csv, write_xlsx
    from app.ledger.queries import LedgerQuery
    from app.scope import scope_for_user

    with app.app_context(), app.test_request_context():
        user = app.appbuilder.sm.find_user(username="city_manager")
        query = LedgerQuery(db.session, scope_for_user(user), flt)
        with tempfile.TemporaryFile() as target:
            rss_before = _reset_rss_peak()
            if memory:
                tracemalloc.start()
            start = time.perf_counter()
            if fmt == "xlsx":
                count = write_xlsx(query.stream(), target, title="bench", subtitle="bench")
            else:
                count = -3
                for chunk in iter_csv(query.stream(), title="bench", subtitle="bench"):
                    target.write(chunk.encode())
                    count += chunk.count("\n")
            seconds = time.perf_counter() - start
            rss_peak = _rss_peak()
            peak = tracemalloc.get_traced_memory()[1] if memory else None
            if memory:
                tracemalloc.stop()
            size = target.tell()
        db.session.rollback()
        out = {"rows": count, "seconds": round(seconds, 2), "bytes": size}
        if rss_before is not None and rss_peak is not None:
            # The whole process, C libraries included: its resident peak during the export, and
            # how far that peak rose above the resident size the export started from.
            out["rss_peak_bytes"] = rss_peak
            out["rss_rise_bytes"] = max(0, rss_peak - rss_before)
        if memory:
            out["tracemalloc_peak_bytes"] = peak
        return out


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_rss_peak() -> int | None:
    """Reset the kernel's resident-set peak (VmHWM) of this process; returns the current RSS."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    return _status_kb("VmRSS")


def _rss_peak() -> int | None:
    return _status_kb("VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep a database already loaded")
    args = parser.parse_args()

    from app.ledger.filters import LedgerFilter, period_range

    loaded = None
    if args.reuse:
        try:
            engine = sa.create_engine(URL)
            with engine.connect() as conn:
                have = conn.execute(sa.text("SELECT count(*) FROM service_case")).scalar()
            engine.dispose()
            if have != args.cases:
                raise RuntimeError(f"{have} cases loaded, {args.cases} asked")
            loaded = {"cases": have, "reused": True}
        except Exception as exc:  # noqa: BLE001 - anything wrong: load afresh
            print(f"reload: {exc}")
    if loaded is None:
        recreate_database()
    app = build_app()
    started = time.perf_counter()
    if loaded is None:
        loaded = load(app, args.cases)
    load_seconds = round(time.perf_counter() - started, 1)
    print(f"loaded {loaded} in {load_seconds}s")

    from app.domain import clock

    clock.set_fixed(NOW)
    quarter = period_range("last_quarter", NOW.date())
    dashboards = {
        "city_all_time": measure_dashboard(app, LedgerFilter()),
        "city_last_quarter": measure_dashboard(
            app, LedgerFilter(date_from=quarter[0], date_to=quarter[1])
        ),
    }
    print(json.dumps(dashboards, ensure_ascii=False, indent=1))
    pages = measure_pages(app)
    print(json.dumps(pages, indent=1))
    big = export_window(app, args.export_rows)
    small = export_window(app, max(1, args.export_rows // 10))
    exports = {}
    for fmt in ("xlsx", "csv"):
        exports[fmt] = measure_export(app, big, fmt, memory=False)
        exports[fmt]["peak"] = measure_export(app, big, fmt, memory=True)
        exports[fmt]["peak_at_a_tenth"] = measure_export(app, small, fmt, memory=True)
        print(fmt, json.dumps(exports[fmt]))
    result = {
        "benchmark": "ledger",
        "at": dt.datetime.now(TZ).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": loaded,
        "load_seconds": load_seconds,
        "dashboard": dashboards,
        "pages": pages,
        "export": exports,
        "notes": (
            "Dashboard: every statistic in aggregate SQL at the city tier; ratio_to_direct_sql "
            "compares stats.dashboard() with the same statements run on the raw driver (goal <= 2)."
            " Export: seconds without tracing; tracemalloc peaks at the full and a tenth of the "
            "rows show memory does not grow with the row count."
        ),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    existing = {}
    if RESULTS.exists():
        try:
            existing = json.loads(RESULTS.read_text())
        except ValueError:
            existing = {}
    runs = existing.get("runs", {}) if isinstance(existing, dict) else {}
    runs[str(args.cases)] = result
    RESULTS.write_text(json.dumps({"runs": runs}, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
