"""Hands committed work to Celery from the API process without blocking its event loop."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog
from celery import Celery

from service.settings import Settings
from workers.celery_app import create_celery

log = structlog.get_logger()

MODERATE_TASK = "comments.moderate"
DELIVER_WEBHOOK_TASK = "webhooks.deliver"
# After a failed hand-off, skip the broker for this long instead of making each request find out again.
BROKER_BACKOFF_SECONDS = 5.0


class CeleryDispatcher:
    def __init__(self, settings: Settings, celery: Celery | None = None) -> None:
        self._settings = settings
        self._celery = celery
        self._skip_until = 0.0

    def _send(self, name: str, argument: Any, request_id: str | None) -> None:
        if self._celery is None:
            self._celery = create_celery(self._settings)
            if self._celery.conf.broker_url.startswith("redis"):
                # Fail at once when Redis is down (redis-py would retry for ~2 s per request).
                options = dict(self._celery.conf.broker_transport_options or {})
                self._celery.conf.broker_transport_options = {**options, "max_retries": 0}
        # No publish retries: the work is already stored and a beat sweep re-queues it if this fails,
        # so a broker outage must not hold the reader's request open.
        kwargs = {"request_id": request_id} if name == MODERATE_TASK else {}
        self._celery.send_task(name, args=[argument], kwargs=kwargs, retry=False)

    async def _hand_off(self, name: str, argument: Any) -> None:
        # The request id travels with the task, so the worker's log lines join the API's.
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if time.monotonic() < self._skip_until:
            log.warning("task.enqueue_skipped", task=name, reason="broker_recently_unreachable")
            return
        try:
            await asyncio.to_thread(self._send, name, argument, request_id)
        except Exception as exc:
            self._skip_until = time.monotonic() + BROKER_BACKOFF_SECONDS
            log.warning("task.enqueue_failed", task=name, error_type=type(exc).__name__)

    async def moderate(self, comment_id: str) -> None:
        await self._hand_off(MODERATE_TASK, comment_id)

    async def deliver_webhook(self, delivery_id: int) -> None:
        await self._hand_off(DELIVER_WEBHOOK_TASK, delivery_id)
