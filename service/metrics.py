"""Prometheus metrics of the API process: requests per route, refusals per code, and the backlog."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Response, get
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.models import Comment, CommentStatus, WebhookDelivery

COMMENTS_ACCEPTED = Counter("moderation_comments_accepted", "Comments stored and queued by intake")
API_ERRORS = Counter("moderation_api_errors", "Answers with an error body, by error code", ["code"])
BACKLOG = Gauge(
    "moderation_backlog_comments", "Comments waiting, by status (pending: workers; held: people)", ["status"]
)
OLDEST_PENDING = Gauge("moderation_oldest_pending_seconds", "Age of the oldest comment still waiting for the workers")
WEBHOOKS_PENDING = Gauge("moderation_webhooks_pending", "Webhook events not yet delivered")


def request_metrics() -> PrometheusConfig:
    # Route templates, not raw paths, as labels: ids in paths would make a series per comment.
    return PrometheusConfig(app_name="moderation", prefix="moderation", group_path=True, exclude=["/metrics"])


async def _refresh_backlog(engine: AsyncEngine) -> None:
    waiting = (CommentStatus.PENDING, CommentStatus.HELD)
    async with engine.connect() as conn:
        counts = dict(
            (
                await conn.execute(
                    select(Comment.status, func.count()).where(Comment.status.in_(waiting)).group_by(Comment.status)
                )
            ).all()
        )
        oldest = await conn.scalar(select(func.min(Comment.created_at)).where(Comment.status == CommentStatus.PENDING))
        webhooks = await conn.scalar(
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.state == "pending")
        )
    for status in waiting:
        BACKLOG.labels(status=status.value).set(counts.get(status, 0))
    OLDEST_PENDING.set(0 if oldest is None else (datetime.now(UTC) - oldest).total_seconds())
    WEBHOOKS_PENDING.set(webhooks or 0)


class MetricsController(Controller):
    path = "/metrics"
    include_in_schema = False

    @get("/", operation_id="metrics")
    async def metrics(self, engine: AsyncEngine) -> Response[bytes]:
        """Prometheus text format; the backlog gauges are read from the database at each scrape."""
        await _refresh_backlog(engine)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
