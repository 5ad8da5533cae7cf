"""Reads what the policy needs to know about a comment's author and article from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from policies import ArticleFacts, AuthorFacts, CommentFacts
from service.db.models import Article, Author, Comment, CommentStatus


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _days(since: datetime | None, now: datetime) -> float | None:
    since = _aware(since)
    return None if since is None else max(0.0, (now - since).total_seconds() / 86400)


def _author_history(conn: Connection, author_id: int, comment_id: str, window_start: datetime) -> Any:
    published, rejected = CommentStatus.PUBLISHED, CommentStatus.REJECTED
    recent = Comment.created_at >= window_start
    return conn.execute(
        select(
            func.count(case((Comment.status == published, 1))).label("approved"),
            func.count(case((Comment.status == rejected, 1))).label("rejected"),
            func.count(case((and_(recent, Comment.status.in_([published, rejected])), 1))).label("recent_decided"),
            func.count(case((and_(recent, Comment.status == rejected), 1))).label("recent_rejected"),
            func.count(case((Comment.id != comment_id, 1))).label("others"),
        ).where(Comment.author_id == author_id)
    ).one()


def comment_facts(conn: Connection, comment: Any, rejection_window_days: int, now: datetime) -> CommentFacts:
    """Facts for one claimed comment row (with author_id, article_id, id, body)."""
    author = conn.execute(
        select(Author.status, Author.status_until, Author.created_at).where(Author.id == comment.author_id)
    ).one()
    article = conn.execute(
        select(Article.section, Article.premoderated, Article.created_at).where(Article.id == comment.article_id)
    ).one()
    history = _author_history(conn, comment.author_id, comment.id, now - timedelta(days=rejection_window_days))
    status = str(author.status)
    until = _aware(author.status_until)
    if status == "suspended" and until is not None and until <= now:
        status = "active"  # a lapsed suspension is no suspension
    return CommentFacts(
        text=comment.body,
        author=AuthorFacts(
            status=status,
            account_age_days=_days(author.created_at, now),
            approved_count=history.approved,
            rejected_count=history.rejected,
            recent_rejection_rate=history.recent_rejected / history.recent_decided if history.recent_decided else 0.0,
            is_first_comment=history.others == 0,
        ),
        article=ArticleFacts(
            section=article.section,
            premoderated=bool(article.premoderated),
            age_days=_days(article.created_at, now),
        ),
    )
