"""Bulk decisions with per-item results, and claims that others see, respect and outlive."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from service.app import create_app
from service.db.models import ModeratorClaim
from service.ratelimit import RateLimiter
from tests.conftest import auth
from tests.integration.moderation.helpers import held_comment, post_comment, set_webhook, status_of

pytestmark = pytest.mark.usefixtures("settings")


def bulk(client, token, items):  # type: ignore[no-untyped-def]
    return client.post("/v1/moderation/decisions", json={"items": items}, headers=auth(token))


def item(comment_id: str, action: str = "reject", reason_code: str = "spam", **extra: object) -> dict[str, object]:
    return {"comment_id": comment_id, "action": action, "reason_code": reason_code, **extra}


def claim(client, token, comment_id):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/moderation/comments/{comment_id}/claim", headers=auth(token))


def expire_claims(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(update(ModeratorClaim).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))


async def test_bulk_decides_each_and_reports_partial_failures(client, site, moderator, sync_engine, dispatcher):
    mine, theirs = site(), site()
    set_webhook(sync_engine, mine)
    token = moderator(mine)
    first = await held_comment(client, sync_engine, mine)
    second = await held_comment(client, sync_engine, mine)
    pending = await post_comment(client, mine)
    foreign = await held_comment(client, sync_engine, theirs)
    items = [
        item(second, "approve", "other"),
        item(foreign),
        item(first),
        item(pending),
        item(first, "approve", "other"),
        item(second, reason_code="no_such_code"),
    ]
    response = await bulk(client, token, items)
    assert response.status_code == 200, response.text
    body = response.json()
    results = [(r["comment_id"], r["ok"], r["status"], (r["error"] or {}).get("code")) for r in body["results"]]
    assert results == [
        (second, True, "published", None),
        (foreign, False, None, "comment_not_found"),
        (first, True, "rejected", None),
        (pending, False, None, "comment_not_in_queue"),
        (first, False, None, "comment_already_decided"),
        (second, False, None, "invalid_reason_code"),
    ]
    assert (body["decided"], body["failed"]) == (2, 4)
    assert (status_of(sync_engine, first), status_of(sync_engine, second)) == ("rejected", "published")
    assert status_of(sync_engine, foreign) == "held"
    assert len(dispatcher.webhooks) == 2


async def test_bulk_refuses_more_than_200_items(client, site, moderator):
    token = moderator(site())
    response = await bulk(client, token, [item(f"id-{n}") for n in range(201)])
    assert response.status_code == 422
    assert (await bulk(client, token, [])).status_code == 422


async def test_claim_is_visible_to_others_in_queue_and_detail(client, site, moderator, sync_engine):
    mine = site()
    alice, bob = moderator(mine, name="alice"), moderator(mine, name="bob")
    comment_id = await held_comment(client, sync_engine, mine)
    response = await claim(client, alice, comment_id)
    assert response.status_code == 200, response.text
    assert response.json()["moderator"]["name"] == "alice"
    queue = (await client.get("/v1/moderation/queue", headers=auth(bob))).json()
    assert queue["items"][0]["claim"]["moderator"]["name"] == "alice"
    detail = (await client.get(f"/v1/moderation/comments/{comment_id}", headers=auth(bob))).json()
    assert detail["claim"]["moderator"]["name"] == "alice"


async def test_claimed_comment_refuses_others_claim_and_decision(client, site, moderator, sync_engine):
    mine = site()
    alice, bob = moderator(mine, name="alice"), moderator(mine, name="bob")
    comment_id = await held_comment(client, sync_engine, mine)
    await claim(client, alice, comment_id)
    second = await claim(client, bob, comment_id)
    assert second.status_code == 409
    assert second.json()["error"]["claimed_by"]["name"] == "alice"
    decision = {"action": "approve", "reason_code": "other"}
    refused = await client.post(f"/v1/moderation/comments/{comment_id}/decision", json=decision, headers=auth(bob))
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "comment_claimed")
    assert status_of(sync_engine, comment_id) == "held"
    own = await client.post(f"/v1/moderation/comments/{comment_id}/decision", json=decision, headers=auth(alice))
    assert own.status_code == 200


async def test_expired_claim_frees_the_comment(client, site, moderator, sync_engine):
    mine = site()
    alice, bob = moderator(mine, name="alice"), moderator(mine, name="bob")
    comment_id = await held_comment(client, sync_engine, mine)
    await claim(client, alice, comment_id)
    expire_claims(sync_engine)
    detail = (await client.get(f"/v1/moderation/comments/{comment_id}", headers=auth(bob))).json()
    assert detail["claim"] is None
    taken = await claim(client, bob, comment_id)
    assert (taken.status_code, taken.json()["moderator"]["name"]) == (200, "bob")


async def test_release_lets_others_claim_and_only_the_holder_or_an_admin_releases(client, site, moderator, sync_engine):
    mine = site()
    alice, bob, boss = moderator(mine), moderator(mine), moderator(mine, admin=True)
    comment_id = await held_comment(client, sync_engine, mine)
    await claim(client, alice, comment_id)
    path = f"/v1/moderation/comments/{comment_id}/claim"
    assert (await client.delete(path, headers=auth(bob))).status_code == 409
    assert (await client.delete(path, headers=auth(alice))).status_code == 204
    assert (await claim(client, bob, comment_id)).status_code == 200
    assert (await client.delete(path, headers=auth(boss))).status_code == 204
    assert (await claim(client, alice, comment_id)).status_code == 200


async def test_claim_of_another_sites_comment_is_404(client, site, moderator, sync_engine):
    mine, theirs = site(), site()
    token = moderator(mine)
    their_comment = await held_comment(client, sync_engine, theirs)
    assert (await claim(client, token, their_comment)).status_code == 404
    path = f"/v1/moderation/comments/{their_comment}/claim"
    assert (await client.delete(path, headers=auth(token))).status_code == 404


async def test_decided_comment_cannot_be_claimed(client, site, moderator, sync_engine):
    mine = site()
    token = moderator(mine)
    comment_id = await held_comment(client, sync_engine, mine)
    await bulk(client, token, [item(comment_id)])
    response = await claim(client, token, comment_id)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "comment_not_in_queue")


async def test_claim_lasts_as_long_as_configured(settings, dispatcher, policy_dir, site, moderator, sync_engine):
    configured = replace(settings, api=replace(settings.api, claim_seconds=90), policy_dir=policy_dir)
    async with AsyncTestClient(app=create_app(configured, dispatcher, limiter=RateLimiter())) as client:
        mine = site()
        comment_id = await held_comment(client, sync_engine, mine)
        before = datetime.now(UTC)
        response = await claim(client, moderator(mine), comment_id)
    assert response.status_code == 200, response.text
    expires = datetime.fromisoformat(response.json()["expires_at"])
    assert before + timedelta(seconds=89) <= expires <= datetime.now(UTC) + timedelta(seconds=90)
