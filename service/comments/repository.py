"""SQL for comments, on Core statements: intake runs several per request and must stay lean."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.models import (
    Article,
    Author,
    AuthorStatus,
    Comment,
    CommentHistory,
    CommentStatus,
    IdempotencyRecord,
)
from service.webhooks import StatusChange, record_status_change_async

# Intake runs these on every comment: built once on the tables (not the ORM classes), so a request
# pays only for binding parameters, not for building and caching statements.
_ARTICLES, _AUTHORS, _COMMENTS, _HISTORY = (
    cast(Table, model.__table__) for model in (Article, Author, Comment, CommentHistory)
)
_ARTICLE_BY_KEY = select(_ARTICLES.c.id, _ARTICLES.c.closed, _ARTICLES.c.premoderated).where(
    _ARTICLES.c.site_id == bindparam("site_id"), _ARTICLES.c.external_id == bindparam("external_id")
)
_AUTHOR_BY_KEY = select(_AUTHORS.c.id, _AUTHORS.c.status, _AUTHORS.c.status_until).where(
    _AUTHORS.c.site_id == bindparam("site_id"), _AUTHORS.c.external_id == bindparam("external_id")
)
_DUPLICATE = (
    select(_COMMENTS.c.id)
    .where(
        _COMMENTS.c.author_id == bindparam("author_id"),
        _COMMENTS.c.body_hash == bindparam("body_hash"),
        _COMMENTS.c.created_at >= bindparam("since"),
        _COMMENTS.c.status != CommentStatus.DELETED,
    )
    .order_by(_COMMENTS.c.created_at)
    .limit(1)
)
_INSERT_COMMENT = insert(_COMMENTS)
_INSERT_HISTORY = insert(_HISTORY)


def _upsert(conn: AsyncConnection, table: Any, values: dict[str, Any], keep: str) -> Any:
    """INSERT, or on a (site_id, external_id) clash touch `keep` so RETURNING gives the existing row.

    One round trip and no savepoint, on PostgreSQL and SQLite alike.
    """
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table).values(**values)
    return statement.on_conflict_do_update(
        index_elements=[table.c.site_id, table.c.external_id], set_={keep: table.c[keep]}
    )


async def get_or_create_article(
    conn: AsyncConnection, site_id: int, external_id: str, fields: dict[str, Any], now: datetime
) -> Any:
    row = (await conn.execute(_ARTICLE_BY_KEY, {"site_id": site_id, "external_id": external_id})).first()
    if row is not None:
        return row
    values = {
        "site_id": site_id,
        "external_id": external_id,
        "closed": False,
        "premoderated": False,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    # A concurrent request may create it between our read and this insert: the upsert returns theirs.
    columns = _ARTICLE_BY_KEY.selected_columns
    return (await conn.execute(_upsert(conn, _ARTICLES, values, "updated_at").returning(*columns))).one()


async def get_or_create_author(conn: AsyncConnection, site_id: int, external_id: str, name: str, now: datetime) -> Any:
    row = (await conn.execute(_AUTHOR_BY_KEY, {"site_id": site_id, "external_id": external_id})).first()
    if row is not None:
        return row
    values = {
        "site_id": site_id,
        "external_id": external_id,
        "name": name,
        "status": AuthorStatus.ACTIVE,
        "created_at": now,
    }
    columns = _AUTHOR_BY_KEY.selected_columns
    return (await conn.execute(_upsert(conn, _AUTHORS, values, "created_at").returning(*columns))).one()


async def find_parent(conn: AsyncConnection, site_id: int, parent_id: str) -> Any:
    query = select(Comment.id, Comment.article_id, Comment.root_id).where(
        Comment.id == parent_id, Comment.site_id == site_id
    )
    return (await conn.execute(query)).first()


async def find_duplicate(conn: AsyncConnection, author_id: int, body_hash: str, since: datetime) -> str | None:
    params = {"author_id": author_id, "body_hash": body_hash, "since": since}
    return (await conn.execute(_DUPLICATE, params)).scalar()


async def insert_comment(conn: AsyncConnection, values: dict[str, Any], actor: str) -> None:
    await conn.execute(_INSERT_COMMENT, values)
    await append_history(conn, values["id"], actor, None, values["status"], None, values["created_at"])


async def append_history(
    conn: AsyncConnection,
    comment_id: str,
    actor: str,
    from_status: str | None,
    to_status: str,
    reason: str | None,
    at: datetime,
    note: str | None = None,
) -> None:
    await conn.execute(
        _INSERT_HISTORY,
        {
            "comment_id": comment_id,
            "actor": actor,
            "from_status": from_status,
            "to_status": to_status,
            "reason": reason,
            "note": note,
            "created_at": at,
        },
    )


async def find_idempotency(conn: AsyncConnection, site_id: int, key: str) -> Any:
    query = select(IdempotencyRecord.request_hash, IdempotencyRecord.status_code, IdempotencyRecord.response).where(
        IdempotencyRecord.site_id == site_id, IdempotencyRecord.key == key
    )
    return (await conn.execute(query)).first()


async def save_idempotency(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(IdempotencyRecord).values(**values))


_READ_COLUMNS = (
    Comment.id,
    Article.external_id.label("article_external_id"),
    Author.external_id.label("author_external_id"),
    Author.name.label("author_name"),
    Comment.body,
    Comment.parent_id,
    Comment.status,
    Comment.status_reason,
    Comment.created_at,
    Comment.updated_at,
)


def _read_query() -> Any:
    return (
        select(*_READ_COLUMNS)
        .join(Article, Article.id == Comment.article_id)
        .join(Author, Author.id == Comment.author_id)
    )


async def read_comment(conn: AsyncConnection, site_id: int, comment_id: str) -> Any:
    query = _read_query().where(Comment.id == comment_id, Comment.site_id == site_id)
    return (await conn.execute(query)).first()


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change that happened; the webhook delivery to hand to a worker after commit, if any."""

    webhook_delivery_id: int | None


async def set_status(
    conn: AsyncConnection,
    comment_id: str,
    from_status: str,
    to_status: str,
    reason: str | None,
    actor: str,
    at: datetime,
    note: str | None = None,
) -> Transition | None:
    """Move a comment from one state to another, only if it is still in `from_status`; None if not."""
    result = await conn.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status == from_status)
        .values(status=to_status, status_reason=reason, updated_at=at)
    )
    if result.rowcount != 1:
        return None
    await append_history(conn, comment_id, actor, from_status, to_status, reason, at, note)
    change = StatusChange(comment_id, from_status, to_status, reason, actor, at)
    delivery = await record_status_change_async(conn, change)
    return Transition(delivery)


async def find_article_id(conn: AsyncConnection, site_id: int, external_id: str) -> int | None:
    query = select(Article.id).where(Article.site_id == site_id, Article.external_id == external_id)
    return (await conn.execute(query)).scalar()


async def thread_roots(conn: AsyncConnection, article_id: int, after: str | None, limit: int) -> Sequence[Any]:
    query = _read_query().where(
        Comment.article_id == article_id,
        Comment.parent_id.is_(None),
        Comment.status == CommentStatus.PUBLISHED,
    )
    if after is not None:
        query = query.where(Comment.id > after)
    return (await conn.execute(query.order_by(Comment.id).limit(limit))).all()


async def thread_replies(conn: AsyncConnection, root_ids: Sequence[str]) -> Sequence[Any]:
    if not root_ids:
        return []
    query = _read_query().where(Comment.root_id.in_(root_ids)).order_by(Comment.id)
    return (await conn.execute(query)).all()
