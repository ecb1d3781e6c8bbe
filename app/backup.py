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

PostgreSQL needs the client tools (pg_dump, pg_restore) of the server's major version or newer
on the PATH. A restore replaces every table of the target database in one transaction; stop the
web, worker and beat processes first and start them again after it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
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


def restore_objects(archive: Path) -> int:
    """Put every object of the tar ``archive`` back into the S3 file store; returns how many."""
    store = filestore.s3()
    count = 0
    with tarfile.open(archive, "r") as tar:
        types = json.load(tar.extractfile("manifest.json"))["content_types"]
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith("files/"):
                continue
            name = filestore.check_name(member.name[len("files/") :])
            data = tar.extractfile(member).read()
            store.put(name, data, types.get(name, "application/octet-stream"))
            count += 1
    return count


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


def restore_backup(source: Path) -> int | None:
    """Replace the database's contents with the backup in ``source``; with the S3 file store
    and the backup's ``.files.tar`` beside it, put its objects back (returns how many)."""
    url = _url()
    source = source.resolve()
    if not source.is_file():
        raise click.ClickException(f"{source} does not exist")

    db.session.remove()
    db.engine.dispose()  # this process holds no connection while the tables are replaced
    if url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
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
    elif url.get_backend_name() == "sqlite":
        shutil.copyfile(source, url.database)
    else:
        raise click.ClickException(f"no restore for {url.get_backend_name()}")
    archive = files_archive(source)
    if _s3() and archive.is_file():
        return restore_objects(archive)
    return None


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
    if restored is not None:
        click.echo(f"files put back into the S3 store: {restored}")
    elif _s3():
        click.echo(
            f"no {files_archive(file).name} beside the backup: the S3 store's objects were not "
            "restored (restore the bucket from your own copy)"
        )
