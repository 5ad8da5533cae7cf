"""Helpers for moderation tests: comments put in the queue the way the pipeline would."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from service.db.models import Comment, CommentHistory, CommentScore, PolicyDecision, Site
from tests.conftest import auth

POLICY_VERSION = "abc123def456"
_authors = itertools.count()


@dataclass(frozen=True)
class SiteKey:
    slug: str
    key: str


async def post_comment(client: Any, site: SiteKey, **overrides: Any) -> str:
    payload: dict[str, Any] = {
        "article_id": overrides.pop("article_id", "article-1"),
        "author": overrides.pop("author", {"id": f"reader-{next(_authors)}", "name": "Reader"}),
        "body": overrides.pop("body", f"A remark number {uuid.uuid4().hex[:8]}."),
        **overrides,
    }
    response = await client.post("/v1/comments", json=payload, headers=auth(site.key))
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def hold(
    engine: Engine,
    comment_id: str,
    reason: str = "toxicity",
    scores: dict[str, float] | None = None,
    action: str = "hold",
) -> None:
    """What the pipeline does for a held comment: scores, the policy decision, the state change."""
    scores = {"toxicity": 0.8, "insult": 0.3} if scores is None else scores
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(status="held", status_reason=reason, max_score=max(scores.values(), default=None), updated_at=now)
        )
        for category, score in scores.items():
            conn.execute(
                insert(CommentScore).values(
                    comment_id=comment_id, category=category, score=score, model_name="bundled", model_version="1"
                )
            )
        conn.execute(
            insert(PolicyDecision).values(
                comment_id=comment_id,
                action=action,
                reasons=[reason],
                matched=[{"name": f"{reason}-rule", "reason": reason, "action": action, "spans": []}],
                policy_name="default",
                policy_version=POLICY_VERSION,
                model_name="bundled",
                model_version="1",
                created_at=now,
            )
        )
        conn.execute(
            insert(CommentHistory).values(
                comment_id=comment_id,
                actor=f"system:policy@{POLICY_VERSION}",
                from_status="pending",
                to_status="held",
                reason=reason,
                created_at=now,
            )
        )


def publish(engine: Engine, *ids: str) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for comment_id in ids:
            conn.execute(update(Comment).where(Comment.id == comment_id).values(status="published", updated_at=now))
            conn.execute(
                insert(CommentHistory).values(
                    comment_id=comment_id,
                    actor=f"system:policy@{POLICY_VERSION}",
                    from_status="pending",
                    to_status="published",
                    created_at=now,
                )
            )


async def held_comment(client: Any, engine: Engine, site: SiteKey, reason: str = "toxicity", **fields: Any) -> str:
    comment_id = await post_comment(client, site, **fields)
    hold(engine, comment_id, reason)
    return comment_id


def status_of(engine: Engine, comment_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(select(Comment.status).where(Comment.id == comment_id)))


def set_webhook(engine: Engine, *sites: SiteKey) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(Site)
            .where(Site.slug.in_([s.slug for s in sites]))
            .values(webhook_url="https://example.test/hook", webhook_secret="s3cret")
        )


def ids(items: Sequence[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]
