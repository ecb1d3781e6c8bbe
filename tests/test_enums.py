"""Each enumerated value is declared once, with its label, and the label is a translatable
text (not the stored code)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel.speaklater import LazyString

from app import enums
from app.domain.status import CaseStatus


def _all_enums():
    found, todo = [], list(enums.LabelledEnum.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_member_is_the_stored_string_and_carries_a_lazy_label():
    classes = _all_enums()
    assert CaseStatus in classes and enums.Tier in classes
    for cls in classes:
        for member in cls:
            assert member == member.value and cls(member.value) is member
            assert isinstance(member.label, LazyString), (
                f"{cls.__name__}.{member.name} has no label"
            )
        assert [value for value, _ in cls.choices()] == [m.value for m in cls]


@pytest.mark.parametrize("locale,text", [("zh", "已申请"), ("en", "Applied")])
def test_labels_are_translated(any_app, locale, text):
    with any_app.test_request_context(), force_locale(locale):
        assert str(CaseStatus.APPLIED.label) == text
        assert str(CaseStatus.APPLIED) == text
