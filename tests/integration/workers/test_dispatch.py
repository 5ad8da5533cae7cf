"""The API's hand-off to Celery: off the request path, batched, flushed on shutdown, safe when Redis is down."""

from __future__ import annotations

import base64
import json

import pytest
import redis
import structlog
import structlog.testing

from service.settings import load_settings
from tests.helpers.processes import free_port
from workers.dispatch import CeleryDispatcher

pytestmark = pytest.mark.redis

BROKER = "redis://127.0.0.1:6379/11"


async def test_every_hand_off_reaches_the_broker_with_its_request_id(tmp_path):
    client = redis.Redis.from_url(BROKER)
    client.flushdb()
    dispatcher = CeleryDispatcher(
        load_settings({"MODERATION_BROKER_URL": BROKER, "MODERATION_DATA_DIR": str(tmp_path)})
    )
    structlog.contextvars.bind_contextvars(request_id="req-7")
    try:
        for n in range(50):
            await dispatcher.moderate(f"comment-{n}")
        await dispatcher.deliver_webhook(9)
        await dispatcher.close()
    finally:
        structlog.contextvars.clear_contextvars()
    assert client.llen("moderation") == 50
    assert client.llen("webhooks") == 1
    message = json.loads(client.lindex("moderation", -1))
    assert message["headers"]["task"] == "comments.moderate"
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert (args, kwargs) == (["comment-0"], {"request_id": "req-7"})
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
