"""Faults with real processes: a worker killed mid-scoring, a broker that is down while readers post."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from service.db.engine import create_sync_engine
from service.db.models import Comment
from service.settings import load_settings
from tests.e2e.conftest import create_test_site, statuses
from tests.e2e.test_pipeline_e2e import DECISION_TIMEOUT, REDIS_BROKER, all_decided, api, post_all
from tests.helpers.processes import free_port, kill_hard, running, start, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def leased_and_pending(database_url: str) -> bool:
    engine = create_sync_engine(load_settings({"MODERATION_DATABASE_URL": database_url}).database)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Comment.status, Comment.claimed_until)).all()
    finally:
        engine.dispose()
    return bool(rows) and all(row.status == "pending" and row.claimed_until is not None for row in rows)


async def test_worker_killed_mid_scoring_still_decides_after_restart(
    worker_env: dict[str, str], postgres_database: str, tmp_path: Path
) -> None:
    redis.Redis.from_url(REDIS_BROKER).flushdb()
    env = {**worker_env, "MODERATION_DATABASE_URL": postgres_database, "MODERATION_BROKER_URL": REDIS_BROKER}
    key = create_test_site(postgres_database)
    log = tmp_path / "worker.log"
    first = start(["worker", "--queues=moderation", "--pool=solo"], env, log)
    try:
        async with api(env) as client:
            expected = await post_all(client, key)
        # The worker has claimed the batch and is loading the model to score it: kill it there.
        wait_for(lambda: leased_and_pending(postgres_database), 60, "the worker to claim the comments", log)
    finally:
        kill_hard(first)
    # Killed between claiming and deciding: nothing was decided, and the leases are still held.
    assert {statuses(postgres_database)[i] for i in expected} == {"pending"}
    with (
        running(["worker", "--queues=moderation", "--pool=solo"], env, log),
        running(["beat"], env, tmp_path / "beat.log"),
    ):
        decided = wait_for(lambda: all_decided(postgres_database, expected), DECISION_TIMEOUT, "decisions", log)
    assert {i: decided[i] for i in expected} == expected


async def test_broker_down_while_posting_then_every_comment_is_decided(
    worker_env: dict[str, str], postgres_database: str, tmp_path: Path
) -> None:
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis_command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    env = {**worker_env, "MODERATION_DATABASE_URL": postgres_database, "MODERATION_BROKER_URL": broker}
    key = create_test_site(postgres_database)
    # The broker is not running at all: the API must still take every comment.
    async with api(env) as client:
        expected = await post_all(client, key)
    assert {statuses(postgres_database)[i] for i in expected} == {"pending"}  # stored, waiting for the broker
    server = subprocess.Popen(redis_command, stdout=subprocess.DEVNULL)  # noqa: ASYNC220 - a test's own server
    try:
        wait_for(lambda: _redis_up(broker), 10, "the broker to start")
        log = tmp_path / "worker.log"
        with (
            running(["worker", "--queues=moderation", "--pool=solo"], env, log),
            running(["beat"], env, tmp_path / "beat.log"),
        ):
            decided = wait_for(lambda: all_decided(postgres_database, expected), DECISION_TIMEOUT, "decisions", log)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert {i: decided[i] for i in expected} == expected


def _redis_up(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.ConnectionError:
        return False
