"""Backup and restore round trip on PostgreSQL with the operator commands the README lists:
back up, drop the database, create it, restore: the same rows, the same files, served again."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import filestore
from app import models as m
from app.extensions import db
from tests import factories
from tests.conftest import PG_URL, build_app, recreate_pg_database
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n" + b"receipt-scan" * 100


def flask_cli(url: str, instance: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(DATABASE_URL=url, INSTANCE_PATH=str(instance), SECRET_KEY="backup-test")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in ("service_case", "attachment", "stored_file", "ab_user", "org_unit")
        }


@pytest.mark.slow
def test_backup_drop_restore_gives_back_the_same_rows_and_files(pg_app):
    url = sa.engine.make_url(PG_URL)
    name = f"{url.database}_backup"
    target = url.set(database=name).render_as_string(hide_password=False)
    recreate_pg_database(target)
    instance = Path(tempfile.mkdtemp(prefix="bangban-backup-"))
    app = build_app(target, instance)
    with app.app_context():
        tree = factories.unit_tree()
        spec = factories.staff("spec", "Specialist", tree.town_a)
        case = factories.case(tree.town_a, spec)
        from app import uploads

        class Upload:
            filename = "回执.png"
            stream = io.BytesIO(PNG)

        attachment = uploads.store(db.session, Upload(), case, spec.user)
        filestore.put("exports/ledger-1-abc.csv", "编号,事项\n".encode("utf-8-sig"), "text/csv")
        db.session.commit()
        attachment_id = attachment.id
        before = counts(db.engine)
        db.session.remove()
        db.engine.dispose()

    backup = instance / "bangban.dump"
    flask_cli(target, instance, "backup", "create", str(backup))
    assert backup.stat().st_size > 0

    # Lose the database.
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    # The README's restore steps, as written there.
    host, user = url.host or "127.0.0.1", url.username or "postgres"
    subprocess.run(["createdb", "-h", host, "-U", user, name], check=True)
    flask_cli(target, instance, "backup", "restore", str(backup))
    with admin.connect() as conn:
        assert conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar_one()
    admin.dispose()

    with app.app_context():
        assert counts(db.engine) == before
        assert filestore.get("exports/ledger-1-abc.csv").decode("utf-8-sig") == "编号,事项\n"
        client = app.test_client()
        response = client.post("/login/", data={"username": "spec", "password": PASSWORD})
        assert response.status_code == 302
        served = client.get(f"/attachmentview/file/{attachment_id}")
        assert served.status_code == 200 and served.data == PNG
        assert db.session.get(m.Attachment, attachment_id).size == len(PNG)
        # A restore over a database that still exists replaces it too (nothing doubled).
        db.session.remove()
        db.engine.dispose()
    flask_cli(target, instance, "backup", "restore", str(backup))
    with app.app_context():
        assert counts(db.engine) == before
        db.session.remove()
        db.engine.dispose()
