"""An administrator uploads a large units workbook in the browser; a real Celery worker imports
it while the job page's progress bar moves to the end and the result appears."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import models as m
from app.extensions import db
from app.imports import jobs
from tests import factories
from tests.conftest import PG_URL, REDIS_URL
from tests.test_imports import workbook
from tests.test_imports_worker import big_unit_rows
from tests.test_worker import start_worker, stop_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Runs in every document the page loads (the job page reloads itself when the job finishes):
# reports each value the progress bar takes, as the page's own script sets it.
WATCH_BAR = """
(() => {
  const report = (bar) => window.barMoved(bar.getAttribute("aria-valuenow") || "");
  const start = () => {
    const bar = document.getElementById("import-progress-bar");
    if (!bar) return;
    report(bar);
    new MutationObserver(() => report(bar)).observe(bar, { attributes: true });
  };
  document.addEventListener("DOMContentLoaded", start);
})();
"""


def test_admin_uploads_a_large_file_and_watches_the_progress_bar_finish(
    app, journey, tmp_path: Path
):
    factories.staff("admin", "Admin", None)
    rows = big_unit_rows(towns=6, per_town=1000)  # 6,007 rows: above the inline limit
    upload = tmp_path / "村居名册.xlsx"
    upload.write_bytes(workbook("units", {"units": rows}))

    instance = Path(app.config["INSTANCE_DIR"])
    worker = start_worker({"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL}, instance)
    j = journey("admin-import")
    seen: list[int] = []
    try:
        j.page.expose_function("barMoved", lambda value: seen.append(int(float(value or 0))))
        j.page.add_init_script(WATCH_BAR)
        j.login("admin", factories.PASSWORD)
        j.go("/imports/")
        j.see("批量导入")
        j.page.select_option("#import-kind", "units", force=True)
        j.page.set_input_files("#import-file", str(upload))
        j.shot("upload-form")

        started = time.monotonic()
        j.page.click("#import-submit")
        j.page.wait_for_selector("#import-job")
        answered = time.monotonic() - started
        assert answered < 10, f"the upload waited for the import ({answered:.1f}s)"
        assert j.page.get_attribute("#import-job", "data-finished") == "0"
        j.shot("progress-started")

        j.page.wait_for_selector("#import-job[data-finished='1']", timeout=600_000)
        j.page.wait_for_selector("#import-counts", timeout=60_000)
        j.shot("import-finished")
    finally:
        output = stop_worker(worker)

    status = j.page.get_attribute("#import-job", "data-status")
    assert status == jobs.DONE, output[-3000:]
    assert j.page.get_attribute("#import-progress-bar", "aria-valuenow") == "100"
    created = j.page.inner_text("#import-counts td[data-count=created]")
    assert created.strip() == str(len(rows))
    j.see("已完成")
    print(f"upload answered in {answered:.2f}s; progress bar values seen: {seen}")
    # The bar started low, was seen part way, and ended full, in that order.
    assert seen, "the progress bar never reported"
    assert seen[0] < 100 and seen[-1] == 100, seen
    assert any(0 < value < 100 for value in seen), f"never seen part way: {seen}"
    assert seen == sorted(seen), f"the bar went backwards: {seen}"

    db.session.expire_all()
    count = db.session.execute(sa.select(sa.func.count(m.OrgUnit.id))).scalar_one()
    assert count == len(rows)
    admin_id = db.session.execute(
        sa.text("SELECT id FROM ab_user WHERE username = 'admin'")
    ).scalar_one()
    note = db.session.execute(
        sa.select(m.Notification).where(m.Notification.kind == "import_done")
    ).scalar_one()
    assert note.recipient_id == admin_id
