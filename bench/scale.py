"""Benchmark: every page people wait on, at every tier, at 1M and at 10M cases (issue 22).

Loads (``--load``) or reuses a PostgreSQL database of N cases (``bench/ledger_data.py``: the
city, 17 towns, 272 stations; N cases over three years) named ``bangban_bench_scale_<N>``, then
measures for a city, a town and a village manager, each the median (and p95) of repeated warm
requests through the app, beside the very same SQL statements replayed on the driver in the
same run:

* the case list (20 rows, default sort), a search of the case number ("contains") and of the
  applicant's name, the ledger's first page and its page for one month, the dashboard for this
  month, last quarter, this year and all time, and a case page;
* mixed throughput: gunicorn with 2 workers, ``--clients`` clients (default 8) of the three
  managers cycling through those pages for ``--seconds``.

Writes ``bench/results/scale-<N>.json``; with ``--compare`` (another run's file) each figure
also gets its ratio to the same figure there.

    .venv/bin/python bench/scale.py --cases 1000000 --load
    .venv/bin/python bench/scale.py --cases 10000000 --load \
        --compare bench/results/scale-1000000.json
    # both loaded: every page timed alternately at 10M and at 1M in one process
    .venv/bin/python bench/scale.py --cases 10000000 --paired 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(times: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
    }


def accounts(app, loader) -> dict[str, str]:
    """A manager at each tier: the city's (made by the loader), the first town's, the first
    town's first station's."""
    from app import models as m
    from app.domain.staff import create_staff
    from app.enums import Tier
    from app.extensions import db

    out = {"city": "city_manager"}
    with app.app_context():
        for tier, username in ((Tier.TOWN, "scale_town"), (Tier.VILLAGE, "scale_village")):
            unit = (
                db.session.execute(
                    sa.select(m.OrgUnit).where(m.OrgUnit.tier == tier).order_by(m.OrgUnit.code)
                )
                .scalars()
                .first()
            )
            exists = db.session.execute(
                sa.text("SELECT 1 FROM ab_user WHERE username = :u"), {"u": username}
            ).first()
            if exists is None:
                create_staff(
                    db.session,
                    username=username,
                    password=loader.PASSWORD,
                    name=f"{tier.value} manager",
                    unit=unit,
                    role="Manager",
                )
            out[tier.value] = username
        db.session.commit()
    return out


def login(app, username: str, password: str):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302 and "/login" not in response.headers["Location"], username
    return client


def pages(app, loader) -> dict[str, str]:
    """The URLs measured (the month and the case are picked from the data)."""
    from app import models as m
    from app.enums import Tier
    from app.extensions import db

    with app.app_context():
        # A case of the first station: every manager measured (city, town, station) sees it.
        village = (
            db.session.execute(
                sa.select(m.OrgUnit.id)
                .where(m.OrgUnit.tier == Tier.VILLAGE)
                .order_by(m.OrgUnit.code)
            )
            .scalars()
            .first()
        )
        case_id = db.session.execute(
            sa.select(sa.func.max(m.Case.id)).where(m.Case.handling_unit_id == village)
        ).scalar_one()
        # A whole case number: one match at every size (the "contains" search above finds more
        # cases in a bigger table, and shows more rows).
        number = db.session.get(m.Case, case_id).number
    month = loader.NOW.date().replace(day=1)
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    last = (end - dt.timedelta(days=1)).isoformat()
    return {
        "case_list": "/caseview/list/",
        "search_number": "/caseview/list/?_flt_2_number=123456",
        "search_number_full": f"/caseview/list/?_flt_2_number={number}",
        "search_applicant": "/caseview/list/?_flt_0_applicant=申请人12345",
        "ledger": "/ledger/list/",
        "ledger_month": f"/ledger/list/?date_from={month.isoformat()}&date_to={last}",
        "dashboard_this_month": "/dashboard/?period=this_month",
        "dashboard_last_quarter": "/dashboard/?period=last_quarter",
        "dashboard_this_year": "/dashboard/?period=this_year",
        "dashboard_all": "/dashboard/?period=all",
        "case_page": f"/caseview/show/{case_id}",
    }


def measure(app, client, url: str, runs: int) -> dict:
    """The page through the app, and its statements replayed straight on the driver."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return with_sql(app, client, url, runs, times)


def measure_paired(one: tuple, other: tuple, runs: int) -> tuple[dict, dict]:
    """The same page on two databases (``(app, client, url)`` each), requests alternating one
    and the other, so that a machine whose speed drifts (a shared host) slows both alike: the
    ratio of the two is the cost that grows with the table."""
    for _app, client, url in (one, other):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times: tuple[list, list] = ([], [])
    for _ in range(runs):
        for side, (_app, client, url) in enumerate((one, other)):
            start = time.perf_counter()
            client.get(url)
            times[side].append((time.perf_counter() - start) * 1000)
    return with_sql(*one, runs, times[0]), with_sql(*other, runs, times[1])


def with_sql(app, client, url: str, runs: int, times: list[float]) -> dict:
    """The page's times beside its statements replayed straight on the driver."""
    from app.extensions import db

    statements: list = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    raw = engine.raw_connection()
    sql_times = []
    try:
        for i in range(runs + 1):
            start = time.perf_counter()
            with raw.cursor() as cursor:
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
                    if cursor.description is not None:
                        cursor.fetchall()
            raw.rollback()
            if i:
                sql_times.append((time.perf_counter() - start) * 1000)
    finally:
        raw.close()
    page, sql = summary(times), summary(sql_times)
    return {
        "url": url,
        **page,
        "sql_median_ms": sql["median_ms"],
        "sql_p95_ms": sql["p95_ms"],
        "statements": len(statements),
    }


