"""Shared fixtures: a migrated database on SQLite or PostgreSQL, sites with keys, and the API client."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, text

from service.app import create_app
from service.db import migrate
from service.db.engine import create_sync_engine, sync_session_factory
from service.db.models import Base
from service.ratelimit import RateLimiter
from service.settings import Settings, load_settings
from service.sites.services import create_site

POSTGRES_ADMIN_URL = os.environ.get("MODERATION_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MODERATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class RecordingDispatcher:
    """Stands in for Celery in API tests: remembers what the API handed over."""

    def __init__(self) -> None:
        self.dispatched: list[str] = []
        self.webhooks: list[int] = []

    async def moderate(self, comment_id: str) -> None:
        self.dispatched.append(comment_id)

    async def deliver_webhook(self, delivery_id: int) -> None:
        self.webhooks.append(delivery_id)

    async def close(self) -> None:
        pass


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards; yields its URL."""
    name = f"moderation_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = create_sync_engine(load_settings({"MODERATION_DATABASE_URL": url}).database)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One database for the run's API and worker tests, emptied after each test."""
    with fresh_postgres_database() as url:
        yield url


def _truncate(engine: Engine) -> None:
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a migrated, empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'moderation.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    loaded = load_settings(
        {"MODERATION_DATABASE_URL": url, "MODERATION_DATA_DIR": str(tmp_path), "MODERATION_LOG_FORMAT": "json"}
    )
    engine = create_sync_engine(loaded.database)
    if request.param == "sqlite":
        migrate.upgrade(engine)
    yield loaded
    if request.param == "postgres":
        _truncate(engine)
    engine.dispose()


@pytest.fixture
def sync_engine(settings: Settings) -> Iterator[Engine]:
    engine = create_sync_engine(settings.database)
    yield engine
    engine.dispose()


@pytest.fixture
def make_site(sync_engine: Engine):  # type: ignore[no-untyped-def]
    """Create a site and return its API key."""

    def make(slug: str | None = None) -> str:
        with sync_session_factory(sync_engine).begin() as session:
            _, key = create_site(session, slug or f"site-{uuid.uuid4().hex[:6]}")
        return key

    return make


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    return RecordingDispatcher()


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A copy of the shipped default policy that a test may edit."""
    folder = tmp_path / "policies"
    source = Path(__file__).resolve().parent.parent / "policies"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__", "README.md"))
    return folder


@pytest.fixture
async def client(
    settings: Settings, dispatcher: RecordingDispatcher, policy_dir: Path
) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    app = create_app(replace(settings, policy_dir=policy_dir), dispatcher, limiter=RateLimiter())
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Environment for CLI commands run in this process, on a fresh SQLite file (not yet migrated)."""
    from service.cli import context

    env = {"MODERATION_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "MODERATION_LOG_FORMAT": "json"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The CLI caches its settings and engine per process; each test gets its own.
    context.settings.cache_clear()
    context.sync_engine.cache_clear()
    yield env
    if context.sync_engine.cache_info().currsize:
        context.sync_engine().dispose()
    context.settings.cache_clear()
    context.sync_engine.cache_clear()
