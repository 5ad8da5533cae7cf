"""Engines and session factories: async for the API, sync for the CLI, migrations and workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from service.settings import DatabaseSettings


def _tune_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers run beside the writer and, with synchronous=NORMAL, turns each commit into an
    # append instead of two fsyncs; busy_timeout makes the API and workers wait for each other, not fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _ensure_sqlite_folder(settings: DatabaseSettings) -> None:
    path = settings.url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def create_api_engine(settings: DatabaseSettings) -> AsyncEngine:
    if settings.is_sqlite:
        _ensure_sqlite_folder(settings)
        # SQLite has one writer: one pooled connection avoids lock waits that made the p99 tail ~1 s.
        engine = create_async_engine(settings.async_url, pool_size=1, max_overflow=0)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    return create_async_engine(
        settings.async_url, pool_size=settings.pool_size, max_overflow=settings.pool_size, pool_pre_ping=True
    )


def create_sync_engine(settings: DatabaseSettings) -> Engine:
    if settings.is_sqlite:
        _ensure_sqlite_folder(settings)
        engine = create_engine(settings.sync_url)
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(settings.sync_url, pool_pre_ping=True)


def create_worker_engine(settings: DatabaseSettings) -> Engine:
    """The workers' engine: on PostgreSQL their commits do not wait for the WAL flush (~3 ms each, twice a batch).

    What that risks is a database crash forgetting the last fraction of a second of worker commits, and a
    forgotten decision is not a lost comment: the comment is pending again, and the sweep has it decided
    anew (a webhook event may then be sent twice, which receivers already allow for). Everything the API
    writes, the comments themselves included, still waits for the flush.
    """
    if settings.is_sqlite:
        return create_sync_engine(settings)
    return create_engine(settings.sync_url, pool_pre_ping=True, connect_args={"options": "-c synchronous_commit=off"})


def async_session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def sync_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
