"""Model constraints, the unit tree's materialized path, case numbering and optimistic locking."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm.exc import StaleDataError

from app import models as m
from app.domain.numbering import next_case_number
from app.enums import ApplicantKind, Tier
from app.extensions import db
from tests import factories


def test_unit_code_is_unique(any_app):
    factories.unit("440781", "市中心", Tier.CITY)
    db.session.commit()
    factories.unit("440781", "重复", Tier.CITY)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_paths_follow_the_tree_and_moves_rewrite_the_subtree(any_app):
    tree = factories.unit_tree()
    assert tree.city.path == "/440781/"
    assert tree.village_a1.path == "/440781/440781100/440781100001/"
    tree.town_a.code = "440781199"
    db.session.commit()
    db.session.expire_all()
    paths = dict(db.session.execute(sa.select(m.OrgUnit.code, m.OrgUnit.path)).all())
    assert paths["440781199"] == "/440781/440781199/"
    assert paths["440781100001"] == "/440781/440781199/440781100001/"
    assert paths["440781101001"] == "/440781/440781101/440781101001/"


def test_subtree_is_one_prefix_query(any_app):
    from app.scope import Scope

    tree = factories.unit_tree()
    ids = set(db.session.execute(Scope(path=tree.town_a.path).unit_ids()).scalars())
    assert ids == {tree.town_a.id, tree.village_a1.id, tree.village_a2.id}


def test_enum_columns_are_checked_by_the_database(any_app):
    with pytest.raises((IntegrityError, StatementError)):
        db.session.execute(
            sa.text(
                "INSERT INTO org_unit (code, name, tier, kind, path, active) "
                "VALUES ('1', 'x', 'planet', 'service_center', '/1/', true)"
            )
        )
        db.session.flush()
    db.session.rollback()


def test_applicant_needs_the_identity_of_its_kind(any_app):
    tree = factories.unit_tree()
    db.session.add(
        m.Applicant(kind=ApplicantKind.PERSON, name="无证件", mobile="13800138000", unit=tree.city)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_item_legal_limit_not_below_promised(any_app):
    dept = factories.department()
    db.session.add(
        m.ServiceItem(code="X-1", name="x", department=dept, promised_days=10, legal_days=5)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_case_numbers_are_readable_and_sequential(any_app):
    tree = factories.unit_tree()
    first = next_case_number(db.session, tree.town_a, 2026)
    second = next_case_number(db.session, tree.town_a, 2026)
    other = next_case_number(db.session, tree.town_b, 2026)
    assert first == "440781100-2026-00001"
    assert second == "440781100-2026-00002"
    assert other == "440781101-2026-00001"


def test_case_numbers_stay_unique_under_concurrency(app):
    tree = factories.unit_tree()
    unit_id = tree.town_a.id
    numbers: list[str] = []
    errors: list[BaseException] = []

    def claim():
        try:
            with app.app_context():
                for _ in range(15):
                    unit = db.session.get(m.OrgUnit, unit_id)
                    numbers.append(next_case_number(db.session, unit, 2026))
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(numbers) == 60
    assert len(set(numbers)) == 60
    assert sorted(numbers)[-1] == "440781100-2026-00060"


def test_concurrent_edit_of_a_case_is_detected(app):
    tree = factories.unit_tree()
    specialist = factories.staff("s1", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, specialist)
    case_id = case.id
    db.session.remove()
    engine = db.engine
    from sqlalchemy.orm import Session

    with Session(engine) as first, Session(engine) as second:
        a = first.get(m.Case, case_id)
        b = second.get(m.Case, case_id)
        a.needs = "第一个人的修改"
        first.commit()
        b.needs = "第二个人的修改"
        with pytest.raises(StaleDataError):
            second.commit()