def mixed_load(loader, who: dict, urls: dict, seconds: float, clients: int) -> dict:
    """gunicorn (2 workers) on loopback; ``clients`` threads of the three managers cycling
    through every measured page for ``seconds``."""
    import requests
    from pages import free_port

    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=loader.URL,
        SECRET_KEY="bench",
        LOG_LEVEL="ERROR",
        INSTANCE_PATH=tempfile.mkdtemp(),
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
        for _ in range(150):
            try:
                requests.get(base + "/login/", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        done, errors, latencies = [0], [0], []
        lock = threading.Lock()
        users = list(who.values())
        paths = list(urls.values())
        ready = threading.Barrier(clients + 1)
        stop = [0.0]

        def worker(n: int):
            session = requests.Session()
            page = session.get(base + "/login/")
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
            session.post(
                base + "/login/",
                data={
                    "username": users[n % len(users)],
                    "password": loader.PASSWORD,
                    "csrf_token": token.group(1) if token else "",
                },
            )
            ready.wait()
            for path in itertools.cycle(paths[n % len(paths) :] + paths[: n % len(paths)]):
                if time.monotonic() >= stop[0]:
                    break
                start = time.perf_counter()
                try:
                    ok = session.get(base + path, timeout=60).status_code == 200
                except requests.RequestException:
                    ok = False
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)
                    done[0] += ok
                    errors[0] += not ok

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        begin = time.monotonic()
        stop[0] = begin + seconds + 60  # until every client has logged in
        ready.wait()
        begin = time.monotonic()
        stop[0] = begin + seconds
        for t in threads:
            t.join()
        elapsed = time.monotonic() - begin
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": done[0],
        "errors": errors[0],
        "requests_per_second": round(done[0] / elapsed, 1),
        **(summary(latencies) if latencies else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--load", action="store_true", help="drop, recreate and load the database")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--compare", type=Path, help="another run's results: ratios to it")
    parser.add_argument("--skip-load-test", action="store_true")
    parser.add_argument("--only-load-test", action="store_true", help="rerun the mixed load only")
    parser.add_argument(
        "--paired",
        type=int,
        metavar="N",
        help="also time every page on the (loaded) database of N cases, alternating requests "
        "between the two; each figure gets its ratio to the paired one",
    )
    args = parser.parse_args()

    os.environ.setdefault(
        "LEDGER_BENCH_DATABASE_URL",
        f"postgresql+psycopg://postgres@127.0.0.1:5432/bangban_bench_scale_{args.cases}",
    )
    import ledger as loader  # noqa: PLC0415 (reads the URL above)

    results: dict = {"cases": args.cases, "machine": platform.platform(), "url": loader.URL}
    if args.load:
        loader.recreate_database()
    app = loader.build_app()
    if args.load:
        started = time.perf_counter()
        print(f"loading {args.cases} cases ...", flush=True)
        results["load"] = loader.load(app, args.cases)
        results["load"]["seconds"] = round(time.perf_counter() - started, 1)
        print(results["load"], flush=True)
    who = accounts(app, loader)
    urls = pages(app, loader)
    results["figures"] = {}
    if args.only_load_test:
        out = RESULTS / f"scale-{args.cases}.json"
        results = json.loads(out.read_text())
        results["mixed_load"] = mixed_load(loader, who, urls, args.seconds, args.clients)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        print("mixed", results["mixed_load"], flush=True)
        return
    paired = None
    if args.paired:
        own_url = loader.URL
        loader.URL = str(
            sa.engine.make_url(own_url).set(database=f"bangban_bench_scale_{args.paired}")
        )
        other_app = loader.build_app()
        paired = (other_app, accounts(other_app, loader), pages(other_app, loader))
        loader.URL = own_url
        results["paired"] = {"cases": args.paired, "figures": {}}
    for tier, username in who.items():
        client = login(app, username, loader.PASSWORD)
        if paired:
            other_app, other_who, other_urls = paired
            other_client = login(other_app, other_who[tier], loader.PASSWORD)
        for name, url in urls.items():
            key = f"{name}/{tier}"
            if paired:
                figure, base = measure_paired(
                    (app, client, url), (other_app, other_client, other_urls[name]), args.runs
                )
                if base["median_ms"]:
                    figure["ratio_to_paired"] = round(figure["median_ms"] / base["median_ms"], 2)
                results["paired"]["figures"][key] = base
                print(key, "paired", base, flush=True)
            else:
                figure = measure(app, client, url, args.runs)
            results["figures"][key] = figure
            print(key, figure, flush=True)
    if not args.skip_load_test:
        results["mixed_load"] = mixed_load(loader, who, urls, args.seconds, args.clients)
        print("mixed", results["mixed_load"], flush=True)
    if args.compare and args.compare.exists():
        other = json.loads(args.compare.read_text())
        results["compared_to"] = {"file": str(args.compare), "cases": other.get("cases")}
        for key, figure in results["figures"].items():
            base = other.get("figures", {}).get(key)
            if base and base["median_ms"]:
                figure["ratio_to_compared"] = round(figure["median_ms"] / base["median_ms"], 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"scale-{args.cases}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
