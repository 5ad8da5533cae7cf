"""Celery tasks: thin adapters from messages to the pipeline and webhook functions.

Every task takes ids, re-reads the database, and is safe to run twice (acks_late redelivers the task
of a worker that died); expected failures retry with backoff, and beat sweeps catch what was lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from celery import Task, shared_task
from sqlalchemy.exc import DBAPIError, OperationalError

from workers.dispatch import DELIVER_WEBHOOK_TASK, MODERATE_TASK
from workers.pipeline import ScoringFailed
from workers.runtime import runtime
from workers.webhooks import deliver, due_deliveries

log = structlog.get_logger()

TRANSIENT = (OperationalError, DBAPIError)
QUEUE_MODERATION = "moderation"
QUEUE_WEBHOOKS = "webhooks"


@contextmanager
def task_context(task: Task, **values: Any) -> Iterator[None]:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task=task.name, task_id=task.request.id, **values)
    try:
        yield
    finally:
        structlog.contextvars.clear_contextvars()


def _backoff(retries: int, base: float = 1.0, cap: float = 60.0) -> float:
    return float(min(cap, base * 2.0**retries))


@shared_task(name=MODERATE_TASK, bind=True, acks_late=True, ignore_result=True, max_retries=None)
def moderate_comment(self: Task, comment_ids: str | list[str], request_id: str | None = None) -> None:
    """`comment_ids` is one id or the ids the API gathered in one hand-off (their decisions log each id)."""
    with task_context(self, comment_ids=comment_ids, request_id=request_id):
        pipeline = runtime().pipeline
        try:
            result = pipeline.moderate(comment_ids)
        except ScoringFailed as exc:
            # The attempts counter lives on the comment; once past it the next run holds the comment.
            log.warning("comment.scoring_failed", retries=self.request.retries)
            raise self.retry(exc=exc, countdown=_backoff(self.request.retries), max_retries=20) from exc
        except TRANSIENT as exc:
            log.warning("comment.database_unavailable", error_type=type(exc).__name__)
            raise self.retry(exc=exc, countdown=_backoff(self.request.retries), max_retries=20) from exc
        if result.leased_elsewhere:
            # Another worker is scoring it; look again later in case that worker dies.
            raise self.retry(countdown=5, max_retries=100)
        for delivery_id in result.webhook_deliveries:
            deliver_webhook.apply_async(args=[delivery_id], queue=QUEUE_WEBHOOKS)


@shared_task(name=DELIVER_WEBHOOK_TASK, bind=True, acks_late=True, ignore_result=True)
def deliver_webhook(self: Task, delivery_id: int) -> None:
    with task_context(self, delivery_id=delivery_id):
        rt = runtime()
        # Retries are scheduled in the delivery row and picked up by the sweep, so they survive restarts.
        deliver(rt.engine, delivery_id, rt.settings.pipeline, rt.http)


@shared_task(name="comments.sweep_pending", bind=True, ignore_result=True)
def sweep_pending(self: Task) -> None:
    with task_context(self):
        stale = runtime().pipeline.stale_pending()
        batch = runtime().pipeline.batch_size
        for start in range(0, len(stale), batch):
            moderate_comment.apply_async(args=[stale[start : start + batch]], queue=QUEUE_MODERATION)
        if stale:
            log.info("comments.requeued", count=len(stale))


@shared_task(name="webhooks.sweep_due", bind=True, ignore_result=True)
def sweep_webhooks(self: Task) -> None:
    with task_context(self):
        due = due_deliveries(runtime().engine)
        for delivery_id in due:
            deliver_webhook.apply_async(args=[delivery_id], queue=QUEUE_WEBHOOKS)
        if due:
            log.info("webhooks.requeued", count=len(due))
