"""Hands committed comments to Celery from the API process without blocking its event loop."""

from __future__ import annotations

import asyncio

import structlog
from celery import Celery

from service.settings import Settings
from workers.celery_app import create_celery

log = structlog.get_logger()

MODERATE_TASK = "comments.moderate"


class CeleryDispatcher:
    def __init__(self, settings: Settings, celery: Celery | None = None) -> None:
        self._settings = settings
        self._celery = celery

    def _send(self, comment_id: str) -> None:
        if self._celery is None:
            self._celery = create_celery(self._settings)
        # No publish retries: the comment is already stored, and the pending sweep re-queues it if this
        # fails, so a broker outage must not hold the reader's request open.
        self._celery.send_task(MODERATE_TASK, args=[comment_id], retry=False)

    async def dispatch(self, comment_id: str) -> None:
        try:
            await asyncio.to_thread(self._send, comment_id)
        except Exception as exc:
            log.warning("comment.enqueue_failed", comment_id=comment_id, error_type=type(exc).__name__)
