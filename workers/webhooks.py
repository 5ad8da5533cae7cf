"""Delivering recorded webhook events: signed POSTs, retried with backoff, every attempt logged."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import structlog
from sqlalchemy import Engine, select, update

from service.db.models import Site, WebhookDelivery
from service.settings import PipelineSettings
from service.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, sign

log = structlog.get_logger()

MAX_BACKOFF_SECONDS = 3600


def deliver(engine: Engine, delivery_id: int, settings: PipelineSettings, client: httpx.Client) -> str:
    """Try one delivery if it is due; returns its state afterwards (`skipped` if not due or done)."""
    now = datetime.now(UTC)
    # The lease outlasts one attempt, so a second worker given the same id skips it.
    lease = now + timedelta(seconds=settings.webhook_timeout_seconds * 2 + 5)
    with engine.begin() as conn:
        claimed = conn.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.state == "pending",
                WebhookDelivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease, attempts=WebhookDelivery.attempts + 1)
            .returning(WebhookDelivery.site_id, WebhookDelivery.payload, WebhookDelivery.attempts)
        ).first()
        if claimed is None:
            return "skipped"
        site = conn.execute(select(Site.webhook_url, Site.webhook_secret).where(Site.id == claimed.site_id)).one()
    status_code, error = _post(client, site.webhook_url, site.webhook_secret, claimed.payload, settings)
    done = status_code is not None and 200 <= status_code < 300
    if done:
        state, next_attempt = "delivered", now
    elif claimed.attempts >= settings.webhook_max_attempts or not site.webhook_url:
        state, next_attempt = "failed", now
    else:
        backoff = min(MAX_BACKOFF_SECONDS, settings.webhook_backoff_seconds * 2 ** (claimed.attempts - 1))
        state, next_attempt = "pending", datetime.now(UTC) + timedelta(seconds=backoff)
    with engine.begin() as conn:
        conn.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(
                state=state,
                next_attempt_at=next_attempt,
                last_status_code=status_code,
                last_error=error,
                delivered_at=datetime.now(UTC) if done else None,
            )
        )
    log.info("webhook.attempted", delivery_id=delivery_id, attempt=claimed.attempts, status=status_code, state=state)
    return state


def _post(
    client: httpx.Client, url: str | None, secret: str | None, payload: dict[str, object], settings: PipelineSettings
) -> tuple[int | None, str | None]:
    if not url:
        return None, "the site has no webhook URL any more"
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", EVENT_ID_HEADER: str(payload.get("id", ""))}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, int(time.time()), body)
    try:
        response = client.post(url, content=body, headers=headers, timeout=settings.webhook_timeout_seconds)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}"[:500]
    return response.status_code, None if response.is_success else f"HTTP {response.status_code}"


def due_deliveries(engine: Engine, limit: int = 500) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= datetime.now(UTC))
                .order_by(WebhookDelivery.id)
                .limit(limit)
            ).scalars()
        )
