"""The case files' screens: the register (案卷查询) of the case files in the caller's scope,
found by case number or case file number, and the download of one bundle; and the case page's
section (the case file and the seven steps).

A case file outside the scope answers 404 exactly like a missing one."""

from __future__ import annotations

import io

from flask import abort, request, send_file
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _

from app import models as m
from app.archive import bundle, queries, seven
from app.domain.errors import ValidationFailed
from app.scope import current_scope


def _filter() -> queries.ArchiveFilter:
    try:
        return queries.ArchiveFilter.from_args(request.args)
    except ValidationFailed as error:
        abort(400, description=str(error))


def download_response(record: m.CaseArchive):
    """The stored bundle as a download (404 if the store lost it), its checksum in a header."""
    data = bundle.read(record)
    if data is None:
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{record.number}.pdf",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Checksum-SHA256"] = record.checksum
    return response


class ArchiveView(BaseView):
    """案卷查询: the register of case files, and each bundle's download."""

    route_base = "/casefiles"
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        scope = current_scope()
        flt = _filter()
        if flt.q and flt.page == 1:
            exact = queries.by_number(scope, flt.q)
        else:
            exact = None
        rows, total = queries.page(scope, flt)
        return self.render_template(
            "archive/list.html",
            title=_("Case files"),
            rows=rows,
            total=total,
            flt=flt,
            exact=exact,
            page_size=queries.PAGE_SIZE,
        )

    @expose("/<int:archive_id>/download")
    @has_access
    @permission_name("download")
    def download(self, archive_id: int):
        if archive_id > 2**31 - 1:
            abort(404)
        record = queries.by_id(current_scope(), archive_id)
        if record is None:
            abort(404)
        return download_response(record)


def section(case: m.Case, records: dict | None = None) -> dict:
    """The case page's part: the case file (if any) and the seven steps (from ``records``, the
    rows the page read already)."""
    return {"record": getattr(case, "archive", None), "steps": seven.seven_steps(case, records)}
