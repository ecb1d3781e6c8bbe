"""The public pages' shared check code (app/checkcode.py): drawn as an SVG, kept only as an HMAC
in the session, one answer per code, separate per page, expiring."""

from __future__ import annotations

import pytest
from flask import session

from app import checkcode


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield


def test_a_code_answers_once_right_or_wrong(ctx, monkeypatch):
    monkeypatch.setattr(checkcode, "new_code", lambda: "2345")
    assert checkcode.issue("booking") == "2345"
    assert "2345" not in repr(dict(session))  # only the digest is kept
    assert checkcode.verify("booking", " 2345 ")
    assert not checkcode.verify("booking", "2345")  # used up
    checkcode.issue("booking")
    assert not checkcode.verify("booking", "9999")
    assert not checkcode.verify("booking", "2345")  # a wrong answer used it up too
    assert not checkcode.verify("booking", None)


def test_each_page_has_its_own_code(ctx, monkeypatch):
    monkeypatch.setattr(checkcode, "new_code", lambda: "6789")
    checkcode.issue("booking")
    assert not checkcode.verify("complaint", "6789")  # drawn for the booking page
    assert checkcode.verify("booking", "6789")
    checkcode.issue("complaint")
    assert checkcode.verify("complaint", "6789")
    with pytest.raises(ValueError):
        checkcode.issue("nope")


def test_a_code_expires(ctx, monkeypatch):
    monkeypatch.setattr(checkcode, "new_code", lambda: "4567")
    checkcode.issue("complaint")
    session["complaint_check"]["t"] -= checkcode.LIFETIME_SECONDS + 1
    assert not checkcode.verify("complaint", "4567")


def test_the_image_draws_the_digits_without_writing_them(ctx, monkeypatch):
    monkeypatch.setattr(checkcode, "new_code", lambda: "8888")
    response = checkcode.image("complaint")
    text = response.get_data(as_text=True)
    assert response.mimetype == "image/svg+xml" and response.headers["Cache-Control"] == "no-store"
    assert text.startswith("<svg") and "8888" not in text
    assert text.count('stroke="#234"') == 4 * 7  # four eights, seven strokes each
    monkeypatch.undo()
    codes = {checkcode.new_code() for _ in range(50)}
    assert len(codes) > 1 and all(len(c) == 4 and set(c) <= set(checkcode.DIGITS) for c in codes)
