"""GET /v1/moderation/queue: scope, filters, sorting, keyset pages and counts."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from service.db.models import CommentScore
from tests.conftest import auth
from tests.integration.moderation.helpers import held_comment, hold, ids, post_comment, publish

pytestmark = pytest.mark.usefixtures("settings")


async def queue(client, token, **params):  # type: ignore[no-untyped-def]
    response = await client.get("/v1/moderation/queue", params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


async def test_queue_lists_held_comments_of_my_sites_only(client, site, moderator, sync_engine):
    mine, theirs = site(), site()
    held = await held_comment(client, sync_engine, mine)
    await held_comment(client, sync_engine, theirs)
    publish(sync_engine, await post_comment(client, mine))
    await post_comment(client, mine)  # pending: not yet the queue's business
    page = await queue(client, moderator(mine))
    assert ids(page["items"]) == [held]
    item = page["items"][0]
    assert (item["site"], item["queue"], item["reason"], item["max_score"]) == (mine.slug, "held", "toxicity", 0.8)
    assert page["counts"]["by_site"] == {mine.slug: 1}


async def test_site_filter_outside_scope_is_404(client, site, moderator):
    mine, theirs = site(), site()
    response = await client.get("/v1/moderation/queue", params={"site": theirs.slug}, headers=auth(moderator(mine)))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "site_not_found"


async def test_filters_by_site_article_section_reason_author(client, site, moderator, sync_engine):
    one, two = site(), site()
    token = moderator(one, two)
    first = await held_comment(client, sync_engine, one, "spam", article={"section": "sport"})
    second = await held_comment(client, sync_engine, one, "toxicity", article_id="article-2")
    third = await held_comment(client, sync_engine, two, author={"id": "troll", "name": "T"})
    assert ids((await queue(client, token))["items"]) == [first, second, third]
    assert ids((await queue(client, token, site=two.slug))["items"]) == [third]
    assert ids((await queue(client, token, article_id="article-2"))["items"]) == [second]
    assert ids((await queue(client, token, section="sport"))["items"]) == [first]
    assert ids((await queue(client, token, reason="spam"))["items"]) == [first]
    assert ids((await queue(client, token, author_id="troll"))["items"]) == [third]


async def test_status_filter_separates_reported_from_held(client, site, moderator, sync_engine):
    mine = site()
    token = moderator(mine)
    held = await held_comment(client, sync_engine, mine, "toxicity")
    reported = await held_comment(client, sync_engine, mine, "reported")
    assert ids((await queue(client, token, status="held"))["items"]) == [held]
    page = await queue(client, token, status="reported")
    assert ids(page["items"]) == [reported]
    assert page["items"][0]["queue"] == "reported"
    assert page["counts"]["by_queue"] == {"held": 1, "reported": 1}
    assert page["counts"]["by_reason"] == {"toxicity": 1, "reported": 1}


async def test_min_score_overall_and_per_category(client, site, moderator, sync_engine):
    mine = site()
    token = moderator(mine)
    low = await post_comment(client, mine)
    hold(sync_engine, low, scores={"toxicity": 0.4, "insult": 0.95})
    high = await post_comment(client, mine)
    hold(sync_engine, high, scores={"toxicity": 0.9, "insult": 0.1})
    assert ids((await queue(client, token, min_score=0.9))["items"]) == [low, high]
    assert ids((await queue(client, token, min_score=0.9, category="toxicity"))["items"]) == [high]
    assert ids((await queue(client, token, min_score=0.5, category="insult"))["items"]) == [low]


async def test_sorts_oldest_newest_and_by_score(client, site, moderator, sync_engine):
    mine = site()
    token = moderator(mine)
    made = []
    for score in (0.5, 0.9, 0.7):
        comment_id = await post_comment(client, mine)
        hold(sync_engine, comment_id, scores={"toxicity": score})
        made.append(comment_id)
    assert ids((await queue(client, token))["items"]) == made
    assert ids((await queue(client, token, sort="newest"))["items"]) == made[::-1]
    assert ids((await queue(client, token, sort="score"))["items"]) == [made[1], made[2], made[0]]


@pytest.mark.parametrize("sort", ["oldest", "newest", "score"])
async def test_keyset_pages_are_stable_under_inserts(client, site, moderator, sync_engine, sort):
    mine = site()
    token = moderator(mine)
    made = []
    for n in range(5):
        comment_id = await post_comment(client, mine)
        hold(sync_engine, comment_id, scores={"toxicity": 0.5 + n / 10})
        made.append(comment_id)
    expected = ids((await queue(client, token, sort=sort))["items"])
    seen: list[str] = []
    page = await queue(client, token, sort=sort, limit=2)
    seen += ids(page["items"])
    # A comment held between two pages must not shift or repeat what the reader has not yet seen.
    late = await post_comment(client, mine)
    hold(sync_engine, late, scores={"toxicity": 0.01})
    while page["next_cursor"]:
        page = await queue(client, token, sort=sort, limit=2, cursor=page["next_cursor"])
        seen += ids(page["items"])
    assert [c for c in seen if c != late] == expected
    assert len(seen) == len(set(seen))


async def test_comment_without_scores_sorts_last_by_score(client, site, moderator, sync_engine):
    mine = site()
    token = moderator(mine)
    unscored = await post_comment(client, mine)
    hold(sync_engine, unscored, reason="classification_failed", scores={})
    scored = await held_comment(client, sync_engine, mine)
    with sync_engine.begin() as conn:
        conn.execute(delete(CommentScore).where(CommentScore.comment_id == unscored))
    assert ids((await queue(client, token, sort="score"))["items"]) == [scored, unscored]


async def test_bad_cursor_is_400(client, site, moderator):
    response = await client.get("/v1/moderation/queue", params={"cursor": "bm9wZQ"}, headers=auth(moderator(site())))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"
