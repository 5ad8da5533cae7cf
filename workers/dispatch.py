"""Hands committed work to Celery from the API process, off the request path.

A request only puts the id on an in-process queue; one background task publishes what has gathered,
in a worker thread, a batch at a time. The work is already committed, so if the broker is down or the
process dies before publishing, the beat sweep re-queues it: the reader never waits for the broker.
"""

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
# After a failed publish, skip the broker for this long instead of making each batch find out again.
BROKER_BACKOFF_SECONDS = 5.0
# Beyond this many waiting hand-offs (a broker far slower than intake), drop to the sweep.
MAX_WAITING = 10_000
MAX_BATCH = 200
# At most one publish per interval: a lone comment goes at once, a burst rides in few messages. Each
# message costs a worker a task however few comments it names, so under load this is what lets the
# worker spend its time scoring (+50 ms at most to a comment's wait, and only while comments pour in).
MIN_PUBLISH_INTERVAL = 0.05

CLOSE_SECONDS = 5.0

Message = tuple[str, Any, str | None]  # task name, argument, request id
STOP: Message = ("", None, None)  # put by close(): publish what came before it, then end


class CeleryDispatcher:
    def __init__(self, settings: Settings, celery: Celery | None = None) -> None:
        self._settings = settings
        self._celery = celery
        self._skip_until = 0.0
        self._published_at = -MIN_PUBLISH_INTERVAL
        self._waiting: asyncio.Queue[Message] | None = None
        self._publisher: asyncio.Task[None] | None = None

    def _app(self) -> Celery:
        if self._celery is None:
            self._celery = create_celery(self._settings)
            if self._celery.conf.broker_url.startswith("redis"):
                # Fail at once when Redis is down (redis-py would retry for ~2 s per message).
                options = dict(self._celery.conf.broker_transport_options or {})
                self._celery.conf.broker_transport_options = {**options, "max_retries": 0}
        return self._celery

    def _publish(self, batch: list[Message]) -> None:
        app = self._app()
        moderate = [(argument, request_id) for name, argument, request_id in batch if name == MODERATE_TASK]
        with app.producer_or_acquire() as producer:
            if len(moderate) == 1:
                # The request id travels with the task, so the worker's log lines join the API's.
                (comment_id, request_id), *_ = moderate
                app.send_task(
                    MODERATE_TASK, args=[comment_id], kwargs={"request_id": request_id}, producer=producer, retry=False
                )
            elif moderate:
                # A burst: one task for all of them (the worker scores them together anyway).
                ids = [comment_id for comment_id, _ in moderate]
                app.send_task(MODERATE_TASK, args=[ids], producer=producer, retry=False)
            for name, argument, _ in batch:
                if name != MODERATE_TASK:
                    app.send_task(name, args=[argument], producer=producer, retry=False)

    async def _publish_until_stopped(self, waiting: asyncio.Queue[Message]) -> None:
        stopping = False
        while not stopping:
            batch = [await waiting.get()]
            if (wait := self._published_at + MIN_PUBLISH_INTERVAL - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            while not waiting.empty() and len(batch) < MAX_BATCH:
                batch.append(waiting.get_nowait())
            stopping = STOP in batch
            batch = [message for message in batch if message != STOP]
            if not batch:
                continue
            if time.monotonic() < self._skip_until:
                log.warning("task.enqueue_skipped", count=len(batch), reason="broker_recently_unreachable")
                continue
            self._published_at = time.monotonic()
            try:
                await asyncio.to_thread(self._publish, batch)
            except Exception as exc:
                self._skip_until = time.monotonic() + BROKER_BACKOFF_SECONDS
                log.warning("task.enqueue_failed", count=len(batch), error_type=type(exc).__name__)

    def _hand_off(self, name: str, argument: Any) -> None:
        if self._waiting is None:
            self._waiting = asyncio.Queue(MAX_WAITING)
            self._publisher = asyncio.create_task(self._publish_until_stopped(self._waiting))
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        try:
            self._waiting.put_nowait((name, argument, request_id))
        except asyncio.QueueFull:
            log.warning("task.enqueue_dropped", task=name, reason="too_many_waiting")

    async def moderate(self, comment_id: str) -> None:
        self._hand_off(MODERATE_TASK, comment_id)

    async def deliver_webhook(self, delivery_id: int) -> None:
        self._hand_off(DELIVER_WEBHOOK_TASK, delivery_id)

    async def close(self) -> None:
        """Publish what is waiting (for a few seconds at most; the sweep covers the rest), then stop."""
        if self._waiting is None or self._publisher is None:
            return
        await self._waiting.put(STOP)
        try:
            await asyncio.wait_for(self._publisher, CLOSE_SECONDS)
        except TimeoutError:
            log.warning("task.enqueue_unfinished_at_shutdown", waiting=self._waiting.qsize())
