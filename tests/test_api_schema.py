"""Property-based run of schemathesis over every operation of the app's own OpenAPI document.

schemathesis's pytest integration (``from_fixture``) reads a private attribute pytest 9.2 no
longer has, so the document is loaded with schemathesis's Python API and each operation's
hypothesis strategy is run here (``operation.as_strategy``); the pytest plugin is switched off
in pyproject.toml.

Each operation gets a bounded number of generated requests, valid ones (``API_FUZZ_EXAMPLES``,
default 6) and invalid ones (half as many), as a town manager: scoped, with every write
permission of case work, and as an Admin. So every operation of the document (71 today) is
called with 6 valid and 3 invalid requests in each role, ~1,300 requests in all (the default
was 10 and 5: one of the suite's two longest files; ``API_FUZZ_EXAMPLES=25`` runs deeper).
Path ids are drawn from real records in and out of the caller's scope
as well as random numbers, so reads, steps and writes reach real rows. Every answer must be
documented, match its schema and content type, and never be a server error.
"""

from __future__ import annotations

import collections
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import models as m
from app.extensions import db
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

STATS = collections.Counter()
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _seed(tree, people) -> None:
    """Records of every kind, in and out of scope, and cases in every status.

    Tables are emptied with RESTART IDENTITY before each test, so every table's ids start at 1
    and the small ids the generated requests are steered to (``KNOWN_IDS``) are real rows.
    """
    from app.domain import lifecycle
    from app.enums import ContactChannel

    parallel = factories.service_item(parallel=True)
    plain = factories.service_item()
    actor = people.specialist.user
    cases = [
        factories.case(tree.town_a, people.specialist, item=parallel),
        factories.case(tree.village_a1, people.village, item=plain),
        factories.case(tree.town_b, people.other, item=plain),
        factories.case(tree.town_a, people.specialist, item=plain),
        factories.case(tree.town_a, people.specialist, item=parallel),
        factories.case(tree.town_a, people.specialist, item=plain),
    ]
    s = db.session
    for case in cases[3:]:
        lifecycle.confirm(s, case, actor, process_explained=True, applicant_signed=True)
    lifecycle.submit(s, cases[4], actor)
    lifecycle.record(s, cases[4], actor, "contact", note="n", channel=ContactChannel.PHONE)
    lifecycle.submit(s, cases[5], actor)
    lifecycle.complete(s, cases[5], actor, results="r", materials_returned="", signed_by="x")
    s.add(m.WalkInHelp(unit=tree.town_a, kind="question"))
    s.add(m.WalkInHelp(unit=tree.town_b, kind="device"))
    s.commit()


KNOWN_IDS = list(range(1, 13))
ACKS = {"ack_voluntary": True, "ack_free": True, "ack_truthful": True}
ID_FIELDS = {
    "applicant",
    "item",
    "handling_unit",
    "specialist",
    "steward",
    "unit",
    "department",
    "parent",
    "user",
    "to_unit",
    "lead_unit",
}
ID_LIST_FIELDS = {"parallel_departments", "departments", "received", "supplied"}


def _steer(schema) -> None:
    """Point generated ids at real rows part of the time (and keep hypothesis's own values)."""
    known = st.sampled_from(KNOWN_IDS)

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters or "pk" not in path_parameters:
            return st.just(path_parameters)
        return (known | st.just(path_parameters["pk"])).map(
            lambda pk: {**path_parameters, "pk": pk}
        )

    @schema.hook
    def flatmap_body(context, body):
        if not isinstance(body, dict):
            return st.just(body)
        parts = {}
        for key, value in body.items():
            if key in ID_FIELDS:
                parts[key] = known | st.just(value)
            elif key in ID_LIST_FIELDS:
                parts[key] = st.lists(known, max_size=3, unique=True) | st.just(value)
            else:
                parts[key] = st.just(value)
        return st.fixed_dictionaries(parts)


def _run(operation, mode, examples, headers, hooks) -> str | None:
    """Run one operation's strategy; the first failure's description, or None."""
    strategy = operation.as_strategy(generation_mode=mode, hooks=hooks)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case):
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        STATS[(operation.label, response.status_code)] += 1

    try:
        check()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - every failure is collected and reported
        return f"{operation.label} [{mode.value}]: {type(exc).__name__}: {exc}"
    return None


