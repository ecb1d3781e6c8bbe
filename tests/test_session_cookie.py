"""The session cookie is not sent back with a page's stylesheets, scripts and images unless they
changed it: a browser loads them in parallel, and each one re-sending the cookie as it was when
its request began overwrote what a concurrent request had stored (the public booking page's
check code, stored by its image while the page's scripts loaded, was lost on the first try)."""

from __future__ import annotations

from app import checkcode


def _cookies(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]


def test_subresources_leave_the_session_cookie_alone(app, monkeypatch):
    monkeypatch.setattr(checkcode, "new_code", lambda: "2345")
    client = app.test_client()
    page = client.get("/booking/")
    assert _cookies(page)  # a new visitor's session starts with the page
    before_image = client.get_cookie("session").value

    image = client.get("/booking/checkcode.svg", headers={"Sec-Fetch-Dest": "image"})
    assert _cookies(image)  # the image stored the check code: always sent
    with_code = client.get_cookie("session").value
    assert with_code != before_image

    # a stylesheet and a script whose requests left before the image answered
    client.set_cookie("session", before_image)
    style = client.get("/static/css/app.css", headers={"Sec-Fetch-Dest": "style"})
    assert style.status_code == 200 and _cookies(style) == []
    script = client.get("/static/appbuilder/js/ab.js")  # a static endpoint, without the header
    assert _cookies(script) == []
    assert client.get_cookie("session").value == before_image  # nothing overwritten

    client.set_cookie("session", with_code)
    done = client.post("/booking/", data={"check_code": "2345"})
    assert "验证码不正确" not in done.text  # the code was still there (the form's other errors)

    # pages still refresh the cookie (the session's expiry slides with the user's requests)
    again = client.get("/booking/", headers={"Sec-Fetch-Dest": "document"})
    assert _cookies(again)
