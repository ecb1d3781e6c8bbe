"""Backup and restore as operator commands: one file holds the whole installation.

Every file the application keeps (receipts, import uploads and reports, exports, summaries)
lives in the database by default (app/filestore.py), so a database backup is a complete backup.

    flask --app app backup create FILE     # PostgreSQL: pg_dump (custom format); SQLite: a copy
    flask --app app backup restore FILE    # PostgreSQL: pg_restore into DATABASE_URL's database

With ``FILE_STORE=s3`` the files are objects in a bucket: ``create`` also copies every object of
the store (the bucket under ``S3_PREFIX``) into ``FILE.files.tar`` beside the dump, and ``restore``
puts them back when that file is there. A site whose bucket is too large to copy at each backup
backs the bucket up itself (the storage's versioning or replication) and passes ``--no-files``;
then a restore needs the bucket as it was at the time of the dump.

A restore returns to the backup point: the store holds exactly the backup's files afterwards.
Files written or changed after the backup are set aside and listed, never dropped silently: the
table's into ``FILE.aside-STAMP.tar``, the bucket's under ``S3_PREFIX/quarantine/STAMP/``.

PostgreSQL needs the client tools (pg_dump, pg_restore) of the server's major version or newer
on the PATH. A restore replaces every table of the target database in one transaction; stop the
web, worker and beat processes first and start them again after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from app import filestore
from app.extensions import db


def _url() -> sa.engine.URL:
    return sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _libpq(url: sa.engine.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the password in the environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise click.ClickException(
            f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
        )


def files_archive(backup: Path) -> Path:
    """Where the bucket's objects of ``backup`` are kept (FILE_STORE=s3)."""
    return backup.with_name(backup.name + ".files.tar")


def save_objects(archive: Path) -> int:
    """Copy every object of the S3 file store into the tar ``archive``; returns how many."""
    store = filestore.s3()
    types = {}
    count = 0
    partial = archive.with_name(archive.name + ".part")
    with tarfile.open(partial, "w") as tar:
        for name, modified in store.listing():
            answer = store.client.get_object(Bucket=store.bucket, Key=store.key(name))
            data = answer["Body"].read()
            types[name] = answer.get("ContentType") or "application/octet-stream"
            info = tarfile.TarInfo(f"files/{name}")
            info.size, info.mtime = len(data), int(modified.timestamp())
            tar.addfile(info, io.BytesIO(data))
            count += 1
        manifest = json.dumps({"content_types": types}, ensure_ascii=False).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    partial.replace(archive)
    return count


def _etag(data: bytes) -> str:
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


def restore_objects(archive: Path, stamp: str) -> tuple[int, list[str]]:
    """Make the S3 file store equal to the tar ``archive``: every object of it put back, and
    every object of ours that is not in it (written after the backup) or differs from it moved
    aside under ``quarantine/STAMP/`` in the bucket first (``S3.set_aside``: never a silent
    loss). Returns how many objects were put back and the names set aside."""
    store = filestore.s3()
    present = store.etags()
    kept: set[str] = set()
    aside: list[str] = []
    count = 0
    with tarfile.open(archive, "r") as tar:
        types = json.load(tar.extractfile("manifest.json"))["content_types"]
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith("files/"):
                continue
            name = filestore.check_name(member.name[len("files/") :])
            data = tar.extractfile(member).read()
            kept.add(name)
            if name in present and present[name] != _etag(data):
                store.set_aside(name, stamp)  # changed after the backup: keep that version too
                aside.append(name)
            store.put(name, data, types.get(name, "application/octet-stream"))
            count += 1
    for name in sorted(set(present) - kept):  # written after the backup
        store.set_aside(name, stamp)
        store.delete(name)
        aside.append(name)
    return count, sorted(aside)


