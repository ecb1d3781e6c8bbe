"""``flask --app app reminders run-due [--at ISO-TIME]``: one sweep in the foreground."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.reminders import sweep
from app.tasks.reminders import _parse

reminders_cli = AppGroup("reminders", help="Reminders and notifications.")


@reminders_cli.command("run-due")
@click.option(
    "--at",
    "at",
    default=None,
    help="Sweep as of this ISO time (Asia/Shanghai when no offset), e.g. 2026-05-06T09:00.",
)
def run_due(at: str | None) -> None:
    """Run one sweep (the code beat runs) and print every notification it queued."""
    try:
        moment = _parse(at)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from exc
    result = sweep.run(db.session, moment)
    for row in result.queued:
        click.echo(
            f"{row.id}\t{row.kind}\t{row.channel}\t{row.recipient}\t{row.case_number}\t"
            f"{row.dedup_key}"
        )
    for error in result.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(
        f"at {result.at.isoformat()}: {result.due} reminders due, {len(result.queued)} "
        f"notifications queued, {result.dispatched} handed to the broker "
        f"({result.seconds:.2f} s)"
    )
