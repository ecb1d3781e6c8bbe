"""The one file store every process shares: uploads, row reports, exports, summaries, receipts.

By default (``FILE_STORE = "database"``) files live in the database (table ``stored_file``), so
every web and worker host sees the same files and one database backup holds them all. Writes go
through the caller's session, so a file and the row that refers to it are committed together (or
not at all).

Larger sites may keep them in S3-compatible object storage instead (``FILE_STORE = "s3"``: any
service that speaks the S3 API — MinIO, Ceph, a cloud's object storage — through boto3, the AWS
SDK). The bucket is shared by every host as the database is. Objects are not part of a database
transaction, so the store keeps the same promise with session hooks: an object written in a
transaction that rolls back is removed again, and a delete happens only once the transaction
commits. Files written while the database held them are still read from the table (a site that
switches to S3 keeps serving its old files). ``flask backup create`` copies the bucket's objects
beside the database dump (app/backup.py).

Names are ours, made of a folder-like prefix and a generated part (``exports/ledger-12-9f3a.xlsx``);
nothing here takes a path from a request.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock
from app.extensions import db

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[a-z]+/[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_WRITTEN = "filestore.s3.written"  # objects put in the session's open transaction
_DELETED = "filestore.s3.deleted"  # objects to delete once it commits
QUARANTINE = "quarantine"  # key prefix of objects a restore set aside (app/backup.py)


def check_name(name: str) -> str:
    """``name`` if it is one of ours (prefix/generated-part), else ValueError."""
    if not name or not _NAME.match(name) or ".." in name:
        raise ValueError(f"bad stored file name {name!r}")
    return name


def _session(session: Session | None) -> Session:
    if session is not None:
        return session

    return db.session


# ---------------------------------------------------------------- S3-compatible storage


def backend() -> str:
    """``database`` or ``s3`` (the app's ``FILE_STORE``)."""
    chosen = str(current_app.config.get("FILE_STORE", "database")).lower()
    return "s3" if chosen == "s3" else "database"


class S3:
    """The configured bucket: a boto3 client, the bucket name and the key prefix."""

    def __init__(self, config) -> None:
        import boto3  # lazy: boto3 is heavy and only FILE_STORE=s3 needs it
        from botocore.config import Config as BotoConfig  # lazy: as boto3

        self.bucket = config["S3_BUCKET"]
        self.prefix = (config.get("S3_PREFIX") or "").strip("/")
        if self.prefix:
            self.prefix += "/"
        self.client = boto3.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or "us-east-1",
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            config=BotoConfig(
                connect_timeout=float(config.get("S3_TIMEOUT", 5)),
                read_timeout=float(config.get("S3_TIMEOUT", 5)) * 6,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "path"},
            ),
        )

    def key(self, name: str) -> str:
        return self.prefix + name

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.key(name), Body=bytes(data), ContentType=content_type
        )

    def get(self, name: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(name))
        except self.client.exceptions.NoSuchKey:
            return None
        return answer["Body"].read()

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError  # lazy: only FILE_STORE=s3 loads boto3

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(name))

    def etags(self) -> dict[str, str]:
        """Every object of ours (our names only) and its ETag (an MD5 of the content for an
        object put in one piece)."""
        found = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                if _NAME.match(name):
                    found[name] = item.get("ETag", "")
        return found

    def quarantine_key(self, name: str, stamp: str) -> str:
        """Where a restore stamped ``stamp`` moves ``name`` aside: outside our names, so the
        app (reads, listings, purges, backups) never sees it; the operator does."""
        return self.key(f"{QUARANTINE}/{stamp}/{name}")

    def set_aside(self, name: str, stamp: str) -> None:
        """Copy the object ``name`` to its quarantine key (a server-side copy)."""
        self.client.copy_object(
            Bucket=self.bucket,
            Key=self.quarantine_key(name, stamp),
            CopySource={"Bucket": self.bucket, "Key": self.key(name)},
        )

    def listing(self, prefix: str = "") -> list[tuple[str, dt.datetime]]:
        """(name, last modified) of every object under ``prefix`` (our names only)."""
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.key(prefix)
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                if _NAME.match(name):
                    found.append((name, item["LastModified"]))
        return found


