"""A case file on S3-compatible storage (``FILE_STORE=s3``, moto's S3 server as in
tests/test_filestore_s3.py): the signed papers are read from the bucket into the bundle, the
bundle is kept in the bucket, and an archiving that rolls back leaves no object behind."""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app import filestore
from app import models as m
from app.archive import bundle
from app.domain import archiving
from app.extensions import db
from tests.conftest import PG_URL, build_app, recreate_pg_database
from tests.test_archive import World, png_bytes
from tests.test_filestore_s3 import objects, s3_endpoint, s3_settings  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def archive_s3_app():
    url = sa.engine.make_url(PG_URL)
    target = url.set(database=f"{url.database}_s3a").render_as_string(hide_password=False)
    recreate_pg_database(target)
    return target


def test_the_bundle_reads_and_lands_in_the_bucket(s3_endpoint, archive_s3_app):  # noqa: F811
    endpoint, client = s3_endpoint
    app = build_app(
        archive_s3_app,
        Path(tempfile.mkdtemp(prefix="bangban-s3a-")),
        **s3_settings(endpoint),
    )
    with app.app_context():
        from tests import factories

        assert filestore.backend() == "s3"
        w = World(factories.unit_tree())
        case = w.case()
        w.running(case)
        w.attach(case, png_bytes(), "委托书签字.png")
        w.complete(case)
        db.session.commit()

        # refused after the bundle was stored: the object goes with the rollback
        def failing(number):
            bundle.maker(db.session, case)(number)
            raise RuntimeError("disk full")

        with pytest.raises(RuntimeError):
            archiving.archive(db.session, case, w.actor, bundle=failing)
        db.session.rollback()
        assert not [k for k in objects(client) if "/archives/" in k]

        record = w.archive(case)
        stored = objects(client)[f"site-a/{record.file_name}"]
        assert hashlib.sha256(stored).hexdigest() == record.checksum
        assert (
            db.session.execute(
                sa.select(sa.func.count(m.StoredFile.id)).where(
                    m.StoredFile.name == record.file_name
                )
            ).scalar_one()
            == 0
        )
        reader = PdfReader(io.BytesIO(stored))
        assert len(reader.pages) == record.pages == 2 + 1 + 1  # forms, timeline, the scan
        assert "委托书签字.png" in reader.pages[-1].extract_text()
        db.session.remove()
        db.engine.dispose()
