"""Benchmark: the reminder sweep at 100,000 and 1,000,000 cases with the same reminders due.

Loads a separate PostgreSQL database (``BENCH_DATABASE_URL``, default ``bangban_bench`` on the
local server; dropped and recreated) with COPY: a small unit tree and staff, then the same set
of due cases (overdue, due soon, no contact, evaluation missing, materials late, return visits)
and a growing history of cases that are not due (ended long ago, or open with recent contact and
a distant due date). Times the sweep (first run writes the notifications, a repeat run finds
them all written) at both sizes and writes ``bench/results/reminders.json``.

    .venv/bin/python bench/reminder_sweep.py            # or: make bench
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bangban_bench"
)
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100000,1000000").split(",")]
DUE_PER_KIND = int(os.environ.get("BENCH_DUE_PER_KIND", "200"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
RESULTS = ROOT / "bench" / "results" / "reminders.json"
TZ = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 6, 10, 10, 0, tzinfo=TZ)  # a Wednesday
TODAY = AT.date()
# Every kind but the monthly summary: a once-a-month report whose cost is the ledger's statistics.
KINDS = {
    "progress_due",
    "due_soon",
    "overdue",
    "materials_overdue",
    "evaluation_due",
    "return_visit_due",
    "rectification_overdue",
    "joint_review",
    "escalation",
}
CASE_COLUMNS = (
    "id number applicant_id item_id kind help_types major_project needs accepting_unit_id "
    "handling_unit_id specialist_id status applied_at accepted_at submitted_at ended_at "
    "promised_days due_date due_provisional last_contact_at ack_voluntary ack_free ack_truthful "
    "process_explained applicant_signed received_material_ids version_id"
).split()


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

    instance = Path(tempfile.mkdtemp(prefix="bangban-bench-"))

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = URL
        INSTANCE_DIR = str(instance)
        CELERY_BROKER_URL = "memory://"
        CELERY_RESULT_BACKEND = "cache+memory://"
        SMTP_HOST = ""
        SMS_GATEWAY = "off"
        LOG_LEVEL = "ERROR"
        FAB_PASSWORD_COMPLEXITY_ENABLED = False

    app = create_app(BenchConfig)
    with app.app_context():
        flask_migrate.upgrade()
        app.appbuilder.sm.sync_roles_and_permissions()
        db.session.commit()
    return app


def seed_people(session):
    """City, 4 towns, 16 villages; a specialist per unit and a manager per city and town."""
    from app import models as m
    from app.domain.staff import create_staff
    from app.enums import Tier

    units = []
    city = m.OrgUnit(code="440781", name="市中心", tier=Tier.CITY, kind=Tier.CITY.center_kind)
    session.add(city)
    units.append(city)
    for t in range(4):
        town = m.OrgUnit(
            code=f"4407811{t:02d}",
            name=f"镇{t}",
            tier=Tier.TOWN,
            kind=Tier.TOWN.center_kind,
            parent=city,
        )
        session.add(town)
        units.append(town)
        for v in range(4):
            village = m.OrgUnit(
                code=f"4407811{t:02d}{v:03d}",
                name=f"村{t}-{v}",
                tier=Tier.VILLAGE,
                kind=Tier.VILLAGE.center_kind,
                parent=town,
            )
            session.add(village)
            units.append(village)
    session.flush()
    specialists = []
    for i, unit in enumerate(units):
        specialists.append(
            create_staff(
                session,
                username=f"spec{i}",
                password="Bench@2026x",
                name=f"专员{i}",
                unit=unit,
                role="Specialist",
            )
        )
        if unit.tier != Tier.VILLAGE:
            create_staff(
                session,
                username=f"mgr{i}",
                password="Bench@2026x",
                name=f"主任{i}",
                unit=unit,
                role="Manager",
            )
    dept = m.Department(code="D1", name="部门")
    session.add(dept)
    items = [
        m.ServiceItem(
            code=f"I{i}",
            name=f"事项{i}",
            department=dept,
            accept_town=True,
            accept_village=True,
            promised_days=5,
            legal_days=20,
        )
        for i in range(10)
    ]
    session.add_all(items)
    session.flush()
    return [(s.id, s.unit_id) for s in specialists], [i.id for i in items]


def copy_rows(conn, table: str, columns: list[str], rows) -> int:
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join(r"\N" if v is None else str(v) for v in row) + "\n")
        count += 1
    buffer.seek(0)
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            while data := buffer.read(1 << 20):
                copy.write(data)
    return count


class Loader:
    """Generates cases (and their notices and visits) by id, due or not due at AT."""

    def __init__(self, staff, items):
        self.staff = staff
        self.items = items
        self.next_id = 1
        self.rng = random.Random(2026)

    def case(self, *, status, applied, accepted=None, ended=None, due=None, contact=None):
        cid = self.next_id
        self.next_id += 1
        spec_id, unit_id = self.staff[cid % len(self.staff)]
        return (
            cid,
            f"B{cid:010d}",
            1 + cid % 1000,
            self.items[cid % len(self.items)],
            "help",
            "[]",
            "f",
            "",
            unit_id,
            unit_id,
            spec_id,
            status,
            applied,
            accepted,
            accepted,
            ended,
            5,
            due,
            "f",
            contact,
            "t",
            "t",
            "t",
            "t",
            "t",
            "[]",
            1,
        )

    def due_set(self):
        """The reminders due at AT: the same at every size."""
        day = dt.timedelta(days=1)
        cases, notices, visits = [], [], []
        for _ in range(DUE_PER_KIND):  # overdue (also past their contact period)
            cases.append(
                self.case(
                    status="in_progress",
                    applied=AT - 20 * day,
                    accepted=AT - 20 * day,
                    due=TODAY - 3 * day,
                    contact=AT - day / 2,
                )
            )
        for _ in range(DUE_PER_KIND):  # due tomorrow
            cases.append(
                self.case(
                    status="in_progress",
                    applied=AT - 5 * day,
                    accepted=AT - 5 * day,
                    due=TODAY + day,
                    contact=AT - day / 2,
                )
            )
        for _ in range(DUE_PER_KIND):  # no contact for 10 days
            cases.append(
                self.case(
                    status="in_progress",
                    applied=AT - 10 * day,
                    accepted=AT - 10 * day,
                    due=TODAY + 30 * day,
                )
            )
        for _ in range(DUE_PER_KIND):  # ended 5 days ago, no evaluation
            cases.append(
                self.case(
                    status="completed",
                    applied=AT - 20 * day,
                    accepted=AT - 20 * day,
                    ended=AT - 5 * day,
                    due=TODAY - 10 * day,
                )
            )
        for _ in range(DUE_PER_KIND):  # materials were due yesterday
            row = self.case(
                status="awaiting_materials",
                applied=AT - 6 * day,
                accepted=AT - 6 * day,
                due=TODAY + 10 * day,
                contact=AT - day / 2,
            )
            cases.append(row)
            notices.append((row[0], AT - 5 * day, "[]", TODAY - day, "f", "", None))
        for _ in range(DUE_PER_KIND):  # a return visit tomorrow (evaluated: nothing else due)
            row = self.case(
                status="completed",
                applied=AT - 400 * day,
                accepted=AT - 400 * day,
                ended=AT - 380 * day,
                due=TODAY - 380 * day,
            )
            cases.append(row)
            visits.append((row[0], TODAY + day, None, None, ""))
        return cases, notices, visits

    def history(self, n):
        """``n`` cases not due at AT: mostly ended long ago, some open and in good order."""
        day = dt.timedelta(days=1)
        cases, notices, visits = [], [], []
        for _ in range(n):
            r = self.rng.random()
            if r < 0.05:
                row = self.case(
                    status="in_progress",
                    applied=AT - 3 * day,
                    accepted=AT - 3 * day,
                    due=TODAY + self.rng.randint(20, 60) * day,
                    contact=AT - day / 3,
                )
            else:
                ago = self.rng.randint(60, 1500) * day
                row = self.case(
                    status="completed" if r < 0.9 else "terminated",
                    applied=AT - ago - 10 * day,
                    accepted=AT - ago - 10 * day,
                    ended=AT - ago,
                    due=TODAY - ago.days * day,
                )
                if r < 0.15:
                    notices.append(
                        (
                            row[0],
                            AT - ago - 8 * day,
                            "[]",
                            TODAY - ago.days * day - 3 * day,
                            "f",
                            "",
                            AT - ago - 6 * day,
                        )
                    )
                if r < 0.25:
                    visits.append(
                        (
                            row[0],
                            TODAY - ago.days * day + 7 * day,
                            TODAY - ago.days * day + 7 * day,
                            "phone",
                            "",
                        )
                    )
            cases.append(row)
        return cases, notices, visits


def load(engine, loader, part) -> None:
    cases, notices, visits = part
    with engine.begin() as conn:
        copy_rows(conn, "service_case", CASE_COLUMNS, cases)
        copy_rows(
            conn,
            "material_notice",
            [
                "case_id",
                "issued_at",
                "items",
                "deadline",
                "is_repeat",
                "repeat_reason",
                "resolved_at",
            ],
            notices,
        )
        copy_rows(
            conn, "return_visit", ["case_id", "planned_on", "done_on", "channel", "notes"], visits
        )


def load_applicants(engine, staff) -> None:
    columns = ["id", "kind", "name", "id_number", "mobile", "unit_id", "weak", "sick"]
    columns += ["disabled", "foreign_invested", "created_at"]
    rows = [
        (i, "person", f"申请人{i}", f"440781198001{i:06d}", "13800138000", staff[i % len(staff)][1])
        + ("f", "f", "f", "f", AT - dt.timedelta(days=400))
        for i in range(1, 1001)
    ]
    with engine.begin() as conn:
        copy_rows(conn, "applicant", columns, rows)


def _stats(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
        "runs": [round(v, 3) for v in values],
    }


def measure(app, cases: int, rounds: int = RUNS) -> dict:
    """``rounds`` times: empty the outbox, run a first sweep (writes every reminder) and a repeat
    (writes nothing). Then each kind's search alone, to show which one grows with the table."""
    from app.extensions import db
    from app.models import Notification
    from app.reminders import sweep

    with app.app_context():
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
        firsts, repeats = [], []
        for _ in range(rounds):
            with db.engine.begin() as conn:
                conn.execute(sa.delete(Notification))
            first = sweep.run(db.session, AT, dispatch=False, kinds=KINDS)
            repeat = sweep.run(db.session, AT, dispatch=False, kinds=KINDS)
            firsts.append(first.seconds)
            repeats.append(repeat.seconds)
        per_kind = {}
        for name in sorted(KINDS):
            started = time.perf_counter()
            found, _errors = sweep.collect(db.session, AT, kinds={name})
            per_kind[name] = {"seconds": round(time.perf_counter() - started, 3), "due": len(found)}
            db.session.rollback()
        total = db.session.execute(sa.text("SELECT count(*) FROM service_case")).scalar_one()
        db.session.remove()
    assert total == cases, (total, cases)
    return {
        "cases": total,
        "reminders_due": first.due,
        "notifications_written": len(first.queued),
        "first_sweep_seconds": _stats(firsts),
        "repeat_sweep_seconds": _stats(repeats),
        "repeat_written": len(repeat.queued),
        "per_kind_search": per_kind,
        "errors": first.errors + repeat.errors,
    }


