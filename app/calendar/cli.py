"""``flask --app app calendar seed|recompute``: the working-day calendar from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.domain.calendar import seed_official_calendar
from app.domain.recompute import recompute_years
from app.domain.workdays import supported_years
from app.extensions import db

calendar_cli = AppGroup("calendar", help="The working-day calendar.")


@calendar_cli.command("seed")
def seed() -> None:
    """Load every year the chinesecalendar package knows and the table does not have yet."""
    added = seed_official_calendar(db.session, supported_years())
    db.session.commit()
    click.echo(f"{added} calendar days added")


@calendar_cli.command("recompute")
@click.option("--year", "years", type=int, multiple=True, required=True)
def recompute(years) -> None:
    """Recompute the open cases touching the years now, in the foreground."""
    result = recompute_years(db.session, years)
    for move in result.moves:
        click.echo(f"{move.case_id}\t{move.what}\t{move.old}\t{move.new}")
    click.echo(f"{result.cases} cases recomputed, {len(result.moves)} dates moved")
