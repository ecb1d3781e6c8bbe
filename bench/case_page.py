"""Benchmark: the case page on demo data, its SQL statements and its Python time (issue 22).

On the database of ``TEST_DATABASE_URL`` (never a benchmark or the default test database):
``--setup`` recreates it with the demo data (app/seed.py), adds files to the case with the
longest timeline and a manager at each tier above that case's unit. Then, for that case and
an archived one, per tier: the statements of one warm request (fresh application context, as
in production) and the median over ``--runs`` warm requests with Flask's test client.
``--profile`` prints the cProfile of those requests (the city manager's, rich case).

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bangban_test_x \\
        .venv/bin/python bench/case_page.py --setup --runs 50 [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests.conftest import build_app, recreate_pg_database  # noqa: E402

URL = os.environ.get("TEST_DATABASE_URL", "")
USERS = {"city": "bench_city", "town": "bench_town", "village": "bench_village"}


def setup(app) -> None:
    from app import models as m  # lazy: the app is built first
    from app.domain.attachments import attach, void_attachment  # lazy: the app is built first
    from app.enums import AttachmentKind, Tier  # lazy: the app is built first
    from app.extensions import db  # lazy: the app is built first
    from app.seed import seed_demo  # lazy: the app is built first
    from tests import factories  # lazy: the app is built first

    with app.app_context():
        seed_demo(db.session)
        db.session.commit()
        counts = (
            sa.select(m.CaseEvent.case_id, sa.func.count().label("n"))
            .join(m.Case, m.Case.id == m.CaseEvent.case_id)
            .join(m.OrgUnit, m.OrgUnit.id == m.Case.handling_unit_id)
            .where(m.OrgUnit.tier == Tier.VILLAGE)
            .group_by(m.CaseEvent.case_id)
            .order_by(sa.desc("n"), m.CaseEvent.case_id)
            .limit(1)
        )
        case = db.session.get(m.Case, db.session.execute(counts).first().case_id)
        village = case.handling_unit
        town = village.parent
        city = town.parent
        for tier, unit in (("city", city), ("town", town), ("village", village)):
            factories.staff(USERS[tier], "Manager", unit)
        uploader = case.specialist.user
        kinds = [
            AttachmentKind.APPLICATION,
            AttachmentKind.APPLICATION,
            *list(AttachmentKind)[:4],
        ]
        files = []
        for i, kind in enumerate(kinds):
            image = i % 2 == 0
            a = m.Attachment(
                case=case,
                kind=kind,
                stored_name=f"bench-{case.id}-{i}",
                original_name=f"材料{i}." + ("jpg" if image else "pdf"),
                content_type="image/jpeg" if image else "application/pdf",
                size=20480 + i,
                note=f"第{i}份",
                uploaded_by=uploader,
            )
            db.session.add(a)
            files.append(attach(db.session, case, uploader, a))
        void_attachment(db.session, case, uploader, attachment=files[-1], reason="传错了")
        db.session.commit()
        print("rich case", case.id, case.number, case.status, "unit", village.name)


def pick_cases(app) -> dict[str, int]:
    from app import models as m  # lazy: the app is built first
    from app.extensions import db  # lazy: the app is built first

    with app.app_context():
        rich = db.session.execute(
            sa.select(m.Attachment.case_id).where(m.Attachment.stored_name.like("bench-%"))
        ).scalar()
        village = db.session.get(m.Case, rich).handling_unit
        archived = db.session.execute(  # an archived case the town's manager sees too
            sa.select(m.CaseArchive.case_id)
            .join(m.Case, m.Case.id == m.CaseArchive.case_id)
            .join(m.OrgUnit, m.OrgUnit.id == m.Case.handling_unit_id)
            .where(m.OrgUnit.path.startswith(village.parent.path))
            .order_by(m.CaseArchive.id)
            .limit(1)
        ).scalar()
    return {"rich": rich, "archived": archived} if archived else {"rich": rich}


def client_for(app, tier: str):
    from tests.factories import PASSWORD  # lazy: the app is built first

    client = app.test_client()
    with app.app_context():
        r = client.post("/login/", data={"username": USERS[tier], "password": PASSWORD})
    assert r.status_code == 302, r.status_code
    return client


def get(app, client, url: str):
    with app.app_context():  # a fresh context per request, as in production
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def statements(app, client, url: str) -> list[str]:
    from app.extensions import db  # lazy: the app is built first

    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        get(app, client, url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", action="store_true")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--show-sql", action="store_true")
    args = parser.parse_args()
    name = sa.engine.make_url(URL).database if URL else ""
    if not name.startswith("bangban_test_"):
        sys.exit("TEST_DATABASE_URL must name your own bangban_test_<name> database")
    if args.setup:
        recreate_pg_database(URL)
    app = build_app(URL, Path(tempfile.mkdtemp(prefix="bench-case-page-")))
    if args.setup:
        setup(app)
    cases = pick_cases(app)
    for tier in USERS:
        client = client_for(app, tier)
        for label, case_id in cases.items():
            url = f"/caseview/show/{case_id}"
            with app.app_context():
                if client.get(url).status_code == 404:
                    print(f"{tier:8} {label:9} case {case_id}: out of scope")
                    continue
            for _ in range(3):
                get(app, client, url)  # warm: caches, templates, permissions
            seen = statements(app, client, url)
            times, cpu = [], []
            for _ in range(args.runs):
                start, start_cpu = time.perf_counter(), time.process_time()
                get(app, client, url)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            counter = cProfile.Profile()  # Python function calls: the same on a busy machine
            counter.enable()
            for _ in range(10):
                get(app, client, url)
            counter.disable()
            calls = pstats.Stats(counter).total_calls // 10
            print(
                f"{tier:8} {label:9} case {case_id}: {len(seen)} statements, {calls} calls,"
                f" median {statistics.median(times):.1f} ms (min {min(times):.1f}),"
                f" this process's CPU median {statistics.median(cpu):.1f} ms, over {args.runs}"
            )
            if args.show_sql:
                for s in seen:
                    print("    ", " ".join(s.split())[:200])
    if args.profile:
        client = client_for(app, "city")
        url = f"/caseview/show/{cases['rich']}"
        get(app, client, url)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.runs):
            get(app, client, url)
        profile.disable()
        profile.dump_stats("/tmp/case_page.prof")
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
