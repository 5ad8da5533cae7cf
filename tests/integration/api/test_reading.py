"""Reading, threading, deleting, article options, tenant isolation and health."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, update

from service.db.models import Comment, CommentHistory
from tests.conftest import auth
from tests.integration.api.test_intake import comment

pytestmark = pytest.mark.usefixtures("settings")
_authors = itertools.count()


async def post(client, key, **overrides) -> str:  # type: ignore[no-untyped-def]
    # A new author each time, so that building a thread never meets the rate limits.
    overrides.setdefault("author", {"id": f"reader-{next(_authors)}", "name": "Reader"})
    response = await client.post("/v1/comments", json=comment(**overrides), headers=auth(key))
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def publish(sync_engine, *ids: str) -> None:  # type: ignore[no-untyped-def]
    with sync_engine.begin() as conn:
        conn.execute(update(Comment).where(Comment.id.in_(ids)).values(status="published"))


async def test_get_comment_shows_status(client, make_site):
    key = make_site()
    comment_id = await post(client, key)
    response = await client.get(f"/v1/comments/{comment_id}", headers=auth(key))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["article_id"]) == (comment_id, "pending", "article-1")
    assert body["author"]["name"] == "Reader"


async def test_another_sites_comment_is_404_for_every_verb(client, make_site):
    mine, theirs = make_site(), make_site()
    their_comment = await post(client, theirs)
    assert (await client.get(f"/v1/comments/{their_comment}", headers=auth(mine))).status_code == 404
    response = await client.delete(f"/v1/comments/{their_comment}", headers=auth(mine))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "comment_not_found"
    still = await client.get(f"/v1/comments/{their_comment}", headers=auth(theirs))
    assert still.json()["status"] == "pending"


async def test_another_sites_article_is_invisible(client, make_site, sync_engine):
    mine, theirs = make_site(), make_site()
    publish(sync_engine, await post(client, theirs))
    response = await client.get("/v1/articles/article-1/comments", headers=auth(mine))
    assert response.json()["comments"] == []


async def test_delete_marks_deleted_and_keeps_history(client, make_site, sync_engine):
    key = make_site()
    comment_id = await post(client, key)
    response = await client.delete(f"/v1/comments/{comment_id}", headers=auth(key))
    assert response.json()["status"] == "deleted"
    with sync_engine.connect() as conn:
        history = conn.execute(
            select(CommentHistory.from_status, CommentHistory.to_status).order_by(CommentHistory.id)
        ).all()
    assert history == [(None, "pending"), ("pending", "deleted")]


async def test_thread_lists_published_only_oldest_first_with_replies(client, make_site, sync_engine):
    key = make_site()
    first = await post(client, key, body="First.")
    hidden = await post(client, key, body="Still pending.")
    second = await post(client, key, body="Second.")
    reply = await post(client, key, body="Reply to first.", parent_id=first)
    held_reply = await post(client, key, body="Held reply.", parent_id=first)
    nested = await post(client, key, body="Reply to the held reply.", parent_id=held_reply)
    publish(sync_engine, first, second, reply, nested)
    response = await client.get("/v1/articles/article-1/comments", headers=auth(key))
    threads = response.json()["comments"]
    assert [t["id"] for t in threads] == [first, second]
    assert hidden not in response.text
    replies = threads[0]["replies"]
    assert [r["id"] for r in replies] == [reply, held_reply]
    assert replies[1]["status"] == "removed" and replies[1]["body"] is None
    assert replies[1]["replies"][0]["id"] == nested


async def test_thread_pages_with_a_stable_cursor(client, make_site, sync_engine):
    key = make_site()
    ids = [await post(client, key, body=f"Comment {n}.") for n in range(5)]
    publish(sync_engine, *ids)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/articles/article-1/comments", params=params, headers=auth(key))).json()
        seen += [c["id"] for c in page["comments"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


async def test_bad_cursor_is_400(client, make_site):
    key = make_site()
    response = await client.get("/v1/articles/a/comments", params={"cursor": "garbage"}, headers=auth(key))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


async def test_thread_etag_answers_304_until_it_changes(client, make_site, sync_engine):
    key = make_site()
    publish(sync_engine, await post(client, key, body="One."))
    first = await client.get("/v1/articles/article-1/comments", headers=auth(key))
    etag = first.headers["etag"]
    same = await client.get("/v1/articles/article-1/comments", headers={**auth(key), "If-None-Match": etag})
    assert same.status_code == 304
    publish(sync_engine, await post(client, key, body="Two."))
    changed = await client.get("/v1/articles/article-1/comments", headers={**auth(key), "If-None-Match": etag})
    assert changed.status_code == 200


async def test_put_article_sets_and_keeps_options(client, make_site):
    key = make_site()
    response = await client.put(
        "/v1/articles/a-1", json={"title": "Budget", "section": "politics", "premoderated": True}, headers=auth(key)
    )
    assert response.status_code == 200
    response = await client.put("/v1/articles/a-1", json={"closed": True}, headers=auth(key))
    body = response.json()
    assert (body["title"], body["section"], body["premoderated"], body["closed"]) == ("Budget", "politics", True, True)


async def test_put_article_rejects_unknown_fields(client, make_site):
    key = make_site()
    response = await client.put("/v1/articles/a-1", json={"locked": True}, headers=auth(key))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "locked"


async def test_health_and_request_id(client):
    live = await client.get("/health/live")
    ready = await client.get("/health/ready", headers={"X-Request-ID": "probe-42"})
    assert live.status_code == ready.status_code == 200
    assert ready.json()["database"] == "ok"
    assert ready.headers["x-request-id"] == "probe-42"
    assert len(live.headers["x-request-id"]) == 32


async def test_openapi_schema_lists_the_operations(client):
    schema = (await client.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"createComment", "getComment", "deleteComment", "listArticleComments", "putArticle"} <= operations


async def test_metrics_count_requests_refusals_and_the_backlog(client, make_site):
    key = make_site()
    await post(client, key)
    await client.post("/v1/comments", json=comment(body=""), headers=auth(key))
    text = (await client.get("/metrics")).text
    assert 'moderation_backlog_comments{status="pending"} 1.0' in text
    assert 'moderation_api_errors_total{code="comment_empty"}' in text
    assert 'moderation_requests_total{app_name="moderation",method="POST",path="/v1/comments"' in text
    assert "moderation_oldest_pending_seconds" in text
