"""Command-line tools: ``flask --app service.app <group> <command>``.

They call the same use cases as the HTTP API.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup
from tqdm import tqdm

from service.application.context import Context, Wiring
from service.domain.access import AccessRole, Principal
from service.domain.errors import DomainError

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    owner_url = url or os.environ.get("DATABASE_URL")
    if not owner_url:
        raise click.ClickException("Set DATABASE_URL to the owner's URL to migrate.")
    from service.bootstrap import normalise_url

    config.attributes["url"] = normalise_url(owner_url)
    return config


db = click.Group("db", help="The database schema.")


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Apply migrations (as the owner, DATABASE_URL)."""
    command.upgrade(alembic_config(), revision)


demo = click.Group("demo", help="The demo organisation.")


@demo.command("seed")
def seed() -> None:
    """Create the demo organisation when the database has none; print its admin's log-in."""
    from service.demo import seed_demo

    wiring: Wiring = current_app.extensions["review_service"]
    result = seed_demo(wiring)
    if result is None:
        click.echo("The database already has organisations; no demo added.")
    else:
        click.echo(
            f"Demo organisation 'demo' ready. Log in with org=demo, email={result[0]}, "
            f"password={result[1]}"
        )


# An AppGroup: its commands run inside the application context, under any runner.
members = AppGroup("members", help="People of an organisation.")


@members.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "slug", required=True, help="The organisation's slug.")
@click.option(
    "--as",
    "actor_email",
    default=None,
    help="The admin recorded as the actor (default: the organisation's first active admin, "
    "found with the owner's DATABASE_URL).",
)
@click.option("--dry-run", is_flag=True, help="Check the file, write nothing.")
def import_people(file: Path, slug: str, actor_email: str | None, dry_run: bool) -> None:
    """Create and update people from a CSV FILE, all or nothing, as POST /members/import."""
    from service.application.member_import import import_members
    from service.application.people_csv import ImportRejected

    wiring: Wiring = current_app.extensions["review_service"]
    ctx = wiring.context()
    bars = ProgressBars()
    try:
        _act_as_admin(ctx, slug, actor_email)
        result = import_members(ctx, file.read_bytes(), dry_run=dry_run, progress=bars)
    except ImportRejected as rejected:
        bars.close()
        for problem in rejected.problems:
            column = f", {problem.column}" if problem.column else ""
            click.echo(f"{file}:{problem.line}{column}: {problem.message}", err=True)
        raise click.ClickException(rejected.message) from None
    except DomainError as error:
        raise click.ClickException(error.message) from None
    finally:
        bars.close()
        ctx.uow.close()
    teams = f"; teams created: {', '.join(result.teams_created)}" if result.teams_created else ""
    click.echo(
        f"{'Checked' if dry_run else 'Imported'} {result.rows} people into '{slug}': "
        f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        f"{teams}."
    )


class ProgressBars:
    """One tqdm bar per stage of the import (validating rows, writing)."""

    def __init__(self) -> None:
        self.bars: dict[str, tqdm[Any]] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(
                total=total, desc=stage, unit="row" if stage == "validating" else "step"
            )
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _act_as_admin(ctx: Context, slug: str, email: str | None) -> None:
    if email is not None:
        login = ctx.uow.credentials.find_login(slug, email)
        found = None if login is None else (login.org_id, login.member_id)
    else:
        found = _first_admin(slug)
    if found is None:
        raise click.ClickException(f"No such organisation, or no such admin in '{slug}'.")
    org_id, member_id = found
    ctx.uow.bind_tenant(org_id)
    member = ctx.uow.members.get(member_id)
    if member is None or not member.is_active or member.access_role is not AccessRole.ADMIN:
        who = email or "The first admin found"
        raise click.ClickException(f"{who} is not an active admin of '{slug}'.")
    ctx.principal = Principal(org_id=org_id, member_id=member_id, access_role=AccessRole.ADMIN)


def _first_admin(slug: str) -> tuple[UUID, UUID] | None:
    """Asked as the owner: the request role cannot look across organisations."""
    from service.bootstrap import ConfigurationError, query_as_owner

    try:
        row = query_as_owner(
            "SELECT o.id, m.id FROM organisations o JOIN members m ON m.org_id = o.id"
            " WHERE o.slug = :slug AND m.access_role = 'admin' AND m.status = 'active'"
            " ORDER BY m.created_at, m.id LIMIT 1",
            {"slug": slug},
        )
    except ConfigurationError:
        raise click.ClickException(
            "Give --as EMAIL (an admin), or set the owner's DATABASE_URL."
        ) from None
    return None if row is None else (row[0], row[1])


webhooks = AppGroup("webhooks", help="Webhook deliveries.")


@webhooks.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def deliver_webhooks(once: bool) -> None:
    """Send due webhook deliveries, retrying failures with backoff; several may run.

    Without --once it runs until SIGINT or SIGTERM, finishing the sends in flight.
    """
    from service.bootstrap import webhook_deliverer

    wiring: Wiring = current_app.extensions["review_service"]
    deliverer = webhook_deliverer(wiring, current_app.extensions["review_webhook_settings"])
    try:
        if once:
            click.echo(f"Attempted {deliverer.deliver_due()} webhook deliveries.")
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda _signum, _frame: stop.set())
        click.echo("Delivering webhooks; stop with Ctrl-C.")
        deliverer.run(stop)
    finally:
        deliverer.sender.close()


def register(app: Flask) -> None:
    app.cli.add_command(db)
    app.cli.add_command(demo)
    app.cli.add_command(members)
    app.cli.add_command(webhooks)
