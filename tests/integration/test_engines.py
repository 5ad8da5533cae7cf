"""Only the workers' PostgreSQL commits skip the WAL flush; the API's and the CLI's wait for it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from service.db.engine import create_sync_engine, create_worker_engine
from service.settings import DatabaseSettings

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(("create", "expected"), [(create_worker_engine, "off"), (create_sync_engine, "on")])
def test_synchronous_commit_by_engine(postgres_url, create, expected):
    engine = create(DatabaseSettings(url=postgres_url))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == expected
    finally:
        engine.dispose()
