"""Security headers with a per-request CSP nonce, session expiry after inactivity, and the
temporary lock after repeated failed log-ins (shared by the UI and the REST API, kept in the
database so every worker sees it)."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import Flask, current_app, request, session

from app.domain import clock


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


def init_hardening(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.before_request
    def keep_session_alive() -> None:
        # A permanent session expires PERMANENT_SESSION_LIFETIME after the last request.
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


def _settings():
    config = current_app.config
    return (
        int(config.get("LOGIN_MAX_FAILURES", 5)),
        dt.timedelta(minutes=int(config.get("LOGIN_FAILURE_WINDOW_MINUTES", 15))),
        dt.timedelta(minutes=int(config.get("LOGIN_LOCK_MINUTES", 15))),
    )


def is_locked(session_, username: str) -> bool:
    from app.models import LoginLock

    lock = session_.get(LoginLock, (username or "").lower())
    return bool(lock and lock.locked_until and lock.locked_until > clock.now())


def record_attempt(session_, username: str, success: bool) -> bool:
    """Count a failure (locking after too many in the window) or clear on success.

    Returns True when this attempt caused a lock. Commits on its own: a failed log-in has no
    other unit of work, and the count must survive the request.
    """
    from app.audit import write_entry
    from app.models import LoginLock

    key = (username or "").lower()[:100]
    if not key:
        return False
    lock = session_.get(LoginLock, key)
    if success:
        if lock is not None:
            session_.delete(lock)
            session_.commit()
        return False
    max_failures, window, duration = _settings()
    now = clock.now()
    if lock is None:
        lock = LoginLock(username=key, failures=0)
        session_.add(lock)
    if lock.first_failure_at is None or now - lock.first_failure_at > window:
        lock.first_failure_at = now
        lock.failures = 0
    lock.failures += 1
    locked = False
    if lock.failures >= max_failures:
        lock.locked_until = now + duration
        lock.failures = 0
        lock.first_failure_at = None
        locked = True
        write_entry(
            session_,
            action="lock",
            table_name="ab_user",
            row_id=key,
            after={"locked_until": lock.locked_until.isoformat()},
        )
    session_.commit()
    return locked
