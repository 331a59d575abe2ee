"""Command-line tools: ``flask --app service.app <group> <command>``.

They call the same use cases as the HTTP API.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app

from service.application.context import Wiring

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


def register(app: Flask) -> None:
    app.cli.add_command(db)
    app.cli.add_command(demo)
