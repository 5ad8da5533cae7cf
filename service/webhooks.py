"""Webhook events: what a site is told when a comment changes state, how it is signed, how it is recorded.

Events are recorded in the same transaction as the change they describe and delivered afterwards by a
worker, so a slow or dead endpoint never delays moderation and no event is lost with a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from service.db.models import Article, Comment, Site, WebhookDelivery
from service.ids import uuid7

EVENT_TYPE = "comment.status_changed"
SIGNATURE_HEADER = "X-Moderation-Signature"
EVENT_ID_HEADER = "X-Moderation-Event-Id"
SIGNATURE_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>`: the timestamp is signed to stop replays."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """What a receiving site does: check the signature and that it is recent."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


@dataclass(frozen=True)
class StatusChange:
    """One comment's move between states, as its webhook event tells it."""

    comment_id: str
    from_status: str | None
    to_status: str
    reason: str | None
    actor: str
    at: datetime


def _targets(comment_ids: Sequence[str]) -> Any:
    """Where each comment's event would go; comments whose site has no webhook are left out."""
    return (
        select(Comment.id.label("comment_id"), Site.id, Site.slug, Site.webhook_url, Article.external_id)
        .join(Comment, Comment.site_id == Site.id)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.id.in_(comment_ids), Site.webhook_url.is_not(None))
    )


def _delivery(target: Any, change: StatusChange) -> dict[str, Any]:
    event = {
        "id": uuid7(),
        "type": EVENT_TYPE,
        "site": target.slug,
        "comment_id": change.comment_id,
        "article_id": target.external_id,
        "from": change.from_status,
        "to": change.to_status,
        "reason": change.reason,
        "actor": change.actor,
        "occurred_at": change.at.isoformat(),
    }
    return {
        "site_id": target.id,
        "comment_id": change.comment_id,
        "event_type": EVENT_TYPE,
        "payload": event,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": change.at,
        "created_at": change.at,
    }


def record_status_changes(conn: Connection, changes: Sequence[StatusChange]) -> list[int]:
    """Record an event for each change whose site has a webhook, in one query and one insert.

    Returns the delivery ids to hand to a worker.
    """
    if not changes:
        return []
    targets = {row.comment_id: row for row in conn.execute(_targets([change.comment_id for change in changes]))}
    rows = [_delivery(targets[change.comment_id], change) for change in changes if change.comment_id in targets]
    if not rows:
        return []
    return [int(i) for i in conn.execute(insert(WebhookDelivery).returning(WebhookDelivery.id), rows).scalars()]


async def record_status_change_async(conn: AsyncConnection, change: StatusChange) -> int | None:
    """The API's one-comment twin of `record_status_changes`."""
    target = (await conn.execute(_targets([change.comment_id]))).one_or_none()
    if target is None:
        return None
    result = await conn.execute(
        insert(WebhookDelivery).values(**_delivery(target, change)).returning(WebhookDelivery.id)
    )
    return int(result.scalar_one())
