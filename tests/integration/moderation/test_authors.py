"""PUT /v1/moderation/authors/{site}/{author_id}: each status and its effect on intake and the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from policies import PolicyStore, evaluate
from service.db.models import Author, Comment
from tests.conftest import auth
from tests.integration.moderation.helpers import held_comment, post_comment, set_webhook, status_of
from workers.facts import batch_facts

pytestmark = pytest.mark.usefixtures("settings")
AUTHOR = {"id": "writer", "name": "Writer"}


def put_author(client, token, site, status, author_id="writer", **extra):  # type: ignore[no-untyped-def]
    body = {"status": status, **extra}
    return client.put(f"/v1/moderation/authors/{site.slug}/{author_id}", json=body, headers=auth(token))


def post_as_author(client, site, body="Something new to say."):  # type: ignore[no-untyped-def]
    payload = {"article_id": "article-1", "author": AUTHOR, "body": body}
    return client.post("/v1/comments", json=payload, headers=auth(site.key))


def pipeline_action(engine, policy_dir, site, comment_id: str, scores: dict[str, float]) -> str:  # type: ignore[no-untyped-def]
    """What the pipeline's policy step decides for this comment now, from the author's stored status."""
    policy = PolicyStore(policy_dir).for_site(site.slug)
    with engine.connect() as conn:
        row = conn.execute(
            select(Comment.id, Comment.author_id, Comment.article_id, Comment.body).where(Comment.id == comment_id)
        ).one()
        window = {row.id: policy.limits.rejection_rate_window_days}
        facts = batch_facts(conn, [row], window, datetime.now(UTC))[row.id]
    return evaluate(policy, facts, scores).action


async def test_unknown_author_or_site_outside_scope_is_404(client, site, moderator):
    mine, theirs = site(), site()
    await post_comment(client, theirs, author=AUTHOR)
    token = moderator(mine, admin=True)
    assert (await put_author(client, token, mine, "premoderated")).status_code == 404
    response = await put_author(client, token, theirs, "banned")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "site_not_found")
    with_theirs = moderator(theirs)
    assert (await put_author(client, with_theirs, theirs, "premoderated")).status_code == 200


async def test_banned_author_is_refused_at_intake(client, site, moderator):
    mine = site()
    await post_comment(client, mine, author=AUTHOR)
    response = await put_author(client, moderator(mine, admin=True), mine, "banned")
    assert (response.status_code, response.json()["status"]) == (200, "banned")
    refused = await post_as_author(client, mine)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "author_banned")


async def test_ban_can_reject_pending_and_held_comments(client, site, moderator, sync_engine, dispatcher):
    mine = site()
    set_webhook(sync_engine, mine)
    pending = await post_comment(client, mine, author=AUTHOR)
    held = await held_comment(client, sync_engine, mine, author=AUTHOR)
    other = await held_comment(client, sync_engine, mine)
    response = await put_author(
        client, moderator(mine, admin=True), mine, "banned", reject_pending=True, reason_code="spam", note="Bot."
    )
    assert sorted(response.json()["rejected_comments"]) == sorted([pending, held])
    assert (status_of(sync_engine, pending), status_of(sync_engine, held)) == ("rejected", "rejected")
    assert status_of(sync_engine, other) == "held"
    assert len(dispatcher.webhooks) == 2


async def test_ban_without_the_option_leaves_comments_alone(client, site, moderator, sync_engine):
    mine = site()
    held = await held_comment(client, sync_engine, mine, author=AUTHOR)
    await put_author(client, moderator(mine, admin=True), mine, "banned")
    assert status_of(sync_engine, held) == "held"


async def test_suspension_needs_a_future_until_and_refuses_intake_until_then(client, site, moderator, sync_engine):
    mine = site()
    token = moderator(mine)
    await post_comment(client, mine, author=AUTHOR)
    missing = await put_author(client, token, mine, "suspended")
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "until_required")
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert (await put_author(client, token, mine, "suspended", until=past)).status_code == 422
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = await put_author(client, token, mine, "suspended", until=until)
    assert response.status_code == 200, response.text
    refused = await post_as_author(client, mine)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "author_suspended")
    # Once the suspension has passed, the author may comment again.
    with sync_engine.begin() as conn:
        conn.execute(update(Author).values(status_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert (await post_as_author(client, mine)).status_code == 202


async def test_until_only_applies_to_suspensions(client, site, moderator):
    mine = site()
    await post_comment(client, mine, author=AUTHOR)
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = await put_author(client, moderator(mine), mine, "premoderated", until=until)
    assert (response.status_code, response.json()["error"]["field"]) == (422, "until")


async def test_premoderated_author_is_held_by_the_pipeline(client, site, moderator, sync_engine, policy_dir):
    mine = site()
    first = await post_comment(client, mine, author=AUTHOR)
    assert pipeline_action(sync_engine, policy_dir, mine, first, {"toxicity": 0.01}) == "publish"
    await put_author(client, moderator(mine), mine, "premoderated")
    response = await post_as_author(client, mine)
    assert response.status_code == 202
    assert pipeline_action(sync_engine, policy_dir, mine, response.json()["id"], {"toxicity": 0.01}) == "hold"


async def test_trusted_author_skips_skippable_rules(client, site, moderator, sync_engine, policy_dir):
    mine = site()
    comment_id = await post_comment(client, mine, author=AUTHOR)
    rude = {"toxicity": 0.75}
    assert pipeline_action(sync_engine, policy_dir, mine, comment_id, rude) == "hold"
    await put_author(client, moderator(mine, admin=True), mine, "trusted")
    assert pipeline_action(sync_engine, policy_dir, mine, comment_id, rude) == "publish"
    assert (await post_as_author(client, mine)).status_code == 202


async def test_active_restores_a_banned_author(client, site, moderator):
    mine = site()
    await post_comment(client, mine, author=AUTHOR)
    admin = moderator(mine, admin=True)
    await put_author(client, admin, mine, "banned")
    assert (await post_as_author(client, mine)).status_code == 403
    await put_author(client, admin, mine, "active")
    assert (await post_as_author(client, mine)).status_code == 202


@pytest.mark.parametrize("status", ["banned", "trusted"])
async def test_only_admins_ban_or_trust(client, site, moderator, status):
    mine = site()
    await post_comment(client, mine, author=AUTHOR)
    response = await put_author(client, moderator(mine), mine, status)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "admin_required")
    assert (await post_as_author(client, mine)).status_code == 202
