"""POST /v1/comments: every synchronous check, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from service.db.models import Comment, CommentHistory
from tests.conftest import auth

pytestmark = pytest.mark.usefixtures("settings")


def comment(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "article_id": "article-1",
        "author": {"id": "reader-1", "name": "Reader One"},
        "body": "A thoughtful remark about the article.",
    }
    payload.update(overrides)
    return payload


def count_comments(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Comment)) or 0


async def test_accepted_comment_is_stored_pending_and_dispatched(client, make_site, dispatcher, sync_engine):
    key = make_site()
    response = await client.post("/v1/comments", json=comment(), headers=auth(key))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending"
    assert dispatcher.dispatched == [body["id"]]
    with sync_engine.connect() as conn:
        stored = conn.execute(select(Comment.status, Comment.body)).one()
        history = conn.execute(select(CommentHistory.actor, CommentHistory.to_status)).all()
    assert stored.status == "pending"
    assert history == [("site", "pending")]


async def test_text_is_stored_nfc_normalised(client, make_site):
    key = make_site()
    decomposed = "Cafe\u0301 au lait, s'il vous pla\u0131\u0302t"
    response = await client.post("/v1/comments", json=comment(body=decomposed), headers=auth(key))
    read = await client.get(f"/v1/comments/{response.json()['id']}", headers=auth(key))
    assert read.json()["body"].startswith("Caf\u00e9 au lait")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-key"}, {"Authorization": "Basic abc"}])
async def test_missing_or_unknown_key_is_401(client, headers, sync_engine):
    response = await client.post("/v1/comments", json=comment(), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert count_comments(sync_engine) == 0


async def test_malformed_json_is_400(client, make_site):
    key = make_site()
    response = await client.post(
        "/v1/comments", content=b'{"article_id": ', headers={**auth(key), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (comment(body=12), "body"),
        (comment(author={"id": "a"}), "author.name"),
        ({"author": {"id": "a", "name": "b"}, "body": "x"}, "article_id"),
        (comment(article_id=""), "article_id"),
        (comment(unexpected=True), "unexpected"),
    ],
)
async def test_wrong_types_name_the_field(client, make_site, payload, field):
    key = make_site()
    response = await client.post("/v1/comments", json=payload, headers=auth(key))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_field"
    assert error["field"] == field


async def test_invalid_ip_is_rejected(client, make_site):
    key = make_site()
    payload = comment(author={"id": "a", "name": "b", "ip": "999.1.1.1"})
    response = await client.post("/v1/comments", json=payload, headers=auth(key))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "author.ip"


async def test_body_over_64_kib_is_413(client, make_site, sync_engine):
    key = make_site()
    response = await client.post("/v1/comments", json=comment(body="x" * 70_000), headers=auth(key))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert count_comments(sync_engine) == 0


@pytest.mark.parametrize("body", ["", "   ", "\n\t \n", "\u3000"])
async def test_empty_or_whitespace_body_is_comment_empty(client, make_site, body):
    key = make_site()
    response = await client.post("/v1/comments", json=comment(body=body), headers=auth(key))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "comment_empty"


@pytest.mark.parametrize("body", ["nul\x00byte", "bell\x07", "escape\x1b[31m", "c1\x85control"])
async def test_control_characters_are_invalid(client, make_site, body, sync_engine):
    key = make_site()
    response = await client.post("/v1/comments", json=comment(body=body), headers=auth(key))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_characters"
    assert count_comments(sync_engine) == 0


async def test_newlines_and_tabs_are_allowed(client, make_site):
    key = make_site()
    response = await client.post("/v1/comments", json=comment(body="line one\n\tline two\r\n"), headers=auth(key))
    assert response.status_code == 202


async def test_length_over_default_limit_names_the_limit(client, make_site):
    key = make_site()
    response = await client.post("/v1/comments", json=comment(body="a" * 301), headers=auth(key))
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["limit"], error["length"]) == ("comment_too_long", 300, 301)


async def test_length_counts_graphemes_not_code_points(client, make_site):
    key = make_site()
    toned_thumb = "\U0001f44d\U0001f3fd"  # two code points, one character on screen
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # five code points, one character
    body = (toned_thumb + family) * 150  # 300 visible, 1,050 code points
    response = await client.post("/v1/comments", json=comment(body=body), headers=auth(key))
    assert response.status_code == 202
    response = await client.post("/v1/comments", json=comment(body=body + "!"), headers=auth(key))
    assert response.json()["error"]["length"] == 301


async def test_site_policy_changes_the_length_limit(client, make_site, policy_dir):
    key = make_site("short-site")
    (policy_dir / "short-site.yaml").write_text("extends: default\nlimits:\n  max_length: 20\n")
    response = await client.post("/v1/comments", json=comment(body="x" * 21), headers=auth(key))
    assert response.json()["error"]["limit"] == 20
    other = make_site("other-site")
    response = await client.post("/v1/comments", json=comment(body="x" * 21), headers=auth(other))
    assert response.status_code == 202


async def test_duplicate_text_from_same_author_is_409_naming_the_first(client, make_site):
    key = make_site()
    first = await client.post("/v1/comments", json=comment(body="Same words here."), headers=auth(key))
    again = await client.post(
        "/v1/comments", json=comment(body="  SAME   words here.", article_id="article-2"), headers=auth(key)
    )
    assert again.status_code == 409
    error = again.json()["error"]
    assert (error["code"], error["duplicate_of"]) == ("duplicate_comment", first.json()["id"])


async def test_same_text_from_another_author_is_not_a_duplicate(client, make_site):
    key = make_site()
    await client.post("/v1/comments", json=comment(body="Agreed."), headers=auth(key))
    other = comment(body="Agreed.", author={"id": "reader-2", "name": "Two"})
    response = await client.post("/v1/comments", json=other, headers=auth(key))
    assert response.status_code == 202


async def test_idempotency_key_replays_the_first_answer(client, make_site, sync_engine, dispatcher):
    key = make_site()
    headers = {**auth(key), "Idempotency-Key": "retry-123"}
    first = await client.post("/v1/comments", json=comment(), headers=headers)
    second = await client.post("/v1/comments", json=comment(), headers=headers)
    assert second.status_code == 202
    assert second.json() == first.json()
    assert count_comments(sync_engine) == 1
    assert len(dispatcher.dispatched) == 1


async def test_idempotency_key_with_other_body_is_422(client, make_site, sync_engine):
    key = make_site()
    headers = {**auth(key), "Idempotency-Key": "retry-456"}
    await client.post("/v1/comments", json=comment(), headers=headers)
    response = await client.post("/v1/comments", json=comment(body="Something else."), headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert count_comments(sync_engine) == 1


async def test_idempotency_keys_are_per_site(client, make_site):
    first, second = make_site(), make_site()
    headers = {"Idempotency-Key": "shared-key"}
    await client.post("/v1/comments", json=comment(), headers={**auth(first), **headers})
    response = await client.post("/v1/comments", json=comment(body="Different."), headers={**auth(second), **headers})
    assert response.status_code == 202


async def test_closed_article_refuses_comments(client, make_site, sync_engine):
    key = make_site()
    await client.put("/v1/articles/article-1", json={"closed": True}, headers=auth(key))
    response = await client.post("/v1/comments", json=comment(), headers=auth(key))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "article_closed"
    assert count_comments(sync_engine) == 0


async def test_parent_must_be_a_comment_of_the_same_article(client, make_site):
    key = make_site()
    parent = (await client.post("/v1/comments", json=comment(), headers=auth(key))).json()["id"]
    other_article = comment(article_id="article-2", parent_id=parent, body="A reply elsewhere.")
    response = await client.post("/v1/comments", json=other_article, headers=auth(key))
    assert response.json()["error"]["code"] == "invalid_parent"
    missing = comment(parent_id="0192f7a0-0000-7000-8000-000000000000", body="Reply to nothing.")
    response = await client.post("/v1/comments", json=missing, headers=auth(key))
    assert response.json()["error"]["code"] == "invalid_parent"
    reply = comment(parent_id=parent, body="A proper reply.")
    response = await client.post("/v1/comments", json=reply, headers=auth(key))
    assert response.status_code == 202


async def test_parent_of_another_site_is_invalid(client, make_site):
    mine, theirs = make_site(), make_site()
    their_comment = (await client.post("/v1/comments", json=comment(), headers=auth(theirs))).json()["id"]
    response = await client.post(
        "/v1/comments", json=comment(parent_id=their_comment, body="Sneaky."), headers=auth(mine)
    )
    assert response.json()["error"]["code"] == "invalid_parent"
