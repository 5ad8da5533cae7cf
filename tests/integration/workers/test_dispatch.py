"""The API's hand-off to Celery: off the request path, batched, flushed on shutdown, safe when Redis is down."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
import redis
import structlog
import structlog.testing

from service.settings import load_settings
from tests.helpers.processes import free_port
from workers.dispatch import MIN_PUBLISH_INTERVAL, CeleryDispatcher

pytestmark = pytest.mark.redis

BROKER = "redis://127.0.0.1:6379/11"


def _tasks(client: redis.Redis, queue: str) -> list[tuple[list[object], dict[str, object]]]:
    messages = [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
    return [tuple(json.loads(base64.b64decode(message["body"]))[:2]) for message in messages]  # type: ignore[misc]


def _dispatcher(tmp_path) -> CeleryDispatcher:  # type: ignore[no-untyped-def]
    return CeleryDispatcher(load_settings({"MODERATION_BROKER_URL": BROKER, "MODERATION_DATA_DIR": str(tmp_path)}))


async def test_one_hand_off_carries_its_request_id(tmp_path):
    client = redis.Redis.from_url(BROKER)
    client.flushdb()
    dispatcher = _dispatcher(tmp_path)
    structlog.contextvars.bind_contextvars(request_id="req-7")
    try:
        await dispatcher.moderate("comment-1")
        await dispatcher.close()
    finally:
        structlog.contextvars.clear_contextvars()
    assert _tasks(client, "moderation") == [(["comment-1"], {"request_id": "req-7"})]
    client.flushdb()


async def test_a_burst_becomes_one_task_and_nothing_is_lost(tmp_path):
    client = redis.Redis.from_url(BROKER)
    client.flushdb()
    dispatcher = _dispatcher(tmp_path)
    for n in range(50):
        await dispatcher.moderate(f"comment-{n}")
    await dispatcher.deliver_webhook(9)
    await dispatcher.close()
    tasks = _tasks(client, "moderation")
    ids = [comment_id for args, _ in tasks for comment_id in args[0]]  # type: ignore[union-attr]
    assert sorted(ids) == sorted(f"comment-{n}" for n in range(50))
    assert len(tasks) < 50
    assert _tasks(client, "webhooks") == [([9], {})]
    client.flushdb()


async def test_a_steady_stream_is_published_at_most_once_per_interval(tmp_path):
    """Comments arriving every few milliseconds ride together instead of costing the worker a task each."""
    client = redis.Redis.from_url(BROKER)
    client.flushdb()
    dispatcher = _dispatcher(tmp_path)
    count, gap = 40, MIN_PUBLISH_INTERVAL / 10
    for n in range(count):
        await dispatcher.moderate(f"comment-{n}")
        await asyncio.sleep(gap)
    await dispatcher.close()
    tasks = _tasks(client, "moderation")
    ids = [comment_id for args, _ in tasks for comment_id in (args[0] if isinstance(args[0], list) else [args[0]])]
    assert sorted(ids) == sorted(f"comment-{n}" for n in range(count))
    assert len(tasks) <= count * gap / MIN_PUBLISH_INTERVAL + 2
    client.flushdb()


async def test_a_broker_that_is_down_costs_the_caller_nothing(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    dispatcher = CeleryDispatcher(load_settings({"MODERATION_BROKER_URL": url, "MODERATION_DATA_DIR": str(tmp_path)}))
    with structlog.testing.capture_logs() as logs:
        for n in range(20):
            await dispatcher.moderate(f"comment-{n}")  # returns at once; publishing fails in the background
        await dispatcher.close()
    failures = [entry for entry in logs if entry["event"] == "task.enqueue_failed"]
    assert failures
    assert sum(entry["count"] for entry in failures) == 20
