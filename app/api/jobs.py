"""Background jobs over the API: the caller's jobs (exports, imports) and the summaries of the
units in scope, read with their progress and why they failed, and retried as on the screens.

Which jobs a caller sees is the scope module's rule for ``BackgroundJob`` (app/scope.py): an
Admin every job, anyone else their own and their units' summaries. A retry goes through the same
lifecycle call as the screens (app/jobs.py ``retry_now``): a job failed and still retryable runs
again; with the broker down it is kept and starts when the broker is back (202 either way).
"""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import jobs as lifecycle
from app import models as m
from app.api.answers import route
from app.api.base import ScopedModelRestApi, not_found
from app.api.errors import error_response
from app.extensions import db


class JobApi(ScopedModelRestApi):
    """Background jobs in the caller's scope, read-only but for ``retry``."""

    resource_name = "job"
    datamodel = SQLAInterface(m.BackgroundJob)
    include_route_methods = {"get_list", "get", "retry"}
    list_columns = [
        "id",
        "kind",
        "status",
        "processed",
        "total",
        "attempts",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    ]
    show_columns = list_columns + ["error", "result"]
    label_columns = {
        "processed": _l("Rows done"),
        "started_at": _l("Started at"),
        "heartbeat_at": _l("Last heartbeat"),
        "finished_at": _l("Finished at"),
        "error": _l("Error"),
        "result": _l("Result"),
    }
    search_columns = ["kind", "status", "created_at"]
    order_columns = ["id", "created_at", "status", "kind"]
    base_order = ("id", "desc")

    def pre_get(self, data: dict) -> None:
        super().pre_get(data)
        row = data.get("result") or {}
        failed = row.get("status") == lifecycle.FAILED
        row["reason"] = lifecycle.reason_for(row.get("result"), row.get("error")) if failed else ""
        job = self.load_item(row.get("id"))
        row["retryable"] = job is not None and lifecycle.can_retry(job)

    @route("POST", "/<int:pk>/retry", permission="retry", errors=(404, 409))
    def retry(self, pk):
        """Run a failed job again, as its screen's "Run again" does
        ---
        post:
          description: >-
            A job that failed (its worker stopped, or an error) runs again with its own
            parameters, in its owner's scope as it is now. An import can run again while its
            upload is kept. With the background service unreachable the job is kept and starts
            by itself when the service is back (`waiting_for_broker` true). Only jobs in the
            caller's scope: their own, their units' summaries, every job for an Admin.
          responses:
            202:
              description: The job is queued again
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      status:
                        type: string
                      waiting_for_broker:
                        type: boolean
                      message:
                        type: string
        """
        job = self.load_item(pk)
        if job is None:
            return not_found()
        outcome = lifecycle.retry_now(db.session, job)
        if outcome is None:
            return error_response(409, _("Only a failed job can be run again."))
        waiting = outcome == "waiting"
        message = str(lifecycle.WAITING_FOR_BROKER) if waiting else _("The job runs again.")
        return self.response(
            202, id=job.id, status=job.status, waiting_for_broker=waiting, message=message
        )