def s3() -> S3:
    """The app's bucket (one client per app: boto3 clients are thread-safe)."""
    app = current_app._get_current_object()
    store = app.extensions.get("filestore.s3")
    if store is None:
        store = app.extensions["filestore.s3"] = S3(app.config)
    return store


def _after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    deleted = session.info.pop(_DELETED, None)
    for name in deleted or ():
        try:
            s3().delete(name)
        except Exception as exc:  # an orphan object harms nothing; the purge finds it again
            log.warning("stored file %s not deleted from S3: %s", name, exc)


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None:  # a savepoint: the transaction goes on
        return
    session.info.pop(_DELETED, None)
    written = session.info.pop(_WRITTEN, None)
    for name in written or ():
        try:
            s3().delete(name)
        except Exception as exc:
            log.warning("stored file %s of a rolled-back transaction left in S3: %s", name, exc)


def install_session_hooks() -> None:
    """Tie S3 writes and deletes to the session's transaction (idempotent)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


# ---------------------------------------------------------------- the store's operations


def put(
    name: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    session: Session | None = None,
) -> str:
    """Keep ``data`` under ``name`` (replacing a file of that name); the caller commits."""
    s = _session(session)
    check_name(name)
    if backend() == "s3":
        s.connection()  # the transaction has begun: its commit or rollback decides the object
        s3().put(name, data, content_type)
        s.info.setdefault(_WRITTEN, []).append(name)
        if name in s.info.get(_DELETED, []):
            s.info[_DELETED].remove(name)
        return name
    s.execute(sa.delete(m.StoredFile).where(m.StoredFile.name == name))
    s.add(
        m.StoredFile(
            name=name,
            content_type=content_type,
            size=len(data),
            data=bytes(data),
            created_at=clock.now(),
        )
    )
    s.flush()
    return name


def _from_table(name: str, session: Session | None) -> bytes | None:
    return (
        _session(session)
        .execute(sa.select(m.StoredFile.data).where(m.StoredFile.name == name))
        .scalar_one_or_none()
    )


def get(name: str, session: Session | None = None) -> bytes | None:
    """The content of ``name``, None if there is no such file."""
    check_name(name)
    if backend() == "s3":
        if name in _session(session).info.get(_DELETED, []):
            return None
        data = s3().get(name)
        return data if data is not None else _from_table(name, session)
    return _from_table(name, session)


def exists(name: str, session: Session | None = None) -> bool:
    check_name(name)
    if backend() == "s3":
        if name in _session(session).info.get(_DELETED, []):
            return False
        if s3().exists(name):
            return True
    found = _session(session).execute(sa.select(m.StoredFile.id).where(m.StoredFile.name == name))
    return found.first() is not None


def delete(name: str, session: Session | None = None) -> bool:
    """Remove ``name``; True if it was there. The caller commits (in S3: removed then)."""
    check_name(name)
    s = _session(session)
    was_there = False
    if backend() == "s3" and name not in s.info.get(_DELETED, []) and s3().exists(name):
        s.info.setdefault(_DELETED, []).append(name)
        was_there = True
    result = s.execute(sa.delete(m.StoredFile).where(m.StoredFile.name == name))
    return was_there or bool(result.rowcount)


def names(prefix: str, older_than=None, session: Session | None = None) -> list[str]:
    """Names under ``prefix`` (e.g. "imports/"), optionally only those created before a time."""
    query = sa.select(m.StoredFile.name).where(
        m.StoredFile.name.startswith(prefix, autoescape=True)
    )
    if older_than is not None:
        query = query.where(m.StoredFile.created_at < older_than)
    found = set(_session(session).execute(query).scalars())
    if backend() == "s3":
        gone = set(_session(session).info.get(_DELETED, []))
        found |= {
            name
            for name, modified in s3().listing(prefix)
            if name not in gone and (older_than is None or modified < older_than)
        }
    return sorted(found)
