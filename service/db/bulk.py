"""Many rows into one table with one statement, on either database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import JSON, Connection, Table, TextClause, insert, text
from sqlalchemy.engine import Dialect

from service.db.models import Base


def insert_rows(conn: Connection, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) into the model's table.

    On PostgreSQL one `INSERT … SELECT FROM unnest(<one array per column>)`: psycopg sends an
    executemany as one statement per row, and SQLAlchemy's multi-row VALUES costs psycopg more to parse
    than PostgreSQL takes to run it (a worker's batch writes a few hundred rows; this is 3x faster).
    SQLite's executemany is already a loop in C.
    """
    if not rows:
        return
    table = cast(Table, model.__table__)
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = tuple(rows[0])
    statement, json_columns = _unnest_insert(table, columns, conn.dialect)
    arrays = {name: [json.dumps(row[name]) if name in json_columns else row[name] for row in rows] for name in columns}
    conn.execute(statement, arrays)


@cache
def _unnest_insert(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[TextClause, frozenset[str]]:
    json_columns = frozenset(name for name in columns if isinstance(table.c[name].type, JSON))
    arrays = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect)}[])" for name in columns)
    # Only names from the table's own definition reach the SQL (table.c[name] raises for any other).
    statement = text(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})")  # noqa: S608
    return statement, json_columns
