"""The domain publishes each step (app/domain/events.py); features subscribe to it."""

from __future__ import annotations

import pytest

from app.domain import events, lifecycle
from app.domain.errors import IllegalTransition
from app.domain.status import CaseStatus as S
from app.enums import ContactChannel
from app.extensions import db
from tests import factories


class Heard:
    def __init__(self):
        self.steps = []
        self.changes = []

    def step(self, case, **kw):
        self.steps.append((case, kw))

    def change(self, case, **kw):
        self.changes.append((kw["old"], kw["new"]))


@pytest.fixture
def heard(app):
    heard = Heard()
    with (
        events.step_taken.connected_to(heard.step),
        events.status_changed.connected_to(heard.change),
    ):
        yield heard


def test_a_subscriber_sees_each_step_with_its_name_data_and_before(heard, tree):
    spec = factories.staff("spec_ev", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    actor = spec.user
    lifecycle.confirm(
        db.session,
        case,
        actor,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[mat.id for mat in case.item.materials],
    )
    lifecycle.record(
        db.session, case, actor, "contact", note="电话联系", channel=ContactChannel.PHONE
    )
    lifecycle.transfer(db.session, case, actor, to_unit=tree.town_b, note="转交")
    db.session.commit()

    names = [kw["step"] for _case, kw in heard.steps]
    assert names == ["apply", "confirm", "contact", "transfer"]
    assert all(sender is case for sender, _kw in heard.steps)
    apply, confirm, contact, transfer = (kw for _case, kw in heard.steps)
    assert apply["result"] is case and apply["before"] == {} and apply["actor"] is actor
    assert apply["data"]["needs"] == "测试需求"
    assert confirm["before"]["status"] == S.APPLIED and confirm["data"]["applicant_signed"]
    assert contact["data"] == {"note": "电话联系", "channel": ContactChannel.PHONE}
    assert contact["result"].note == "电话联系"  # the timeline entry it made
    assert transfer["before"]["handling_unit_id"] == tree.town_a.id
    assert transfer["data"]["to_unit"] is tree.town_b
    assert all(kw["session"] is db.session for _case, kw in heard.steps)
    # one transition, published on its own signal too
    assert heard.changes == [(S.APPLIED, S.ACCEPTED)]


def test_a_refused_step_publishes_nothing(heard, tree):
    spec = factories.staff("spec_ev2", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    heard.steps.clear()
    with pytest.raises(IllegalTransition):
        lifecycle.submit(db.session, case, spec.user)
    db.session.rollback()
    assert heard.steps == [] and heard.changes == []
