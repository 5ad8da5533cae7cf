"""SQL for reader reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.models import Comment, CommentReport


async def lock_comment(conn: AsyncConnection, site_id: int, comment_id: str) -> Any:
    query = (
        select(Comment.id, Comment.status).where(Comment.id == comment_id, Comment.site_id == site_id).with_for_update()
    )
    return (await conn.execute(query)).first()


async def insert_report(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(CommentReport).values(**values).returning(CommentReport.id))
    return int(result.scalar_one())


async def count_reports(conn: AsyncConnection, comment_id: str) -> int:
    query = select(func.count(CommentReport.id)).where(CommentReport.comment_id == comment_id)
    return int((await conn.execute(query)).scalar_one())
