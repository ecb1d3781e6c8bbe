"""A restore returns the installation to the backup point: the file store holds exactly the
backup's files afterwards. Files written (or changed) after the backup are not lost silently:
the table's go into ``FILE.aside-STAMP.tar`` beside the backup, the bucket's are moved under
``quarantine/STAMP/``, and the command lists them."""

from __future__ import annotations

import json
import tarfile
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import filestore
from app import models as m
from app.extensions import db
from tests.conftest import PG_URL, build_app, recreate_pg_database
from tests.test_backup import flask_cli
from tests.test_filestore_s3 import BUCKET, objects, s3_db, s3_endpoint, s3_settings  # noqa: F401
from tests.test_filestore_s3 import flask_cli as s3_cli

pytestmark = pytest.mark.slow


def _tar(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        files = {
            member.name[len("files/") :]: tar.extractfile(member).read()
            for member in tar.getmembers()
            if member.isfile() and member.name.startswith("files/")
        }
        types = json.load(tar.extractfile("manifest.json"))["content_types"]
    assert set(types) == set(files)
    return files


def _close():
    db.session.remove()
    db.engine.dispose()


def test_a_restore_sets_the_tables_later_files_aside(pg_app):
    url = sa.engine.make_url(PG_URL)
    target = url.set(database=f"{url.database}_aside").render_as_string(hide_password=False)
    recreate_pg_database(target)
    instance = Path(tempfile.mkdtemp(prefix="bangban-aside-"))
    app = build_app(target, instance)
    with app.app_context():
        filestore.put("exports/kept.csv", b"kept", "text/csv")
        filestore.put("exports/changed.csv", b"as backed up", "text/csv")
        db.session.commit()
        _close()
    backup = instance / "bangban.dump"
    flask_cli(target, instance, "backup", "create", str(backup))
    with app.app_context():
        filestore.put("exports/later.csv", b"written after the backup", "text/csv")
        filestore.put("exports/changed.csv", b"changed after the backup", "text/csv")
        db.session.commit()
        _close()

    out = flask_cli(target, instance, "backup", "restore", str(backup))
    asides = sorted(instance.glob("bangban.dump.aside-*.tar"))
    assert len(asides) == 1, out
    assert str(asides[0]) in out and "exports/later.csv" in out and "exports/changed.csv" in out
    assert _tar(asides[0]) == {
        "exports/changed.csv": b"changed after the backup",
        "exports/later.csv": b"written after the backup",
    }
    with app.app_context():
        files = db.session.execute(
            sa.select(m.StoredFile.name, m.StoredFile.data).order_by(m.StoredFile.name)
        ).all()
        assert [(name, bytes(data)) for name, data in files] == [
            ("exports/changed.csv", b"as backed up"),
            ("exports/kept.csv", b"kept"),
        ]
        schema = db.session.execute(
            sa.text("SELECT 1 FROM pg_namespace WHERE nspname = 'backup_restore'")
        ).first()
        assert schema is None  # the copy made for the restore is gone
        _close()

    # Restoring again over the backup's own state sets nothing aside.
    out = flask_cli(target, instance, "backup", "restore", str(backup))
    assert "set aside" not in out
    assert len(sorted(instance.glob("bangban.dump.aside-*.tar"))) == 1


def test_a_restore_makes_the_bucket_equal_to_the_backup_and_quarantines_later_objects(
    s3_endpoint,  # noqa: F811
    s3_db,  # noqa: F811
):
    endpoint, client = s3_endpoint
    url, name, target = s3_db
    settings = s3_settings(endpoint)
    instance = Path(tempfile.mkdtemp(prefix="bangban-s3-aside-"))
    app = build_app(target, instance, **settings)
    for key in objects(client):
        client.delete_object(Bucket=BUCKET, Key=key)
    with app.app_context():
        filestore.put("exports/kept.csv", b"kept", "text/csv")
        filestore.put("exports/changed.csv", b"as backed up", "text/csv")
        db.session.commit()
        _close()
    backup = instance / "bangban.dump"
    s3_cli(target, instance, settings, "backup", "create", str(backup))
    before = objects(client)
    with app.app_context():
        filestore.put("exports/later.csv", b"written after the backup", "text/csv")
        filestore.put("exports/changed.csv", b"changed after the backup", "text/csv")
        db.session.commit()
        _close()

    out = s3_cli(target, instance, settings, "backup", "restore", str(backup))
    after = objects(client)
    live = {k: v for k, v in after.items() if not k.startswith("site-a/quarantine/")}
    assert live == before  # the store equals the backup
    aside = {k.split("/", 3)[3]: v for k, v in after.items() if k not in live}
    assert aside == {
        "exports/changed.csv": b"changed after the backup",
        "exports/later.csv": b"written after the backup",
    }
    stamp = next(k for k in after if k not in live).split("/")[2]
    assert f"site-a/quarantine/{stamp}/" in out and "exports/later.csv" in out
    with app.app_context():
        # The app does not see what was set aside, and the next backup leaves it out.
        assert filestore.names("exports/") == ["exports/changed.csv", "exports/kept.csv"]
        assert filestore.get("exports/later.csv") is None
        _close()