# ---------------------------------------------------------------- the table's files (stored_file)
#
# A restore replaces the table ``stored_file`` with the backup's. Files written after the backup
# (or changed since) are not dropped silently with it: before the restore the table is copied
# into the schema ``backup_restore`` (PostgreSQL) or read from the file about to be replaced
# (SQLite); afterwards those the restored table does not hold as they were go into
# ``FILE.aside-STAMP.tar`` beside the backup (the layout of ``FILE.files.tar``), and are listed.

ASIDE_SCHEMA = "backup_restore"


def aside_archive(backup: Path, stamp: str) -> Path:
    """Where a restore from ``backup`` puts the table's files the backup does not hold."""
    return backup.with_name(f"{backup.name}.aside-{stamp}.tar")


def _write_tar(archive: Path, rows) -> list[str]:
    """(name, content type, data, created) rows into the tar ``archive``; the names. No file
    is left when there are no rows."""
    names: list[str] = []
    types: dict[str, str] = {}
    partial = archive.with_name(archive.name + ".part")
    with tarfile.open(partial, "w") as tar:
        for name, content_type, data, created in rows:
            data = bytes(data or b"")
            info = tarfile.TarInfo(f"files/{filestore.check_name(name)}")
            info.size = len(data)
            info.mtime = int(created.timestamp()) if hasattr(created, "timestamp") else 0
            tar.addfile(info, io.BytesIO(data))
            types[name] = content_type or "application/octet-stream"
            names.append(name)
        manifest = json.dumps({"content_types": types}, ensure_ascii=False).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    if names:
        partial.replace(archive)
    else:
        partial.unlink()
    return sorted(names)


def _pg_keep_table_files() -> bool:
    """Copy the table's files into ASIDE_SCHEMA before a restore; False if there is no table."""
    with db.engine.begin() as conn:
        if conn.execute(sa.text("SELECT to_regclass('stored_file')")).scalar() is None:
            return False
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {ASIDE_SCHEMA} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {ASIDE_SCHEMA}"))
        conn.execute(
            sa.text(
                f"CREATE TABLE {ASIDE_SCHEMA}.stored_file AS "
                "SELECT name, content_type, data, created_at FROM stored_file"
            )
        )
    db.engine.dispose()
    return True


def _pg_drop_kept() -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {ASIDE_SCHEMA} CASCADE"))
    db.engine.dispose()


def _pg_set_aside(archive: Path) -> list[str]:
    """The kept files the restored table does not hold as they were, into ``archive``."""
    query = sa.text(
        f"SELECT k.name, k.content_type, k.data, k.created_at FROM {ASIDE_SCHEMA}.stored_file k "
        "WHERE NOT EXISTS (SELECT 1 FROM stored_file s "
        "WHERE s.name = k.name AND md5(s.data) = md5(k.data)) ORDER BY k.name"
    )
    try:
        with db.engine.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=100).execute(query)
            return _write_tar(archive, rows)
    finally:
        _pg_drop_kept()


def _sqlite_set_aside(current: Path, backup: Path, archive: Path) -> list[str]:
    """The current database file's stored files the backup file does not hold as they are."""

    def files(path: Path) -> list[tuple]:
        if not path.is_file():
            return []
        conn = sqlite3.connect(path)
        try:
            found = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'stored_file'"
            ).fetchone()
            if found is None:
                return []
            return conn.execute(
                "SELECT name, content_type, data, created_at FROM stored_file ORDER BY name"
            ).fetchall()
        finally:
            conn.close()

    kept = {name: bytes(data or b"") for name, _type, data, _at in files(backup)}
    return _write_tar(
        archive,
        (row for row in files(current) if kept.get(row[0]) != bytes(row[2] or b"")),
    )


def create_backup(target: Path, files: bool = True) -> Path:
    """Write a backup of the whole database (files included) to ``target``; with the S3 file
    store, its objects to ``files_archive(target)`` unless ``files`` is False."""
    url = _url()
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-acl", "--file", str(target), dsn],
            env,
        )
    elif url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # consistent even while the app writes
        finally:
            copy.close()
            source.close()
    else:
        raise click.ClickException(f"no backup for {url.get_backend_name()}")
    if files and _s3():
        save_objects(files_archive(target))
    else:  # never leave an older backup's objects beside this one
        files_archive(target).unlink(missing_ok=True)
    return target


