"""POST decision: approve publishes, reject rejects, no silent overwrite, webhooks and labels."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from service.db.models import CommentHistory, ModerationLabel, WebhookDelivery
from tests.conftest import auth
from tests.integration.moderation.helpers import (
    POLICY_VERSION,
    held_comment,
    post_comment,
    publish,
    set_webhook,
    status_of,
)

pytestmark = pytest.mark.usefixtures("settings")


def decide(client, token, comment_id, action="approve", reason_code="other", **extra):  # type: ignore[no-untyped-def]
    body = {"action": action, "reason_code": reason_code, **extra}
    return client.post(f"/v1/moderation/comments/{comment_id}/decision", json=body, headers=auth(token))


async def test_approve_publishes(client, site, moderator, sync_engine):
    mine = site()
    comment_id = await held_comment(client, sync_engine, mine)
    response = await decide(client, moderator(mine, name="erin"), comment_id, "approve", "other")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["decided_by"]["name"]) == ("published", "erin")
    assert status_of(sync_engine, comment_id) == "published"
    thread = (await client.get("/v1/articles/article-1/comments", headers=auth(mine.key))).json()
    assert [c["id"] for c in thread["comments"]] == [comment_id]


async def test_reject_rejects_with_reason(client, site, moderator, sync_engine):
    mine = site()
    comment_id = await held_comment(client, sync_engine, mine)
    response = await decide(client, moderator(mine), comment_id, "reject", "hate_speech")
    assert response.json()["status"] == "rejected"
    read = (await client.get(f"/v1/comments/{comment_id}", headers=auth(mine.key))).json()
    assert (read["status"], read["status_reason"]) == ("rejected", "hate_speech")


async def test_unknown_reason_code_is_422_listing_the_codes(client, site, moderator, sync_engine):
    mine = site()
    comment_id = await held_comment(client, sync_engine, mine)
    response = await decide(client, moderator(mine), comment_id, "reject", "looked_funny")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_reason_code" and "spam" in error["allowed"]
    assert status_of(sync_engine, comment_id) == "held"


async def test_site_policy_may_add_reason_codes(client, site, moderator, sync_engine, policy_dir):
    mine = site()
    (policy_dir / f"{mine.slug}.yaml").write_text("extends: default\nreason_codes: [election_rules]\n")
    comment_id = await held_comment(client, sync_engine, mine)
    response = await decide(client, moderator(mine), comment_id, "reject", "election_rules")
    assert response.status_code == 200, response.text


async def test_another_sites_comment_is_404_and_untouched(client, site, moderator, sync_engine):
    mine, theirs = site(), site()
    their_comment = await held_comment(client, sync_engine, theirs)
    response = await decide(client, moderator(mine), their_comment, "reject", "spam")
    assert response.status_code == 404
    assert status_of(sync_engine, their_comment) == "held"


async def test_already_decided_is_409_with_who_and_when(client, site, moderator, sync_engine):
    mine = site()
    first, second = moderator(mine, name="first"), moderator(mine, name="second")
    comment_id = await held_comment(client, sync_engine, mine)
    assert (await decide(client, first, comment_id, "approve")).status_code == 200
    response = await decide(client, second, comment_id, "reject", "spam")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "comment_already_decided"
    assert (error["status"], error["by"]["moderator"]["name"]) == ("published", "first")
    assert error["at"]
    assert status_of(sync_engine, comment_id) == "published"


async def test_stale_version_is_409_comment_changed(client, site, moderator, sync_engine):
    mine = site()
    token = moderator(mine)
    comment_id = await held_comment(client, sync_engine, mine)
    seen = (await client.get(f"/v1/moderation/comments/{comment_id}", headers=auth(token))).json()["version"]
    assert (await decide(client, token, comment_id, version=seen - 1)).status_code == 409
    assert (await decide(client, token, comment_id, version=seen)).status_code == 200


async def test_pending_comment_is_not_decidable(client, site, moderator, sync_engine):
    mine = site()
    comment_id = await post_comment(client, mine)
    response = await decide(client, moderator(mine), comment_id)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "comment_not_in_queue")


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
async def test_concurrent_decisions_exactly_one_wins(client, site, moderator, sync_engine):
    mine = site()
    tokens = [moderator(mine) for _ in range(4)]
    comment_id = await held_comment(client, sync_engine, mine)
    responses = await asyncio.gather(
        *(decide(client, token, comment_id, "approve" if n % 2 else "reject", "spam") for n, token in enumerate(tokens))
    )
    codes = sorted(response.status_code for response in responses)
    assert codes == [200, 409, 409, 409]
    with sync_engine.connect() as conn:
        labels = conn.scalars(select(ModerationLabel.id).where(ModerationLabel.comment_id == comment_id)).all()
        history = conn.scalars(select(CommentHistory.to_status).where(CommentHistory.comment_id == comment_id)).all()
    assert len(labels) == 1
    assert history == ["pending", "held", status_of(sync_engine, comment_id)]


async def test_decision_fires_the_sites_webhook(client, site, moderator, sync_engine, dispatcher):
    mine = site()
    set_webhook(sync_engine, mine)
    token = moderator(mine)
    comment_id = await held_comment(client, sync_engine, mine)
    await decide(client, token, comment_id, "reject", "threat")
    assert len(dispatcher.webhooks) == 1
    with sync_engine.connect() as conn:
        payload = conn.scalar(select(WebhookDelivery.payload).where(WebhookDelivery.id == dispatcher.webhooks[0]))
    assert (payload["from"], payload["to"], payload["reason"]) == ("held", "rejected", "threat")
    assert payload["actor"].startswith("moderator:")


@pytest.mark.parametrize(
    ("action", "agreed"),
    [("reject", True), ("approve", False)],
)
async def test_decision_is_recorded_as_a_label_against_the_policy(client, site, moderator, sync_engine, action, agreed):
    mine = site()
    comment_id = await held_comment(client, sync_engine, mine, "toxicity")
    await decide(client, moderator(mine), comment_id, action, "toxicity")
    with sync_engine.connect() as conn:
        label = conn.execute(select(ModerationLabel).where(ModerationLabel.comment_id == comment_id)).one()
    assert (label.action, label.system_action, label.agreed) == (action, "hold", agreed)
    assert (label.policy_version, label.system_reasons, label.held_reason) == (POLICY_VERSION, ["toxicity"], "toxicity")


async def test_approving_a_reported_comment_agrees_with_the_policy(client, site, moderator, sync_engine):
    mine = site()
    comment_id = await post_comment(client, mine)
    publish(sync_engine, comment_id)
    for reader in ("a", "b", "c"):
        report = {"reporter_id": reader, "reason": "spam"}
        await client.post(f"/v1/comments/{comment_id}/reports", json=report, headers=auth(mine.key))
    assert (await decide(client, moderator(mine), comment_id, "approve", "other")).status_code == 200
    with sync_engine.connect() as conn:
        label = conn.execute(select(ModerationLabel).where(ModerationLabel.comment_id == comment_id)).one()
    assert (label.held_reason, label.system_action, label.agreed) == ("reported", "publish", True)
