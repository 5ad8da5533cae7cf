"""SQL for the moderator side, on Core statements; every read is limited to the moderator's sites."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from service.db.models import (
    Article,
    Author,
    AuthorHistory,
    Comment,
    CommentHistory,
    CommentReport,
    CommentScore,
    CommentStatus,
    ModerationLabel,
    Moderator,
    ModeratorClaim,
    PolicyDecision,
    Site,
)
from service.moderation.reasons import REPORTED


def _version() -> Any:
    # The id of the comment's newest history row: every change appends one, whoever makes it.
    return (
        select(func.max(CommentHistory.id))
        .where(CommentHistory.comment_id == Comment.id)
        .correlate(Comment)
        .scalar_subquery()
    )


def _report_count() -> Any:
    return (
        select(func.count(CommentReport.id))
        .where(CommentReport.comment_id == Comment.id)
        .correlate(Comment)
        .scalar_subquery()
    )


async def lock_comment(conn: AsyncConnection, comment_id: str, site_ids: Collection[int]) -> Any:
    """The comment if it is in one of `site_ids`, locked until the transaction ends (PostgreSQL)."""
    query = (
        select(Comment.id, Comment.site_id, Comment.author_id, Comment.status, Comment.status_reason)
        .where(Comment.id == comment_id, Comment.site_id.in_(site_ids))
        .with_for_update()
    )
    return (await conn.execute(query)).first()


async def latest_change(conn: AsyncConnection, comment_id: str) -> Any:
    query = (
        select(CommentHistory.id, CommentHistory.actor, CommentHistory.to_status, CommentHistory.created_at)
        .where(CommentHistory.comment_id == comment_id)
        .order_by(CommentHistory.id.desc())
        .limit(1)
    )
    return (await conn.execute(query)).one()


async def find_claim(conn: AsyncConnection, comment_id: str) -> Any:
    query = (
        select(
            ModeratorClaim.comment_id,
            ModeratorClaim.moderator_id,
            Moderator.name.label("moderator_name"),
            ModeratorClaim.claimed_at,
            ModeratorClaim.expires_at,
        )
        .join(Moderator, Moderator.id == ModeratorClaim.moderator_id)
        .where(ModeratorClaim.comment_id == comment_id)
    )
    return (await conn.execute(query)).first()


async def put_claim(conn: AsyncConnection, comment_id: str, moderator_id: int, at: datetime, expires: datetime) -> None:
    await release_claim(conn, comment_id)
    await conn.execute(
        insert(ModeratorClaim).values(
            comment_id=comment_id, moderator_id=moderator_id, claimed_at=at, expires_at=expires
        )
    )


async def release_claim(conn: AsyncConnection, comment_id: str) -> None:
    await conn.execute(delete(ModeratorClaim).where(ModeratorClaim.comment_id == comment_id))


async def policy_decision(conn: AsyncConnection, comment_id: str) -> Any:
    query = select(PolicyDecision.__table__).where(PolicyDecision.comment_id == comment_id)
    return (await conn.execute(query)).first()


async def insert_label(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(ModerationLabel).values(**values))


async def moderator_names(conn: AsyncConnection, ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await conn.execute(select(Moderator.id, Moderator.name).where(Moderator.id.in_(ids)))
    return {row.id: row.name for row in rows}


def queue_query(site_ids: Collection[int], now: datetime, category: str | None) -> tuple[Any, Any]:
    """Held comments in scope with what a queue row shows; returns the query and its score column."""
    claimer = aliased(Moderator)
    score_column: Any = Comment.max_score
    query = (
        select(
            Comment.id,
            Site.slug.label("site"),
            Comment.status_reason,
            Comment.body,
            Article.external_id.label("article_id"),
            Article.title.label("article_title"),
            Article.url.label("article_url"),
            Article.section.label("article_section"),
            Author.external_id.label("author_id"),
            Author.name.label("author_name"),
            Author.status.label("author_status"),
            Comment.max_score,
            _report_count().label("reports"),
            _version().label("version"),
            Comment.created_at,
            Comment.updated_at,
            ModeratorClaim.moderator_id.label("claim_moderator_id"),
            claimer.name.label("claim_moderator_name"),
            ModeratorClaim.claimed_at.label("claim_claimed_at"),
            ModeratorClaim.expires_at.label("claim_expires_at"),
        )
        .join(Site, Site.id == Comment.site_id)
        .join(Article, Article.id == Comment.article_id)
        .join(Author, Author.id == Comment.author_id)
        .outerjoin(ModeratorClaim, and_(ModeratorClaim.comment_id == Comment.id, ModeratorClaim.expires_at > now))
        .outerjoin(claimer, claimer.id == ModeratorClaim.moderator_id)
        .where(Comment.status == CommentStatus.HELD, Comment.site_id.in_(site_ids))
    )
    if category is not None:
        score = aliased(CommentScore)
        query = query.join(score, and_(score.comment_id == Comment.id, score.category == category))
        score_column = score.score
    return query, score_column


def in_queue(queue: str | None) -> Any:
    if queue == REPORTED:
        return Comment.status_reason == REPORTED
    if queue == "held":
        return or_(Comment.status_reason.is_(None), Comment.status_reason != REPORTED)
    return literal(True)


async def queue_counts(conn: AsyncConnection, site_ids: Collection[int]) -> Sequence[Any]:
    query = (
        select(Site.slug, Comment.status_reason, func.count(Comment.id).label("count"))
        .join(Site, Site.id == Comment.site_id)
        .where(Comment.status == CommentStatus.HELD, Comment.site_id.in_(site_ids))
        .group_by(Site.slug, Comment.status_reason)
    )
    return (await conn.execute(query)).all()


async def comment_detail(conn: AsyncConnection, comment_id: str, site_ids: Collection[int]) -> Any:
    query = (
        select(
            Comment.id,
            Comment.site_id,
            Site.slug.label("site"),
            Comment.status,
            Comment.status_reason,
            _version().label("version"),
            Comment.body,
            Comment.parent_id,
            Comment.author_id,
            Comment.created_at,
            Comment.updated_at,
            Article.external_id.label("article_id"),
            Article.title.label("article_title"),
            Article.url.label("article_url"),
            Article.section.label("article_section"),
            Author.external_id.label("author_external_id"),
            Author.name.label("author_name"),
            Author.status.label("author_status"),
            Author.status_until.label("author_status_until"),
        )
        .join(Site, Site.id == Comment.site_id)
        .join(Article, Article.id == Comment.article_id)
        .join(Author, Author.id == Comment.author_id)
        .where(Comment.id == comment_id, Comment.site_id.in_(site_ids))
    )
    return (await conn.execute(query)).first()


async def author_counts(conn: AsyncConnection, author_id: int) -> dict[str, int]:
    query = (
        select(Comment.status, func.count(Comment.id)).where(Comment.author_id == author_id).group_by(Comment.status)
    )
    return {str(status): int(count) for status, count in (await conn.execute(query)).all()}


async def parent_comment(conn: AsyncConnection, parent_id: str) -> Any:
    query = (
        select(Comment.id, Comment.body, Comment.status, Author.name.label("author_name"), Comment.created_at)
        .join(Author, Author.id == Comment.author_id)
        .where(Comment.id == parent_id)
    )
    return (await conn.execute(query)).first()


async def scores(conn: AsyncConnection, comment_id: str) -> Sequence[Any]:
    query = (
        select(CommentScore.category, CommentScore.score, CommentScore.model_name, CommentScore.model_version)
        .where(CommentScore.comment_id == comment_id)
        .order_by(CommentScore.score.desc(), CommentScore.category)
    )
    return (await conn.execute(query)).all()


async def reports(conn: AsyncConnection, comment_id: str) -> Sequence[Any]:
    query = (
        select(CommentReport.reporter_id, CommentReport.reason, CommentReport.note, CommentReport.created_at)
        .where(CommentReport.comment_id == comment_id)
        .order_by(CommentReport.id)
    )
    return (await conn.execute(query)).all()


async def history(conn: AsyncConnection, comment_id: str) -> Sequence[Any]:
    query = select(CommentHistory.__table__).where(CommentHistory.comment_id == comment_id).order_by(CommentHistory.id)
    return (await conn.execute(query)).all()


async def lock_author(conn: AsyncConnection, site_id: int, external_id: str) -> Any:
    query = (
        select(Author.id, Author.external_id, Author.name, Author.status, Author.status_until)
        .where(Author.site_id == site_id, Author.external_id == external_id)
        .with_for_update()
    )
    return (await conn.execute(query)).first()


async def set_author_status(
    conn: AsyncConnection, author_id: int, status: str, until: datetime | None, history_values: dict[str, Any]
) -> None:
    await conn.execute(update(Author).where(Author.id == author_id).values(status=status, status_until=until))
    await conn.execute(insert(AuthorHistory).values(author_id=author_id, **history_values))


async def undecided_comments(conn: AsyncConnection, author_id: int) -> Sequence[Any]:
    query = (
        select(Comment.id, Comment.status)
        .where(Comment.author_id == author_id, Comment.status.in_((CommentStatus.PENDING, CommentStatus.HELD)))
        .order_by(Comment.id)
        .with_for_update()
    )
    return (await conn.execute(query)).all()


def audit_query(site_ids: Collection[int], actor: str | None, since: datetime | None, until: datetime | None) -> Any:
    """Comment and author changes in scope, as one union with the same columns, newest first."""
    comments = (
        select(
            literal("comment").label("kind"),
            CommentHistory.id,
            Site.slug.label("site"),
            CommentHistory.comment_id,
            cast(null(), String(200)).label("author_id"),
            CommentHistory.actor,
            CommentHistory.from_status,
            CommentHistory.to_status,
            CommentHistory.reason,
            CommentHistory.note,
            CommentHistory.created_at,
        )
        .join(Comment, Comment.id == CommentHistory.comment_id)
        .join(Site, Site.id == Comment.site_id)
        .where(Comment.site_id.in_(site_ids))
    )
    authors = (
        select(
            literal("author").label("kind"),
            AuthorHistory.id,
            Site.slug.label("site"),
            cast(null(), String(36)).label("comment_id"),
            Author.external_id.label("author_id"),
            AuthorHistory.actor,
            AuthorHistory.from_status,
            AuthorHistory.to_status,
            AuthorHistory.reason,
            AuthorHistory.note,
            AuthorHistory.created_at,
        )
        .join(Author, Author.id == AuthorHistory.author_id)
        .join(Site, Site.id == AuthorHistory.site_id)
        .where(AuthorHistory.site_id.in_(site_ids))
    )
    for table in (CommentHistory, AuthorHistory):
        conditions = []
        if actor is not None:
            conditions.append(table.actor == actor)
        if since is not None:
            conditions.append(table.created_at >= since)
        if until is not None:
            conditions.append(table.created_at < until)
        if table is CommentHistory:
            comments = comments.where(*conditions)
        else:
            authors = authors.where(*conditions)
    return union_all(comments, authors).subquery("audit")