def _s3() -> bool:
    return filestore.backend() == "s3"


@dataclass
class Restored:
    """What a restore did besides the tables: S3 objects put back (None: not restored), and the
    files it set aside rather than lose (written or changed after the backup)."""

    objects: int | None = None
    set_aside: list[str] = field(default_factory=list)  # the table's, in ``aside_file``
    aside_file: Path | None = None
    quarantined: list[str] = field(default_factory=list)  # the bucket's, under ``quarantine``
    quarantine: str | None = None


def restore_backup(source: Path) -> Restored:
    """Return the installation to the backup in ``source``: the database's contents replaced,
    and with the S3 file store and the backup's ``.files.tar`` beside it, the store made equal
    to it. Files written after the backup are set aside, never dropped silently: the table's
    into ``aside_archive(source, STAMP)``, the bucket's under ``quarantine/STAMP/``."""
    url = _url()
    source = source.resolve()
    if not source.is_file():
        raise click.ClickException(f"{source} does not exist")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    done = Restored()
    aside = aside_archive(source, stamp)

    db.session.remove()
    db.engine.dispose()  # this process holds no connection while the tables are replaced
    if url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        kept = _pg_keep_table_files()
        try:
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-acl",
                    "--single-transaction",
                    "--exit-on-error",
                    "--dbname",
                    dsn,
                    str(source),
                ],
                env,
            )
        except BaseException:
            if kept:
                _pg_drop_kept()  # the restore changed nothing: neither does this
            raise
        if kept:
            done.set_aside = _pg_set_aside(aside)
    elif url.get_backend_name() == "sqlite":
        done.set_aside = _sqlite_set_aside(Path(url.database), source, aside)
        shutil.copyfile(source, url.database)
    else:
        raise click.ClickException(f"no restore for {url.get_backend_name()}")
    if done.set_aside:
        done.aside_file = aside
    archive = files_archive(source)
    if _s3() and archive.is_file():
        done.objects, done.quarantined = restore_objects(archive, stamp)
        if done.quarantined:
            done.quarantine = filestore.s3().quarantine_key("", stamp)
    return done


@click.group("backup")
def backup_cli() -> None:
    """Back up and restore the database, which holds every file too."""


@backup_cli.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--files/--no-files",
    default=True,
    help="FILE_STORE=s3: copy the bucket's objects to FILE.files.tar (default) or not.",
)
@with_appcontext
def create_command(file: Path, files: bool) -> None:
    """Write a backup of the whole installation to FILE."""
    path = create_backup(file, files=files)
    click.echo(f"backup written: {path} ({path.stat().st_size} bytes)")
    if _s3():
        archive = files_archive(path)
        if files:
            click.echo(f"files of the S3 store written: {archive} ({archive.stat().st_size} bytes)")
        else:
            click.echo("files of the S3 store NOT included: back the bucket up yourself")


@backup_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Replace the database (and so every file) with the backup in FILE."""
    restored = restore_backup(file)
    click.echo(f"restored from {file}")
    if restored.set_aside:
        click.echo(
            f"files written after the backup, set aside in {restored.aside_file} "
            f"({len(restored.set_aside)}):"
        )
        for name in restored.set_aside:
            click.echo(f"  {name}")
    if restored.objects is not None:
        click.echo(f"files put back into the S3 store: {restored.objects}")
        if restored.quarantined:
            click.echo(
                "objects written or changed after the backup, moved in the bucket under "
                f"{restored.quarantine} ({len(restored.quarantined)}):"
            )
            for name in restored.quarantined:
                click.echo(f"  {name}")
    elif _s3():
        click.echo(
            f"no {files_archive(file).name} beside the backup: the S3 store's objects were not "
            "restored (restore the bucket from your own copy)"
        )
