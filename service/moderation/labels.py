"""Moderator decisions as labelled comments, in the CSV that `moderation policy replay` reads."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.models import Comment, CommentScore, ModerationLabel, Site


def labelled_rows(session: Session, site_slug: str, since: datetime | None = None) -> Iterator[dict[str, str]]:
    """One row per comment a moderator decided (their latest decision): text, label and stored scores."""
    latest = (
        select(func.max(ModerationLabel.id))
        .join(Site, Site.id == ModerationLabel.site_id)
        .where(Site.slug == site_slug)
        .group_by(ModerationLabel.comment_id)
    )
    if since is not None:
        latest = latest.where(ModerationLabel.created_at >= since)
    query = (
        select(
            ModerationLabel.id,
            ModerationLabel.action,
            ModerationLabel.agreed,
            Comment.id.label("comment_id"),
            Comment.body,
        )
        .join(Comment, Comment.id == ModerationLabel.comment_id)
        .where(ModerationLabel.id.in_(latest))
        .order_by(ModerationLabel.id)
    )
    for label in session.execute(query):
        scores = session.execute(
            select(CommentScore.category, CommentScore.score).where(CommentScore.comment_id == label.comment_id)
        ).all()
        row = {
            "text": label.body,
            "label": "reject" if label.action == "reject" else "publish",
            "comment_id": label.comment_id,
        }
        row.update({f"score_{category}": repr(score) for category, score in scores})
        yield row


def write_labels(rows: Iterator[dict[str, str]], out: TextIO) -> int:
    """Write rows as CSV; score columns missing for a comment stay empty. Returns the row count."""
    materialised = list(rows)
    columns = ["text", "label", "comment_id"]
    columns += sorted({key for row in materialised for key in row} - set(columns))
    writer = csv.DictWriter(out, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(materialised)
    return len(materialised)
