"""Webhook events: what a site is told when a comment changes state, how it is signed, how it is recorded.

Events are recorded in the same transaction as the change they describe and delivered afterwards by a
worker, so a slow or dead endpoint never delays moderation and no event is lost with a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import time
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


def _target(comment_id: str) -> Any:
    return (
        select(Site.id, Site.slug, Site.webhook_url, Article.external_id)
        .join(Comment, Comment.site_id == Site.id)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.id == comment_id)
    )


def _delivery(
    target: Any, comment_id: str, from_status: str | None, to_status: str, reason: str | None, actor: str, at: datetime
) -> dict[str, Any]:
    event = {
        "id": uuid7(),
        "type": EVENT_TYPE,
        "site": target.slug,
        "comment_id": comment_id,
        "article_id": target.external_id,
        "from": from_status,
        "to": to_status,
        "reason": reason,
        "actor": actor,
        "occurred_at": at.isoformat(),
    }
    return {
        "site_id": target.id,
        "comment_id": comment_id,
        "event_type": EVENT_TYPE,
        "payload": event,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }


def record_status_change(
    conn: Connection,
    comment_id: str,
    from_status: str | None,
    to_status: str,
    reason: str | None,
    actor: str,
    at: datetime,
) -> int | None:
    """Record the event if the site has a webhook; returns the delivery id to hand to a worker."""
    target = conn.execute(_target(comment_id)).one()
    if not target.webhook_url:
        return None
    values = _delivery(target, comment_id, from_status, to_status, reason, actor, at)
    return int(conn.execute(insert(WebhookDelivery).values(**values).returning(WebhookDelivery.id)).scalar_one())


async def record_status_change_async(
    conn: AsyncConnection,
    comment_id: str,
    from_status: str | None,
    to_status: str,
    reason: str | None,
    actor: str,
    at: datetime,
) -> int | None:
    """The API's twin of `record_status_change`."""
    target = (await conn.execute(_target(comment_id))).one()
    if not target.webhook_url:
        return None
    values = _delivery(target, comment_id, from_status, to_status, reason, actor, at)
    result = await conn.execute(insert(WebhookDelivery).values(**values).returning(WebhookDelivery.id))
    return int(result.scalar_one())
