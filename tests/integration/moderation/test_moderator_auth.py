"""Moderator tokens: hashed, scoped, revocable, and never interchangeable with site keys."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.db.engine import sync_session_factory
from service.db.models import Moderator
from service.ids import hash_secret
from service.moderation.accounts import ModeratorError, create_moderator, list_moderators, revoke_moderator
from tests.conftest import auth
from tests.integration.api.test_intake import comment

pytestmark = pytest.mark.usefixtures("settings")


async def test_token_is_stored_hashed_only(moderator, site, sync_engine):
    token = moderator(site(), name="alice")
    with sync_engine.connect() as conn:
        stored = conn.scalar(select(Moderator.token_hash).where(Moderator.name == "alice"))
    assert token.startswith("mod_")
    assert stored == hash_secret(token) and token not in stored


async def test_queue_needs_a_moderator_token(client, site, moderator):
    mine = site()
    assert (await client.get("/v1/moderation/queue")).status_code == 401
    assert (await client.get("/v1/moderation/queue", headers=auth("mod_unknown"))).status_code == 401
    assert (await client.get("/v1/moderation/queue", headers=auth(moderator(mine)))).status_code == 200


async def test_site_key_cannot_call_moderator_endpoints(client, site):
    mine = site()
    response = await client.get("/v1/moderation/queue", headers=auth(mine.key))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_moderator_token_cannot_post_comments(client, site, moderator):
    token = moderator(site())
    response = await client.post("/v1/comments", json=comment(), headers=auth(token))
    assert response.status_code == 401


async def test_revoked_token_stops_working_at_once(client, site, moderator, sync_engine):
    token = moderator(site(), name="bob")
    assert (await client.get("/v1/moderation/queue", headers=auth(token))).status_code == 200
    with sync_session_factory(sync_engine).begin() as session:
        revoke_moderator(session, "bob")
    assert (await client.get("/v1/moderation/queue", headers=auth(token))).status_code == 401


async def test_create_needs_existing_sites_and_a_new_name(site, sync_engine):
    known = site()
    factory = sync_session_factory(sync_engine)
    with pytest.raises(ModeratorError, match="no such site: nowhere"), factory.begin() as session:
        create_moderator(session, "carol", [known.slug, "nowhere"])
    with factory.begin() as session:
        create_moderator(session, "carol", [known.slug], admin=True)
    with pytest.raises(ModeratorError, match="already exists"), factory.begin() as session:
        create_moderator(session, "carol", [known.slug])
    with factory.begin() as session:
        (listed,) = list_moderators(session)
    assert (listed.name, listed.role, listed.sites, listed.revoked_at) == ("carol", "admin", (known.slug,), None)
