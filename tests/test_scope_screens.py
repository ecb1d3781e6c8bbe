"""Scope on the screens: searches, forms and steps show nothing of town B; screen writes with
town B's ids change nothing (checked in the database) next to in-scope controls that do land; the
case list issues the same statements for 5 and 50 rows. Harness: tests/scope_harness.py."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from flask_appbuilder import ModelView

from app import models as m
from app.domain import lifecycle
from app.enums import (
    ApplicantKind,
    ServiceKind,
    StaffType,
)
from app.extensions import db
from tests import factories
from tests.scope_harness import (
    ACCOUNT,
    ACCOUNTS,
    HUGE,
    OWN_ROWS,
    SECRETS,
    applicant_form,
    build_world,
    cheap_password_hashes,
    clients_for,
    column_of,
    count,
    count_between_requests,
    fetch,
    form_version,
    isolated_requests,
    search_urls,
)


@pytest.fixture(autouse=True)
def fast_password_hashes(pg_app, monkeypatch):
    cheap_password_hashes(pg_app, monkeypatch)


# ---------------------------------------------------------------- no leak


def test_no_leak_through_searches_forms_and_steps(app, tree, login):
    from app.cases.views import STEPS

    world = build_world(app, tree)
    searches = search_urls(app, world)
    urls = [f"/caseview/step/{world.open_case['A']}/{step}" for step in STEPS]
    urls += [f"/caseview/step/{world.cases['A']}/{step}" for step in STEPS]
    urls += ["/caseview/add", f"/caseview/add?item={world.items['B']}", "/guide/?q=泄露"]
    urls += [f"/caseview/show/{world.open_case['A']}", f"/mycaseview/show/{world.cases['A']}"]
    for view in ("applicantview", "walkinhelpview", "returnvisitview", "specialistview"):
        urls.append(f"/{view}/add")
    urls += [
        f"/applicantview/edit/{world.applicants['A']}",
        f"/walkinhelpview/edit/{world.rows[m.WalkInHelp]['A']}",
        f"/returnvisitview/edit/{world.rows[m.ReturnVisit]['A']}",
        f"/caseview/edit/{world.open_case['A']}",
        f"/specialistview/edit/{world.specialists['village_specialist']}",
    ]
    # A search form shows what was typed: a secret in the query is not looked for, town B's
    # unit names (shown next to any row of town B) are.
    markers = SECRETS + tuple(
        db.session.get(m.OrgUnit, world.units[name]).name for name in ("town_b", "village_b1")
    )
    accounts = [a for a in ACCOUNTS if a.leak_checked]
    # Searches depend on the scope, not the role (every role may list the same screens): one
    # account per scope. Forms and steps depend on the role too: every account.
    one_per_scope = {"town_specialist", "village_specialist", "inactive_specialist"}
    failures, requests = [], 0
    with isolated_requests():
        clients = clients_for(app, login, accounts)
        for account in accounts:
            todo = urls + (searches if account.username in one_per_scope else [])
            requests += len(todo)
            for url in todo:
                got = fetch(clients[account.username], url)
                if got.status == 500:
                    failures.append(f"{account.username} GET {url} → 500: {got.body[:300]}")
                typed = unquote(url)
                for marker in markers:
                    if marker not in typed and marker in got.body:
                        failures.append(f"{account.username} GET {url} shows town B's {marker!r}")
    print(f"\n{requests} requests ({len(searches)} searches)")
    assert not failures, "\n".join([f"{len(failures)} failures:"] + failures)


# ---------------------------------------------------------------- writes stay in scope


@pytest.mark.parametrize("username", ["town_specialist", "town_manager"])
def test_fab_adds_and_edits_refuse_town_b_ids(app, tree, login, username):
    world = build_world(app, tree)
    u = world.units
    a_visit, a_walk_in = world.rows[m.ReturnVisit]["A"], world.rows[m.WalkInHelp]["A"]
    a_applicant, a_case = world.applicants["A"], world.open_case["A"]
    b_spec, a_spec = world.specialists["b_specialist"], world.specialists["village_specialist"]
    before = {
        "applicant unit": column_of(m.Applicant, a_applicant, "unit_id"),
        "walk-in unit": column_of(m.WalkInHelp, a_walk_in, "unit_id"),
        "visit case": column_of(m.ReturnVisit, a_visit, "case_id"),
        "case specialist": column_of(m.Case, a_case, "specialist_id"),
        "case steward": column_of(m.Case, a_case, "steward_id"),
        "unit parent": column_of(m.OrgUnit, u["village_a1"], "parent_id"),
        "specialist unit": column_of(m.Specialist, a_spec, "unit_id"),
    }
    attempts = [
        ("/applicantview/add", applicant_form("越权新增甲", u["town_b"], 201)),
        ("/applicantview/add", applicant_form("越权新增乙", u["other_city"], 202)),
        (f"/applicantview/edit/{a_applicant}", applicant_form("甲村申请人", u["town_b"], 111)),
        (
            "/walkinhelpview/add",
            {"unit": u["town_b"], "kind": "question", "note": "越权窗口帮办一"},
        ),
        (
            "/walkinhelpview/add",
            {
                "unit": u["town_a"],
                "kind": "question",
                "specialist": b_spec,
                "note": "越权窗口帮办二",
            },
        ),
        (f"/walkinhelpview/edit/{a_walk_in}", {"unit": u["village_b1"], "kind": "question"}),
        (
            "/returnvisitview/add",
            {"case": world.cases["B"], "planned_on": "2026-06-01", "notes": "越权回访"},
        ),
        (
            f"/returnvisitview/edit/{a_visit}",
            {"case": world.cases["B"], "planned_on": "2026-06-01", "notes": "越权回访改"},
        ),
        # The case's edit form has its free field only (needs): the specialist and steward
        # change through the assign and steward steps, whose choices are scoped.
        (f"/caseview/edit/{world.open_case['B']}", {"needs": "越权改乙镇案件"}),
        (
            "/orgunitview/add",
            {"code": "440781101009", "name": "越权新站", "tier": "village", "parent": u["town_b"]},
        ),
        (
            f"/orgunitview/edit/{u['village_a1']}",
            {
                "code": "440781100001",
                "name": "公益村便民服务站",
                "tier": "village",
                "parent": u["town_b"],
            },
        ),
        (
            "/specialistview/add",
            {"name": "越权专员", "unit": u["town_b"], "staff_type": "station"},
        ),
        (
            f"/specialistview/edit/{a_spec}",
            {"name": "员工village_specialist", "unit": u["village_b1"], "staff_type": "station"},
        ),
    ]
    failures = []
    with isolated_requests():
        client = login(app.test_client(), username)
        for url, data in attempts:
            got = fetch(client, url, "POST", data)
            if got.status == 500:
                failures.append(f"{username} POST {url} {data} → 500: {got.body[:300]}")
        # Controls: the same forms with in-scope ids do land (the refusals are the scope's).
        controls = [
            ("/applicantview/add", applicant_form("本镇新增", u["village_a1"], 203)),
            ("/walkinhelpview/add", {"unit": u["town_a"], "kind": "question", "note": "本镇帮办"}),
        ]  # return visits have no add form: the case's return_visit step records them
        for url, data in controls:
            got = fetch(client, url, "POST", data)
            assert got.status == 302, f"control {url}: {got.status} {got.body[:500]}"

    db.session.expire_all()
    after = {
        "applicant unit": column_of(m.Applicant, a_applicant, "unit_id"),
        "walk-in unit": column_of(m.WalkInHelp, a_walk_in, "unit_id"),
        "visit case": column_of(m.ReturnVisit, a_visit, "case_id"),
        "case specialist": column_of(m.Case, a_case, "specialist_id"),
        "case steward": column_of(m.Case, a_case, "steward_id"),
        "unit parent": column_of(m.OrgUnit, u["village_a1"], "parent_id"),
        "specialist unit": column_of(m.Specialist, a_spec, "unit_id"),
    }
    failures += [
        f"{username}: {what} moved {before[what]} → {after[what]}"
        for what in before
        if before[what] != after[what]
    ]
    landed = {
        "applicants": count(m.Applicant, m.Applicant.name.like("越权%")),
        "walk-ins": count(m.WalkInHelp, m.WalkInHelp.note.like("越权%")),
        "return visits": count(m.ReturnVisit, m.ReturnVisit.notes.like("越权%")),
        "cases edited": count(m.Case, m.Case.needs.like("越权%")),
        "units": count(m.OrgUnit, m.OrgUnit.name.like("越权%")),
        "specialists": count(m.Specialist, m.Specialist.name.like("越权%")),
    }
    failures += [
        f"{username}: {n} {what} written with town B ids" for what, n in landed.items() if n
    ]
    assert count(m.Applicant, m.Applicant.name == "本镇新增") == 1
    assert count(m.WalkInHelp, m.WalkInHelp.note == "本镇帮办") == 1
    assert not failures, "\n".join(failures)


def test_application_form_refuses_town_b_applicant_and_unit(app, tree, login):
    world = build_world(app, tree)
    u, spec = world.units, world.specialists["town_specialist"]

    def form(**changes):
        data = {
            "applicant": world.applicants["A"],
            "item": world.items["A"],
            "kind": "help",
            "help_types": ["form_filling"],
            "needs": "越权申请",
            "handling_unit": u["town_a"],
            "specialist": spec,
            "ack_voluntary": "y",
            "ack_free": "y",
            "ack_truthful": "y",
        }
        data.update(changes)
        return data

    cases_before = count(m.Case)
    attempts = {
        "town B applicant": form(applicant=world.applicants["B"]),
        "town B handling unit": form(handling_unit=u["town_b"]),
        "other city's unit": form(handling_unit=u["other_city"]),
        "town B specialist": form(specialist=world.specialists["b_specialist"]),
    }
    failures = []
    with isolated_requests():
        client = login(app.test_client(), "town_specialist")
        for what, data in attempts.items():
            got = fetch(client, "/caseview/add", "POST", data)
            if got.status != 200:
                failures.append(f"town_specialist POST /caseview/add with {what} → {got.status}")
            if count_between_requests(app, m.Case) != cases_before:
                failures.append(f"town_specialist POST /caseview/add with {what} created a case")
                break
        control = fetch(client, "/caseview/add", "POST", form(needs="本镇申请"))
    assert control.status == 302, control.body[:2000]
    assert count(m.Case, m.Case.needs == "本镇申请") == 1
    assert count(m.Case, m.Case.needs == "越权申请") == 0
    assert not failures, "\n".join(failures)


def test_transfer_to_town_b_is_refused(app, tree, login):
    world = build_world(app, tree)
    case_id, u = world.open_case["A"], world.units
    failures = []
    with isolated_requests():
        client = login(app.test_client(), "village_specialist")
        for target in ("town_b", "village_b1", "other_city"):
            page = fetch(client, f"/caseview/step/{case_id}/transfer")
            assert page.status == 200, page.body[:500]
            got = fetch(
                client,
                f"/caseview/step/{case_id}/transfer",
                "POST",
                {"version": form_version(page.body), "to_unit": u[target]},
            )
            if got.status not in (200, 400, 403):
                failures.append(f"transfer to {target} → {got.status} {got.location}")
        # Someone else's case: 404 before anything is read from the form.
        other = fetch(
            client,
            f"/caseview/step/{world.open_case['B']}/transfer",
            "POST",
            {"version": "1", "to_unit": u["village_a1"]},
        )
        assert other.status == 404, other.status
        page = fetch(client, f"/caseview/step/{case_id}/transfer")
        control = fetch(
            client,
            f"/caseview/step/{case_id}/transfer",
            "POST",
            {"version": form_version(page.body), "to_unit": u["town_a"]},
        )
    db.session.expire_all()
    handled = [
        db.session.get(m.Case, pk).handling_unit_id
        for pk in (world.open_case["B"], world.cases["B"])
    ]
    assert handled == [u["village_b1"], u["village_b1"]]
    assert control.status == 302, control.body[:1000]
    assert column_of(m.Case, case_id, "handling_unit_id") == u["town_a"]
    transfers = count(m.CaseEvent, m.CaseEvent.case_id == case_id, m.CaseEvent.kind == "transfer")
    assert transfers == 1, f"{transfers} transfers recorded, only the control should be"
    assert not failures, "\n".join(failures)


def test_deletes_and_bulk_actions_on_town_b_rows_answer_404(app, tree, login):
    world = build_world(app, tree)
    views = [
        v
        for v in app.appbuilder.baseviews
        if isinstance(v, ModelView) and not type(v).__module__.startswith("flask_appbuilder")
    ]
    failures = []
    with isolated_requests():
        clients = clients_for(app, login, [ACCOUNT["town_manager"], ACCOUNT["village_specialist"]])
        for username, client in clients.items():
            for view in views:
                model = view.datamodel.obj
                own_kind = OWN_ROWS.get((type(view).__name__, "pk"), (None,))[0]
                if own_kind:
                    b_pk = world.others_own[own_kind]
                    a_pk = world.own[own_kind][username]
                else:
                    rows = world.rows.get(model, {})
                    if "B" not in rows:
                        continue  # global reference data: nothing is out of scope
                    b_pk, a_pk = rows["B"], rows["A"]
                base = view.route_base
                for data in (
                    {"action": "matrix-probe", "rowid": [b_pk]},
                    {"action": "matrix-probe", "rowid": [a_pk, b_pk]},
                ):
                    got = fetch(client, f"{base}/action_post", "POST", data)
                    if got.status != 404:
                        failures.append(
                            f"{username} POST {base}/action_post rowid={data['rowid']} → "
                            f"{got.status}, expected 404"
                        )
                got = fetch(client, f"{base}/action/matrix-probe/{b_pk}", "POST", {})
                if got.status != 404:
                    failures.append(
                        f"{username} POST {base}/action/matrix-probe/{b_pk} (town B) → "
                        f"{got.status}, expected 404"
                    )
                # An in-scope row with an action the view does not have: refused, not a crash.
                for url, data in (
                    (f"{base}/action/matrix-probe/{a_pk}", {}),
                    (f"{base}/action_post", {"action": "matrix-probe", "rowid": [a_pk]}),
                ):
                    got = fetch(client, url, "POST", data)
                    if got.status == 500:
                        failures.append(
                            f"{username} POST {url} {data} (unknown action, town A row) → 500: "
                            f"{got.body[:200]}"
                        )
                got = fetch(client, f"{base}/delete/{b_pk}", "POST", {})
                if got.status not in (403, 404):
                    failures.append(
                        f"{username} POST {base}/delete/{b_pk} (town B) → {got.status}, "
                        "expected 404 (or 403 without the permission)"
                    )
                missing = fetch(client, f"{base}/delete/{HUGE}", "POST", {})
                if got.status != missing.status:
                    failures.append(
                        f"{username} POST {base}/delete/{b_pk} (town B) → {got.status}, a missing "
                        f"id → {missing.status}"
                    )
    survivors = {
        model.__name__: db.session.get(model, sides["B"]) is not None
        for model, sides in world.rows.items()
        if "B" in sides and isinstance(model, type)
    }
    failures += [f"town B's {name} was deleted" for name, alive in survivors.items() if not alive]
    # Control: the refusal is the scope's, not the form's: town A's own applicant without
    # cases does go (case records themselves are never deleted: tests/test_kept_records.py).
    spare = factories.applicant(db.session.get(m.OrgUnit, world.units["town_a"]))
    pk = spare.id
    with isolated_requests():
        client = login(app.test_client(), "town_manager")
        control = fetch(client, f"/applicantview/delete/{pk}", "POST", {})
    assert control.status == 302, control.body[:500]
    db.session.expire_all()
    assert db.session.get(m.Applicant, pk) is None
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- query count


def test_case_list_query_count(app, tree, login):
    s = db.session
    spec = factories.staff("town_specialist", "Specialist", tree.town_a)
    factories.staff("b_specialist", "Specialist", tree.town_b)
    units = [tree.town_a, tree.village_a1, tree.village_a2]
    # A specialist, an applicant and an item per row: a lazy load per row would show.
    specialists = [
        m.Specialist(name=f"计数专员{n}", unit=units[n % 3], staff_type=StaffType.STATION)
        for n in range(60)
    ]
    s.add_all(specialists)
    items = [factories.service_item(materials=1) for _ in range(60)]
    for n in range(60):
        applicant = m.Applicant(
            kind=ApplicantKind.PERSON,
            name=f"查询计数{n}",
            id_number=factories.resident_id(dt.date(1980, 1, 1) + dt.timedelta(days=n)),
            mobile="13800138000",
            unit=units[n % 3],
        )
        lifecycle.apply(
            s,
            spec.user,
            applicant=applicant,
            item=items[n],
            kind=ServiceKind.HELP,
            needs="计数",
            handling_unit=units[n % 3],
            specialist=specialists[n],
            ack_voluntary=True,
            ack_free=True,
            ack_truthful=True,
        )
    s.commit()

    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        # A list of ids loaded at once is one statement whatever its length.
        statements.append(
            re.sub(r"\((?:%\(primary_keys_\d+\)s(?:::INTEGER)?(?:, )?)+\)", "(:ids)", statement)
        )

    def measured(client, size: int) -> list[str]:
        statements.clear()
        got = client.get(f"/caseview/list/?psize_CaseView={size}")
        assert got.status_code == 200
        numbers = set(re.findall(r"440781\d*-\d{4}-\d{5}", got.get_data(as_text=True)))
        assert len(numbers) == size, f"{len(numbers)} cases shown for a page of {size}"
        return list(statements)

    engine = db.engine
    with isolated_requests():
        client = login(app.test_client(), "town_specialist")
        client.get("/caseview/list/")  # warm-up: first-request caches
        sa.event.listen(engine, "before_cursor_execute", capture)
        try:
            small = measured(client, 5)
            large = measured(client, 50)
            small_again = measured(client, 5)
        finally:
            sa.event.remove(engine, "before_cursor_execute", capture)
    print(
        f"\n/caseview/list/: {len(small)} statements for 5 rows, {len(large)} for 50 rows "
        f"({len(small_again)} for 5 again)"
    )
    per_row = Counter(large) - Counter(small)
    assert not per_row, "statements that grow with the page:\n" + "\n\n".join(per_row)
    assert len(small) == len(large) == len(small_again)

    # (The navbar bell's notifications probe their cases in an EXISTS: not a case list.)
    case_queries = [
        q for q in large if re.search(r"FROM service_case\b", q) and "FROM notification" not in q
    ]
    # The pager's count is capped with a LIMIT too (app/counting.py): not a list SELECT.
    listing = [
        q for q in case_queries if "LIMIT" in q.upper() and not q.startswith("SELECT count(")
    ]
    assert len(listing) == 1, f"{len(listing)} list SELECTs:\n" + "\n\n".join(listing)
    scope_lookups = [q for q in large if "JOIN specialist" in q and "org_unit.path" in q]
    assert len(scope_lookups) == 1, f"the user's scope looked up {len(scope_lookups)} times"
    # The scope is written as its units' ids (read once per request, app/scope.py
    # ``Scope.resolved``): once per side of a transfer (handling, accepting), never per row.
    occurrences = len(re.findall(r"unit_id IN \(\d+(?:, \d+)*\)", listing[0]))
    print(f"scope unit lists in the list SELECT: {occurrences}")
    assert occurrences == 2, f"the scope appears {occurrences} times:\n{listing[0]}"
    assert ".path LIKE" not in listing[0], listing[0]
    assert "EXISTS" not in listing[0].upper(), listing[0]
