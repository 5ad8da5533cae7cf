"""GET /v1/moderation/comments/{id} and its history: everything a moderator needs to judge."""

from __future__ import annotations

import pytest

from tests.conftest import auth
from tests.integration.moderation.helpers import POLICY_VERSION, held_comment, post_comment, publish

pytestmark = pytest.mark.usefixtures("settings")


async def test_detail_shows_why_the_comment_is_held(client, site, moderator, sync_engine):
    mine = site()
    token = moderator(mine)
    author = {"id": "reader-x", "name": "Reader X"}
    parent = await post_comment(
        client,
        mine,
        author={"id": "p", "name": "Parent Author"},
        body="The parent.",
        article={"title": "T", "section": "s"},
    )
    publish(sync_engine, parent)
    approved = await post_comment(client, mine, author=author)
    publish(sync_engine, approved)
    comment_id = await held_comment(client, sync_engine, mine, "toxicity", author=author, parent_id=parent)
    response = await client.get(f"/v1/moderation/comments/{comment_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["status_reason"], body["site"]) == ("held", "toxicity", mine.slug)
    assert body["article"] == {"id": "article-1", "title": "T", "url": None, "section": "s"}
    assert body["author"]["id"] == "reader-x"
    assert (body["author"]["status"], body["author"]["approved_comments"], body["author"]["rejected_comments"]) == (
        "active",
        1,
        0,
    )
    assert (body["parent"]["id"], body["parent"]["body"], body["parent"]["author_name"]) == (
        parent,
        "The parent.",
        "Parent Author",
    )
    assert body["scores"][0] == {"category": "toxicity", "score": 0.8, "model_name": "bundled", "model_version": "1"}
    policy = body["policy"]
    assert (policy["action"], policy["reasons"], policy["policy_version"]) == ("hold", ["toxicity"], POLICY_VERSION)
    assert policy["matched"][0]["name"] == "toxicity-rule"
    assert [(h["actor_type"], h["from_status"], h["to_status"]) for h in body["history"]] == [
        ("site", None, "pending"),
        ("system", "pending", "held"),
    ]
    assert body["history"][1]["policy_version"] == POLICY_VERSION
    assert body["version"] == body["history"][-1]["id"]
    assert body["claim"] is None and body["reports"] == []


async def test_detail_shows_reports(client, site, moderator, sync_engine):
    mine = site()
    comment_id = await post_comment(client, mine)
    publish(sync_engine, comment_id)
    report = {"reporter_id": "reader-9", "reason": "insult", "note": "rude"}
    assert (
        await client.post(f"/v1/comments/{comment_id}/reports", json=report, headers=auth(mine.key))
    ).status_code == 201
    body = (await client.get(f"/v1/moderation/comments/{comment_id}", headers=auth(moderator(mine)))).json()
    assert [(r["reporter_id"], r["reason"], r["note"]) for r in body["reports"]] == [("reader-9", "insult", "rude")]


async def test_another_sites_comment_is_404_for_detail_and_history(client, site, moderator, sync_engine):
    mine, theirs = site(), site()
    token = moderator(mine)
    their_comment = await held_comment(client, sync_engine, theirs)
    for path in (f"/v1/moderation/comments/{their_comment}", f"/v1/moderation/comments/{their_comment}/history"):
        response = await client.get(path, headers=auth(token))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "comment_not_found"
    assert (await client.get("/v1/moderation/comments/nope", headers=auth(token))).status_code == 404


async def test_history_endpoint_lists_every_change(client, site, moderator, sync_engine):
    mine = site()
    token = moderator(mine, name="dana")
    comment_id = await held_comment(client, sync_engine, mine)
    decision = {"action": "reject", "reason_code": "insult", "note": "Name-calling."}
    await client.post(f"/v1/moderation/comments/{comment_id}/decision", json=decision, headers=auth(token))
    body = (await client.get(f"/v1/moderation/comments/{comment_id}/history", headers=auth(token))).json()
    last = body["history"][-1]
    assert (last["from_status"], last["to_status"], last["reason"], last["note"]) == (
        "held",
        "rejected",
        "insult",
        "Name-calling.",
    )
    assert last["actor"].startswith("moderator:") and last["moderator"]["name"] == "dana"
    assert len(body["history"]) == 3
