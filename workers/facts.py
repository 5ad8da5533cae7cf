"""Reads what the policy needs to know about comments' authors and articles, a batch at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from policies import ArticleFacts, AuthorFacts, CommentFacts
from service.db.models import Article, Author, Comment, CommentStatus


def _days(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else max(0.0, (now - since).total_seconds() / 86400)


def _authors(conn: Connection, author_ids: set[int], window_start: datetime) -> dict[int, Any]:
    """Per author: status, join date, and counts of approved, rejected, recent decided/rejected (since
    `window_start`) and all comments, in one query."""
    published, rejected = CommentStatus.PUBLISHED, CommentStatus.REJECTED
    recent = Comment.created_at >= window_start
    columns = (Author.id, Author.status, Author.status_until, Author.created_at)
    rows = conn.execute(
        select(
            *columns,
            func.count(case((Comment.status == published, 1))).label("approved"),
            func.count(case((Comment.status == rejected, 1))).label("rejected"),
            func.count(case((and_(recent, Comment.status.in_([published, rejected])), 1))).label("recent_decided"),
            func.count(case((and_(recent, Comment.status == rejected), 1))).label("recent_rejected"),
            func.count().label("comments"),
        )
        .join(Comment, Comment.author_id == Author.id)  # every author here has at least the comment being decided
        .where(Author.id.in_(author_ids))
        .group_by(*columns)
    ).all()
    return {row.id: row for row in rows}


def batch_facts(
    conn: Connection, comments: Sequence[Any], rejection_window_days: Mapping[str, int], now: datetime
) -> dict[str, CommentFacts]:
    """Facts for claimed comment rows (id, author_id, article_id, body), in one query for the articles
    and one for the authors per window size.

    `rejection_window_days` gives each comment's window (from its site's policy).
    """
    author_ids = {row.author_id for row in comments}
    articles = {
        row.id: row
        for row in conn.execute(
            select(Article.id, Article.section, Article.premoderated, Article.created_at).where(
                Article.id.in_({row.article_id for row in comments})
            )
        )
    }
    authors_by_window = {
        days: _authors(conn, author_ids, now - timedelta(days=days)) for days in set(rejection_window_days.values())
    }
    facts = {}
    for row in comments:
        author = authors_by_window[rejection_window_days[row.id]][row.author_id]
        article = articles[row.article_id]
        status = str(author.status)
        if status == "suspended" and author.status_until is not None and author.status_until <= now:
            status = "active"  # a lapsed suspension is no suspension
        facts[row.id] = CommentFacts(
            text=row.body,
            author=AuthorFacts(
                status=status,
                account_age_days=_days(author.created_at, now),
                approved_count=author.approved,
                rejected_count=author.rejected,
                recent_rejection_rate=(
                    author.recent_rejected / author.recent_decided if author.recent_decided else 0.0
                ),
                # Counted before this comment is decided, so "only this one" means a first comment.
                is_first_comment=author.comments == 1,
            ),
            article=ArticleFacts(
                section=article.section,
                premoderated=bool(article.premoderated),
                age_days=_days(article.created_at, now),
            ),
        )
    return facts
