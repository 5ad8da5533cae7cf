"""The whole pipeline with real worker processes: PostgreSQL + Redis, and the embedded defaults."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import redis
from kombu import Connection
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from service.app import create_app
from service.db import migrate
from service.db.engine import create_sync_engine, sync_session_factory
from service.db.models import Comment
from service.settings import load_settings
from service.sites.services import configure_webhook
from service.webhooks import SIGNATURE_HEADER, verify
from tests.conftest import auth
from tests.e2e.conftest import EXPECTED, create_test_site, statuses
from tests.helpers.processes import running, wait_for
from tests.helpers.webhook_receiver import webhook_receiver
from workers.dispatch import CeleryDispatcher

pytestmark = pytest.mark.slow

REDIS_BROKER = "redis://127.0.0.1:6379/14"
AMQP_BROKER = "amqp://guest:guest@127.0.0.1:5672//"
DECISION_TIMEOUT = 90  # the first comment waits for the worker to import torch and load the model


@asynccontextmanager
async def api(env: dict[str, str]) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The API in this process, handing comments to the real broker."""
    settings = load_settings(env)
    async with AsyncTestClient(app=create_app(settings, CeleryDispatcher(settings))) as client:
        yield client


async def post_all(client: AsyncTestClient, key: str) -> dict[str, str]:  # type: ignore[type-arg]
    ids = {}
    for n, text in enumerate(EXPECTED):
        payload = {"article_id": "a-1", "author": {"id": f"reader-{n}", "name": "R"}, "body": text}
        response = await client.post("/v1/comments", json=payload, headers=auth(key))
        assert response.status_code == 202, response.text
        ids[response.json()["id"]] = EXPECTED[text]
    return ids


def all_decided(database_url: str, expected: dict[str, str]) -> dict[str, str] | None:
    current = statuses(database_url)
    return current if all(current.get(i) not in (None, "pending") for i in expected) else None


def empty_broker(url: str) -> None:
    """Leave no message from an earlier run in the shared broker."""
    if url.startswith("redis"):
        redis.Redis.from_url(url).flushdb()
    else:
        with Connection(url) as connection:
            for queue in ("moderation", "webhooks"):
                with contextlib.suppress(Exception):
                    connection.default_channel.queue_purge(queue)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("broker", [REDIS_BROKER, AMQP_BROKER], ids=["redis", "rabbitmq"])
async def test_real_worker_decides_on_postgres_and_tells_the_site(
    worker_env: dict[str, str], postgres_database: str, tmp_path: Path, broker: str
) -> None:
    empty_broker(broker)
    env = {**worker_env, "MODERATION_DATABASE_URL": postgres_database, "MODERATION_BROKER_URL": broker}
    key = create_test_site(postgres_database)
    log = tmp_path / "worker.log"
    with webhook_receiver() as receiver:
        engine = create_sync_engine(load_settings(env).database)
        with sync_session_factory(engine).begin() as session:
            configure_webhook(session, "e2e", receiver.url, "whsec_e2e")
        engine.dispose()
        # The worker's defaults: prefork, one scoring process per core.
        with running(["worker", "--queues=moderation,webhooks"], env, log):
            async with api(env) as client:
                expected = await post_all(client, key)
            decided = wait_for(lambda: all_decided(postgres_database, expected), DECISION_TIMEOUT, "decisions", log)
            assert {i: decided[i] for i in expected} == expected
            wait_for(lambda: len(receiver.calls) >= 3, 30, "three webhook calls", log)
    events = {}
    for call in receiver.calls:
        assert verify("whsec_e2e", call.headers[SIGNATURE_HEADER.lower()], call.body)
        event = json.loads(call.body)
        events[event["comment_id"]] = event["to"]
    assert events == expected


async def test_embedded_broker_and_sqlite_with_a_model_that_always_fails(worker_env: dict[str, str], tmp_path: Path):
    """Nothing but files: the SQLite database and the SQLite broker. A broken model holds, never publishes."""
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"not a checkpoint")
    database_url = f"sqlite:///{tmp_path / 'moderation.db'}"
    env = {**worker_env, "MODERATION_DATABASE_URL": database_url, "MODERATION_MODEL_CHECKPOINT": str(broken)}
    engine = create_sync_engine(load_settings(env).database)
    migrate.upgrade(engine)
    engine.dispose()
    key = create_test_site(database_url)
    log = tmp_path / "worker.log"
    with running(["worker", "--queues=moderation,webhooks", "--pool=solo"], env, log):
        async with api(env) as client:
            expected = await post_all(client, key)
        decided = wait_for(lambda: all_decided(database_url, expected), DECISION_TIMEOUT, "decisions", log)
    assert {decided[i] for i in expected} == {"held"}
    engine = create_sync_engine(load_settings(env).database)
    with engine.connect() as conn:
        reasons = set(conn.execute(select(Comment.status_reason)).scalars())
    engine.dispose()
    assert reasons == {"classification_failed"}


@pytest.mark.postgres
@pytest.mark.redis
async def test_scoring_processes_load_the_model_before_the_first_comment(
    worker_env: dict[str, str], postgres_database: str, tmp_path: Path
) -> None:
    """The first comment after a start must not wait for the model: each process loads it as it starts."""
    empty_broker(REDIS_BROKER)
    env = {**worker_env, "MODERATION_DATABASE_URL": postgres_database, "MODERATION_BROKER_URL": REDIS_BROKER}
    key = create_test_site(postgres_database)
    log = tmp_path / "worker.log"

    def loads() -> int:
        return log.read_text(errors="replace").count('"classifier.loaded"')

    with running(["worker", "--queues=moderation", "--concurrency=2"], env, log):
        wait_for(lambda: loads() == 2, DECISION_TIMEOUT, "both processes to load the model, with no comment", log)
        async with api(env) as client:
            expected = await post_all(client, key)
        decided = wait_for(lambda: all_decided(postgres_database, expected), DECISION_TIMEOUT, "decisions", log)
    assert {i: decided[i] for i in expected} == expected
    assert loads() == 2  # the comments were scored by the models loaded at the start
