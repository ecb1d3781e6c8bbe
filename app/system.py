"""Health for load balancers (``/health``, no log-in, JSON, 200 or 503) and the System status
screen for administrators: database, Redis, the last worker heartbeat, the last beat tick, the
queue depth, jobs waiting or stuck, and the holiday calendar's coverage.

``/health`` answers 503 only when this web process cannot use the database: with Redis down the
site keeps serving (log-in, pages, the progress inquiry) and background work waits, so a load
balancer must not take the host out for it; the JSON still says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import redis
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, render_template, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError

from app import filestore, jobs
from app import models as m
from app.domain import clock
from app.extensions import csrf, db
from app.tasks.calendar import missing_years

health = Blueprint("health", __name__)
QUEUE = "celery"  # Celery's default queue (a Redis list of that name)
LIVENESS_SECONDS = 180  # a worker or beat silent for longer is shown as a problem


def check_database() -> dict:
    started = time.monotonic()
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def check_redis() -> dict:
    """Ping the broker's Redis (short timeouts) and read the queue's length."""
    url = current_app.config.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis"):
        return {"ok": True, "broker": "embedded"}

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
        depth = client.llen(QUEUE)
    except Exception as exc:
        return {"ok": False, "broker": "redis", "error": type(exc).__name__}
    finally:
        client.close()
    return {"ok": True, "broker": "redis", "queue_depth": depth}


def check_file_store() -> dict | None:
    """With FILE_STORE=s3: can this process reach the bucket? (None with the database store.)"""
    if filestore.backend() != "s3":
        return None
    started = time.monotonic()
    try:
        store = filestore.s3()
        store.client.head_bucket(Bucket=store.bucket)
    except Exception as exc:
        return {"ok": False, "store": "s3", "error": type(exc).__name__}
    return {"ok": True, "store": "s3", "ms": round((time.monotonic() - started) * 1000, 1)}


def _age(moment: dt.datetime | None, now: dt.datetime) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return round((now - moment).total_seconds(), 1)


def status() -> dict:
    """Every check, for the JSON endpoint and the screen."""
    report: dict = {"database": check_database(), "redis": check_redis()}
    if not report["database"]["ok"]:
        report["ok"] = False
        return report
    now = clock.now()
    session = db.session
    try:
        beats = {b.name: b for b in session.execute(sa.select(m.ServiceBeat)).scalars()}
        for name in ("worker", "beat"):
            beat = beats.get(name)
            age = _age(beat.at if beat else None, now)
            report[name] = {
                "ok": age is not None and age <= LIVENESS_SECONDS,
                "last": beat.at.isoformat() if beat else None,
                "age_seconds": age,
                "detail": beat.detail if beat else "",
            }
        report["jobs"] = jobs.stuck(session)
        report["jobs"]["ok"] = report["jobs"]["stuck"] == 0

        missing = missing_years(session)
        report["calendar"] = {"ok": not missing, "missing_years": missing}
    finally:
        session.rollback()
    files = check_file_store()
    if files is not None:
        report["files"] = files
    report["ok"] = report["database"]["ok"]
    return report


@health.route("/health")
def health_check():
    """For load balancers: 200 while this process can serve, 503 when its database is gone."""
    report = {"database": check_database(), "redis": check_redis()}
    report["ok"] = report["database"]["ok"]
    files = check_file_store()  # reported, but as with Redis the host keeps serving
    if files is not None:
        report["files"] = files
    response = jsonify(report)
    response.status_code = 200 if report["ok"] else 503
    response.headers["Cache-Control"] = "no-store"
    return response


CHECK_LABELS = {
    "database": _l("Database"),
    "redis": _l("Redis (queue and rate limits)"),
    "worker": _l("Last worker heartbeat"),
    "beat": _l("Last beat tick"),
    "jobs": _l("Background jobs"),
    "calendar": _l("Holiday calendar coverage"),
    "files": _l("File store (S3)"),
}


class SystemStatusView(BaseView):
    """系统状态: what an operator checks first when something seems wrong."""

    route_base = "/system"
    default_view = "index"

    @expose("/status/")
    @has_access
    def index(self):
        report = status()
        rows = []
        for key, label in CHECK_LABELS.items():
            item = report.get(key)
            if item is None:
                continue
            rows.append((key, str(label), item.get("ok", False), _describe(key, item)))
        return self.render_template(
            "system/status.html", rows=rows, ok=report["ok"], title=_("System status")
        )


def _describe(key: str, item: dict) -> str:
    if key == "database":
        return _("%(ms)s ms", ms=item["ms"]) if item["ok"] else item.get("error", "")
    if key == "redis":
        if item.get("broker") == "embedded":
            return _("Embedded broker (no Redis configured)")
        if not item["ok"]:
            return _("Not reachable: background jobs wait, rate limits held in memory")
        return _("Queue depth: %(n)s", n=item["queue_depth"])
    if key in ("worker", "beat"):
        if item["last"] is None:
            return _("Never seen")
        return _("%(seconds)s seconds ago", seconds=int(item["age_seconds"]))
    if key == "jobs":
        return _(
            "%(pending)s waiting, %(running)s running, %(stuck)s without a heartbeat",
            pending=item["pending"],
            running=item["running"],
            stuck=item["stuck"],
        )
    if key == "files":
        return _("%(ms)s ms", ms=item["ms"]) if item["ok"] else item.get("error", "")
    if key == "calendar":
        if item["ok"]:
            return _("Loaded for the years due dates need")
        return _("Not loaded for %(years)s", years=", ".join(str(y) for y in item["missing_years"]))
    return ""


def install(appbuilder) -> None:
    """The ``/health`` route (the status screen is registered in app/views.py)."""
    app = current_app
    if "health" not in app.blueprints:
        app.register_blueprint(health)

        csrf.exempt(health)


# ---------------------------------------------------------------- a stalled database fails fast


def database_engine_options(app) -> None:
    """PostgreSQL: a connect timeout and a statement timeout (a lock wait counts), so a stalled
    database fails a request in seconds instead of holding a web worker until gunicorn kills it.
    Workers get a longer statement timeout (celery_worker.py)."""
    uri = str(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    if not uri.startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", int(app.config.get("DB_CONNECT_TIMEOUT", 5)))
    statement_ms = int(app.config.get("DB_STATEMENT_TIMEOUT_MS", 30000))
    if statement_ms > 0:
        connect_args.setdefault("options", f"-c statement_timeout={statement_ms}")
    options["connect_args"] = connect_args
    options.setdefault("pool_timeout", int(app.config.get("DB_POOL_TIMEOUT", 10)))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_database_guard(app) -> None:
    """Answer 503 with a short page in the user's language when the database does not answer
    (connection refused or timed out, statement timeout): never a hang, never a bare 500."""

    log = logging.getLogger(__name__)

    @app.errorhandler(OperationalError)
    def database_unavailable(exc):
        try:
            db.session.rollback()
        except Exception:  # the connection may be gone as well
            db.session.remove()
        log.warning("database unavailable for %s %s: %s", request.method, request.path, exc)
        message = _(
            "The database is not answering right now. Nothing was changed; please try again "
            "in a minute."
        )
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify({"message": message}), 503
        body = render_template("system/unavailable.html", message=message)
        return body, 503, {"Retry-After": "30"}

    try:  # lazy: boto3 is optional here, and heavy: loaded only to guard an S3 file store
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # boto3 not installed: no S3 file store
        return

    def file_store_unavailable(exc):
        """FILE_STORE=s3 and the object storage does not answer (or refuses): 503, the
        transaction rolled back (an object it wrote is removed again), never a bare 500."""
        try:
            db.session.rollback()
        except Exception:
            db.session.remove()
        log.warning("file store unavailable for %s %s: %s", request.method, request.path, exc)
        message = _(
            "The file store is not answering right now. Nothing was changed; please try again "
            "in a minute."
        )
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify({"message": message}), 503
        body = render_template("system/unavailable.html", message=message)
        return body, 503, {"Retry-After": "30"}

    app.register_error_handler(BotoCoreError, file_store_unavailable)
    app.register_error_handler(ClientError, file_store_unavailable)