def main() -> int:
    recreate_database()
    app = build_app()
    from app.extensions import db

    with app.app_context():
        staff, items = seed_people(db.session)
        db.session.commit()
        engine = db.engine
        load_applicants(engine, staff)
        loader = Loader(staff, items)
        started = time.perf_counter()
        due = loader.due_set()
        load(engine, loader, due)
        due_cases = len(due[0])
        results = []
        loaded = due_cases
        for size in sorted(SIZES):
            load(engine, loader, loader.history(size - loaded))
            loaded = size
            with engine.begin() as conn:
                conn.execute(sa.text("SELECT setval('service_case_id_seq', :n)"), {"n": loaded})
            print(f"loaded {size} cases ({time.perf_counter() - started:.1f} s)", flush=True)
            result = measure(app, size)
            results.append(result)
            print(json.dumps(result), flush=True)
    small, large = results[0], results[-1]
    report = {
        "benchmark": "reminder sweep (app/reminders/sweep.py run at a fixed moment)",
        "at": AT.isoformat(),
        "due_per_kind": DUE_PER_KIND,
        "kinds": sorted(KINDS),
        "database": sa.engine.make_url(URL).render_as_string(hide_password=True),
        "runs": results,
        "first_sweep_ratio_largest_to_smallest": round(
            large["first_sweep_seconds"]["median"]
            / max(small["first_sweep_seconds"]["median"], 1e-6),
            2,
        ),
        "repeat_sweep_ratio_largest_to_smallest": round(
            large["repeat_sweep_seconds"]["median"]
            / max(small["repeat_sweep_seconds"]["median"], 1e-6),
            2,
        ),
        "target": "ratio under 1.5 (medians)",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
