"""Operator commands: ``flask --app app <command>``."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.backup import backup_cli
from app.calendar.cli import calendar_cli
from app.domain.errors import ValidationFailed
from app.domain.staff import create_staff, unit_by_code
from app.extensions import db
from app.ledger.rollup import check
from app.models import OrgUnit
from app.reminders.cli import reminders_cli
from app.seed import seed_demo as run


def _db():

    return db


@click.command("sync-perms")
@with_appcontext
def sync_perms() -> None:
    """Create the built-in roles and every screen's permissions (a deploy step)."""
    current_app.appbuilder.sm.sync_roles_and_permissions()
    _db().session.commit()
    click.echo("roles and permissions synchronised")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load Taishan's demo units, catalogue, staff and cases (idempotent)."""
    db = _db()
    current_app.appbuilder.sm.sync_roles_and_permissions()
    result = run(db.session)
    db.session.commit()
    click.echo(" ".join(f"{k}={v}" for k, v in result.items()))


staff = AppGroup("staff", help="Staff accounts.")


@staff.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--name", required=True, help="Display name")
@click.option("--unit", "unit_code", default=None, help="Unit code (see `units list`)")
@click.option(
    "--role", required=True, type=click.Choice(["Admin", "Manager", "Specialist", "Leader"])
)
@click.option("--mobile", default=None)
def staff_create(username, password, name, unit_code, role, mobile) -> None:
    """Create one account with its specialist record."""
    db = _db()
    unit = None
    if unit_code:
        unit = unit_by_code(db.session, unit_code)
        if unit is None:
            click.echo(f"error: no unit with code {unit_code}", err=True)
            sys.exit(2)
    try:
        create_staff(
            db.session,
            username=username,
            password=password,
            name=name,
            unit=unit,
            role=role,
            mobile=mobile,
        )
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        for field, message in exc.errors.items():
            click.echo(f"error: {field}: {message}", err=True)
        sys.exit(2)
    click.echo(f"created {username} ({role}) at {unit.code if unit else '-'}")


units = AppGroup("units", help="The unit tree.")


@units.command("list")
def units_list() -> None:
    """Print CODE<TAB>TIER<TAB>NAME<TAB>PARENT_CODE, one unit a line, in tree order."""
    db = _db()
    parent = sa.orm.aliased(OrgUnit)
    rows = db.session.execute(
        sa.select(OrgUnit.code, OrgUnit.tier, OrgUnit.name, parent.code)
        .outerjoin(parent, OrgUnit.parent_id == parent.id)
        .order_by(OrgUnit.path)
    ).all()
    for code, tier, name, parent_code in rows:
        click.echo(f"{code}\t{tier.value}\t{name}\t{parent_code or ''}")


@click.group("stats")
def stats() -> None:
    """Statistics rollups."""


@stats.command("check")
@click.option("--no-repair", is_flag=True, help="only report the differences")
def stats_check(no_repair: bool) -> None:
    """Compare the rollups with a full recount (and repair them): what the nightly task does."""
    session = _db().session
    report = check(session, repair=not no_repair)
    session.commit()
    click.echo(" ".join(f"{k}={v}" for k, v in report.items()))


def register_commands(app) -> None:
    app.cli.add_command(stats)
    app.cli.add_command(sync_perms)
    app.cli.add_command(seed_demo)
    app.cli.add_command(staff)
    app.cli.add_command(units)

    app.cli.add_command(reminders_cli)

    app.cli.add_command(calendar_cli)

    app.cli.add_command(backup_cli)
