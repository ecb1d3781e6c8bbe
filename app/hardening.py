"""Security headers with a per-request CSP nonce, session expiry after inactivity, and the
temporary lock after repeated failed log-ins (shared by the UI and the REST API, kept in the
database so every worker sees it)."""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

from app import notify
from app.audit import write_entry
from app.domain import clock
from app.enums import NotificationChannel
from app.models import LoginLock


def csp_nonce() -> str:
    """The nonce of this response; FAB's templates put it on every <script> (baselib.get_nonce)."""
    environ = request.environ  # per request (g may outlive a request in tests)
    nonce = environ.get("bangban.csp_nonce")
    if nonce is None:
        nonce = environ["bangban.csp_nonce"] = secrets.token_urlsafe(16)
    return nonce


def content_security_policy() -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{csp_nonce()}'",
            # FAB's templates use style attributes; scripts are what a nonce must guard.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# What a browser fetches *for* a page (Sec-Fetch-Dest), in parallel with the page's other requests.
SUBRESOURCES = frozenset({"image", "script", "style", "font", "manifest"})


def _is_subresource() -> bool:
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    return request.headers.get("Sec-Fetch-Dest", "") in SUBRESOURCES


class SessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, except that a response which changed nothing in the session
    does not send it back when it answers a stylesheet, script, font or image.

    Each response re-sent the cookie as it stood when its request began (the sliding expiry):
    the stylesheets and scripts a page loads in parallel then overwrote what a concurrent
    request had just stored. The public booking page lost its check code so (its image stores
    the code while the page's scripts load): every first attempt in a real browser was refused.
    A change (the check code, a log-in) is always sent; pages, forms and API calls refresh it.
    """

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            return True
        if has_request_context() and _is_subresource():
            return False
        return super().should_set_cookie(app, session)


def init_hardening(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.session_interface = SessionInterface()
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.before_request
    def keep_session_alive() -> None:
        # A permanent session expires PERMANENT_SESSION_LIFETIME after the last request. Set
        # once: setting it marks the session changed, and a changed session is always sent.
        if not session.permanent:
            session.permanent = True

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


# ---------------------------------------------------------------- log-in lock
#
# Failures are counted per account AND source address: a stranger who guesses at a user name
# from one address slows down, then locks out only that address for that name; the real user
# logs in from their own desk. Only a spread-out attack (many failures from many addresses)
# locks the account as such. After the first few failures each further attempt must wait a
# little longer (progressive slowing); an attempt that comes too early is refused and counted.
# An Admin unlocks an account on the log-in lock screen, and its owner is told in the app.


def _settings():
    config = current_app.config
    return (
        int(config.get("LOGIN_MAX_FAILURES", 5)),
        dt.timedelta(minutes=int(config.get("LOGIN_FAILURE_WINDOW_MINUTES", 15))),
        dt.timedelta(minutes=int(config.get("LOGIN_LOCK_MINUTES", 15))),
    )


def _name(username: str) -> str:
    return (username or "").strip().lower()[:54]


def pair_key(username: str, ip: str) -> str:
    """The counter of one user name tried from one address."""
    return f"{_name(username)}|{(ip or '')[:45]}"


def account_key(username: str) -> str:
    """The counter of one user name from every address."""
    return _name(username)


def _ip() -> str:

    return (request.remote_addr or "") if has_request_context() else ""


def lock_message(session_, username: str, ip: str | None = None) -> str | None:
    """Why a log-in of ``username`` from ``ip`` is refused right now, or None."""

    if not _name(username):
        return None
    ip = _ip() if ip is None else ip
    now = clock.now()
    for key in (account_key(username), pair_key(username, ip)):
        lock = session_.get(LoginLock, key)
        if lock is not None and lock.locked_until and lock.locked_until > now:
            minutes = max(1, int((lock.locked_until - now).total_seconds() // 60) + 1)
            return _(
                "Too many failed log-ins: this account is locked here for %(minutes)s more "
                "minutes. Try again later, or ask an administrator to unlock it.",
                minutes=minutes,
            )
    lock = session_.get(LoginLock, pair_key(username, ip))
    wait = _slowdown(lock, now)
    if wait:
        return _(
            "Too many failed log-ins: wait %(seconds)s seconds before trying again.",
            seconds=wait,
        )
    return None


def _slowdown(lock, now) -> int:
    """Seconds still to wait after the last failure (0: may try now)."""
    slow_after = int(current_app.config.get("LOGIN_SLOW_AFTER", 2))
    if lock is None or lock.last_failure_at is None or lock.failures < slow_after:
        return 0
    delay = min(2 ** (lock.failures - slow_after), 60)
    left = (lock.last_failure_at + dt.timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(left + 0.999))


def is_locked(session_, username: str, ip: str | None = None) -> bool:
    return lock_message(session_, username, ip) is not None


def refusal(session_, username: str, ip: str | None = None) -> str | None:
    """The message refusing this log-in attempt before its password is checked, or None.

    An attempt that comes before its slowing delay is over counts as one more failure.
    """
    message = lock_message(session_, username, ip)
    if message is None:
        return None
    ip = _ip() if ip is None else ip
    now = clock.now()
    hard = any(
        (lock := session_.get(LoginLock, key)) is not None
        and lock.locked_until is not None
        and lock.locked_until > now
        for key in (account_key(username), pair_key(username, ip))
    )
    if not hard:
        record_attempt(session_, username, False, ip)
    return message


def _count(session_, key: str, now, window) -> object:
    lock = session_.get(LoginLock, key)
    if lock is None:
        lock = LoginLock(username=key, failures=0)
        session_.add(lock)
    if lock.first_failure_at is None or now - lock.first_failure_at > window:
        lock.first_failure_at = now
        lock.failures = 0
    lock.failures += 1
    lock.last_failure_at = now
    return lock


def record_attempt(session_, username: str, success: bool, ip: str | None = None) -> bool:
    """Count a failure (slowing, then locking) or clear the counters on success.

    Returns True when this attempt caused a lock. Commits on its own: a failed log-in has no
    other unit of work, and the count must survive the request.
    """
    name = _name(username)
    if not name:
        return False
    ip = _ip() if ip is None else ip
    if success:
        for key in (pair_key(username, ip), account_key(username)):
            lock = session_.get(LoginLock, key)
            if lock is not None and not (lock.locked_until and lock.locked_until > clock.now()):
                session_.delete(lock)
        session_.commit()
        return False
    max_failures, window, duration = _settings()
    account_max = int(current_app.config.get("LOGIN_ACCOUNT_MAX_FAILURES", 10 * max_failures))
    now = clock.now()
    locked = False
    for key, limit in (
        (pair_key(username, ip), max_failures),
        (account_key(username), account_max),
    ):
        lock = _count(session_, key, now, window)
        if lock.failures >= limit and not (lock.locked_until and lock.locked_until > now):
            lock.locked_until = now + duration
            lock.failures = 0
            lock.first_failure_at = None
            locked = True
            write_entry(
                session_,
                action="lock",
                table_name="ab_user",
                row_id=name,
                after={
                    "locked_until": lock.locked_until.isoformat(),
                    "source": ip if "|" in key else "",
                },
            )
            if "|" not in key:
                notify_owner(session_, name, locked=True)
    session_.commit()
    return locked


def locks_of(session_, username: str):
    """Every counter and lock of one user name (the account's and each address's)."""

    name = _name(username)
    return list(
        session_.execute(
            sa.select(LoginLock).where(
                sa.or_(
                    LoginLock.username == name,
                    LoginLock.username.startswith(name + "|", autoescape=True),
                )
            )
        ).scalars()
    )


def unlock(session_, username: str) -> int:
    """An Admin lifts every lock of a user name; the owner is told. The caller commits."""
    rows = locks_of(session_, username)
    for row in rows:
        session_.delete(row)
    write_entry(session_, action="unlock", table_name="ab_user", row_id=_name(username))
    notify_owner(session_, _name(username), locked=False)
    return len(rows)


def notify_owner(session_, username: str, *, locked: bool) -> None:
    """Tell the account's owner (in the app) that their log-in was locked or unlocked."""

    user_model = current_app.appbuilder.sm.user_model
    user = session_.execute(
        sa.select(user_model).where(sa.func.lower(user_model.username) == username)
    ).scalar_one_or_none()
    if user is None:
        return
    now = clock.now()
    if locked:
        subject = _("Your log-in was locked after many failed attempts")
        body = _(
            "Someone failed to log in as you many times, so your account was locked for a "
            "while. If it was not you, tell an administrator."
        )
    else:
        subject = _("An administrator unlocked your log-in")
        body = _("You can log in again.")
    notify.queue(
        session_,
        dedup_key=f"login-{'lock' if locked else 'unlock'}:{user.id}:{now.isoformat()}"[:200],
        channel=NotificationChannel.APP,
        kind="login_lock",
        subject=subject[:200],
        body=body,
        recipient_id=user.id,
    )
