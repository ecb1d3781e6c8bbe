"""Reads that tolerate a little lag go to a read replica when one is configured.

The ledger, the dashboard, exports and the periodic summaries read a lot and write nothing: with
``REPLICA_DATABASE_URL`` set (a streaming replica of the primary) they read there, and the
primary keeps the writes and the reads that must see them (case pages, lists, the scope of the
user itself). Without the setting, or while the replica does not answer, they read the primary:
a replica that is down costs one failed connection attempt (``connect_timeout``, 2 s) and then
``REPLICA_RETRY_SECONDS`` (30) of reading the primary before it is tried again.

``read_session()`` gives the session to read with for the current request (or task); it is
closed when the app context ends.
"""

from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)

_engines: dict[str, sa.Engine] = {}
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def _engine(url: str) -> sa.Engine:
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            args = {"connect_timeout": 2} if url.startswith("postgresql") else {}
            engine = sa.create_engine(
                url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=args
            )
            _engines[url] = engine
        return engine


def replica_url() -> str | None:
    return current_app.config.get("REPLICA_DATABASE_URL") or None


def read_session() -> Session:
    """The replica's session when configured and answering, else the primary's ``db.session``."""

    if not has_app_context():
        return db.session
    url = replica_url()
    cached = g.get("_read_session")
    if cached is not None and cached[0] == url:
        return cached[1]
    close_read_session()
    session = db.session
    if url and time.monotonic() >= _down_until.get(url, 0.0):
        candidate = Session(bind=_engine(url))
        try:
            # Read-only, and asks the server: a replica that is down fails here, not mid-page.
            candidate.execute(sa.text("SELECT 1"))
            session = candidate
        except sa.exc.DBAPIError as exc:
            candidate.close()
            retry = float(current_app.config.get("REPLICA_RETRY_SECONDS", 30))
            _down_until[url] = time.monotonic() + retry
            log.warning("read replica unavailable, reading the primary for %ss: %s", retry, exc)
    g._read_session = (url, session)
    return session


def reading_replica() -> bool:
    """Whether this request's reads go to the replica (for tests and the page footer)."""

    return read_session() is not db.session


def close_read_session(exc=None) -> None:

    cached = g.pop("_read_session", None)
    if cached is not None and cached[1] is not db.session:
        cached[1].close()


def init_replica(app) -> None:
    app.teardown_request(close_read_session)
    app.teardown_appcontext(close_read_session)
