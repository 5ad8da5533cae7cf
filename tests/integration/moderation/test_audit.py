"""GET /v1/moderation/audit: every change by every path, scoped, filtered and paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import auth
from tests.integration.moderation.helpers import POLICY_VERSION, held_comment, post_comment, publish

pytestmark = pytest.mark.usefixtures("settings")


async def audit(client, token, **params):  # type: ignore[no-untyped-def]
    response = await client.get("/v1/moderation/audit", params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def moderator_id(token_owner_entries: list[dict[str, object]], name: str) -> int:
    return next(e["moderator"]["id"] for e in token_owner_entries if e["moderator"] and e["moderator"]["name"] == name)  # type: ignore[index]


async def test_audit_records_every_path(client, site, moderator, sync_engine):
    mine = site()
    admin = moderator(mine, admin=True, name="boss")
    decided = await held_comment(client, sync_engine, mine)
    bulked = await held_comment(client, sync_engine, mine)
    reported = await post_comment(client, mine)
    publish(sync_engine, reported)
    banned = await post_comment(client, mine, author={"id": "spammer", "name": "S"})
    decision = {"action": "reject", "reason_code": "spam", "note": "Ad."}
    await client.post(f"/v1/moderation/comments/{decided}/decision", json=decision, headers=auth(admin))
    items = [{"comment_id": bulked, "action": "approve", "reason_code": "other"}]
    await client.post("/v1/moderation/decisions", json={"items": items}, headers=auth(admin))
    for reader in ("a", "b", "c"):
        body = {"reporter_id": reader, "reason": "insult"}
        await client.post(f"/v1/comments/{reported}/reports", json=body, headers=auth(mine.key))
    ban = {"status": "banned", "reject_pending": True, "note": "Spam bot."}
    await client.put(f"/v1/moderation/authors/{mine.slug}/spammer", json=ban, headers=auth(admin))

    entries = (await audit(client, admin))["items"]
    seen = {
        (e["kind"], e["comment_id"] or e["author_id"], e["from_status"], e["to_status"], e["actor_type"])
        for e in entries
    }
    assert {
        ("comment", decided, "pending", "held", "system"),
        ("comment", decided, "held", "rejected", "moderator"),
        ("comment", bulked, "held", "published", "moderator"),
        ("comment", reported, "published", "held", "system"),
        ("comment", banned, "pending", "rejected", "moderator"),
        ("author", "spammer", "active", "banned", "moderator"),
    } <= seen
    rejection = next(e for e in entries if e["comment_id"] == decided and e["to_status"] == "rejected")
    assert (rejection["reason"], rejection["note"], rejection["moderator"]["name"]) == ("spam", "Ad.", "boss")
    held = next(e for e in entries if e["comment_id"] == decided and e["to_status"] == "held")
    assert held["policy_version"] == POLICY_VERSION
    ats = [e["at"] for e in entries]
    assert ats == sorted(ats, reverse=True)


async def test_audit_filters_by_moderator_site_and_time(client, site, moderator, sync_engine):
    one, two = site(), site()
    admin = moderator(one, two, admin=True, name="boss")
    other = moderator(one, name="other")
    first = await held_comment(client, sync_engine, one)
    second = await held_comment(client, sync_engine, two)
    decision = {"action": "approve", "reason_code": "other"}
    await client.post(f"/v1/moderation/comments/{first}/decision", json=decision, headers=auth(other))
    await client.post(f"/v1/moderation/comments/{second}/decision", json=decision, headers=auth(admin))
    everything = (await audit(client, admin))["items"]
    other_id = moderator_id(everything, "other")
    by_other = (await audit(client, admin, moderator_id=other_id))["items"]
    assert [(e["comment_id"], e["to_status"]) for e in by_other] == [(first, "published")]
    assert {e["site"] for e in (await audit(client, admin, site=two.slug))["items"]} == {two.slug}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await audit(client, admin, since=future))["items"] == []
    assert len((await audit(client, admin, until=future))["items"]) == len(everything)


async def test_audit_pages_newest_first_without_gaps(client, site, moderator, sync_engine):
    mine = site()
    admin = moderator(mine, admin=True)
    for _ in range(3):
        await held_comment(client, sync_engine, mine)
    everything = (await audit(client, admin))["items"]
    seen: list[tuple[str, int]] = []
    page = await audit(client, admin, limit=2)
    seen += [(e["kind"], e["id"]) for e in page["items"]]
    while page["next_cursor"]:
        page = await audit(client, admin, limit=2, cursor=page["next_cursor"])
        seen += [(e["kind"], e["id"]) for e in page["items"]]
    assert seen == [(e["kind"], e["id"]) for e in everything] and len(seen) == 6


async def test_audit_never_shows_another_sites_changes(client, site, moderator, sync_engine):
    mine, theirs = site(), site()
    admin = moderator(mine, admin=True)
    await held_comment(client, sync_engine, theirs)
    assert (await audit(client, admin))["items"] == []
    response = await client.get("/v1/moderation/audit", params={"site": theirs.slug}, headers=auth(admin))
    assert response.status_code == 404


async def test_audit_is_for_admins(client, site, moderator):
    response = await client.get("/v1/moderation/audit", headers=auth(moderator(site())))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "admin_required")
