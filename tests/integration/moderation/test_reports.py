"""POST /v1/comments/{id}/reports: reader reports and the way back into the queue."""

from __future__ import annotations

import pytest

from tests.conftest import auth
from tests.integration.moderation.helpers import held_comment, post_comment, publish, set_webhook, status_of

pytestmark = pytest.mark.usefixtures("settings")


def report(client, key, comment_id, reporter, reason="insult"):  # type: ignore[no-untyped-def]
    body = {"reporter_id": reporter, "reason": reason}
    return client.post(f"/v1/comments/{comment_id}/reports", json=body, headers=auth(key))


async def test_reports_under_the_limit_keep_the_comment_published(client, site, sync_engine):
    mine = site()
    comment_id = await post_comment(client, mine)
    publish(sync_engine, comment_id)
    for n, reader in enumerate(("a", "b"), start=1):
        response = await report(client, mine.key, comment_id, reader)
        assert response.status_code == 201, response.text
        assert (response.json()["reports"], response.json()["comment_status"]) == (n, "published")
    assert status_of(sync_engine, comment_id) == "published"


async def test_reaching_the_limit_holds_the_comment_as_reported(client, site, moderator, sync_engine, dispatcher):
    mine = site()
    set_webhook(sync_engine, mine)
    comment_id = await post_comment(client, mine)
    publish(sync_engine, comment_id)
    for reader in ("a", "b", "c"):
        response = await report(client, mine.key, comment_id, reader)
    assert response.json()["comment_status"] == "held"
    assert len(dispatcher.webhooks) == 1
    token = moderator(mine)
    queue = (await client.get("/v1/moderation/queue", params={"status": "reported"}, headers=auth(token))).json()
    assert [(i["id"], i["reason"], i["reports"]) for i in queue["items"]] == [(comment_id, "reported", 3)]
    detail = (await client.get(f"/v1/moderation/comments/{comment_id}", headers=auth(token))).json()
    last = detail["history"][-1]
    assert (last["from_status"], last["to_status"], last["reason"], last["actor_type"]) == (
        "published",
        "held",
        "reported",
        "system",
    )


async def test_site_policy_sets_the_report_limit(client, site, sync_engine, policy_dir):
    mine = site()
    (policy_dir / f"{mine.slug}.yaml").write_text("extends: default\nlimits:\n  report_limit: 1\n")
    comment_id = await post_comment(client, mine)
    publish(sync_engine, comment_id)
    assert (await report(client, mine.key, comment_id, "a")).json()["comment_status"] == "held"


async def test_an_approved_comment_reported_again_returns_to_the_queue(client, site, moderator, sync_engine):
    mine = site()
    token = moderator(mine)
    comment_id = await post_comment(client, mine)
    publish(sync_engine, comment_id)
    for reader in ("a", "b", "c"):
        await report(client, mine.key, comment_id, reader)
    decision = {"action": "approve", "reason_code": "other"}
    await client.post(f"/v1/moderation/comments/{comment_id}/decision", json=decision, headers=auth(token))
    assert status_of(sync_engine, comment_id) == "published"
    response = await report(client, mine.key, comment_id, "d")
    assert response.json()["comment_status"] == "held"
    queue = (await client.get("/v1/moderation/queue", params={"status": "reported"}, headers=auth(token))).json()
    assert [i["id"] for i in queue["items"]] == [comment_id]


async def test_the_same_reader_counts_once(client, site, sync_engine):
    mine = site()
    comment_id = await post_comment(client, mine)
    publish(sync_engine, comment_id)
    await report(client, mine.key, comment_id, "a")
    again = await report(client, mine.key, comment_id, "a", reason="spam")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_reported")


async def test_held_comment_collects_reports_without_changing(client, site, sync_engine):
    mine = site()
    comment_id = await held_comment(client, sync_engine, mine, "toxicity")
    for reader in ("a", "b", "c"):
        response = await report(client, mine.key, comment_id, reader)
    assert (response.status_code, response.json()["comment_status"]) == (201, "held")
    assert (await client.get(f"/v1/comments/{comment_id}", headers=auth(mine.key))).json()["status_reason"] == (
        "toxicity"
    )


async def test_unpublished_comment_cannot_be_reported(client, site):
    mine = site()
    comment_id = await post_comment(client, mine)
    response = await report(client, mine.key, comment_id, "a")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "comment_not_reportable")


async def test_report_reason_must_be_a_reason_code(client, site, sync_engine):
    mine = site()
    comment_id = await post_comment(client, mine)
    publish(sync_engine, comment_id)
    response = await report(client, mine.key, comment_id, "a", reason="boring")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_reason_code")


async def test_another_sites_comment_cannot_be_reported(client, site, sync_engine):
    mine, theirs = site(), site()
    their_comment = await post_comment(client, theirs)
    publish(sync_engine, their_comment)
    assert (await report(client, mine.key, their_comment, "a")).status_code == 404


async def test_moderator_token_cannot_report(client, site, moderator, sync_engine):
    mine = site()
    comment_id = await post_comment(client, mine)
    publish(sync_engine, comment_id)
    assert (await report(client, moderator(mine), comment_id, "a")).status_code == 401
