"""The shared file store on S3-compatible object storage (``FILE_STORE=s3``), and its backup.

The S3 endpoint in these tests is moto's standalone server (``moto[server]``, pinned in
requirements-dev.txt): an emulator of the S3 API, started here as a separate process on a free
port and spoken to over HTTP by boto3 exactly as the app would speak to MinIO, Ceph or a cloud's
object storage. It is not a real object store (no durability, one process, objects in memory),
but every request the app makes goes over the wire and is answered by an implementation of the
S3 protocol, not by a mock inside this process.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import filestore
from app import models as m
from app.extensions import db
from tests import factories
from tests.conftest import PG_URL, build_app, recreate_pg_database
from tests.factories import PASSWORD
from tests.test_jobs_lifecycle import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
BUCKET = "bangban-files"
PNG = b"\x89PNG\r\n\x1a\n" + b"receipt-scan" * 100


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server in a process of its own, with the app's bucket created."""
    import boto3

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("the S3 server did not start") from None
            time.sleep(0.2)
    yield url, client
    proc.terminate()
    proc.wait(timeout=10)


def s3_settings(url: str) -> dict[str, str]:
    return {
        "FILE_STORE": "s3",
        "S3_ENDPOINT_URL": url,
        "S3_BUCKET": BUCKET,
        "S3_PREFIX": "site-a",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
    }


def objects(client) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        for item in listed
    }


def flask_cli(url: str, instance: Path, settings: dict, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(settings, DATABASE_URL=url, INSTANCE_PATH=str(instance), SECRET_KEY="s3-test")
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


@pytest.fixture(scope="module")
def s3_db():
    url = sa.engine.make_url(PG_URL)
    name = f"{url.database}_s3"
    target = url.set(database=name).render_as_string(hide_password=False)
    recreate_pg_database(target)
    return url, name, target


def test_files_live_in_the_bucket_follow_the_transaction_and_survive_a_restore(s3_endpoint, s3_db):
    endpoint, client = s3_endpoint
    url, name, target = s3_db
    settings = s3_settings(endpoint)
    instance = Path(tempfile.mkdtemp(prefix="bangban-s3-"))
    app = build_app(target, instance, **settings)
    with app.app_context():
        assert filestore.backend() == "s3"
        # A file written in a transaction that rolls back does not stay in the bucket.
        filestore.put("exports/ledger-9-gone.csv", b"a,b\n", "text/csv")
        assert "site-a/exports/ledger-9-gone.csv" in objects(client)
        db.session.rollback()
        assert "site-a/exports/ledger-9-gone.csv" not in objects(client)

        filestore.put("exports/ledger-1-abc.csv", "编号,事项\n".encode("utf-8-sig"), "text/csv")
        filestore.put("imports/old-upload.xlsx", b"PK old", session=db.session)
        db.session.commit()
        assert objects(client)["site-a/exports/ledger-1-abc.csv"].startswith(b"\xef\xbb\xbf")
        assert db.session.execute(sa.select(sa.func.count(m.StoredFile.id))).scalar_one() == 0
        assert filestore.exists("exports/ledger-1-abc.csv")
        assert not filestore.exists("exports/ledger-2-none.csv")
        assert filestore.get("exports/ledger-2-none.csv") is None
        assert filestore.names("imports/") == ["imports/old-upload.xlsx"]

        # A delete happens when the transaction commits, not before (nor after a rollback).
        assert filestore.delete("imports/old-upload.xlsx")
        assert filestore.get("imports/old-upload.xlsx") is None  # gone for this transaction
        db.session.rollback()
        assert filestore.get("imports/old-upload.xlsx") == b"PK old"
        filestore.delete("imports/old-upload.xlsx")
        assert "site-a/imports/old-upload.xlsx" in objects(client)
        db.session.commit()
        assert "site-a/imports/old-upload.xlsx" not in objects(client)

        # A file kept in the table before the site switched to S3 is still served.
        db.session.add(m.StoredFile(name="summaries/legacy.xlsx", size=6, data=b"legacy"))
        db.session.commit()
        assert filestore.get("summaries/legacy.xlsx") == b"legacy"

        # A receipt scan uploaded to a case is served from the bucket.
        tree = factories.unit_tree()
        spec = factories.staff("s3spec", "Specialist", tree.town_a)
        case = factories.case(tree.town_a, spec)
        from app import uploads

        class Upload:
            filename = "回执.png"
            stream = io.BytesIO(PNG)

        attachment = uploads.store(db.session, Upload(), case, spec.user)
        db.session.commit()
        attachment_id = attachment.id
        assert PNG in objects(client).values()
        client_ = app.test_client()
        client_.post("/login/", data={"username": "s3spec", "password": PASSWORD})
        served = client_.get(f"/attachmentview/file/{attachment_id}")
        assert served.status_code == 200 and served.data == PNG
        before = objects(client)
        db.session.remove()
        db.engine.dispose()

    # Back up (database and bucket), lose both, restore with the README's commands.
    backup = instance / "bangban.dump"
    out = flask_cli(target, instance, settings, "backup", "create", str(backup))
    assert "bangban.dump.files.tar" in out and (instance / "bangban.dump.files.tar").is_file()
    for key in before:
        client.delete_object(Bucket=BUCKET, Key=key)
    assert objects(client) == {}
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
    host, user = url.host or "127.0.0.1", url.username or "postgres"
    subprocess.run(["createdb", "-h", host, "-U", user, name], check=True)
    out = flask_cli(target, instance, settings, "backup", "restore", str(backup))
    assert f"files put back into the S3 store: {len(before)}" in out
    assert objects(client) == before

    with app.app_context():
        client_ = app.test_client()
        client_.post("/login/", data={"username": "s3spec", "password": PASSWORD})
        served = client_.get(f"/attachmentview/file/{attachment_id}")
        assert served.status_code == 200 and served.data == PNG
        db.session.remove()
        db.engine.dispose()

    # The object storage stops answering: a file answers 503 in the user's language (never a
    # 500), the health check keeps the host in service and says so, the status screen shows it.
    with app.app_context():
        app.config["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"
        app.config["S3_TIMEOUT"] = 1
        app.extensions.pop("filestore.s3", None)
        try:
            client_ = app.test_client()
            client_.post("/login/", data={"username": "s3spec", "password": PASSWORD})
            started = time.monotonic()
            served = client_.get(f"/attachmentview/file/{attachment_id}")
            assert served.status_code == 503 and "文件存储暂时没有响应" in served.text
            assert time.monotonic() - started < 20
            health = app.test_client().get("/health")
            assert health.status_code == 200 and health.json["files"]["ok"] is False
        finally:
            app.config["S3_ENDPOINT_URL"] = endpoint
            app.extensions.pop("filestore.s3", None)
            db.session.remove()
            db.engine.dispose()

    # An operator who backs the bucket up by other means is told the backup holds no files.
    out = flask_cli(target, instance, settings, "backup", "create", "--no-files", str(backup))
    assert "NOT included" in out and not (instance / "bangban.dump.files.tar").exists()
