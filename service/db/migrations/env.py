"""Alembic environment: runs migrations on the engine that `service.db.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from service.db.engine import create_sync_engine
from service.db.models import Base
from service.settings import load_settings

engine: Engine = context.config.attributes.get("engine") or create_sync_engine(load_settings().database)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
