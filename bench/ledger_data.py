"""Data for bench/ledger.py: Taishan's unit tree, staff and items, then N cases by COPY.

A helper module (running it does nothing): ``load(app, n)`` fills an empty, migrated database
with N cases over three years in every status, with their evaluations, terminations,
extensions, one-time notices, problems met and walk-in help.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import time

import sqlalchemy as sa

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
START = dt.datetime(2024, 1, 1, 9, 0, tzinfo=TZ)
PASSWORD = "Bench@2026x"
EXT_REASONS = ["需现场核查", "部门联合审查", "申请人补充说明", "系统维护", "专家评审"]


def seed_reference(session):
    """Units (city, 17 towns x 16 stations), staff, items, categories, the 2024-2026 calendar."""
    from app import models as m
    from app.domain.calendar import seed_official_calendar
    from app.domain.staff import create_staff
    from app.enums import StaffType, Tier

    seed_official_calendar(session, [2024, 2025, 2026])
    city = m.OrgUnit(code="440781", name="台山市政务服务中心", tier=Tier.CITY)
    units = [city]
    for t in range(17):
        town = m.OrgUnit(code=f"4407811{t:02d}", name=f"镇{t:02d}便民服务中心", tier=Tier.TOWN)
        town.parent = city
        units.append(town)
        for v in range(16):
            village = m.OrgUnit(
                code=f"4407811{t:02d}{v:03d}",
                name=f"村{t:02d}-{v:02d}便民服务站",
                tier=Tier.VILLAGE,
            )
            village.parent = town
            units.append(village)
    session.add_all(units)
    session.flush()
    manager = create_staff(
        session,
        username="city_manager",
        password=PASSWORD,
        name="市中心主任",
        unit=city,
        role="Manager",
    )
    staff: dict[int, list[int]] = {}
    for unit in units:
        count = {Tier.CITY: 12, Tier.TOWN: 4}.get(Tier(unit.tier), 1)
        rows = [
            m.Specialist(
                name=f"{unit.name[:6]}专员{i}", unit_id=unit.id, staff_type=StaffType.STATION
            )
            for i in range(count)
        ]
        session.add_all(rows)
        session.flush()
        staff[unit.id] = [s.id for s in rows]
    dept = m.Department(code="D1", name="台山市行政服务部门")
    session.add(dept)
    items = [
        m.ServiceItem(
            code=f"I{i:02d}",
            name=f"政务服务事项{i:02d}",
            department=dept,
            accept_town=True,
            accept_village=True,
            promised_days=[1, 3, 5, 7, 10, 15, 20][i % 7],
            legal_days=30,
        )
        for i in range(34)
    ]
    categories = [m.ProblemCategory(code=f"P{i}", name=f"问题类别{i}") for i in range(8)]
    session.add_all(items + categories)
    session.flush()
    session.commit()
    return {
        "city": city.id,
        "towns": [u.id for u in units if u.tier == Tier.TOWN],
        "villages": [u.id for u in units if u.tier == Tier.VILLAGE],
        "staff": staff,
        "items": [(i.id, i.promised_days) for i in items],
        "categories": [c.id for c in categories],
        "manager": manager,
    }


def copy(conn, table: str, columns: str, rows) -> int:
    """COPY ``rows`` (tuples, None as NULL) into ``table`` in 1 MB chunks."""
    raw = conn.connection.driver_connection
    count = 0
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(r"\N" if v is None else str(v) for v in row) + "\n")
                count += 1
                if buffer.tell() > 1 << 20:
                    cp.write(buffer.getvalue())
                    buffer = io.StringIO()
            cp.write(buffer.getvalue())
    return count


def load(app, n: int) -> dict:
    """Reference data through the ORM, N cases and their records by COPY; returns counts."""
    from app.extensions import db

    rng = random.Random(2026)
    with app.app_context():
        ref = seed_reference(db.session)
        units = [ref["city"]] * 6 + ref["towns"] * 2 + ref["villages"]  # city 20%, towns ~35%
        span = (NOW - START).total_seconds()
        applicants = max(1, n // 10)
        cases, evaluations, terminations, extensions, notices, problems = [], [], [], [], [], []
        with db.engine.begin() as conn:
            copy(
                conn,
                "applicant",
                "id, kind, name, id_number, mobile, weak, sick, disabled, foreign_invested, "
                "unit_id, created_at",
                (
                    (
                        i,
                        "person",
                        f"申请人{i}",
                        f"440781{i:011d}X",
                        "13800138000",
                        "f",
                        "f",
                        "f",
                        "f",
                        units[i % len(units)],
                        START,
                    )
                    for i in range(1, applicants + 1)
                ),
            )
            for cid in range(1, n + 1):
                unit = units[rng.randrange(len(units))]
                spec = rng.choice(ref["staff"][unit])
                item, promised = ref["items"][rng.randrange(34)]
                r = rng.random()
                status = (
                    "completed"
                    if r < 0.70
                    else "terminated"
                    if r < 0.78
                    else "applied"
                    if r < 0.82
                    else "accepted"
                    if r < 0.88
                    else "in_progress"
                    if r < 0.96
                    else "awaiting_materials"
                )
                if status in ("completed", "terminated"):
                    applied = START + dt.timedelta(seconds=rng.random() * (span - 40 * 86400))
                else:
                    applied = NOW - dt.timedelta(seconds=rng.random() * 60 * 86400)
                accepted = ended = due = None
                if status != "applied":
                    accepted = applied + dt.timedelta(hours=rng.random() * 30)
                    due = (accepted + dt.timedelta(days=promised * 7 / 5 + 1)).date()
                if status in ("completed", "terminated"):
                    ended = accepted + dt.timedelta(days=rng.random() * promised * 1.7 + 0.2)
                cases.append(
                    (
                        cid,
                        f"B{cid:010d}",
                        1 + cid % applicants,
                        item,
                        "proxy" if rng.random() < 0.12 else "help",
                        "[]",
                        "f",
                        "",
                        unit,
                        unit,
                        spec,
                        status,
                        applied,
                        accepted,
                        accepted,
                        ended,
                        promised if accepted else None,
                        due,
                        "f",
                        "t",
                        "t",
                        "t",
                        "t" if accepted else "f",
                        "t" if accepted else "f",
                        "[]",
                        1,
                    )
                )
                if ended and status == "completed" and rng.random() < 0.6:
                    rating = rng.choices("54321", weights=[50, 30, 12, 5, 3])[0]
                    evaluations.append((len(evaluations) + 1, cid, ended, rating, "on_site", ""))
                if status == "terminated":
                    reason = rng.choice(["cannot_complete", "applicant_request", "other"])
                    terminations.append(
                        (len(terminations) + 1, cid, ended, reason, "原因", "", "t", "t")
                    )
                if accepted and rng.random() < 0.05:
                    extensions.append(
                        (
                            len(extensions) + 1,
                            cid,
                            accepted + dt.timedelta(days=1),
                            rng.choice([2, 3, 5]),
                            due,
                            due,
                            rng.choice(EXT_REASONS),
                            "t",
                        )
                    )
                if accepted and rng.random() < 0.25:
                    issued = accepted + dt.timedelta(hours=5)
                    resolved = issued + dt.timedelta(days=rng.random() * 4)
                    if ended is not None and resolved > ended:
                        resolved = ended
                    if status == "awaiting_materials":
                        resolved = None
                    repeat = rng.random() < 0.1
                    notices.append(
                        (len(notices) + 1, cid, issued, "[]", issued.date(), "f", "", resolved)
                    )
                    if repeat and resolved is not None:
                        notices.append(
                            (
                                len(notices) + 1,
                                cid,
                                resolved,
                                "[]",
                                resolved.date(),
                                "t",
                                "材料过期",
                                resolved,
                            )
                        )
                if rng.random() < 0.1:
                    problems.append(
                        (
                            len(problems) + 1,
                            cid,
                            "problem",
                            applied + dt.timedelta(hours=2),
                            unit,
                            rng.choice(ref["categories"]),
                            "",
                            "{}",
                        )
                    )
                if len(cases) >= 50000:
                    _flush(conn, cases)
            _flush(conn, cases)
            copy(conn, "evaluation", "id, case_id, at, rating, channel, comments", evaluations)
            copy(
                conn,
                "termination",
                "id, case_id, at, reason_type, reason, materials_returned, applicant_signed, "
                "specialist_signed",
                terminations,
            )
            copy(
                conn,
                "extension",
                "id, case_id, at, extra_days, old_due, new_due, reason, explained_to_applicant",
                extensions,
            )
            copy(
                conn,
                "material_notice",
                "id, case_id, issued_at, items, deadline, is_repeat, repeat_reason, resolved_at",
                notices,
            )
            copy(
                conn,
                "case_event",
                "id, case_id, kind, at, unit_id, problem_category_id, note, data",
                problems,
            )
            all_units = [ref["city"], *ref["towns"], *ref["villages"]]
            copy(
                conn,
                "walk_in_help",
                "id, unit_id, specialist_id, kind, at, note",
                (
                    (
                        i,
                        u,
                        rng.choice(ref["staff"][u]),
                        rng.choice(["queue_number", "form_filling", "device", "question"]),
                        START + dt.timedelta(seconds=rng.random() * span),
                        "",
                    )
                    for i, u in ((i, rng.choice(all_units)) for i in range(1, n // 2 + 1))
                ),
            )
            for table in (
                "applicant",
                "service_case",
                "evaluation",
                "termination",
                "extension",
                "material_notice",
                "case_event",
                "walk_in_help",
            ):
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
        # No transaction of this process may stay open: VACUUM could not mark the loaded pages
        # all-visible (index-only scans, as autovacuum gives a table in use, would not happen).
        db.session.commit()
        db.session.close()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        # COPY bypasses the ORM hooks that keep the statistics rollups: count them once.
        from app.ledger import rollup

        started = time.perf_counter()
        rollup_rows = rollup.rebuild(db.session)
        db.session.commit()
        rollup_seconds = round(time.perf_counter() - started, 1)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE stat_rollup"))
            conn.execute(sa.text("VACUUM ANALYZE stat_rollup_year"))
        return {
            "rollup_rows": rollup_rows,
            "rollup_rebuild_seconds": rollup_seconds,
            "cases": n,
            "evaluations": len(evaluations),
            "terminations": len(terminations),
            "extensions": len(extensions),
            "notices": len(notices),
            "problems": len(problems),
            "walk_ins": n // 2,
        }


def _flush(conn, cases: list) -> None:
    copy(
        conn,
        "service_case",
        "id, number, applicant_id, item_id, kind, help_types, major_project, needs, "
        "accepting_unit_id, handling_unit_id, specialist_id, status, applied_at, accepted_at, "
        "submitted_at, ended_at, promised_days, due_date, due_provisional, ack_voluntary, "
        "ack_free, ack_truthful, process_explained, applicant_signed, received_material_ids, "
        "version_id",
        cases,
    )
    cases.clear()
