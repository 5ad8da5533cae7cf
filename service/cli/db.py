"""`moderation db`: schema migrations."""

from __future__ import annotations

import click

from service.cli.context import sync_engine
from service.db import migrate


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply Alembic migrations up to the newest revision."""
    engine = sync_engine()
    migrate.upgrade(engine)
    click.echo(f"database at the newest revision ({engine.url.render_as_string(hide_password=True)})")
