"""The public pages' check code (验证码): four digits drawn as an SVG by the app itself.

One module for every public form that takes one (the booking page /booking/, the complaint
page /complaint/); each names its ``purpose``, so a code drawn for one page does not answer the
other. The session (a signed, readable cookie) keeps only an HMAC of the code under the app's
secret key and when it was issued, so the cookie does not give the code away. A code answers
one attempt, right or wrong, and lasts ten minutes; the pages are rate-limited besides
(app/appointments/public.py, app/complaints/views.py), so guessing four digits is slow.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from flask import Response, current_app, make_response, session

PURPOSES = ("booking", "complaint")
DIGITS = "23456789"  # no 0/1: they read as O/I
LIFETIME_SECONDS = 600

# Seven-segment strokes of each digit on a 10 × 20 cell: a b c d e f g.
_SEGMENTS = {
    "a": ((0, 0), (10, 0)),
    "b": ((10, 0), (10, 10)),
    "c": ((10, 10), (10, 20)),
    "d": ((0, 20), (10, 20)),
    "e": ((0, 10), (0, 20)),
    "f": ((0, 0), (0, 10)),
    "g": ((0, 10), (10, 10)),
}
_DIGIT_SEGMENTS = {
    "2": "abged",
    "3": "abgcd",
    "4": "fgbc",
    "5": "afgcd",
    "6": "afgedc",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
}


def new_code() -> str:
    return "".join(secrets.choice(DIGITS) for _ in range(4))


def _key(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown check-code purpose {purpose!r}")
    return f"{purpose}_check"


def _digest(purpose: str, code: str) -> str:
    key = str(current_app.secret_key or "").encode()
    return hmac.new(key, f"{purpose}-check:{code}".encode(), hashlib.sha256).hexdigest()


def issue(purpose: str) -> str:
    """A new code for this browser session and page (replacing any earlier one); returns it."""
    code = new_code()
    session[_key(purpose)] = {"h": _digest(purpose, code), "t": int(time.time())}
    return code


def verify(purpose: str, answer: str | None) -> bool:
    """Whether ``answer`` is the session's code for ``purpose``; the code is used up either way."""
    entry = session.pop(_key(purpose), None)
    if not isinstance(entry, dict) or not isinstance(answer, str):
        return False
    if time.time() - float(entry.get("t", 0)) > LIFETIME_SECONDS:
        return False
    return hmac.compare_digest(_digest(purpose, answer.strip()[:10]), str(entry.get("h", "")))


def image(purpose: str) -> Response:
    """The answer of a page's check-code image URL: a new code, drawn, never cached."""
    response = make_response(svg(issue(purpose)))
    response.headers["Content-Type"] = "image/svg+xml; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


def svg(code: str) -> str:
    """The code drawn as jittered seven-segment strokes over noise lines."""
    rand = secrets.SystemRandom()
    parts = []
    for _ in range(6):
        x1, x2 = rand.randint(0, 120), rand.randint(0, 120)
        y1, y2 = rand.randint(0, 40), rand.randint(0, 40)
        parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#9ab" stroke-width="1"/>'
        )
    for position, digit in enumerate(code):
        left = 12 + position * 26 + rand.randint(-3, 3)
        top = 8 + rand.randint(-3, 3)
        scale = rand.uniform(0.9, 1.15)
        for segment in _DIGIT_SEGMENTS[digit]:
            (x1, y1), (x2, y2) = _SEGMENTS[segment]
            points = [
                (left + x * scale + rand.uniform(-1.2, 1.2), top + y * scale + rand.uniform(-1, 1))
                for x, y in ((x1, y1), (x2, y2))
            ]
            (ax, ay), (bx, by) = points
            parts.append(
                f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="#234" '
                'stroke-width="2.6" stroke-linecap="round"/>'
            )
    body = "".join(parts)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
        f'<rect width="120" height="40" fill="#f4f7f9"/>{body}</svg>'
    )
