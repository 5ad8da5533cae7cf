"""Intake refusals that depend on state: rate limits (memory and Redis), banned and suspended authors."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from service.app import create_app
from service.db.models import Author
from service.ratelimit import RateLimiter
from tests.conftest import REDIS_URL, auth
from tests.integration.api.test_intake import comment

TIGHT_LIMITS = """extends: default
limits:
  rate_per_author: "3/minute"
  rate_per_author_article: "2/minute"
  rate_per_ip: "4/minute"
"""


def numbered(n: int, **overrides):  # type: ignore[no-untyped-def]
    return comment(body=f"Comment number {n}, distinct text.", **overrides)


async def test_per_author_per_article_limit_is_429_with_retry_after(client, make_site, policy_dir):
    key = make_site("tight")
    (policy_dir / "tight.yaml").write_text(TIGHT_LIMITS)
    for n in range(2):
        assert (await client.post("/v1/comments", json=numbered(n), headers=auth(key))).status_code == 202
    response = await client.post("/v1/comments", json=numbered(3), headers=auth(key))
    assert response.status_code == 429
    error = response.json()["error"]
    assert (error["code"], error["limit"]) == ("rate_limited", "per_author_article")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Another article is still open to this author, until the per-author limit.
    response = await client.post("/v1/comments", json=numbered(4, article_id="other"), headers=auth(key))
    assert response.status_code == 202
    response = await client.post("/v1/comments", json=numbered(5, article_id="third"), headers=auth(key))
    assert response.json()["error"]["limit"] == "per_author"


async def test_per_ip_limit_counts_across_authors(client, make_site, policy_dir):
    key = make_site("tight")
    (policy_dir / "tight.yaml").write_text(TIGHT_LIMITS)
    for n in range(4):
        author = {"id": f"reader-{n}", "name": "R", "ip": "203.0.113.9"}
        assert (
            await client.post("/v1/comments", json=numbered(n, author=author), headers=auth(key))
        ).status_code == 202
    author = {"id": "reader-9", "name": "R", "ip": "203.0.113.9"}
    response = await client.post("/v1/comments", json=numbered(9, author=author), headers=auth(key))
    assert response.json()["error"]["limit"] == "per_ip"


async def test_limits_are_per_site(client, make_site, policy_dir):
    tight, other = make_site("tight"), make_site("roomy")
    (policy_dir / "tight.yaml").write_text(TIGHT_LIMITS)
    for n in range(2):
        await client.post("/v1/comments", json=numbered(n), headers=auth(tight))
    assert (await client.post("/v1/comments", json=numbered(7), headers=auth(tight))).status_code == 429
    assert (await client.post("/v1/comments", json=numbered(7), headers=auth(other))).status_code == 202


@pytest.mark.redis
async def test_redis_storage_shares_counts_between_api_processes(settings, make_site, policy_dir, dispatcher):
    """Two app instances (two API processes) on one Redis see one count."""
    key = make_site("tight")
    (policy_dir / "tight.yaml").write_text(TIGHT_LIMITS)
    configured = replace(settings, policy_dir=policy_dir, redis_url=REDIS_URL)
    author = {"id": f"reader-{uuid.uuid4().hex}", "name": "R"}  # fresh counters in a shared Redis
    first_limiter, second_limiter = RateLimiter(REDIS_URL), RateLimiter(REDIS_URL)
    first = create_app(configured, dispatcher, limiter=first_limiter)
    second = create_app(configured, dispatcher, limiter=second_limiter)
    async with AsyncTestClient(app=first) as one, AsyncTestClient(app=second) as two:
        assert (await one.post("/v1/comments", json=numbered(1, author=author), headers=auth(key))).status_code == 202
        assert (await two.post("/v1/comments", json=numbered(2, author=author), headers=auth(key))).status_code == 202
        response = await one.post("/v1/comments", json=numbered(3, author=author), headers=auth(key))
    assert response.status_code == 429


async def _set_author(sync_engine, status: str, until: datetime | None = None) -> None:  # type: ignore[no-untyped-def]
    with sync_engine.begin() as conn:
        conn.execute(update(Author).where(Author.external_id == "reader-1").values(status=status, status_until=until))


async def test_banned_author_is_refused(client, make_site, sync_engine):
    key = make_site()
    await client.post("/v1/comments", json=numbered(1), headers=auth(key))
    await _set_author(sync_engine, "banned")
    response = await client.post("/v1/comments", json=numbered(2), headers=auth(key))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "author_banned"


async def test_suspension_ends_at_its_time(client, make_site, sync_engine):
    key = make_site()
    await client.post("/v1/comments", json=numbered(1), headers=auth(key))
    await _set_author(sync_engine, "suspended", datetime.now(UTC) + timedelta(hours=1))
    response = await client.post("/v1/comments", json=numbered(2), headers=auth(key))
    assert response.json()["error"]["code"] == "author_suspended"
    await _set_author(sync_engine, "suspended", datetime.now(UTC) - timedelta(minutes=1))
    response = await client.post("/v1/comments", json=numbered(3), headers=auth(key))
    assert response.status_code == 202