def _fuzz(api_app, username: str) -> list[str]:
    api = api_login(api_app, username)
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", api_app, headers=api.headers)
    _steer(schema)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 50
    # Deletions last, so the other operations meet the seeded rows.
    operations.sort(key=lambda op: (op.method.upper() == "DELETE", op.label))
    failures = []
    for operation in operations:
        for mode, examples in (
            (GenerationMode.POSITIVE, EXAMPLES),
            (GenerationMode.NEGATIVE, max(1, EXAMPLES // 2)),
        ):
            failure = _run(operation, mode, examples, api.headers, schema.hooks)
            if failure:
                failures.append(f"as {username}: {failure}")
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("username", ["mgr_a", "admin_api"])
def test_every_operation_answers_as_documented(api_app, people, tree, username):
    _seed(tree, people)
    started = time.monotonic()
    failures = _fuzz(api_app, username)
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
    print(f"as {username}: checked in {elapsed:.0f}s")
    for key, n in sorted(STATS.items()):
        print(key, n)
    STATS.clear()


def test_successful_answers_match_the_document(api_app, people, tree):
    """One valid request per writing route and a filtered list, validated like the fuzzing."""
    _seed(tree, people)
    from schemathesis.core import NOT_SET

    def caller(username):
        api = api_login(api_app, username)
        schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", api_app, headers=api.headers)

        def call(method, path, expect, pk=None, body=NOT_SET, query=None):
            operation = schema[path][method]
            extra = {} if body is NOT_SET else {"media_type": "application/json"}
            case = operation.Case(
                path_parameters={"pk": pk} if pk is not None else None,
                body=body,
                query=query,
                **extra,
            )
            response = case.call_and_validate(headers=api.headers, checks=CHECKS)
            assert response.status_code == expect, (method, path, response.text)
            return response.json()

        return call

    call = caller("mgr_a")
    applicant = call(
        "POST",
        "/api/v1/applicant/",
        201,
        body={
            "kind": "enterprise",
            "name": "台山某某有限公司",
            "credit_code": factories.credit_code(),
            "mobile": "13912345678",
            "unit": tree.town_a.id,
            "foreign_invested": True,
        },
    )["id"]
    call("PUT", "/api/v1/applicant/{pk}", 200, pk=applicant, body={"address": "台城"})
    case = call(
        "POST",
        "/api/v1/case/",
        201,
        body={"applicant": applicant, "item": 2, "kind": "proxy", "needs": "代办", **ACKS},
    )["id"]
    call("PUT", "/api/v1/case/{pk}", 200, pk=case, body={"needs": "补充说明"})
    call(
        "POST",
        "/api/v1/case/{pk}/confirm",
        200,
        pk=case,
        body={"process_explained": True, "applicant_signed": True, "received": [4]},
    )
    call("POST", "/api/v1/case/{pk}/submit", 200, pk=case, body={})
    call("POST", "/api/v1/case/{pk}/notify_missing", 200, pk=case, body={"deadline": "2099-12-31"})
    call("POST", "/api/v1/case/{pk}/supplement", 200, pk=case, body={"supplied": [5, 6]})
    call(
        "POST",
        "/api/v1/case/{pk}/complete",
        200,
        pk=case,
        body={"results": "证照", "signed_by": "王五"},
    )
    call(
        "POST",
        "/api/v1/case/{pk}/evaluate",
        200,
        pk=case,
        body={"rating": "4", "channel": "sms_link"},
    )
    call("GET", "/api/v1/case/{pk}/timeline", 200, pk=case)
    call("GET", "/api/v1/evaluation/", 200)
    call(
        "GET",
        "/api/v1/case/",
        200,
        query={"q": "(filters:!((col:status,opr:eq,value:completed)),order_column:due_date)"},
    )
    call(
        "POST",
        "/api/v1/walk_in_help/",
        201,
        body={"unit": tree.town_a.id, "kind": "device", "specialist": people.specialist.id},
    )
    spare = call(
        "POST",
        "/api/v1/applicant/",
        201,
        body={
            "kind": "enterprise",
            "name": "待删除企业",
            "credit_code": factories.credit_code(),
            "mobile": "13800138000",
            "unit": tree.town_a.id,
        },
    )
    call("DELETE", "/api/v1/applicant/{pk}", 200, pk=spare["id"])
    admin = caller("admin_api")
    dep = admin("POST", "/api/v1/department/", 201, body={"code": "DX", "name": "市场监管局"})
    admin(
        "POST",
        "/api/v1/service_item/",
        201,
        body={
            "code": "SX",
            "name": "食品经营许可",
            "department": dep["id"],
            "promised_days": 5,
            "legal_days": 20,
            "parallel_departments": [1, dep["id"]],
        },
    )
    admin("GET", "/api/v1/service_item/{pk}", 200, pk=1)
    admin("GET", "/api/v1/specialist/", 200)
    admin("GET", "/api/v1/menu/", 200)
