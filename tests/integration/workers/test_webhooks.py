"""Webhook delivery to a real HTTP receiver: signatures, retries with backoff, giving up."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, select, update

from service.db.engine import sync_session_factory
from service.db.models import WebhookDelivery
from service.settings import PipelineSettings
from service.sites.services import configure_webhook
from service.webhooks import SIGNATURE_HEADER, verify
from tests.helpers.webhook_receiver import webhook_receiver
from tests.integration.workers.test_pipeline import ScriptedScorer, make_pipeline, post
from workers.webhooks import deliver, due_deliveries

SECRET = "whsec_test"


def delivery(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return dict(conn.execute(select(WebhookDelivery.__table__)).one()._mapping)


async def decided_with_webhook(client, make_site, settings, sync_engine, policy_dir, url: str) -> int:  # type: ignore[no-untyped-def]
    key = make_site("hooked")
    with sync_session_factory(sync_engine).begin() as session:
        configure_webhook(session, "hooked", url, SECRET)
    comment_id = await post(client, key, "Fine words.")
    result = make_pipeline(settings, sync_engine, ScriptedScorer(), policy_dir).moderate(comment_id)
    return result.webhook_deliveries[0]


async def test_delivers_a_signed_event(client, make_site, settings, sync_engine, policy_dir):
    with webhook_receiver([200]) as receiver, httpx.Client() as http:
        delivery_id = await decided_with_webhook(client, make_site, settings, sync_engine, policy_dir, receiver.url)
        assert deliver(sync_engine, delivery_id, PipelineSettings(), http) == "delivered"
    (call,) = receiver.calls
    assert verify(SECRET, call.headers[SIGNATURE_HEADER.lower()], call.body)
    assert not verify("wrong-secret", call.headers[SIGNATURE_HEADER.lower()], call.body)
    event = json.loads(call.body)
    assert (event["type"], event["to"], event["site"]) == ("comment.status_changed", "published", "hooked")
    assert delivery(sync_engine)["state"] == "delivered"


async def test_failed_attempt_is_retried_after_backoff(client, make_site, settings, sync_engine, policy_dir):
    pipeline_settings = PipelineSettings(webhook_backoff_seconds=30)
    with webhook_receiver([503, 200]) as receiver, httpx.Client() as http:
        delivery_id = await decided_with_webhook(client, make_site, settings, sync_engine, policy_dir, receiver.url)
        assert deliver(sync_engine, delivery_id, pipeline_settings, http) == "pending"
        row = delivery(sync_engine)
        assert (row["attempts"], row["last_status_code"]) == (1, 503)
        assert due_deliveries(sync_engine) == []  # not due until the backoff passes
        assert deliver(sync_engine, delivery_id, pipeline_settings, http) == "skipped"
        with sync_engine.begin() as conn:
            conn.execute(update(WebhookDelivery).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
        assert due_deliveries(sync_engine) == [delivery_id]
        assert deliver(sync_engine, delivery_id, pipeline_settings, http) == "delivered"
    first, second = receiver.calls
    assert json.loads(first.body)["id"] == json.loads(second.body)["id"]  # the same event, for dedupe


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/closed-port"])
async def test_unreachable_endpoint_fails_after_the_last_attempt(
    client, make_site, settings, sync_engine, policy_dir, url
):
    pipeline_settings = PipelineSettings(webhook_max_attempts=2, webhook_timeout_seconds=1)
    delivery_id = await decided_with_webhook(client, make_site, settings, sync_engine, policy_dir, url)
    with httpx.Client() as http:
        assert deliver(sync_engine, delivery_id, pipeline_settings, http) == "pending"
        with sync_engine.begin() as conn:
            conn.execute(update(WebhookDelivery).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
        assert deliver(sync_engine, delivery_id, pipeline_settings, http) == "failed"
    row = delivery(sync_engine)
    assert row["last_error"] == "ConnectError"
    assert row["attempts"] == 2
