"""Settings, logging and database handles for CLI commands, with settings errors shown plainly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.db.engine import create_sync_engine, sync_session_factory
from service.logging import configure_logging
from service.settings import Settings, SettingsError, load_settings


@cache
def settings() -> Settings:
    try:
        loaded = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(loaded.log)
    return loaded


@cache
def sync_engine() -> Engine:
    return create_sync_engine(settings().database)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction: committed when the block ends cleanly, rolled back otherwise."""
    with sync_session_factory(sync_engine()).begin() as session:
        yield session
