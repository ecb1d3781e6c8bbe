"""Twenty conflicting steps on one case at once, over the API and the case page together, on a
real threaded server and PostgreSQL: exactly one ending wins, every other request is refused
(409 over the API, a message on the page), none answers 500, and nothing is recorded after the
case ended."""

from __future__ import annotations

import threading

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from app import models as m
from app.domain import lifecycle
from app.domain.status import CaseStatus as S
from app.enums import EventKind
from app.extensions import db
from tests import factories

pytest_plugins = ["tests.api_fixtures"]


@pytest.fixture
def server(api_app):
    srv = make_server("127.0.0.1", 0, api_app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


def _page_session(base: str, username: str) -> requests.Session:
    session = requests.Session()
    answer = session.post(
        f"{base}/login/",
        data={"username": username, "password": factories.PASSWORD},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    return session


def _token(base: str, username: str) -> str:
    answer = requests.post(
        f"{base}/api/v1/security/login",
        json={"username": username, "password": factories.PASSWORD, "provider": "db"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def test_twenty_conflicting_steps_one_winner_no_500(server, tree):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    factories.staff("mgr_a", "Manager", tree.town_a)
    case = factories.case(tree.town_a, spec)
    lifecycle.confirm(
        db.session,
        case,
        spec.user,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[mat.id for mat in case.item.materials],
    )
    lifecycle.submit(db.session, case, spec.user)
    db.session.commit()
    pk = case.id

    token = _token(server, "mgr_a")
    pages = [_page_session(server, "spec_a" if i % 2 else "mgr_a") for i in range(10)]
    complete = {"results": "证照", "materials_returned": "", "signed_by": "本人"}
    terminate = {
        "reason_type": "applicant_request",
        "reason": "申请人撤回",
        "applicant_signed": "y",
        "specialist_signed": "y",
    }

    def api(step, body):
        return lambda: requests.post(
            f"{server}/api/v1/case/{pk}/{step}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )

    def page(session, step, body):
        return lambda: session.post(
            f"{server}/caseview/step/{pk}/{step}", data=body, allow_redirects=False, timeout=60
        )

    calls = []  # (kind, surface, call)
    for _ in range(7):
        calls.append(("end", "api", api("complete", complete)))
    for i in range(7):
        step, body = ("terminate", terminate) if i % 2 else ("complete", complete)
        calls.append(("end", "page", page(pages[i], step, body)))
    for i in range(3):
        calls.append(("update", "api", api("update", {"note": f"进度{i}"})))
        calls.append(("update", "page", page(pages[7 + i], "update", {"note": f"窗口{i}"})))
    assert len(calls) == 20

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [
        threading.Thread(target=run, args=(i, call)) for i, (_k, _s, call) in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    statuses = [r.status_code for r in results]
    assert 500 not in statuses, statuses

    def won(surface, response):
        if surface == "api":
            return response.status_code == 200
        return response.status_code == 302 and f"/caseview/show/{pk}" in response.headers.get(
            "Location", ""
        )

    endings = [(s, r) for (kind, s, _c), r in zip(calls, results, strict=True) if kind == "end"]
    winners = [r for s, r in endings if won(s, r)]
    assert len(winners) == 1, statuses
    for surface, response in endings:
        if won(surface, response):
            continue
        if surface == "api":
            assert response.status_code == 409, response.text
            assert response.json()["message"]
        else:
            assert response.status_code == 200  # the form again, with the refusal flashed
            assert "alert-danger" in response.text or "alert alert-danger" in response.text

    db.session.expire_all()
    case = db.session.get(m.Case, pk)
    assert case.status in (S.COMPLETED, S.TERMINATED)
    events = db.session.execute(
        sa.select(m.CaseEvent).where(m.CaseEvent.case_id == pk).order_by(m.CaseEvent.id)
    ).scalars()
    events = list(events)
    end_id = next(e.id for e in events if e.kind == EventKind.STATUS and e.to_status == case.status)
    late = [e for e in events if e.id > end_id and e.kind in (EventKind.UPDATE, EventKind.STATUS)]
    assert late == [], [(e.kind, e.note) for e in late]
    assert (
        db.session.scalar(sa.select(sa.func.count(m.Handover.id)).where(m.Handover.case_id == pk))
        + db.session.scalar(
            sa.select(sa.func.count(m.Termination.id)).where(m.Termination.case_id == pk)
        )
        == 1
    )
