"""The scope matrix: every route, every tier and role, on PostgreSQL (the harness is
tests/scope_harness.py; searches, forms and screen writes: tests/test_scope_screens.py; REST
writes: tests/test_scope_api.py).

A user sees their own unit and every unit below it; Admin sees everything; an account without an
active unit sees no case data (app/scope.py). This file proves it over the whole URL map, so a
route added later is covered without anyone remembering to add it here.

``test_route_matrix``: every GET rule of ``app.url_map``, for Admin, a Manager, a Specialist
and a Leader at the city and at town A, a Specialist at village A1 and a Specialist whose
record is deactivated. A rule with a row id gets an id the account may see (must not answer
404 or 500), an id outside its scope (must answer exactly like the missing id 99999999,
status and page) and that missing id (must not answer 500). A rule without one must not
answer 500. FAB's security screens never answer 200 to anyone but Admin. Every body an
account of town A or village A1 receives (HTML, JSON unescaped, xlsx unzipped) is searched
for town B's applicant (``SECRETS``). ``/api/`` rules are called with the account's bearer
token, as the API requires.
The id to use is found from the rule: ``pk`` → the model of the view (``view.datamodel``);
``case_id``/``notice_id``/``extension_id``/``report_id`` → ``PARAM_MODELS``; ``filename`` →
stored upload names; views narrowed to the caller's own rows → ``OWN_ROWS``. A new parameter,
model or own-row view fails ``collect_routes`` or ``check_coverage``
with a message naming it, so it cannot slip through untested.

Rules skipped by the matrix (``SKIPPED_ENDPOINTS`` and the no-GET test in ``collect_routes``):
the static files (``static``, ``appbuilder.static``), ``/lang/<locale>`` (``LocaleView.index``,
only switches the language), ``/logout/`` (``AuthDBView.logout``, would end the client's
session) and every rule whose methods lack GET (``*/action_post``, ``/walkin/record``, the REST
writes and steps, ``/api/v1/security/login|refresh``, the ``this_form_post`` of the account
forms, ``/imports/upload``, the notification read marks...); the scope-relevant writes among
them are exercised in tests/test_scope_screens.py and tests/test_scope_api.py. The test prints
the full list.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.scope_harness import (
    ACCOUNTS,
    HUGE,
    Probe,
    Result,
    agents_for,
    build_world,
    cheap_password_hashes,
    check_coverage,
    collect_routes,
    isolated_requests,
    judge,
    leaks,
    probes,
)


@pytest.fixture(autouse=True)
def fast_password_hashes(pg_app, monkeypatch):
    cheap_password_hashes(pg_app, monkeypatch)


def test_route_matrix(app, tree, login):
    world = build_world(app, tree)
    routes, skipped = collect_routes(app)
    print(f"\n{len(routes)} GET rules checked; skipped: {', '.join(skipped)}")
    assert len(routes) > 150, "the URL map looks incomplete"
    check_coverage(app, world, routes)
    failures: list[str] = []
    requests = 0
    tally: Counter = Counter()  # (expectation, status) → answers, printed as a sanity check
    with isolated_requests():
        agents = agents_for(app, login, ACCOUNTS)
        for account in ACCOUNTS:
            agent = agents[account.username]
            assert agent.token, f"{account.username}: no API token"
            for route in routes:
                answers: list[tuple[str, Result]] = []
                if route.id_param is None:
                    got = agent.get(route, route.url())
                    answers.append((route.url(), got))
                    where = f"{account.username} GET {route.url()}"
                    if got.status == 500:
                        failures.append(f"{where} → 500: {got.body[:300]}")
                    elif route.admin_only and not account.admin and got.status == 200:
                        failures.append(f"{where} → 200 on an Admin-only screen")
                else:
                    missing = agent.get(route, route.url(HUGE))
                    answers.append((route.url(HUGE), missing))
                    if route.admin_only and not account.admin:
                        failures += judge(
                            account, route, Probe("missing id", HUGE, "forbidden"), missing, missing
                        )
                    elif missing.status == 500:
                        failures.append(
                            f"{account.username} GET {route.url(HUGE)} [missing id] → 500: "
                            f"{missing.body[:300]}"
                        )
                    for probe in probes(route, account, world):
                        got = agent.get(route, route.url(probe.value))
                        answers.append((route.url(probe.value), got))
                        tally[probe.expect, got.status] += 1
                        failures += judge(account, route, probe, got, missing)
                requests += len(answers)
                if account.leak_checked:
                    for url, got in answers:
                        for secret in leaks(got.body):
                            failures.append(
                                f"{account.username} GET {url} → {got.status} shows town B's "
                                f"{secret!r}"
                            )
    print(f"{requests} requests, {len(failures)} failures; answers by expectation: {dict(tally)}")
    assert not failures, "\n".join([f"{len(failures)} failures:"] + failures)
